"""langchain-tests standard suites: unit tests offline, integration tests against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from databricks_claude.emulator import Emulator
from langchain_databricks_claude import ChatDatabricksClaude
from langchain_databricks_claude.errors import BadRequestError

ENDPOINT = "databricks-claude-sonnet-4-5"
_emulator: Emulator | None = None


@pytest.fixture(autouse=True, scope="module")
def _serve(session_emulator: Emulator) -> Iterator[None]:
    """Point the integration suite at the session emulator (the suite reads class properties)."""
    global _emulator
    _emulator = session_emulator
    yield
    _emulator = None


@pytest.fixture(autouse=True)
def _offline(offline_downloads: None) -> None:
    """The multimodal standard tests download sample files; serve a tiny PNG instead."""


def _served() -> Emulator:
    assert _emulator is not None, "the emulator fixture did not run"
    return _emulator


class TestChatDatabricksClaudeUnit(ChatModelUnitTests):
    """The standard unit suite (no network)."""

    @property
    def chat_model_class(self) -> type[ChatDatabricksClaude]:
        return ChatDatabricksClaude

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"endpoint": ENDPOINT}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"DATABRICKS_HOST": "https://example.cloud.databricks.com",
             "DATABRICKS_TOKEN": "dapi-test"},
            {"model": ENDPOINT},
            {"host": "https://example.cloud.databricks.com", "token": "dapi-test",
             "endpoint": ENDPOINT},
        )

    @pytest.mark.xfail(
        reason=f"langchain-core {version('langchain-core')}: the suite's load(..., "
               "allowed_objects='all') only revives the classes of langchain_core.load.mapping, "
               "and ChatDatabricksClaude is not one of them, so load raises ValueError "
               "'Deserialization of (langchain_databricks_claude, chat_models, "
               "ChatDatabricksClaude) is not allowed'; the dumpd snapshot part passes, and "
               "test_lc_chat_model.py::test_serialization_never_contains_the_token round-trips "
               "with allowed_objects=[ChatDatabricksClaude]",
        raises=ValueError, strict=True)
    def test_serdes(self, model: Any, snapshot: Any) -> None:  # type: ignore[override]
        super().test_serdes(model, snapshot)


class TestChatDatabricksClaudeIntegration(ChatModelIntegrationTests):
    """The standard integration suite against the strict emulator."""

    @property
    def chat_model_class(self) -> type[ChatDatabricksClaude]:
        return ChatDatabricksClaude

    @property
    def chat_model_params(self) -> dict[str, Any]:
        emulator = _served()
        return {"endpoint": ENDPOINT, "host": emulator.host, "token": emulator.token,
                "max_retries": 0}

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "databricks-claude-haiku-4-5"

    @property
    def supported_usage_metadata_details(self) -> dict[str, Any]:
        return {"invoke": ["cache_read_input", "cache_creation_input"], "stream": []}

    def _cached_call(self) -> AIMessage:
        emulator = _served()
        llm = ChatDatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token=emulator.token,
                                   cache_system_prompt=True)
        messages = [SystemMessage("You are a careful assistant. " * 200), HumanMessage("Hi")]
        llm.invoke(messages)
        return llm.invoke(messages)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        return self._cached_call()

    def invoke_with_cache_creation_input(self, *, stream: bool = False) -> AIMessage:
        return self._cached_call()

    @pytest.mark.xfail(reason="the history replays a thinking block signed by Anthropic's real "
                              "key; the strict emulator verifies signatures with its own key "
                              "and refuses it with 400 'messages.1.content.0: Invalid "
                              "`signature` in `thinking` block', as the real service refuses "
                              "foreign signatures",
                       raises=BadRequestError, strict=True)
    def test_anthropic_inputs(self, model: ChatDatabricksClaude) -> None:  # type: ignore[override]
        super().test_anthropic_inputs(model)


class TestChatDatabricksClaudeThinkingIntegration(TestChatDatabricksClaudeIntegration):
    """The standard integration suite again, with extended thinking on for every call."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {**super().chat_model_params, "thinking": True, "max_tokens": 4096}


class _JsonSchemaOutput:
    """`with_structured_output(method="json_schema")` (and JSON mode) for a standard suite."""

    @property
    def structured_output_kwargs(self) -> dict[str, Any]:
        return {"method": "json_schema"}

    @property
    def supports_json_mode(self) -> bool:
        return True


class TestChatDatabricksClaudeJsonSchemaIntegration(_JsonSchemaOutput,
                                                    TestChatDatabricksClaudeIntegration):
    """The standard suite with `with_structured_output(method="json_schema")` (and JSON mode)."""


class TestChatDatabricksClaudeJsonSchemaThinkingIntegration(
        _JsonSchemaOutput, TestChatDatabricksClaudeThinkingIntegration):
    """The JSON-schema structured output again, with thinking on for every call."""
