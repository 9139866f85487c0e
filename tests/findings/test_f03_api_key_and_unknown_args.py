"""Finding 3: LlamaIndex honours `api_key=` as the token; mistyped arguments are refused.

A typo of a field (`max_tokes=`, `thinkng=`) is a `ConfigurationError` naming the field, in
both adapters (one rule: `databricks_claude.kit.settings.check_init_args`). LlamaIndex refuses
any other unknown argument too; LangChain keeps its convention of passing those on in
`model_kwargs`.
"""

from __future__ import annotations

from typing import Any

import pytest

from databricks_claude.emulator import Emulator
from databricks_claude.errors import ConfigurationError

ENDPOINT = "databricks-claude-sonnet-4-5"


def test_llama_index_api_key_is_the_token(emulator: Emulator,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from llama_index_databricks_claude import DatabricksClaude

    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    with DatabricksClaude(endpoint=ENDPOINT, host=emulator.host, api_key=emulator.token) as llm:
        assert llm.complete("hi").text
    assert len(emulator.requests) == 1  # the emulator refuses any other token with a 403
    assert emulator.token not in repr(llm)


def test_llama_index_token_and_api_key_together_are_refused(emulator: Emulator) -> None:
    from llama_index_databricks_claude import DatabricksClaude

    with pytest.raises(ConfigurationError, match="token= or api_key="):
        DatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token="a", api_key="b")


@pytest.mark.parametrize(("typo", "field"), [("max_tokes", "max_tokens"),
                                             ("thinkng", "thinking"),
                                             ("temprature", "temperature")])
def test_llama_index_typo_names_the_field(emulator: Emulator, typo: str, field: str) -> None:
    from llama_index_databricks_claude import DatabricksClaude

    kwargs: dict[str, Any] = {typo: 1}
    with pytest.raises(ConfigurationError, match=f"did you mean '{field}'"):
        DatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token=emulator.token, **kwargs)
    assert emulator.requests == []


def test_llama_index_other_unknown_argument_is_refused(emulator: Emulator) -> None:
    from llama_index_databricks_claude import DatabricksClaude

    with pytest.raises(ConfigurationError, match=r"unknown argument 'frobnicate'.*extra_body"):
        DatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token=emulator.token,
                         frobnicate=True)


@pytest.mark.parametrize(("typo", "field"), [("max_tokes", "max_tokens"),
                                             ("thinkng", "thinking")])
def test_langchain_typo_names_the_field(make_lc: Any, emulator: Emulator, typo: str,
                                        field: str) -> None:
    with pytest.raises(ConfigurationError, match=f"did you mean '{field}'"):
        make_lc(**{typo: 1})
    assert emulator.requests == []


def test_langchain_payload_keys_still_go_to_model_kwargs(make_lc: Any) -> None:
    with pytest.warns(UserWarning, match="transferred to model_kwargs"):
        llm = make_lc(client_request_id="abc")
    assert llm.model_kwargs == {"client_request_id": "abc"}
