"""Config resolution: host normalization, credential order, and the errors that say what to set."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from databricks_claude import config as config_mod
from databricks_claude.auth import OAuthM2MProvider, SdkProvider, StaticTokenProvider
from databricks_claude.config import ClientConfig, normalize_host, resolve_config
from databricks_claude.errors import ConfigurationError

HOST = "https://dbc-1234.cloud.databricks.com"
TOKEN = "dapi-secret-token-0123456789"
SECRET = "oauth-client-secret-abcdef"


@pytest.fixture
def no_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave as if databricks-sdk were not installed."""
    monkeypatch.setattr(config_mod, "_load_sdk_config_class", lambda: None)


def _bearer(cfg: ClientConfig) -> str:
    return cfg.credentials.headers()["Authorization"]


def _oauth_exchange(cfg: ClientConfig) -> tuple[str, str, str]:
    """(token URL, Basic client id, Basic secret) the OAuth provider posts to get its token,
    seen on a recording transport (which answers with a token)."""
    import base64

    import httpx

    seen: list[httpx.Request] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "issued", "expires_in": 3600})

    provider = cfg.credentials
    assert isinstance(provider, OAuthM2MProvider)
    provider._http = httpx.Client(transport=httpx.MockTransport(token_endpoint))
    assert provider.headers() == {"Authorization": "Bearer issued"}
    scheme, _, encoded = seen[0].headers["authorization"].partition(" ")
    assert scheme == "Basic"
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    return str(seen[0].url), client_id, secret


# -- normalize_host -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("dbc-1234.cloud.databricks.com", HOST),
    ("dbc-1234.cloud.databricks.com/", HOST),
    ("https://dbc-1234.cloud.databricks.com/", HOST),
    ("https://dbc-1234.cloud.databricks.com:443", HOST),
    ("https://dbc-1234.cloud.databricks.com:443/", HOST),
    ("  https://dbc-1234.cloud.databricks.com  ", HOST),
    ("HTTPS://dbc-1234.cloud.databricks.com", HOST),
    ("https://adb-1.2.azuredatabricks.net/?o=1#", "https://adb-1.2.azuredatabricks.net"),
    ("https://host.example:8443", "https://host.example:8443"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://127.5.6.7:1/", "http://127.5.6.7:1"),
    ("http://localhost:9000", "http://localhost:9000"),
    ("http://[::1]:9000", "http://[::1]:9000"),
])
def test_normalize_host(raw: str, expected: str) -> None:
    assert normalize_host(raw) == expected


@pytest.mark.parametrize("raw", [
    "http://dbc-1234.cloud.databricks.com",
    "http://10.0.0.1:8080",
    "http://128.0.0.1",
    "http://localhost.evil.com",
])
def test_plain_http_refused_for_non_loopback(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="https://"):
        normalize_host(raw)


@pytest.mark.parametrize("raw", ["", "   ", "ftp://host", "https://"])
def test_invalid_hosts(raw: str) -> None:
    with pytest.raises(ConfigurationError):
        normalize_host(raw)


def test_host_with_user_info_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError) as info:
        normalize_host(f"https://token:{TOKEN}@dbc-1234.cloud.databricks.com")
    assert TOKEN not in str(info.value)


def test_configuration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalize_host("http://example.com")


# -- credential order ---------------------------------------------------------------------------


def test_explicit_host_and_token() -> None:
    cfg = resolve_config(host="dbc-1234.cloud.databricks.com/", token=TOKEN)
    assert cfg.host == HOST
    assert cfg.base_url == f"{HOST}/serving-endpoints"
    assert isinstance(cfg.credentials, StaticTokenProvider)
    assert _bearer(cfg) == f"Bearer {TOKEN}"


def test_env_host_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", "dbc-1234.cloud.databricks.com")
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    cfg = resolve_config()
    assert cfg.host == HOST
    assert _bearer(cfg) == f"Bearer {TOKEN}"


def test_explicit_arguments_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", "https://env.cloud.databricks.com")
    monkeypatch.setenv("DATABRICKS_TOKEN", "env-token")
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "env-id")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "env-secret")
    cfg = resolve_config(host=HOST, token=TOKEN)
    assert cfg.host == HOST
    assert _bearer(cfg) == f"Bearer {TOKEN}"


def test_explicit_client_credentials_win_over_env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", "env-token")
    cfg = resolve_config(host=HOST, client_id="sp-id", client_secret=SECRET)
    assert isinstance(cfg.credentials, OAuthM2MProvider)
    assert cfg.credentials.client_id == "sp-id"
    assert _oauth_exchange(cfg) == (f"{HOST}/oidc/v1/token", "sp-id", SECRET)


