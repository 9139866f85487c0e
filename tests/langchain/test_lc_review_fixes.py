"""Review fixes: unknown blocks replayed in place, the core's reasoning parser and tool-choice and
thinking rules, tool results built by the core, and the partial answer of a broken stream."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from lc_helpers import MakeLLM
from wire_helpers import chunk, reasoning_delta

from databricks_claude.codecs.chat.history import message_to_wire
from databricks_claude.codecs.chat.response import parse_completion
from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.emulator import Emulator, ScriptedReply
from databricks_claude.messages import (
    Completion,
    ReasoningPart,
    TextPart,
    ToolResultPart,
    UnknownPart,
    tool_result,
)
from langchain_databricks_claude import ChatDatabricksClaude
from langchain_databricks_claude.errors import StreamInterruptedError
from langchain_databricks_claude.inbound import to_neutral_messages
from langchain_databricks_claude.layout import REASONING_BLOCKS
from langchain_databricks_claude.outbound import to_ai_message
from langchain_databricks_claude.replay import ai_to_neutral
from langchain_databricks_claude.stream import StreamChunkBuilder

ENDPOINT = "databricks-claude-sonnet-4-5"
CITATION = {"type": "citation_x", "source": "doc-1", "span": [0, 4]}
REASONING = {"type": "reasoning", "summary": [
    {"type": "summary_text", "text": "Think.", "signature": "sig=="}]}


def _body(content: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "msg-1", "model": "m", "object": "chat.completion", "created": 1,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}


CONTENTS = {
    "reasoning_unknown_text": [REASONING, CITATION, {"type": "text", "text": "Hello"}],
    "text_unknown_text": [REASONING, {"type": "text", "text": "He"}, CITATION,
                          {"type": "text", "text": "llo"}],
    "unknown_last": [{"type": "text", "text": "Hello"}, CITATION],
    "unknown_first_no_reasoning": [CITATION, {"type": "text", "text": "Hello"}],
}


def _stream_total(content: list[dict[str, Any]]) -> AIMessageChunk:
    """The summed chunks of the stream the service sends for `content` (blocks in order)."""
    deltas: list[dict[str, Any]] = []
    for block in content:
        if block["type"] == "reasoning":
            entry = block["summary"][0]
            deltas += [reasoning_delta(entry["text"]), reasoning_delta("", entry["signature"])]
        elif block["type"] == "text":
            deltas.append({"content": block["text"]})
        else:
            deltas.append({"content": [block]})
    payloads = [chunk(d) for d in deltas]
    payloads.append(chunk({"content": ""}, finish_reason="stop",
                          usage={"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}))
    accumulator = StreamAccumulator()
    builder = StreamChunkBuilder(ENDPOINT)
    chunks = []
    for data in [*map(json.dumps, payloads), "[DONE]"]:
        for delta in accumulator.feed_data(data):
            converted = builder.feed(delta)
            if converted is not None:
                chunks.append(converted.message)
    total = chunks[0]
    for part in chunks[1:]:
        total = total + part
    assert isinstance(total, AIMessageChunk)
    return total


# ---- 1. unknown blocks are replayed where they were -------------------------------------------


@pytest.mark.parametrize("name", sorted(CONTENTS))
def test_unknown_blocks_replay_in_order_after_invoke(name: str) -> None:
    content = CONTENTS[name]
    completion = parse_completion(_body(content))
    message = to_ai_message(completion, model_name=ENDPOINT)
    assert message.content == "Hello"
    assert message.additional_kwargs.get(REASONING_BLOCKS, [REASONING]) == [REASONING]
    expected = message_to_wire(completion.to_message())["content"]
    assert message_to_wire(ai_to_neutral(message))["content"] == expected
    assert CITATION in expected


@pytest.mark.parametrize("name", sorted(CONTENTS))
def test_unknown_blocks_replay_in_order_after_stream(name: str) -> None:
    content = CONTENTS[name]
    completion = parse_completion(_body(content))
    invoked = to_ai_message(completion, model_name=ENDPOINT)
    total = _stream_total(content)
    assert total.content == invoked.content
    assert total.additional_kwargs == invoked.additional_kwargs
    expected = message_to_wire(completion.to_message())["content"]
    assert message_to_wire(ai_to_neutral(total))["content"] == expected


def test_exact_service_order_is_kept() -> None:
    content = CONTENTS["reasoning_unknown_text"]
    message = to_ai_message(parse_completion(_body(content)), model_name=ENDPOINT)
    assert message_to_wire(ai_to_neutral(message))["content"] == content


def test_edited_text_keeps_unknown_blocks_within_it() -> None:
    message = to_ai_message(parse_completion(_body(CONTENTS["unknown_last"])),
                                    model_name=ENDPOINT)
    edited = message.model_copy(update={"content": "Hi"})
    assert ai_to_neutral(edited).parts == [TextPart("Hi"), UnknownPart(CITATION)]


def test_malformed_unknown_blocks_are_refused() -> None:
    bad = AIMessage("x", additional_kwargs={"unknown_blocks": [{"block": CITATION}]})
    with pytest.raises(ValueError, match="text_offset"):
        ai_to_neutral(bad)


# ---- 2. the core's reasoning parser ------------------------------------------------------------


def test_unknown_summary_entry_is_kept_verbatim_not_empty_reasoning() -> None:
    entry = {"type": "summary_future", "blob": "x"}
    message = AIMessage("Hello", additional_kwargs={REASONING_BLOCKS: [
        REASONING, {"type": "reasoning", "summary": [entry]}]})
    parts = ai_to_neutral(message).parts
    assert parts == [ReasoningPart("Think.", "sig=="),
                     UnknownPart({"type": "reasoning", "summary": [entry]}), TextPart("Hello")]
    assert ReasoningPart("", None) not in parts
    # Content blocks show the unknown entry as non-standard, never as empty reasoning.
    message.response_metadata["model_provider"] = "databricks_claude"
    assert [b["type"] for b in message.content_blocks] == ["reasoning", "text"]


@pytest.mark.parametrize("block", [
    {"type": "reasoning", "summary": [{"type": "summary_text", "text": "t", "signature": 5}]},
    {"type": "reasoning", "summary": ["not an object"]},
])
def test_malformed_reasoning_blocks_raise_value_error(block: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ai_to_neutral(AIMessage("x", additional_kwargs={REASONING_BLOCKS: [block]}))


def test_non_string_signature_in_content_blocks_is_refused() -> None:
    message = AIMessage([{"type": "thinking", "thinking": "t", "signature": 5},
                         {"type": "text", "text": "x"}])
    with pytest.raises(ValueError, match="signature"):
        ai_to_neutral(message)


# ---- 3. the core's rules -----------------------------------------------------------------------


def test_tool_results_follow_the_core_rule() -> None:
    content = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    [message] = to_neutral_messages([ToolMessage(content, tool_call_id="c")])  # type: ignore[arg-type]
    assert message.parts == [tool_result("c", ["a", "b"])]
    [single] = to_neutral_messages([ToolMessage([{"type": "text", "text": "a"}],
                                                tool_call_id="c")])
    assert single.parts == [ToolResultPart("c", "a")]


@pytest.mark.parametrize("choice", [True, "required", "any", {"type": "tool", "name": "f"}])
def test_tool_choice_needing_a_tool_is_checked_at_bind_time(choice: Any) -> None:
    llm = ChatDatabricksClaude(endpoint=ENDPOINT, host="https://example.com", token="t")
    with pytest.raises(ValueError):
        llm.bind_tools([], tool_choice=choice)


@pytest.mark.parametrize("choice", [3, {"type": "function"}, {"kind": "x"}])
def test_tool_choice_of_unknown_form_is_refused_at_bind_time(choice: Any) -> None:
    llm = ChatDatabricksClaude(endpoint=ENDPOINT, host="https://example.com", token="t")
    with pytest.raises(ValueError):
        llm.bind_tools([{"name": "f", "parameters": {"type": "object"}}], tool_choice=choice)


@pytest.mark.parametrize(("setting", "on"), [
    (None, False), (False, False), (True, True), (2048, True), ({"type": "enabled"}, True),
    ({"type": "adaptive"}, True), ({"type": "disabled"}, False)])
def test_thinking_enabled_is_the_core_rule(setting: Any, on: bool) -> None:
    llm = ChatDatabricksClaude(endpoint=ENDPOINT, host="https://example.com", token="t",
                               thinking=setting)
    assert llm.thinking_enabled() is on


# ---- 4. the partial answer of a broken stream --------------------------------------------------


def test_stream_interruption_carries_the_partial_message(make_llm: MakeLLM,
                                                         emulator: Emulator) -> None:
    emulator.script(ScriptedReply(text="one two three four five six", chunk_size=3))
    emulator.fault("drop_after", chunks=3)
    received = []
    with pytest.raises(StreamInterruptedError) as info:
        for part in make_llm(max_retries=0).stream("hi"):
            received.append(part.content)
    error = info.value
    assert isinstance(error.partial, Completion)
    assert isinstance(error.partial_message, AIMessage)
    assert error.partial_message.content == error.partial.text == "".join(received) != ""
    assert error.partial_message.response_metadata["model_name"] == ENDPOINT
