"""LlamaIndex `CachePoint`s on assistant turns and tool results: where `cache_control` lands on
the wire (the block just before the point that can carry one), checked on the request the strict
emulator received, and that the emulator's prompt cache then reads the marked prefix."""

from __future__ import annotations

from typing import Any

import pytest
from li_support import MakeLLM, chat_bodies
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    ChatResponse,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool

from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall
from llama_index_databricks_claude.inbound import to_neutral_messages

EPHEMERAL = {"type": "ephemeral"}
ASK = "What is the weather in Paris?"
RESULT = "Light rain, 18 degrees"


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return RESULT


TOOLS = [FunctionTool.from_defaults(get_weather)]


def point(ttl: str = "5m") -> CachePoint:
    return CachePoint(cache_control=CacheControl(type="ephemeral", ttl=ttl))


def _first_answer(make_llm: MakeLLM, emulator: Emulator, *, text: str = "Checking.",
                  thinking: bool = True) -> tuple[Any, ChatMessage]:
    """A real (signed) assistant turn with one tool call, from the emulator."""
    llm = make_llm(thinking=True, max_tokens=4096) if thinking else make_llm()
    emulator.script(ScriptedReply(text=text, reasoning="Need the weather." if thinking else None,
                                  tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"},
                                                               id="toolu_w")]))
    response = llm.chat_with_tools(TOOLS, user_msg=ASK)
    return llm, response.message


def _with(message: ChatMessage, blocks: list[Any]) -> ChatMessage:
    return ChatMessage(role=message.role, blocks=blocks,
                       additional_kwargs=dict(message.additional_kwargs))


def _tool(content: str | list[Any], call_id: str = "toolu_w") -> ChatMessage:
    blocks = [TextBlock(text=content)] if isinstance(content, str) else content
    return ChatMessage(role="tool", blocks=blocks, additional_kwargs={"tool_call_id": call_id})


def _send(llm: Any, emulator: Emulator, history: list[ChatMessage]) -> list[dict[str, Any]]:
    emulator.script(ScriptedReply(text="Rainy."))
    response: ChatResponse = llm.chat_with_tools(TOOLS, chat_history=history)
    assert response.message.content == "Rainy."
    return chat_bodies(emulator)[-1]["messages"]