def test_env_token_wins_over_env_client_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", HOST)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "env-id")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", SECRET)
    cfg = resolve_config()
    assert isinstance(cfg.credentials, StaticTokenProvider)
    assert _bearer(cfg) == f"Bearer {TOKEN}"  # the env token, not an OAuth token


def test_env_client_credentials_give_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", HOST)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "env-id")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", SECRET)
    cfg = resolve_config()
    assert isinstance(cfg.credentials, OAuthM2MProvider)
    assert cfg.credentials.token_url == f"{HOST}/oidc/v1/token"
    assert _oauth_exchange(cfg) == (f"{HOST}/oidc/v1/token", "env-id", SECRET)


def test_secretstr_accepted() -> None:
    cfg = resolve_config(host=HOST, token=SecretStr(TOKEN))
    assert _bearer(cfg) == f"Bearer {TOKEN}"
    cfg = resolve_config(host=HOST, client_id="id", client_secret=SecretStr(SECRET))
    assert isinstance(cfg.credentials, OAuthM2MProvider)
    assert _oauth_exchange(cfg) == (f"{HOST}/oidc/v1/token", "id", SECRET)


def test_blank_env_values_are_ignored(monkeypatch: pytest.MonkeyPatch, no_sdk: None) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", HOST)
    monkeypatch.setenv("DATABRICKS_TOKEN", "   ")
    with pytest.raises(ConfigurationError, match="DATABRICKS_TOKEN"):
        resolve_config()


def test_base_url_override() -> None:
    gateway = f"{HOST}/ai-gateway/mlflow/v1/"
    cfg = resolve_config(host=HOST, token=TOKEN, base_url=gateway)
    assert cfg.base_url == f"{HOST}/ai-gateway/mlflow/v1"


def test_base_url_path_is_joined_to_host() -> None:
    cfg = resolve_config(host=HOST, token=TOKEN, base_url="/ai-gateway/mlflow/v1")
    assert cfg.base_url == f"{HOST}/ai-gateway/mlflow/v1"


def test_base_url_gives_the_host_when_none_is_set() -> None:
    cfg = resolve_config(token=TOKEN, base_url=f"{HOST}/ai-gateway/mlflow/v1")
    assert cfg.host == HOST


def test_base_url_plain_http_refused() -> None:
    with pytest.raises(ConfigurationError):
        resolve_config(host=HOST, token=TOKEN, base_url="http://gateway.example.com/v1")


def test_loopback_http_accepted() -> None:
    cfg = resolve_config(host="http://127.0.0.1:8000", token=TOKEN)
    assert cfg.base_url == "http://127.0.0.1:8000/serving-endpoints"
    cfg = resolve_config(host="http://localhost:8000", token=TOKEN)
    assert cfg.host == "http://localhost:8000"


def test_plain_http_env_host_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", "http://dbc-1234.cloud.databricks.com")
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    with pytest.raises(ConfigurationError, match="unencrypted"):
        resolve_config()


# -- what to set when something is missing ------------------------------------------------------


def test_missing_everything_says_what_to_set(no_sdk: None) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config()
    message = str(info.value)
    for hint in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID",
                 "DATABRICKS_CLIENT_SECRET", "databricks-claude[sdk]"):
        assert hint in message
    assert "host" in message


def test_missing_host_with_token(no_sdk: None) -> None:
    with pytest.raises(ConfigurationError, match="no Databricks host") as info:
        resolve_config(token=TOKEN)
    assert TOKEN not in str(info.value)


def test_missing_credentials_with_host(no_sdk: None) -> None:
    with pytest.raises(ConfigurationError, match="no Databricks credentials found") as info:
        resolve_config(host=HOST)
    assert "DATABRICKS_TOKEN" in str(info.value)


def test_client_id_without_secret_is_not_enough(no_sdk: None) -> None:
    with pytest.raises(ConfigurationError, match="DATABRICKS_CLIENT_SECRET"):
        resolve_config(host=HOST, client_id="sp-id")


def test_profile_without_sdk_says_to_install_it(no_sdk: None) -> None:
    with pytest.raises(ConfigurationError, match=r"databricks-claude\[sdk\]"):
        resolve_config(profile="dev")


# -- databricks-sdk ------------------------------------------------------------------------------


@pytest.fixture
def sdk_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """databricks-sdk probes `{host}/.well-known/databricks-config` in Config(): skip it."""
    sdk_config = pytest.importorskip("databricks.sdk.config")
    monkeypatch.setattr(sdk_config.Config, "_resolve_host_metadata", lambda self: None)


