"""`DatabricksClaude` secrets and retry settings: a pickle carries no token or client secret
(they come back from the environment where it is loaded), no serialized form shows one, and
`max_retry_wait` reaches the core client."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from li_support import ENDPOINT, MakeLLM
from llama_index.core.base.llms.types import ChatMessage

import databricks_claude.client as client_module
from databricks_claude.emulator import Emulator
from llama_index_databricks_claude import DatabricksClaude

QUESTION = [ChatMessage(role="user", content="What is 17 * 23?")]
TOKEN = "dapi-pickle-canary-token"
SECRET = "oauth-pickle-canary-secret"


def _forms(llm: DatabricksClaude) -> list[str]:
    """Every way the LLM is shown or serialized."""
    return [repr(llm), str(llm), str(llm.to_dict()), llm.to_json(), str(llm.model_dump()),
            llm.model_dump_json(), str(llm.to_payload())]


@pytest.mark.parametrize("settings", [{"token": TOKEN},
                                      {"client_id": "cid", "client_secret": SECRET}])
def test_pickle_and_serialized_forms_carry_no_secret(settings: dict[str, Any]) -> None:
    llm = DatabricksClaude(endpoint=ENDPOINT, host="https://dbc-x.cloud.databricks.com",
                           **settings)
    llm.client  # noqa: B018 - a built client (holding the credentials) must not pickle either
    data = pickle.dumps(llm)
    assert TOKEN.encode() not in data and SECRET.encode() not in data
    for text in _forms(llm):
        assert TOKEN not in text and SECRET not in text
    clone = pickle.loads(data)
    assert clone.token is None and clone.client_secret is None
    assert (clone.endpoint, clone.host) == (llm.endpoint, llm.host)
    assert clone.client_id == llm.client_id
    # The original keeps its secret: only the pickle leaves it out.
    secret = llm.token or llm.client_secret
    assert secret is not None and secret.get_secret_value() in (TOKEN, SECRET)
    llm.close()


def test_unpickled_model_takes_the_token_from_the_environment(
        emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    llm = DatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token=emulator.token,
                           max_tokens=321)
    assert llm.chat(QUESTION).message.content
    data = pickle.dumps(llm)
    llm.close()
    assert emulator.token.encode() not in data
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    clone = pickle.loads(data)
    assert clone.token is None and clone.max_tokens == 321
    try:
        assert clone.chat(QUESTION).message.content
    finally:
        clone.close()
    assert emulator.requests[-1].json["max_tokens"] == 321


def test_unpickled_model_with_host_from_the_environment(
        emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    clone = pickle.loads(pickle.dumps(DatabricksClaude(endpoint=ENDPOINT)))
    try:
        assert clone.chat(QUESTION).message.content
    finally:
        clone.close()


def test_max_retry_wait_reaches_the_client(make_llm: MakeLLM, emulator: Emulator,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert DatabricksClaude(endpoint=ENDPOINT).max_retry_wait == 60.0
    llm = make_llm(max_retry_wait=0.1)
    assert llm.client.max_retry_wait == 0.1
    slept: list[float] = []
    monkeypatch.setattr(client_module, "_sleep", slept.append)
    emulator.fault("status", status=429, retry_after=30)
    assert llm.chat(QUESTION).message.content
    assert slept and max(slept) <= 0.1
    assert pickle.loads(pickle.dumps(llm)).max_retry_wait == 0.1
