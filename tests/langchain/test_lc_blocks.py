"""Standard content blocks (`blocks.py`) for every content shape, and Anthropic-style histories
(`thinking` / `tool_use` / `tool_result` blocks, as langchain-anthropic produces) replayed on the
wire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from lc_helpers import PNG_B64, MakeLLM

from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall
from langchain_databricks_claude.blocks import translate_content, translate_content_chunk
from langchain_databricks_claude.layout import PROVIDER
from langchain_databricks_claude.replay import ai_to_neutral

OURS = {"model_provider": PROVIDER}


def ours(content: Any, **kwargs: Any) -> AIMessage:
    return AIMessage(content=content, response_metadata=dict(OURS), **kwargs)


# ------------------------------------------------------------------------------------------------
# content_blocks of list content, one block at a time


WIRE_UNKNOWN_ENTRY = {"type": "reasoning", "summary": [{"type": "summary_future", "x": 1}]}

ONE_BLOCK = {
    "string": ("plain", [{"type": "text", "text": "plain"}]),
    "wire reasoning": (
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "w", "signature": "s"}]},
        [{"type": "reasoning", "reasoning": "w", "extras": {"signature": "s"}}]),
    "wire redacted": (
        {"type": "reasoning", "summary": [{"type": "summary_encrypted_text", "data": "D"}]},
        [{"type": "reasoning", "extras": {"redacted_content": "D"}}]),
    "wire unknown summary entry": (WIRE_UNKNOWN_ENTRY,
                                   [{"type": "non_standard", "value": WIRE_UNKNOWN_ENTRY}]),
    "v1 signed reasoning": (
        {"type": "reasoning", "reasoning": "v", "extras": {"signature": "s"}},
        [{"type": "reasoning", "reasoning": "v", "extras": {"signature": "s"}}]),
    "v1 unsigned reasoning (ours)": ({"type": "reasoning", "reasoning": "u"},
                                     [{"type": "reasoning", "reasoning": "u"}]),
    "v1 redacted reasoning": ({"type": "reasoning", "extras": {"redacted_content": "D"}},
                              [{"type": "reasoning", "extras": {"redacted_content": "D"}}]),
    "anthropic thinking": (
        {"type": "thinking", "thinking": "t", "signature": "s"},
        [{"type": "reasoning", "reasoning": "t", "extras": {"signature": "s"}}]),
    "anthropic redacted thinking": ({"type": "redacted_thinking", "data": "D"},
                                    [{"type": "reasoning", "extras": {"redacted_content": "D"}}]),
    "non_standard thinking": (
        {"type": "non_standard", "value": {"type": "thinking", "thinking": "n", "signature": "s"}},
        [{"type": "reasoning", "reasoning": "n", "extras": {"signature": "s"}}]),
    "text with cache_control": (
        {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}},
        [{"type": "text", "text": "hi"}]),
    "text without text": ({"type": "text"}, [{"type": "text", "text": ""}]),
    "v1 image": ({"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
                 [{"type": "image", "base64": PNG_B64, "mime_type": "image/png"}]),
    "v1 tool_call": ({"type": "tool_call", "id": "c1", "name": "f", "args": {"a": 1}},
                     [{"type": "tool_call", "id": "c1", "name": "f", "args": {"a": 1}}]),
    "anthropic tool_use": ({"type": "tool_use", "id": "c2", "name": "g", "input": {"b": 2}},
                           [{"type": "tool_call", "id": "c2", "name": "g", "args": {"b": 2}}]),
    "unknown block": ({"type": "citation_future", "x": 1},
                      [{"type": "non_standard", "value": {"type": "citation_future", "x": 1}}]),
}


@pytest.mark.parametrize("name", list(ONE_BLOCK))
def test_one_content_block(name: str) -> None:
    block, expected = ONE_BLOCK[name]
    message = ours([block])
    assert message.content_blocks == expected
    assert translate_content(message) == expected


def test_empty_and_string_content() -> None:
    assert ours("").content_blocks == []
    assert ours([]).content_blocks == []
    assert ours("hi").content_blocks == [{"type": "text", "text": "hi"}]
    # Reasoning text alone (no `reasoning_blocks`): one unsigned reasoning block.
    message = ours("hi", additional_kwargs={"reasoning_content": "think"})
    assert message.content_blocks == [{"type": "reasoning", "reasoning": "think"},
                                      {"type": "text", "text": "hi"}]
    assert ours("", additional_kwargs={"reasoning_content": ""}).content_blocks == []


def test_mixed_content_keeps_its_order_and_adds_missing_tool_calls() -> None:
    message = ours([
        {"type": "thinking", "thinking": "plan", "signature": "s"},
        "Hello",
        {"type": "text", "text": " world"},
        {"type": "citation_future", "x": 1},
        {"type": "tool_call", "id": "c1", "name": "f", "args": {}},
        {"type": "tool_use", "id": "c2", "name": "g", "input": {"b": 2}},
    ], tool_calls=[{"id": "c1", "name": "f", "args": {}}, {"id": "c2", "name": "g",
                                                            "args": {"b": 2}}])
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "plan", "extras": {"signature": "s"}},
        {"type": "text", "text": "Hello"},
        {"type": "text", "text": " world"},
        {"type": "non_standard", "value": {"type": "citation_future", "x": 1}},
        {"type": "tool_call", "id": "c1", "name": "f", "args": {}},  # in content: once
        {"type": "tool_call", "id": "c2", "name": "g", "args": {"b": 2}},  # from tool_calls
    ]


def test_tool_use_only_in_content_shows_the_call_the_replay_sends() -> None:
    """A `tool_use` block with no `tool_calls`: replayed (from the content), so it is shown."""
    message = ours([{"type": "text", "text": "x"},
                    {"type": "tool_use", "id": "c2", "name": "g", "input": {"b": 2}}])
    assert message.tool_calls == []
    assert message.content_blocks == [
        {"type": "text", "text": "x"}, {"type": "tool_call", "id": "c2", "name": "g",
                                        "args": {"b": 2}}]
    assert [(c.id, c.name, c.arguments) for c in ai_to_neutral(message).tool_calls] == [
        ("c2", "g", '{"b":2}')]


def test_reasoning_blocks_win_over_reasoning_in_content() -> None:
    """`reasoning_blocks` (what the service sent) is the reasoning; content reasoning is not
    shown a second time."""
    wire = {"type": "reasoning", "summary": [{"type": "summary_text", "text": "kept",
                                              "signature": "s"}]}
    message = ours([{"type": "thinking", "thinking": "dropped", "signature": "x"},
                    {"type": "reasoning", "reasoning": "dropped too"},
                    {"type": "text", "text": "answer"}],
                   additional_kwargs={"reasoning_blocks": [wire, "not a block"]})
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "kept", "extras": {"signature": "s"}},
        {"type": "text", "text": "answer"}]


def test_a_signature_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ValueError, match="signature must be a string"):
        _ = ours([{"type": "thinking", "thinking": "t", "signature": 5}]).content_blocks


# ------------------------------------------------------------------------------------------------
# Chunks


def chunk(content: Any = "", **kwargs: Any) -> AIMessageChunk:
    return AIMessageChunk(content=content, response_metadata=dict(OURS), **kwargs)


def test_chunk_with_list_content_and_tool_call_chunks() -> None:
    message = chunk([{"type": "text", "text": "a"}, {"type": "thinking", "thinking": "t"}],
                    tool_call_chunks=[
                        {"type": "tool_call_chunk", "id": "c", "name": "f", "args": "{",
                         "index": 3},
                        {"type": "tool_call_chunk", "id": None, "name": None, "args": "}",
                         "index": None}])
    assert translate_content_chunk(message) == [
        {"type": "text", "text": "a"},
        {"type": "reasoning", "reasoning": "t"},
        {"type": "tool_call_chunk", "id": "c", "name": "f", "args": "{", "index": 3},
        {"type": "tool_call_chunk", "id": None, "name": None, "args": "}"},  # no index: none
    ]
    assert message.content_blocks == translate_content_chunk(message)


def test_reasoning_chunk_without_blocks() -> None:
    message = chunk(additional_kwargs={"reasoning_content": "step"})
    assert message.content_blocks == [{"type": "reasoning", "reasoning": "step"}]


def test_chunk_without_tool_call_chunks_is_a_message() -> None:
    message = chunk(["x", {"type": "citation_future"}])
    assert message.content_blocks == [{"type": "text", "text": "x"}, {
        "type": "non_standard", "value": {"type": "citation_future"}}]


def test_last_chunk_of_a_stream_shows_whole_tool_calls() -> None:
    message = chunk("", tool_call_chunks=[{"type": "tool_call_chunk", "id": "c", "name": "f",
                                           "args": '{"a": 1}', "index": 0}],
                    chunk_position="last")
    assert message.content_blocks == [{"type": "tool_call", "id": "c", "name": "f",
                                       "args": {"a": 1}}]


SCRIPT = ScriptedReply(text="Checking.", reasoning="Need the weather.", redacted=True,
                       tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"},
                                                    id="toolu_w")])


def _sum(chunks: list[Any]) -> Any:
    total = chunks[0]
    for piece in chunks[1:]:
        total = total + piece
    return total


def test_streamed_chunks_show_each_piece_once(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(SCRIPT)
    chunks = list(make_llm(thinking=True, max_tokens=4096).stream("go"))
    blocks = [b for c in chunks for b in c.content_blocks]
    shown = "".join(b.get("reasoning", "") for b in blocks if b["type"] == "reasoning")
    assert shown == "Need the weather."
    assert "".join(b["text"] for b in blocks if b["type"] == "text") == "Checking."
    pieces = [b for b in blocks if b["type"] == "tool_call_chunk"]
    assert pieces[0]["id"] == "toolu_w" and pieces[0]["name"] == "get_weather"
    assert json.loads("".join(p["args"] or "" for p in pieces)) == {"city": "Paris"}
    # The last chunk adds the signature and the redacted block, not the text again; the
    # signature first, so that summing merges it into the block the text chunks opened.
    last = chunks[-1].content_blocks
    assert [set(b.get("extras", {})) for b in last if b["type"] == "reasoning"] == [
        {"signature"}, {"redacted_content"}]
    assert all(b.get("reasoning", "") == "" for b in last if b["type"] == "reasoning")


def test_v1_stream_and_invoke_show_the_same_blocks(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(SCRIPT, SCRIPT)
    llm = make_llm(thinking=True, max_tokens=4096, output_version="v1")
    invoked = llm.invoke("go")
    total = _sum(list(llm.stream("go")))
    strip = [{k: v for k, v in b.items() if k != "index"} for b in total.content_blocks]
    kinds = ["reasoning", "reasoning", "text", "tool_call"]
    assert [b["type"] for b in invoked.content_blocks] == kinds == [b["type"] for b in strip]
    assert strip[2:] == invoked.content_blocks[2:]
    assert strip[1] == invoked.content_blocks[1]  # text and signature alike
    # A v1 message whose content was turned into a string still shows its calls.
    flattened = invoked.model_copy(update={"content": invoked.text})
    assert [b["type"] for b in flattened.content_blocks] == ["reasoning", "reasoning", "text",
                                                             "tool_call"]


# ------------------------------------------------------------------------------------------------
# Anthropic-style history replayed on the wire


WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}


def _anthropic_turn(message: AIMessage, *, with_tool_calls: bool) -> AIMessage:
    """`message` (from this package) rebuilt the way langchain-anthropic shapes an answer."""
    content: list[str | dict[str, Any]] = []
    for block in message.additional_kwargs["reasoning_blocks"]:
        entry = block["summary"][0]
        if entry["type"] == "summary_encrypted_text":
            content.append({"type": "redacted_thinking", "data": entry["data"]})
        else:
            content.append({"type": "thinking", "thinking": entry["text"],
                            "signature": entry["signature"]})
    content.append({"type": "text", "text": message.text})
    content.extend({"type": "tool_use", "id": c["id"], "name": c["name"], "input": c["args"]}
                   for c in message.tool_calls)
    return AIMessage(content=content, tool_calls=message.tool_calls if with_tool_calls else [],
                     response_metadata={"model_provider": "anthropic"}, id="msg_anthropic")


@pytest.mark.parametrize("variant", ["tool_calls and tool_use", "tool_use only",
                                     "tool_result block"])
def test_anthropic_history_is_replayed_exactly(make_llm: MakeLLM, emulator: Emulator,
                                               variant: str) -> None:
    llm = make_llm(thinking=True, max_tokens=4096).bind_tools([WEATHER_TOOL])
    emulator.script(SCRIPT, ScriptedReply(text="Rainy."))
    first = llm.invoke("weather in Paris?")
    reasoning_wire = first.additional_kwargs["reasoning_blocks"]
    assert len(reasoning_wire) == 2  # redacted, then signed text

    turn = _anthropic_turn(first, with_tool_calls=variant != "tool_use only")
    result = '{"temperature": 18}'
    answer: BaseMessage
    if variant == "tool_result block":
        answer = HumanMessage(content=[{"type": "tool_result", "tool_use_id": "toolu_w",
                                        "content": [{"type": "text", "text": result}]},
                                       {"type": "text", "text": "and tomorrow?"}])
    else:
        answer = ToolMessage(result, tool_call_id="toolu_w")
    reply = llm.invoke([HumanMessage("weather in Paris?"), turn, answer])
    assert reply.text == "Rainy."

    sent = emulator.requests[-1].json["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": [*reasoning_wire, {"type": "text", "text": "Checking."}],
        "tool_calls": [{"id": "toolu_w", "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]}
    assert sent[2] == {"role": "tool", "tool_call_id": "toolu_w", "content": result}
    if variant == "tool_result block":
        assert sent[3:] == [{"role": "user", "content": "and tomorrow?"}]
    else:
        assert len(sent) == 3
    assert emulator.verified_reasoning == 2  # both replayed blocks checked out


def test_anthropic_tool_use_without_arguments_or_text(make_llm: MakeLLM,
                                                      emulator: Emulator) -> None:
    llm = make_llm().bind_tools([WEATHER_TOOL])
    emulator.script(ScriptedReply(text="Done."))
    turn = AIMessage(content=[{"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                               "input": {}}])
    llm.invoke([HumanMessage("go"), turn, ToolMessage("sunny", tool_call_id="toolu_1")])
    assert emulator.requests[-1].json["messages"][1] == {
        "role": "assistant", "content": None,
        "tool_calls": [{"id": "toolu_1", "type": "function",
                        "function": {"name": "get_weather", "arguments": "{}"}}]}


def test_anthropic_tool_use_without_an_id_is_refused(make_llm: MakeLLM,
                                                     emulator: Emulator) -> None:
    turn = AIMessage(content=[{"type": "tool_use", "name": "get_weather", "input": {}}])
    with pytest.raises(ValueError, match="has no id"):
        make_llm().invoke([HumanMessage("go"), turn, ToolMessage("x", tool_call_id="t")])
    assert emulator.requests == []
