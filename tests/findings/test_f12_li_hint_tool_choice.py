"""Finding 12 (one sub-item): LlamaIndex's "no tool call" hint says what actually happened.

With `tool_choice="none"` the request tells the model not to call a tool: the hint says so and
does not blame thinking, whether thinking is on or off.
"""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.tools import FunctionTool

from databricks_claude.emulator.script import ScriptedReply
from databricks_claude.notes import DatabricksClaudeWarning


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


TOOL = FunctionTool.from_defaults(fn=get_weather)


@pytest.mark.parametrize("thinking", [True, False])
def test_tool_choice_none_hint_names_tool_choice(make_li: Any, thinking: bool) -> None:
    llm = make_li(thinking=thinking)
    response = llm.chat_with_tools([TOOL], user_msg="What is the weather in Paris?",
                                   tool_choice="none")
    with pytest.raises(ValueError) as caught:
        llm.get_tool_calls_from_response(response)
    message = str(caught.value)
    assert "tool_choice='none'" in message
    assert "thinking" not in message.lower()


def test_streamed_tool_choice_none_hint(make_li: Any) -> None:
    llm = make_li(thinking=True)
    chunks = list(llm.stream_chat_with_tools([TOOL], user_msg="Weather in Paris?",
                                             tool_choice="none"))
    last = chunks[-1]
    with pytest.raises(ValueError, match="tool_choice='none'"):
        llm.get_tool_calls_from_response(last)


def test_thinking_hint_kept_for_a_downgraded_forced_choice(make_li: Any, emulator: Any) -> None:
    emulator.script(ScriptedReply(text="Just text."))
    llm = make_li(thinking=True)
    with pytest.warns(DatabricksClaudeWarning, match="changed to 'auto'"):
        response = llm.chat_with_tools([TOOL], user_msg="hello there", tool_choice="required")
    with pytest.raises(ValueError, match="With thinking on"):
        llm.get_tool_calls_from_response(response)
