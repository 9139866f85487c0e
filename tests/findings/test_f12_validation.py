"""Finding 12 (construction-time validation): bad settings are refused when the client or a
model is built, with a `ConfigurationError` saying what to do, before any request.

Also: a host holding the serving route is cut back to the workspace URL (warned once); a token
without a host says to set DATABRICKS_HOST; an unpickled model without credentials says that
pickles never carry them; an error message says the HTTP status once.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.emulator import Emulator
from databricks_claude.errors import ConfigurationError, PermissionDeniedError
from databricks_claude.messages import Message
from databricks_claude.notes import DatabricksClaudeWarning

ENDPOINT = "databricks-claude-sonnet-4-5"

_TRANSPORT = [
    ({"timeout": -1}, "timeout must be a number of seconds above 0"),
    ({"timeout": 0}, "timeout must be"),
    ({"max_retries": -1}, "max_retries must be a whole number of retries, 0 or more"),
    ({"max_retry_wait": -1.0}, "max_retry_wait must be a number of seconds 0 or more"),
    ({"connect_timeout": -5}, "connect_timeout must be"),
    ({"timeout": float("nan")}, "timeout must be"),
]
_OPTIONS = [
    ({"max_tokens": 0}, "max_tokens must be a positive integer"),
    ({"top_k": -1}, "top_k must be a positive integer"),
    ({"thinking": -5}, "thinking budget must be a positive number"),
    ({"temperature": -0.5}, r"temperature must be a number in \[0, 2\]"),
    ({"top_p": 0}, r"top_p must be a number in \(0, 1\]"),
]


@pytest.mark.parametrize(("kwargs", "message"), _TRANSPORT)
def test_core_client_refuses_bad_transport_settings(emulator: Emulator, kwargs: dict[str, Any],
                                                    message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        DatabricksClaudeClient(ENDPOINT, host=emulator.host, token=emulator.token, **kwargs)


@pytest.mark.parametrize("endpoint", ["", "  ", f"{ENDPOINT}/invocations"])
def test_core_client_refuses_a_bad_endpoint_name(emulator: Emulator, endpoint: str) -> None:
    with pytest.raises(ConfigurationError, match="endpoint"):
        DatabricksClaudeClient(endpoint, host=emulator.host, token=emulator.token)


def test_core_client_refuses_an_authorization_header(emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="must not set Authorization") as info:
        DatabricksClaudeClient(ENDPOINT, host=emulator.host, token=emulator.token,
                               default_headers={"Authorization": "Bearer secret-value"})
    assert "secret-value" not in str(info.value)


@pytest.mark.parametrize(("kwargs", "message"), _TRANSPORT + _OPTIONS)
def test_both_adapters_refuse_bad_settings_at_construction(
        make_lc: Any, make_li: Any, emulator: Emulator, kwargs: dict[str, Any],
        message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_lc(**kwargs)
    with pytest.raises(ConfigurationError, match=message):
        make_li(**kwargs)
    assert emulator.requests == []


def test_llama_index_refuses_an_unknown_effort(make_li: Any) -> None:
    # (LangChain's field is a Literal: pydantic refuses it at construction already.)
    with pytest.raises(ConfigurationError, match="effort must be one of"):
        make_li(effort="extreme")


def test_adapters_refuse_plain_http_to_a_named_host_at_construction(
        make_lc: Any, make_li: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABRICKS_CLAUDE_ALLOW_HTTP", raising=False)
    for make in (make_lc, make_li):
        with pytest.raises(ConfigurationError, match="refusing plain http"):
            make(host="http://example.com")
        with pytest.raises(ConfigurationError, match="refusing plain http"):
            make(base_url="http://gateway.example.com/v1")


@pytest.mark.parametrize("suffix", ["/serving-endpoints", "/serving-endpoints/",
                                    f"/serving-endpoints/{ENDPOINT}/invocations"])
def test_a_host_with_the_serving_route_is_cut_back(emulator: Emulator, suffix: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from databricks_claude import config

    monkeypatch.setattr(config, "_WARNED", set())  # "once per process": start this test afresh
    host = emulator.host + suffix
    with pytest.warns(DatabricksClaudeWarning, match="holds the serving route") as caught:
        client = DatabricksClaudeClient(ENDPOINT, host=host, token=emulator.token)
    assert client.config.host == emulator.host
    with client:
        assert client.complete([Message.user("hi")]).text
    assert [str(w.message) for w in caught if "serving route" in str(w.message)]
    with pytest.warns() as again:  # once per host: the same host again is quiet
        DatabricksClaudeClient(ENDPOINT, host=host, token=emulator.token).close()
        import warnings
        warnings.warn("marker", UserWarning, stacklevel=1)
    assert [str(w.message) for w in again] == ["marker"]


def test_models_cut_the_route_back_when_built(make_li: Any, emulator: Emulator,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from databricks_claude import config

    monkeypatch.setattr(config, "_WARNED", set())
    host = f"{emulator.host}/serving-endpoints"
    from langchain_databricks_claude import ChatDatabricksClaude

    with pytest.warns(DatabricksClaudeWarning, match="holds the serving route") as caught:
        lc = ChatDatabricksClaude(endpoint=ENDPOINT, host=host, token=emulator.token)
    assert [w.filename for w in caught] == [__file__]  # at the line that built the model
    with lc:
        assert lc.invoke("hi").content
    li = make_li(host=host)  # warned once per host: quiet now
    assert li.complete("hi").text
    assert {r.path for r in emulator.requests} == {"/serving-endpoints/chat/completions"}


def test_a_token_without_a_host_says_to_set_the_host(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Any) -> None:
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such-file"))
    with pytest.raises(ConfigurationError, match=r"set DATABRICKS_HOST \(or host=\)") as info:
        DatabricksClaudeClient(ENDPOINT, token="dapi-secret-token-value")
    assert "dapi-secret-token-value" not in str(info.value)
    assert "default auth" not in str(info.value)


def test_an_unpickled_model_says_the_token_is_not_pickled(
        make_lc: Any, make_li: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such-file"))
    for model in (make_lc(), make_li()):
        data = pickle.dumps(model)
        loaded = pickle.loads(data)
        with pytest.raises(ConfigurationError, match="pickles never carry credentials") as info:
            loaded.client() if callable(loaded.client) else loaded.client
        assert "DATABRICKS_TOKEN" in str(info.value)
        assert "default auth" not in str(info.value)


def test_the_status_is_said_once(emulator: Emulator) -> None:
    client = DatabricksClaudeClient(ENDPOINT, host=emulator.host, token="dapi-wrong")
    with client, pytest.raises(PermissionDeniedError) as info:
        client.complete([Message.user("hi")])
    assert str(info.value).startswith("403: ")
    assert "403 403" not in str(info.value)
