"""Where to send requests and with which credentials: host, base URL and a credential provider.

Resolution order (explicit arguments always win over the environment):

1. `token` argument, else `DATABRICKS_TOKEN`  -> a static bearer token;
2. `client_id` / `client_secret` arguments, else `DATABRICKS_CLIENT_ID` / `DATABRICKS_CLIENT_SECRET`
   -> OAuth machine-to-machine;
3. when `databricks-sdk` is installed, its unified `Config` (profiles in `~/.databrickscfg`,
   notebook runtime, Azure, the Databricks CLI), which may also supply the host.

An explicit `profile` skips the environment credentials of steps 1 and 2: asking for a profile
means using it. The host comes from `host`, else `DATABRICKS_HOST`, else the SDK.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from databricks_claude.auth import (
    CredentialProvider,
    OAuthM2MProvider,
    SdkProvider,
    StaticTokenProvider,
)
from databricks_claude.errors import ConfigurationError
from databricks_claude.notes import warn

if TYPE_CHECKING:
    from databricks.sdk.core import Config as SdkConfig

__all__ = ["ALLOW_HTTP_ENV", "ClientConfig", "allow_http_from_env", "normalize_host",
           "resolve_config", "workspace_host"]

#: The environment variable that opts in to plain http for a named (non-loopback) host.
ALLOW_HTTP_ENV = "DATABRICKS_CLAUDE_ALLOW_HTTP"
# What was warned about once already (plain http to a host, a route in a host).
_WARNED: set[str] = set()

_SET_ENV = (
    "set DATABRICKS_HOST and DATABRICKS_TOKEN (or pass host= and token=), "
    "or DATABRICKS_HOST with DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET for OAuth M2M "
    "(or pass client_id= and client_secret=)"
)
_TOKEN_WITHOUT_HOST = (
    "a Databricks token is set but no host: set DATABRICKS_HOST (or host=) to the workspace URL, "
    "e.g. https://dbc-xxxx.cloud.databricks.com")
_HOW_TO_CONFIGURE = (
    f"{_SET_ENV}, or install databricks-claude[sdk] to use ~/.databrickscfg profiles, "
    "notebooks, Azure or the Databricks CLI"
)


@dataclass(frozen=True)
class ClientConfig:
    """The resolved settings of a client. Its repr shows the host, never a secret."""

    host: str
    base_url: str
    credentials: CredentialProvider

    def __repr__(self) -> str:
        return (f"ClientConfig(host={self.host!r}, base_url={self.base_url!r}, "
                f"credentials={self.credentials!r})")


def _is_loopback(hostname: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if hostname.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def allow_http_from_env() -> bool:
    """True when `DATABRICKS_CLAUDE_ALLOW_HTTP` opts in to plain http for named hosts."""
    return (_env(ALLOW_HTTP_ENV) or "").lower() in ("1", "true", "yes", "on")


def normalize_host(host: str, *, allow_http: bool = False) -> str:
    """`https://host[:port][/path]`: scheme added, trailing `/`, `:443`, query and fragment dropped.

    Plain `http://` is refused unless the host is loopback (the token would travel in clear), or
    `allow_http` opts in (warned once per host: docs/design-rules.md#plain-http).
    """
    text = host.strip()
    if not text:
        raise ConfigurationError(f"the Databricks host is empty: {_HOW_TO_CONFIGURE}")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"not a valid Databricks host: {host!r} (expected e.g. https://dbc-xxxx.cloud.databricks.com)")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("the Databricks host must not contain user information")
    if scheme == "http" and not _is_loopback(parts.hostname):
        if not allow_http:
            raise ConfigurationError(
                f"refusing plain http:// for {parts.hostname}: the token would be sent "
                "unencrypted; use https:// (http:// is only allowed for loopback hosts such as "
                f"127.0.0.1, or with allow_insecure_http=True / {ALLOW_HTTP_ENV}=1 for a host "
                "you trust, such as an emulator in another container)")
        _warn_once(f"plain http to {parts.hostname}",
                   f"sending requests and the token unencrypted to http://{parts.netloc} "
                   "(plain http was allowed explicitly)")
    return f"{scheme}://{_netloc(scheme, parts.netloc)}{parts.path.rstrip('/')}"


def _warn_once(key: str, message: str) -> None:
    """`notes.warn` once per process for `key`: a setting read on every client build warns
    the first time only."""
    if key not in _WARNED:
        _WARNED.add(key)
        warn(message)


def workspace_host(host: str) -> str:
    """A normalized host without a serving route: `https://h/serving-endpoints[/...]` is the
    base URL or an endpoint's URL pasted as the host, which would double the route (a bare 404).
    It is cut back to the workspace URL, with a warning once per host."""
    path = urlsplit(host).path
    head, sep, _ = path.partition("/serving-endpoints")
    if not sep:
        return host
    trimmed = host[: len(host) - len(path)] + head
    _warn_once(f"route in {host}",
               f"the host {host} holds the serving route: using {trimmed} (set the host to the "
               "workspace URL only; the client adds /serving-endpoints/<endpoint>/...)")
    return trimmed


def _netloc(scheme: str, netloc: str) -> str:
    """The network location, without the default `:443` for https."""
    if scheme == "https" and netloc.endswith(":443"):
        return netloc[: -len(":443")]
    return netloc


def _env(name: str) -> str | None:
    """An environment variable, None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def _as_secret(value: str | SecretStr | None) -> SecretStr | None:
    """A secret as SecretStr; None for None or an empty value."""
    if value is None:
        return None
    secret = value if isinstance(value, SecretStr) else SecretStr(value)
    return secret if secret.get_secret_value() else None


def _origin(url: str) -> str:
    """`scheme://netloc` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _resolve_base_url(host: str, base_url: str | None, allow_http: bool = False) -> str:
    """The override (absolute, or a path under the host), else `{host}/serving-endpoints`."""
    if not base_url:
        return f"{host}/serving-endpoints"
    if base_url.startswith("/"):
        return f"{_origin(host)}{base_url.rstrip('/')}"
    return normalize_host(base_url, allow_http=allow_http)


def _direct_provider(
    host: str, token: SecretStr | None, client_id: str | None, client_secret: SecretStr | None,
    *, use_env: bool,
) -> CredentialProvider | None:
    """A provider from explicit arguments, then (if `use_env`) the environment; None if neither."""
    if token is not None:
        return StaticTokenProvider(token)
    if client_id and client_secret is not None:
        return OAuthM2MProvider(host, client_id, client_secret)
    if not use_env:
        return None
    env_token = _as_secret(_env("DATABRICKS_TOKEN"))
    if env_token is not None:
        return StaticTokenProvider(env_token)
    env_id = client_id or _env("DATABRICKS_CLIENT_ID")
    env_secret = client_secret or _as_secret(_env("DATABRICKS_CLIENT_SECRET"))
    if env_id and env_secret is not None:
        return OAuthM2MProvider(host, env_id, env_secret)
    return None


def _load_sdk_config_class() -> type[SdkConfig] | None:
    """`databricks.sdk.core.Config`, or None when databricks-sdk is not installed."""
    try:
        from databricks.sdk.core import Config
    except ImportError:
        return None
    return Config


def _sdk_config(host: str | None, profile: str | None, token: SecretStr | None,
                client_id: str | None, client_secret: SecretStr | None) -> SdkConfig | None:
    """A databricks-sdk Config for the given settings; None if the SDK is not installed."""
    config_class = _load_sdk_config_class()
    if config_class is None:
        return None
    kwargs: dict[str, Any] = {"host": host, "profile": profile}
    if token is not None:
        kwargs["token"] = token.get_secret_value()
    if client_id:
        kwargs["client_id"] = client_id
    if client_secret is not None:
        kwargs["client_secret"] = client_secret.get_secret_value()
    try:
        return config_class(**{k: v for k, v in kwargs.items() if v is not None})
    except ValueError as error:  # the SDK masks secrets in its own messages
        raise ConfigurationError(
            f"databricks-sdk could not resolve Databricks credentials ({error}); fix that "
            f"configuration, or {_SET_ENV}") from None


def resolve_config(*, host: str | None = None, token: str | SecretStr | None = None,
                   client_id: str | None = None, client_secret: str | SecretStr | None = None,
                   base_url: str | None = None, profile: str | None = None,
                   allow_insecure_http: bool | None = None) -> ClientConfig:
    """Resolve host, base URL and credentials from arguments, the environment, or databricks-sdk.

    `allow_insecure_http` (default: `DATABRICKS_CLAUDE_ALLOW_HTTP`) lets plain http reach a
    named host. Raises ConfigurationError saying exactly what to set when nothing usable is found.
    """
    allow = allow_http_from_env() if allow_insecure_http is None else allow_insecure_http
    token_secret, secret = _as_secret(token), _as_secret(client_secret)
    raw_host = host or _env("DATABRICKS_HOST")
    if raw_host is None and base_url and "://" in base_url:
        raw_host = _origin(base_url)
    normalized = None if raw_host is None else workspace_host(
        normalize_host(raw_host, allow_http=allow))
    if normalized is not None:
        provider = _direct_provider(normalized, token_secret, client_id, secret,
                                    use_env=profile is None)
        if provider is not None:
            return ClientConfig(normalized, _resolve_base_url(normalized, base_url, allow),
                                provider)
    sdk_config = _sdk_config_or_hint(normalized, profile, token_secret, client_id, secret)
    if not sdk_config.host:
        raise ConfigurationError(f"no Databricks host configured: {_HOW_TO_CONFIGURE}")
    resolved_host = workspace_host(normalize_host(sdk_config.host, allow_http=allow))
    return ClientConfig(resolved_host, _resolve_base_url(resolved_host, base_url, allow),
                        SdkProvider(sdk_config))


def _sdk_config_or_hint(host: str | None, profile: str | None, token: SecretStr | None,
                        client_id: str | None, client_secret: SecretStr | None) -> SdkConfig:
    """The SDK's configuration; a token without any host is told to set the host, not given
    the SDK's "cannot configure default credentials" (the token was never the problem)."""
    token_only = host is None and profile is None and (
        token is not None or _env("DATABRICKS_TOKEN") is not None)
    try:
        sdk_config = _sdk_config(host, profile, token, client_id, client_secret)
    except ConfigurationError:
        if token_only:
            raise ConfigurationError(_TOKEN_WITHOUT_HOST) from None
        raise
    if sdk_config is None:
        raise ConfigurationError(_missing_message(host, profile))
    if token_only and not sdk_config.host:
        raise ConfigurationError(_TOKEN_WITHOUT_HOST)
    return sdk_config


def _missing_message(host: str | None, profile: str | None) -> str:
    """What is missing, and what to set, when databricks-sdk is not there to fill the gap."""
    if profile is not None:
        return (f"profile {profile!r} needs databricks-sdk: install databricks-claude[sdk], "
                f"or {_SET_ENV}")
    if host is None:
        return f"no Databricks host configured: {_HOW_TO_CONFIGURE}"
    return f"no Databricks credentials found for {host}: {_HOW_TO_CONFIGURE}"
