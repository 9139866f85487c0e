"""Finding 15: tool names of 65 to 128 characters were refused before sending.

The model service allows 128 (docs/wire-chat.md#tool-definitions); client and emulator agree:
128 is sent and accepted in both adapters, 129 is refused before any request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from databricks_claude import ConfigurationError
from databricks_claude.emulator import Emulator, ScriptedReply
from databricks_claude.emulator import rules as emulator_rules
from databricks_claude.schema import make_tool_spec

LONG = "t" * 100 + "_" * 20 + "x" * 8  # 128 characters


def _schema() -> dict[str, Any]:
    return {"type": "object", "properties": {"q": {"type": "string"}}}


def test_the_client_and_the_emulator_share_the_limit() -> None:
    assert make_tool_spec(LONG, "", None).name == LONG
    assert emulator_rules._TOOL_NAME.match(LONG)
    assert not emulator_rules._TOOL_NAME.match(LONG + "x")
    with pytest.raises(ConfigurationError, match=re.escape("use 1-128 letters")):
        make_tool_spec(LONG + "x", "", None)


def test_langchain_sends_a_128_character_tool_name(
        emulator: Emulator, make_lc: Callable[..., Any]) -> None:
    tool = {"type": "function", "function": {"name": LONG, "description": "d",
                                             "parameters": _schema()}}
    emulator.script(ScriptedReply(text="ok"))
    make_lc().bind_tools([tool]).invoke("hi")
    body = emulator.requests[-1].json
    assert body["tools"][0]["function"]["name"] == LONG


def test_llama_index_sends_a_128_character_tool_name(
        emulator: Emulator, make_li: Callable[..., Any]) -> None:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.tools import FunctionTool

    def search(q: str) -> str:
        """Searches."""
        return q

    tool = FunctionTool.from_defaults(fn=search, name=LONG)
    emulator.script(ScriptedReply(text="ok"))
    make_li().chat_with_tools([tool], chat_history=[ChatMessage(role="user", content="hi")])
    assert emulator.requests[-1].json["tools"][0]["function"]["name"] == LONG


def test_129_characters_are_refused_before_sending(
        emulator: Emulator, make_lc: Callable[..., Any]) -> None:
    tool = {"type": "function", "function": {"name": LONG + "x", "parameters": _schema()}}
    with pytest.raises(ConfigurationError, match="is not allowed: use 1-128"):
        make_lc().bind_tools([tool]).invoke("hi")
    assert emulator.requests == []