def test_sdk_profile_supplies_host_and_credentials(tmp_path: object, sdk_offline: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = tmp_path / "databrickscfg"  # type: ignore[operator]
    cfg_file.write_text(f"[dev]\nhost = dbc-1234.cloud.databricks.com/\ntoken = {TOKEN}\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg_file))
    cfg = resolve_config(profile="dev")
    assert cfg.host == HOST
    assert isinstance(cfg.credentials, SdkProvider)
    assert _bearer(cfg) == f"Bearer {TOKEN}"
    assert TOKEN not in repr(cfg)


def test_explicit_profile_goes_to_the_sdk(tmp_path: object, sdk_offline: None,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = tmp_path / "databrickscfg"  # type: ignore[operator]
    cfg_file.write_text(f"[dev]\nhost = {HOST}\ntoken = {TOKEN}\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg_file))
    monkeypatch.setenv("DATABRICKS_HOST", HOST)
    monkeypatch.setenv("DATABRICKS_TOKEN", "env-token")
    cfg = resolve_config(profile="dev")
    # Not the library's own env lookup (that would be a StaticTokenProvider): the SDK resolves.
    assert isinstance(cfg.credentials, SdkProvider)
    assert cfg.credentials.config.profile == "dev"
    assert cfg.credentials.config.auth_type == "pat"
    assert cfg.host == HOST
    # Inside the SDK its own precedence applies: environment variables over the profile file
    # (as in test_sdk_conflict_is_explained_without_secrets), so DATABRICKS_TOKEN is sent.
    assert _bearer(cfg) == "Bearer env-token"


def test_explicit_profile_forwards_no_environment_credential(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With a profile, the environment token is not turned into a StaticTokenProvider nor passed
    to the SDK as an argument: the SDK gets the profile (and the host) and its headers are sent."""
    seen: dict[str, object] = {}

    class FakeConfig:
        host = HOST
        auth_type = "pat"

        def __init__(self, **kwargs: object):
            seen.update(kwargs)

        def authenticate(self) -> dict[str, str]:
            return {"Authorization": f"Bearer profile-token-of-{seen['profile']}"}

    monkeypatch.setattr(config_mod, "_load_sdk_config_class", lambda: FakeConfig)
    monkeypatch.setenv("DATABRICKS_HOST", HOST)
    monkeypatch.setenv("DATABRICKS_TOKEN", "env-token")
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "env-id")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", SECRET)
    cfg = resolve_config(profile="dev")
    assert seen == {"host": HOST, "profile": "dev"}
    assert isinstance(cfg.credentials, SdkProvider)
    assert _bearer(cfg) == "Bearer profile-token-of-dev"


def test_sdk_conflict_is_explained_without_secrets(tmp_path: object, sdk_offline: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = tmp_path / "databrickscfg"  # type: ignore[operator]
    cfg_file.write_text(f"[dev]\nhost = {HOST}\ntoken = {TOKEN}\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg_file))
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "env-id")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", SECRET)
    with pytest.raises(ConfigurationError, match="more than one") as info:
        resolve_config(profile="dev")
    assert TOKEN not in str(info.value)
    assert SECRET not in str(info.value)


def test_sdk_failure_becomes_configuration_error(sdk_offline: None) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config(profile="no-such-profile")
    assert "DATABRICKS_HOST" in str(info.value)


def test_sdk_used_when_env_has_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    class FakeConfig:
        host = "dbc-1234.cloud.databricks.com"
        auth_type = "runtime"

        def __init__(self, **kwargs: object):
            seen.update(kwargs)

        def authenticate(self) -> dict[str, str]:
            return {"Authorization": "Bearer from-sdk"}

    monkeypatch.setattr(config_mod, "_load_sdk_config_class", lambda: FakeConfig)
    cfg = resolve_config()
    assert seen == {}
    assert cfg.host == HOST
    assert _bearer(cfg) == "Bearer from-sdk"
    assert "runtime" in repr(cfg)


# -- repr ---------------------------------------------------------------------------------------


def test_repr_never_shows_secrets() -> None:
    for cfg in (resolve_config(host=HOST, token=TOKEN),
                resolve_config(host=HOST, client_id="sp-id", client_secret=SECRET)):
        text = repr(cfg) + str(cfg) + repr(cfg.credentials) + str(cfg.credentials)
        assert TOKEN not in text
        assert SECRET not in text
        assert HOST in text