CALL = {"id": "toolu_w", "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}


def _reasoning(sent: dict[str, Any]) -> dict[str, Any]:
    block = sent["content"][0]
    assert block["type"] == "reasoning" and block["summary"][0]["signature"]
    return dict(block)


# ------------------------------------------------------------------------------------------------
# Assistant turns


def test_cache_point_after_assistant_text(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm, answer = _first_answer(make_llm, emulator)
    kinds = [type(b).__name__ for b in answer.blocks]
    assert kinds == ["ThinkingBlock", "TextBlock", "ToolCallBlock"]
    thinking, text, call = answer.blocks
    turn = _with(answer, [thinking, text, point(), call])
    sent = _send(llm, emulator, [ChatMessage(role="user", content=ASK), turn, _tool(RESULT)])
    assistant = sent[1]
    assert assistant["content"][1] == {"type": "text", "text": "Checking.",
                                       "cache_control": EPHEMERAL}
    assert "cache_control" not in assistant["content"][0]
    assert assistant["tool_calls"] == [CALL]
    assert sent[2] == {"role": "tool", "tool_call_id": "toolu_w", "content": RESULT}
    assert emulator.verified_reasoning == 1  # the marked turn is still a valid replay


def test_cache_point_after_a_tool_call_marks_the_text_before_it(make_llm: MakeLLM,
                                                                emulator: Emulator) -> None:
    """Tool calls carry no cache_control on this wire: the point marks the turn's text."""
    llm, answer = _first_answer(make_llm, emulator)
    turn = _with(answer, [*answer.blocks, point("1h")])
    sent = _send(llm, emulator, [ChatMessage(role="user", content=ASK), turn, _tool(RESULT)])
    assert sent[1]["content"][1] == {"type": "text", "text": "Checking.",
                                     "cache_control": {"type": "ephemeral", "ttl": "1h"}}
    assert sent[1]["tool_calls"] == [CALL]


def test_cache_point_after_reasoning_only_turn_marks_the_reasoning(make_llm: MakeLLM,
                                                                   emulator: Emulator) -> None:
    llm, answer = _first_answer(make_llm, emulator, text="")
    thinking = next(b for b in answer.blocks if isinstance(b, ThinkingBlock))
    call = next(b for b in answer.blocks if isinstance(b, ToolCallBlock))
    turn = _with(answer, [thinking, call, point()])
    sent = _send(llm, emulator, [ChatMessage(role="user", content=ASK), turn, _tool(RESULT)])
    (reasoning,) = sent[1]["content"]
    assert reasoning["cache_control"] == EPHEMERAL
    assert reasoning["summary"][0]["text"] == "Need the weather."
    assert sent[1]["tool_calls"] == [CALL]
    assert emulator.verified_reasoning == 1


def test_cache_point_on_a_bare_tool_call_turn_marks_the_message_before(
        make_llm: MakeLLM, emulator: Emulator) -> None:
    llm, answer = _first_answer(make_llm, emulator, text="", thinking=False)
    call = next(b for b in answer.blocks if isinstance(b, ToolCallBlock))
    turn = _with(answer, [call, point()])
    sent = _send(llm, emulator, [ChatMessage(role="user", content=ASK), turn, _tool(RESULT)])
    assert sent[0] == {"role": "user", "content": [{"type": "text", "text": ASK,
                                                    "cache_control": EPHEMERAL}]}
    assert sent[1] == {"role": "assistant", "content": None, "tool_calls": [CALL]}


# ------------------------------------------------------------------------------------------------
# Tool results


def test_cache_point_in_a_tool_result(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm, answer = _first_answer(make_llm, emulator)
    result = _tool([TextBlock(text=RESULT), point()])
    history = [ChatMessage(role="user", content=ASK), answer, result]
    sent = _send(llm, emulator, history)
    assert sent[2] == {"role": "tool", "tool_call_id": "toolu_w",
                       "content": [{"type": "text", "text": RESULT, "cache_control": EPHEMERAL}]}
    assert "cache_control" not in str(sent[:2])
    # The same prefix again: the emulator's cache reads what the first request wrote.
    emulator.script(ScriptedReply(text="Still rainy."))
    usage = llm.chat_with_tools(TOOLS, chat_history=history).raw["usage"]
    assert usage["cache_read_input_tokens"] > 0
    assert usage["cache_creation_input_tokens"] == 0


def test_cache_point_in_a_result_of_several_blocks_marks_the_last(make_llm: MakeLLM,
                                                                  emulator: Emulator) -> None:
    llm, answer = _first_answer(make_llm, emulator)
    result = _tool([TextBlock(text="part one"), TextBlock(text="part two"), point()])
    sent = _send(llm, emulator, [ChatMessage(role="user", content=ASK), answer, result])
    assert sent[2]["content"] == [{"type": "text", "text": "part one"},
                                  {"type": "text", "text": "part two",
                                   "cache_control": EPHEMERAL}]


def test_cache_point_opening_a_message_marks_the_end_of_the_one_before(
        make_llm: MakeLLM, emulator: Emulator) -> None:
    llm, answer = _first_answer(make_llm, emulator)
    closing = ChatMessage(role="assistant", content="It rains today.")
    follow_up = ChatMessage(role="user", blocks=[point(), TextBlock(text="And tomorrow?")])
    sent = _send(llm, emulator, [ChatMessage(role="user", content=ASK), answer, _tool(RESULT),
                                 closing, follow_up])
    assert sent[2]["content"] == RESULT  # only the nearest block is marked
    assert sent[3] == {"role": "assistant", "content": [
        {"type": "text", "text": "It rains today.", "cache_control": EPHEMERAL}]}
    assert sent[4] == {"role": "user", "content": "And tomorrow?"}


@pytest.mark.parametrize("empty", [True, False], ids=["empty-result", "point-first"])
def test_cache_point_with_nothing_before_it_in_a_tool_message(make_llm: MakeLLM,
                                                              emulator: Emulator,
                                                              empty: bool) -> None:
    """The point marks the tool result before it when there is one, else the turn's text."""
    llm, answer = _first_answer(make_llm, emulator, thinking=False)
    call = next(b for b in answer.blocks if isinstance(b, ToolCallBlock))
    second = ToolCallBlock(tool_call_id="toolu_t", tool_name="get_weather",
                           tool_kwargs='{"city":"Lyon"}')
    turn = _with(answer, [*answer.blocks, second])
    blocks = [point()] if empty else [point(), TextBlock(text="Sunny")]
    history = [ChatMessage(role="user", content=ASK), turn, _tool(RESULT),
               _tool(blocks, call_id="toolu_t")]
    sent = _send(llm, emulator, history)
    assert call.tool_call_id == "toolu_w"
    assert sent[2] == {"role": "tool", "tool_call_id": "toolu_w",
                       "content": [{"type": "text", "text": RESULT, "cache_control": EPHEMERAL}]}
    assert sent[3] == {"role": "tool", "tool_call_id": "toolu_t",
                       "content": "" if empty else "Sunny"}


def test_conversion_never_marks_the_callers_messages() -> None:
    history = [ChatMessage(role="user", content="a"),
               ChatMessage(role="assistant", blocks=[TextBlock(text="b"), point()]),
               _tool([TextBlock(text="c"), point()], call_id="x")]
    before = [m.model_dump() for m in history]
    first = to_neutral_messages(history)
    second = to_neutral_messages(history)
    assert first == second
    assert [m.model_dump() for m in history] == before
