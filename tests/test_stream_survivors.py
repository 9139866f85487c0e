"""Stream behaviour a mutation run of `databricks_claude/stream.py` showed untested (issue 11).

Each test pins one rule of the accumulator or the SSE decoder that a one-token change of the code
would break unnoticed otherwise: tool calls whose first fragment carries everything, ids and names
that arrive late, `has_output` after every kind of block, both in-stream error shapes, part
boundaries, the deltas a failing chunk applied, where `FinishDelta` comes out, a padded `[DONE]`,
and the last event of an SSE stream without its blank line (sync and async).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import MappingProxyType
from typing import Any

import pytest
from wire_helpers import chunk, reasoning_delta

from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.errors import MalformedResponseError
from databricks_claude.messages import (
    Delta,
    FinishDelta,
    ReasoningDelta,
    ReasoningPart,
    RedactedReasoningDelta,
    RedactedReasoningPart,
    SignatureDelta,
    TextDelta,
    TextPart,
    ToolCallArgsDelta,
    ToolCallPart,
    ToolCallStartDelta,
    UnknownPart,
    Usage,
)
from databricks_claude.sse import aiter_sse_data, iter_sse_data


def feed(*chunks: dict[str, Any]) -> tuple[StreamAccumulator, list[Delta]]:
    """Feed chunk dicts as JSON text (the way the transport does); every delta emitted."""
    accumulator = StreamAccumulator()
    deltas: list[Delta] = []
    for item in chunks:
        deltas.extend(accumulator.feed_data(json.dumps(item)))
    deltas.extend(accumulator.end())
    return accumulator, deltas


def tool(fragment: dict[str, Any]) -> dict[str, Any]:
    """A delta carrying one tool-call fragment."""
    return {"content": None, "tool_calls": [fragment]}


REDACTED = {"content": [{"type": "reasoning", "summary": [
    {"type": "summary_encrypted_text", "data": "opaque=="}]}]}
CITATION = {"type": "citation", "cited_text": "x"}
STOP = chunk({"content": ""}, finish_reason="stop")
TOOL_STOP = chunk({"content": ""}, finish_reason="tool_calls")


# ----------------------------------------------------------------------------------------------
# Tool calls


def test_a_first_fragment_with_id_name_and_arguments_is_one_whole_call() -> None:
    accumulator, deltas = feed(chunk(tool({"index": 0, "id": "toolu_1", "type": "function",
                                           "function": {"name": "f", "arguments": '{"x":1}'}})),
                               TOOL_STOP)
    assert deltas[:-1] == [ToolCallStartDelta(0, 0, "toolu_1", "f"),
                           ToolCallArgsDelta(0, 0, '{"x":1}')]
    assert accumulator.snapshot().parts == [ToolCallPart("toolu_1", "f", '{"x":1}')]


def test_a_first_fragment_with_arguments_then_more_fragments() -> None:
    _, deltas = feed(chunk(tool({"index": 3, "id": "a", "function": {"name": "f",
                                                                     "arguments": '{"x"'}})),
                     chunk(tool({"index": 3, "function": {"arguments": ":1}"}})), TOOL_STOP)
    assert deltas[:-1] == [ToolCallStartDelta(0, 3, "a", "f"), ToolCallArgsDelta(0, 3, '{"x"'),
                           ToolCallArgsDelta(0, 3, ":1}")]
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.tool_calls == [ToolCallPart("a", "f", '{"x":1}')]


def test_an_id_and_a_name_that_arrive_in_later_fragments_are_kept() -> None:
    _, deltas = feed(chunk(tool({"index": 1, "function": {"arguments": ""}})),
                     chunk(tool({"index": 1, "id": "toolu_late", "function": {"arguments": "{"}})),
                     chunk(tool({"index": 1, "function": {"name": "late_name",
                                                          "arguments": "}"}})),
                     TOOL_STOP)
    # The start went out before the id and name were known; the call has them in the end.
    assert deltas[0] == ToolCallStartDelta(0, 1, "", "")
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ToolCallPart("toolu_late", "late_name", "{}")]


def test_an_id_in_a_later_fragment_without_index_is_kept() -> None:
    _, deltas = feed(chunk(tool({"function": {"name": "f", "arguments": ""}})),
                     chunk(tool({"id": "toolu_2", "function": {"arguments": "{}"}})), TOOL_STOP)
    assert deltas[0] == ToolCallStartDelta(0, 0, "", "f")
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ToolCallPart("toolu_2", "f", "{}")]


def test_a_call_without_an_id_keeps_an_empty_one() -> None:
    """No id is made up: the request builder refuses an empty id when the call is sent back,
    where a made-up one would be sent and answered by a tool result the service never asked."""
    _, deltas = feed(chunk(tool({"index": 0, "function": {"name": "f", "arguments": ""}})),
                     chunk(tool({"index": 0, "function": {"arguments": "{}"}})), TOOL_STOP)
    assert deltas[:2] == [ToolCallStartDelta(0, 0, "", "f"), ToolCallArgsDelta(0, 0, "{}")]
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ToolCallPart("", "f", "{}")]


def test_a_fragment_without_name_or_id_starts_a_call_with_empty_ones() -> None:
    accumulator, deltas = feed(chunk(tool({"index": 0, "function": {"arguments": "{}"}})))
    assert deltas == [ToolCallStartDelta(0, 0, "", ""), ToolCallArgsDelta(0, 0, "{}")]
    assert accumulator.snapshot().parts == [ToolCallPart("", "", "{}")]


def test_the_same_id_repeated_on_later_fragments_is_still_one_call() -> None:
    header = {"index": 2, "id": "a", "function": {"name": "f", "arguments": ""}}
    _, deltas = feed(chunk(tool(header)),
                     chunk(tool({"index": 2, "id": "a", "function": {"arguments": '{"k"'}})),
                     chunk(tool({"index": 2, "id": "a", "function": {"name": "f",
                                                                      "arguments": ": 1}"}})),
                     TOOL_STOP)
    assert sum(isinstance(d, ToolCallStartDelta) for d in deltas) == 1
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ToolCallPart("a", "f", '{"k": 1}')]


def test_a_name_on_a_later_fragment_does_not_replace_the_first() -> None:
    _, deltas = feed(chunk(tool({"index": 0, "id": "a", "function": {"name": "f",
                                                                     "arguments": ""}})),
                     chunk(tool({"index": 0, "function": {"name": "g", "arguments": "{}"}})),
                     TOOL_STOP)
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ToolCallPart("a", "f", "{}")]


def test_a_call_without_index_takes_its_position_as_index() -> None:
    _, deltas = feed(chunk(tool({"index": 4, "id": "a", "function": {"name": "f"}})),
                     chunk(tool({"id": "b", "function": {"name": "g", "arguments": "{}"}})),
                     chunk(tool({"function": {"arguments": "[]"}})), TOOL_STOP)
    assert deltas[:-1] == [ToolCallStartDelta(0, 4, "a", "f"), ToolCallStartDelta(1, 1, "b", "g"),
                           ToolCallArgsDelta(1, 1, "{}"), ToolCallArgsDelta(1, 1, "[]")]
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ToolCallPart("a", "f", "{}"),
                                           ToolCallPart("b", "g", "{}[]")]


def test_fragments_by_index_go_back_to_an_earlier_call() -> None:
    _, deltas = feed(chunk(tool({"index": 1, "id": "a", "function": {"name": "f"}})),
                     chunk(tool({"index": 2, "id": "b", "function": {"name": "g"}})),
                     chunk(tool({"index": 1, "function": {"arguments": "{}"}})), TOOL_STOP)
    assert deltas[2] == ToolCallArgsDelta(0, 1, "{}")
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ToolCallPart("a", "f", "{}"),
                                           ToolCallPart("b", "g", "{}")]


def test_several_fragments_in_one_chunk() -> None:
    accumulator = StreamAccumulator()
    deltas = accumulator.feed_chunk(chunk({"content": None, "tool_calls": [
        {"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}},
        {"index": 1, "id": "b", "function": {"name": "g", "arguments": "{}"}}]}))
    assert deltas == [ToolCallStartDelta(0, 0, "a", "f"), ToolCallArgsDelta(0, 0, "{}"),
                      ToolCallStartDelta(1, 1, "b", "g"), ToolCallArgsDelta(1, 1, "{}")]


@pytest.mark.parametrize(("fragment", "says"), [
    ({"index": True, "id": "a", "function": {"name": "f"}}, "index is a bool"),
    ({"index": 0, "id": 7, "function": {"name": "f"}}, "tool call id is a int"),
    ({"index": 0, "id": "a", "function": {"name": ["f"]}}, "tool call name is a list"),
])
def test_mistyped_tool_fragments_are_refused(fragment: dict[str, Any], says: str) -> None:
    accumulator = StreamAccumulator()
    with pytest.raises(MalformedResponseError, match=says):
        accumulator.feed_chunk(chunk(tool(fragment)))
    assert accumulator.snapshot().parts == []


# ----------------------------------------------------------------------------------------------
# has_output: set by the first block of every kind (an interruption after it must resume or
# raise, never restart and send the caller the same output twice)


@pytest.mark.parametrize("delta", [
    pytest.param({"content": "t"}, id="text"),
    pytest.param({"content": [{"type": "text", "text": "t"}]}, id="text-item"),
    pytest.param(reasoning_delta("r"), id="reasoning"),
    pytest.param(reasoning_delta("", "sig"), id="signature-only-reasoning"),
    pytest.param(REDACTED, id="redacted"),
    pytest.param({"content": [CITATION]}, id="unknown-block"),
    pytest.param({"content": [{"type": "reasoning", "summary": [{"type": "new_kind"}]}]},
                 id="unknown-summary-entry"),
    pytest.param(tool({"index": 1, "id": "a", "function": {"name": "f", "arguments": ""}}),
                 id="tool-call-start"),
])
def test_has_output_after_the_first_block_of_each_kind(delta: dict[str, Any]) -> None:
    accumulator = StreamAccumulator()
    assert not accumulator.has_output
    accumulator.feed_chunk(chunk(delta))
    assert accumulator.has_output
    assert len(accumulator.snapshot().parts) == 1


@pytest.mark.parametrize("delta", [
    pytest.param({}, id="role-only"),
    pytest.param({"content": ""}, id="empty-text"),
    pytest.param({"content": [{"type": "text", "text": ""}]}, id="empty-text-item"),
    pytest.param({"content": [{"type": "reasoning"}]}, id="reasoning-without-summary"),
    pytest.param({"content": [{"type": "reasoning", "summary": None}]}, id="null-summary"),
    pytest.param(reasoning_delta("", None), id="empty-reasoning-without-signature"),
    pytest.param({"content": None, "tool_calls": []}, id="no-tool-fragments"),
])
def test_empty_deltas_are_no_output(delta: dict[str, Any]) -> None:
    accumulator = StreamAccumulator()
    assert accumulator.feed_chunk(chunk(delta)) == []
    assert not accumulator.has_output and accumulator.snapshot().parts == []


# ----------------------------------------------------------------------------------------------
# In-stream errors


@pytest.mark.parametrize("body", [
    {"error": {"message": "Model overloaded", "type": "overloaded_error"}},
    {"error": "boom"},
    {"error_code": "INTERNAL_ERROR", "message": "boom"},
])
def test_an_error_chunk_of_either_shape_is_raised(body: dict[str, Any]) -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_chunk(chunk({"content": "partial"}))
    with pytest.raises(MalformedResponseError, match="the stream carried an error") as info:
        accumulator.feed_data(json.dumps(body))
    assert list(info.value.applied) == []
    assert accumulator.snapshot().text == "partial" and not accumulator.complete


def test_the_error_message_shows_the_error_chunk() -> None:
    with pytest.raises(MalformedResponseError, match="Model overloaded"):
        StreamAccumulator().feed_chunk({"error": {"message": "Model overloaded"}})


def test_a_usage_only_chunk_is_not_an_error() -> None:
    accumulator = StreamAccumulator()
    assert accumulator.feed_chunk({"choices": [], "usage": {"prompt_tokens": 3}}) == []
    assert accumulator.feed_chunk({"id": "x"}) == []
    assert accumulator.snapshot().usage == Usage(3, 0, 3)


# ----------------------------------------------------------------------------------------------
# Part boundaries: a block between two texts (or reasoning fragments) separates them


@pytest.mark.parametrize(("middle", "part"), [
    pytest.param(reasoning_delta("r"), ReasoningPart("r", ""), id="reasoning"),
    pytest.param(reasoning_delta("", "sig"), ReasoningPart("", "sig"), id="signature-only"),
    pytest.param(tool({"index": 1, "id": "a", "function": {"name": "f", "arguments": "{}"}}),
                 ToolCallPart("a", "f", "{}"), id="tool-call"),
    pytest.param(REDACTED, RedactedReasoningPart("opaque=="), id="redacted"),
    pytest.param({"content": [CITATION]}, UnknownPart(CITATION), id="unknown"),
])
def test_text_then_another_block_then_text_are_three_parts(middle: dict[str, Any],
                                                           part: Any) -> None:
    _, deltas = feed(chunk({"content": "before"}), chunk(middle), chunk({"content": "after"}),
                     STOP)
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [TextPart("before"), part, TextPart("after")]


@pytest.mark.parametrize(("middle", "part"), [
    pytest.param(tool({"index": 1, "id": "a", "function": {"name": "f", "arguments": "{}"}}),
                 ToolCallPart("a", "f", "{}"), id="tool-call"),
    pytest.param(REDACTED, RedactedReasoningPart("opaque=="), id="redacted"),
    pytest.param({"content": [CITATION]}, UnknownPart(CITATION), id="unknown"),
    pytest.param({"content": "t"}, TextPart("t"), id="text"),
])
def test_unsigned_reasoning_then_another_block_then_reasoning_are_three_parts(
        middle: dict[str, Any], part: Any) -> None:
    _, deltas = feed(chunk(reasoning_delta("first")), chunk(middle),
                     chunk(reasoning_delta("second")), STOP)
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ReasoningPart("first", ""), part,
                                           ReasoningPart("second", "")]
    numbers = [d.part for d in deltas if isinstance(d, (ReasoningDelta, RedactedReasoningDelta))]
    assert numbers == ([0, 1, 2] if isinstance(part, RedactedReasoningPart) else [0, 1])


def test_text_in_one_chunk_around_another_item_is_three_parts() -> None:
    _, deltas = feed(chunk({"content": [{"type": "text", "text": "a"}, CITATION,
                                        {"type": "text", "text": "b"}]}), STOP)
    assert deltas[:2] == [TextDelta("a"), TextDelta("b")]
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [TextPart("a"), UnknownPart(CITATION), TextPart("b")]


def test_an_empty_fragment_after_a_signature_keeps_it() -> None:
    _, deltas = feed(chunk(reasoning_delta("r")), chunk(reasoning_delta("", "sig")),
                     chunk(reasoning_delta("", "")), STOP)
    assert deltas[:-1] == [ReasoningDelta("r", 0), SignatureDelta("sig", 0)]
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ReasoningPart("r", "sig")]


def test_an_unknown_summary_entry_is_kept_as_a_reasoning_block() -> None:
    entry = {"type": "summary_new_kind", "x": 1}
    _, deltas = feed(chunk({"content": [{"type": "reasoning", "summary": [entry]}]}), STOP)
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [UnknownPart({"type": "reasoning", "summary": [entry]})]


@pytest.mark.parametrize(("entry", "says"), [
    ({"type": "summary_text", "text": "", "signature": 5}, "reasoning signature is a int"),
    ({"type": "summary_text", "text": ["r"], "signature": ""}, "reasoning text is a list"),
    ({"type": "summary_encrypted_text", "data": 5}, "redacted reasoning data is a int"),
])
def test_mistyped_reasoning_fields_are_refused(entry: dict[str, Any], says: str) -> None:
    accumulator = StreamAccumulator()
    with pytest.raises(MalformedResponseError, match=says):
        accumulator.feed_chunk(chunk({"content": [{"type": "reasoning", "summary": [entry]}]}))
    assert accumulator.snapshot().parts == []


def test_absent_string_fields_count_as_empty() -> None:
    """A missing `text` or `data` is "" (docs/wire-chat.md#stream-chunks: fields are strings),
    never None."""
    _, deltas = feed(chunk({"content": [{"type": "text"}]}),
                     chunk({"content": [{"type": "reasoning", "summary": [
                         {"type": "summary_text", "signature": "sig"}]}]}),
                     chunk({"content": [{"type": "reasoning", "summary": [
                         {"type": "summary_encrypted_text"}]}]}), STOP)
    assert deltas[:-1] == [SignatureDelta("sig", 0), RedactedReasoningDelta("", 1)]
    assert isinstance(deltas[-1], FinishDelta)
    assert deltas[-1].completion.parts == [ReasoningPart("", "sig"), RedactedReasoningPart("")]


# ----------------------------------------------------------------------------------------------
# MalformedResponseError.applied: what a chunk did before it failed travels with the error


def test_applied_holds_the_deltas_before_a_mistyped_item() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_chunk(chunk({"content": "Hello "}))
    with pytest.raises(MalformedResponseError, match="text item is a int") as info:
        accumulator.feed_chunk(chunk({"content": [{"type": "text", "text": "world"},
                                                  {"type": "text", "text": 3}]}))
    assert list(info.value.applied) == [TextDelta("world")]
    assert accumulator.snapshot().parts == [TextPart("Hello world")]


def test_applied_holds_the_deltas_before_an_item_that_is_no_object() -> None:
    accumulator = StreamAccumulator()
    with pytest.raises(MalformedResponseError, match="not a chat completion chunk") as info:
        accumulator.feed_chunk(chunk({"content": [reasoning_delta("r")["content"][0], 5]}))
    assert list(info.value.applied) == [ReasoningDelta("r", 0)]
    assert isinstance(info.value.__cause__, AttributeError)
    assert accumulator.snapshot().parts == [ReasoningPart("r", "")]


def test_applied_holds_the_text_and_tool_deltas_before_a_bad_fragment() -> None:
    accumulator = StreamAccumulator()
    with pytest.raises(MalformedResponseError, match="index is a str") as info:
        accumulator.feed_data(json.dumps(chunk({"content": "t", "tool_calls": [
            {"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}},
            {"index": "1", "id": "b", "function": {"name": "g"}}]})))
    assert list(info.value.applied) == [TextDelta("t"), ToolCallStartDelta(0, 0, "a", "f"),
                                        ToolCallArgsDelta(0, 0, "{}")]


def test_a_chunk_that_is_no_chat_completion_chunk_is_named_in_the_error() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_data(json.dumps(chunk({"content": "a"})))
    with pytest.raises(MalformedResponseError) as info:
        accumulator.feed_data('{"choices": [1]}')
    assert isinstance(info.value.__cause__, AttributeError)
    assert str(info.value) == (
        f"stream chunk #2 is not a chat completion chunk: {info.value.__cause__}")


def test_applied_is_empty_when_the_chunk_failed_before_any_delta() -> None:
    accumulator = StreamAccumulator()
    with pytest.raises(MalformedResponseError) as info:
        accumulator.feed_chunk({"choices": [{"delta": {"content": [7]}}]})
    assert list(info.value.applied) == []


# ----------------------------------------------------------------------------------------------
# FinishDelta: the last delta of the chunk that carries finish_reason, exactly once


def test_the_finish_delta_comes_with_the_chunk_carrying_finish_reason() -> None:
    accumulator = StreamAccumulator()
    assert accumulator.feed_chunk(chunk({"content": "a"})) == [TextDelta("a")]
    usage = {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    deltas = accumulator.feed_chunk(chunk({"content": "b"}, finish_reason="stop", usage=usage))
    assert accumulator.complete
    assert len(deltas) == 2 and deltas[0] == TextDelta("b")
    finish = deltas[1]
    assert isinstance(finish, FinishDelta)
    # The finish chunk's own content and usage are in the final completion.
    assert finish.completion.parts == [TextPart("ab")]
    assert finish.completion.finish_reason == "stop"
    assert finish.completion.usage == Usage(2, 3, 5)
    assert finish.completion == accumulator.snapshot()
    assert accumulator.feed_data("[DONE]") == [] and accumulator.end() == []


def test_the_finish_delta_of_a_tool_call_chunk_holds_its_arguments() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_chunk(chunk(tool({"index": 1, "id": "a", "function": {"name": "f"}})))
    deltas = accumulator.feed_chunk(chunk(tool({"index": 1, "function": {"arguments": "{}"}}),
                                          finish_reason="tool_calls"))
    assert deltas[0] == ToolCallArgsDelta(0, 1, "{}")
    assert isinstance(deltas[1], FinishDelta) and len(deltas) == 2
    assert deltas[1].completion.parts == [ToolCallPart("a", "f", "{}")]
    assert deltas[1].completion.finish_reason == "tool_calls"


def test_no_finish_delta_before_the_finish_reason() -> None:
    accumulator = StreamAccumulator()
    for item in (chunk({"content": "a"}), chunk(finish_reason=None),
                 chunk(choices=False, usage={"prompt_tokens": 1})):
        assert not any(isinstance(d, FinishDelta) for d in accumulator.feed_chunk(item))
    assert not accumulator.complete and accumulator.end() == []


def test_a_later_finish_reason_changes_nothing() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_chunk(chunk({"content": "a"}, finish_reason="length"))
    assert accumulator.feed_chunk(chunk({"content": ""}, finish_reason="stop")) == []
    assert accumulator.finish_reason == "length"
    assert accumulator.snapshot().finish_reason == "length"


def test_a_finish_reason_that_is_no_string_is_kept_as_text() -> None:
    accumulator = StreamAccumulator()
    (finish,) = accumulator.feed_chunk(chunk(finish_reason=7))  # type: ignore[arg-type]
    assert isinstance(finish, FinishDelta) and finish.completion.finish_reason == "7"


def test_a_read_only_mapping_is_a_chunk() -> None:
    accumulator = StreamAccumulator()
    assert accumulator.feed_chunk(MappingProxyType(chunk({"content": "a"}))) == [TextDelta("a")]
    assert accumulator.snapshot().text == "a"


def test_the_first_chunk_with_an_id_names_the_completion() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_chunk({"model": "m0", "choices": []})
    accumulator.feed_chunk(chunk({"content": "a"}, model="m1", chunk_id="msg-1"))
    accumulator.feed_chunk(chunk({"content": "b"}, model="m2", chunk_id="msg-2"))
    snapshot = accumulator.snapshot()
    assert (snapshot.id, snapshot.model) == ("msg-1", "m1")


def test_a_model_is_kept_when_the_chunk_with_the_id_has_none() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_chunk({"model": "m0", "choices": []})
    accumulator.feed_chunk({"id": "msg-1", "model": None, "choices": []})
    snapshot = accumulator.snapshot()
    assert (snapshot.id, snapshot.model) == ("msg-1", "m0")


# ----------------------------------------------------------------------------------------------
# [DONE]


@pytest.mark.parametrize("data", [" [DONE] ", "[DONE]\n", "\t[DONE]", "[DONE]  \r\n"])
def test_a_padded_done_ends_the_stream(data: str) -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_chunk(chunk({"content": "a"}))
    (finish,) = accumulator.feed_data(data)
    assert isinstance(finish, FinishDelta) and finish.completion.text == "a"
    assert accumulator.complete and accumulator.finish_reason is None


def test_padding_around_done_is_accepted_up_to_fifteen_characters() -> None:
    """The padded form is checked only for payloads under 16 characters, so the hot path never
    strips a real chunk: "[DONE]" with 9 spaces is the end, with 10 it is not JSON."""
    accumulator = StreamAccumulator()
    assert isinstance(accumulator.feed_data("[DONE]" + " " * 9)[0], FinishDelta)
    with pytest.raises(MalformedResponseError, match="not valid JSON"):
        StreamAccumulator().feed_data("[DONE]" + " " * 10)


@pytest.mark.parametrize("data", ["{}", '{"id":"x"}', '{"choices":[]}', "  {}  "])
def test_a_short_chunk_is_not_the_end(data: str) -> None:
    accumulator = StreamAccumulator()
    assert accumulator.feed_data(data) == []
    assert not accumulator.complete


def test_done_as_a_json_string_is_not_the_end() -> None:
    accumulator = StreamAccumulator()
    with pytest.raises(MalformedResponseError, match="is a str"):
        accumulator.feed_data('"[DONE]"')
    assert not accumulator.complete


# ----------------------------------------------------------------------------------------------
# SSE framing


async def _lines(lines: list[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def _adecode(lines: list[str]) -> list[str]:
    return [payload async for payload in aiter_sse_data(_lines(lines))]


FRAMINGS = [
    pytest.param(['data: {"a":1}', "", "data: [DONE]"], ['{"a":1}', "[DONE]"],
                 id="last-event-without-blank-line"),
    pytest.param(["data: one", "data: two"], ["one\ntwo"], id="multi-line-last-event"),
    pytest.param(['data: {"a":', "data: 1}", 'data: {"b":2}'], ['{"a":\n1}', '{"b":2}'],
                 id="multi-line-then-lenient-split"),
    pytest.param(['data: {"a":1}', "data: tail", ""], ['{"a":1}\ntail'],
                 id="no-split-before-a-non-object"),
    pytest.param(['data: {"a":', 'data: {"b":1}', ""], ['{"a":\n{"b":1}'],
                 id="no-split-after-an-unfinished-object"),
    pytest.param(["data: x\r", "\r", "data: y\n", "\n"], ["x", "y"], id="lone-cr-and-lf"),
    pytest.param(["data: FIX\r\n", "\r\n", "data: XX\n", "\n"], ["FIX", "XX"],
                 id="only-line-endings-are-stripped"),
    pytest.param(["data:  two spaces", ""], [" two spaces"], id="only-one-space-is-dropped"),
    pytest.param(["", "", "data: x", "", ""], ["x"], id="extra-blank-lines"),
    pytest.param([": comment", "event: ping"], [], id="nothing"),
]


@pytest.mark.parametrize(("lines", "payloads"), FRAMINGS)
def test_sync_sse_framing(lines: list[str], payloads: list[str]) -> None:
    assert list(iter_sse_data(lines)) == payloads


@pytest.mark.parametrize(("lines", "payloads"), FRAMINGS)
async def test_async_sse_framing(lines: list[str], payloads: list[str]) -> None:
    assert await _adecode(lines) == payloads


async def test_async_sse_stream_without_a_final_blank_line_reaches_the_accumulator() -> None:
    body = [f"data: {json.dumps(chunk({'content': 'hi'}))}",
            f"data: {json.dumps(STOP)}"]
    accumulator = StreamAccumulator()
    deltas: list[Delta] = []
    async for data in aiter_sse_data(_lines(body)):
        deltas.extend(accumulator.feed_data(data))
    assert deltas[0] == TextDelta("hi") and isinstance(deltas[-1], FinishDelta)
    assert accumulator.complete and accumulator.snapshot().text == "hi"
