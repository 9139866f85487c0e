"""Stream decoding: SSE framing, the accumulator's deltas, and stream == non-stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from wire_helpers import (
    chunk,
    fixture_text,
    load_fixture,
    reasoning_delta,
    sse_text,
    stream_from_response,
)

from databricks_claude.codecs.chat.response import parse_completion
from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.errors import MalformedResponseError
from databricks_claude.messages import (
    Completion,
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


def run(payloads: list[str]) -> tuple[StreamAccumulator, list[Delta]]:
    """Feed SSE data payloads; the accumulator and every delta it emitted."""
    accumulator = StreamAccumulator()
    deltas: list[Delta] = []
    for data in payloads:
        deltas.extend(accumulator.feed_data(data))
    deltas.extend(accumulator.end())
    return accumulator, deltas


def run_chunks(*chunks: dict[str, Any]) -> tuple[StreamAccumulator, list[Delta]]:
    """Feed chunk dicts (as JSON text, the way the transport does)."""
    return run([json.dumps(c) for c in chunks])


def final(deltas: list[Delta]) -> Completion:
    """The completion of the one FinishDelta, which must be the last delta."""
    finishes = [d for d in deltas if isinstance(d, FinishDelta)]
    assert len(finishes) == 1 and deltas[-1] is finishes[0]
    return finishes[0].completion


# ----------------------------------------------------------------------------------------------
# SSE framing


def test_sse_data_lines_with_and_without_space() -> None:
    lines = ["data: {\"a\":1}", "", "data:{\"b\":2}", "", "data: [DONE]", ""]
    assert list(iter_sse_data(lines)) == ['{"a":1}', '{"b":2}', "[DONE]"]


def test_sse_ignores_comments_event_id_and_retry_fields() -> None:
    lines = [": keep-alive", "event: message", "id: 7", "retry: 100", "data: x", "", ":", ""]
    assert list(iter_sse_data(lines)) == ["x"]


def test_sse_multi_line_data_is_joined_with_newlines() -> None:
    lines = ["data: {\"a\":", "data: 1}", "", "data: last"]
    assert list(iter_sse_data(lines)) == ['{"a":\n1}', "last"]


def test_sse_lines_with_line_endings() -> None:
    text = sse_text(['{"a":1}', "[DONE]"]).replace("\n", "\r\n")
    assert list(iter_sse_data(text.splitlines(keepends=True))) == ['{"a":1}', "[DONE]"]


def test_sse_events_without_blank_lines_between_them() -> None:
    lines = ['data: {"a":1}', 'data: {"b":2}', "data: [DONE]"]
    assert list(iter_sse_data(lines)) == ['{"a":1}', '{"b":2}', "[DONE]"]


async def test_async_sse_matches_sync() -> None:
    lines = fixture_text("stream_reasoning_then_text.sse").splitlines()

    async def source() -> AsyncIterator[str]:
        for line in lines:
            yield line

    assert [d async for d in aiter_sse_data(source())] == list(iter_sse_data(lines))


# ----------------------------------------------------------------------------------------------
# The captured streams


def test_captured_reasoning_then_text_stream() -> None:
    payloads = list(iter_sse_data(fixture_text("stream_reasoning_then_text.sse").splitlines()))
    accumulator, deltas = run(payloads)
    assert deltas[:-1] == [ReasoningDelta("17 * 23", 0), ReasoningDelta(" = 391", 0),
                           SignatureDelta("sig-1", 0), TextDelta("391")]
    completion = final(deltas)
    assert completion.parts == [ReasoningPart("17 * 23 = 391", "sig-1"), TextPart("391")]
    assert completion.finish_reason == "stop"
    assert completion.usage == Usage(4, 9, 13)
    assert (completion.id, completion.model) == ("msg-1", "m")
    assert accumulator.complete and accumulator.has_output
    assert accumulator.snapshot() == completion


def test_captured_reasoning_chunk() -> None:
    accumulator = StreamAccumulator()
    deltas = accumulator.feed_chunk(load_fixture("stream_chunk_reasoning.json"))
    assert deltas == [ReasoningDelta("分析を始めます。\n1. まず問題を確認します。\n2. 次に...", 0)]
    snapshot = accumulator.snapshot()
    assert snapshot.parts == [ReasoningPart(deltas[0].text, "")]  # type: ignore[union-attr]
    assert snapshot.usage == Usage(2067, 0, 2067)
    assert snapshot.id == "msg_bdrk_01TarMA3TeEzQDfx6L4DFCLb"
    assert not accumulator.complete and accumulator.has_output


@pytest.mark.parametrize("size", [1, 3, 1000])
@pytest.mark.parametrize("name", ["seed_response_thinking_tools.json",
                                  "response_thinking_notools.json"])
def test_stream_equals_the_non_streaming_response(name: str, size: int) -> None:
    body = load_fixture(name)
    _, deltas = run(stream_from_response(body, size=size))
    assert final(deltas) == parse_completion(body)


@pytest.mark.parametrize("name", ["cold_cache_write", "warm_cache_read"])
def test_stream_of_a_plain_text_response_equals_it(name: str) -> None:
    body = load_fixture("response_prompt_caching_usage.json")[name]
    accumulator, deltas = run(stream_from_response(body, size=7))
    assert final(deltas) == parse_completion(body) == accumulator.snapshot()


def test_stream_with_redacted_reasoning_and_tool_calls_equals_the_response() -> None:
    body = load_fixture("seed_response_thinking_tools.json")
    message = body["choices"][0]["message"]
    message["content"].insert(1, {"type": "reasoning", "summary": [
        {"type": "summary_encrypted_text", "data": "opaque=="}]})
    message["tool_calls"].append({"id": "toolu_2", "type": "function", "function": {
        "name": "get_weather", "arguments": '{"location":"大阪","unit":"celsius"}'}})
    _, deltas = run(stream_from_response(body, size=2))
    assert final(deltas) == parse_completion(body)
    assert RedactedReasoningDelta("opaque==", 1) in deltas


# ----------------------------------------------------------------------------------------------
# Reasoning rules


def test_signature_only_reasoning_of_newer_models() -> None:
    _, deltas = run_chunks(chunk(reasoning_delta("", "CAIS6wEK")), chunk({"content": "hi"}),
                           chunk({"content": ""}, finish_reason="stop"))
    assert deltas[:2] == [SignatureDelta("CAIS6wEK", 0), TextDelta("hi")]
    assert final(deltas).parts == [ReasoningPart("", "CAIS6wEK"), TextPart("hi")]


def test_new_reasoning_text_after_a_signature_starts_a_new_part() -> None:
    _, deltas = run_chunks(chunk(reasoning_delta("a")), chunk(reasoning_delta("", "s1")),
                           chunk(reasoning_delta("b")), chunk(reasoning_delta("", "s2")),
                           chunk(finish_reason="stop"))
    assert deltas[:4] == [ReasoningDelta("a", 0), SignatureDelta("s1", 0),
                          ReasoningDelta("b", 1), SignatureDelta("s2", 1)]
    assert final(deltas).parts == [ReasoningPart("a", "s1"), ReasoningPart("b", "s2")]


def test_reasoning_after_text_starts_a_new_part() -> None:
    _, deltas = run_chunks(chunk(reasoning_delta("a")), chunk({"content": "t"}),
                           chunk(reasoning_delta("b")), chunk(finish_reason="stop"))
    assert final(deltas).parts == [ReasoningPart("a", ""), TextPart("t"), ReasoningPart("b", "")]


def test_reasoning_without_signature_key_has_none() -> None:
    _, deltas = run_chunks(chunk(reasoning_delta("a", signature=None)),
                           chunk(finish_reason="stop"))
    assert final(deltas).parts == [ReasoningPart("a", None)]


def test_empty_reasoning_fragment_starts_nothing() -> None:
    accumulator, deltas = run_chunks(chunk(reasoning_delta("", "")))
    assert deltas == [] and accumulator.snapshot().parts == [] and not accumulator.has_output


def test_redacted_reasoning_in_a_stream() -> None:
    entry = {"type": "summary_encrypted_text", "data": "xyz"}
    _, deltas = run_chunks(chunk({"content": [{"type": "reasoning", "summary": [entry]}]}),
                           chunk(reasoning_delta("visible", "s")), chunk(finish_reason="stop"))
    assert deltas[0] == RedactedReasoningDelta("xyz", 0)
    assert deltas[1] == ReasoningDelta("visible", 1)
    assert final(deltas).parts == [RedactedReasoningPart("xyz"), ReasoningPart("visible", "s")]


def test_text_list_items_and_string_deltas_mix() -> None:
    _, deltas = run_chunks(chunk({"content": [{"type": "text", "text": "a"}]}),
                           chunk({"content": "b"}),
                           chunk({"content": [{"type": "text", "text": "c"}]}),
                           chunk({"content": ""}, finish_reason="stop"))
    assert deltas[:3] == [TextDelta("a"), TextDelta("b"), TextDelta("c")]
    assert final(deltas).parts == [TextPart("abc")]


def test_unknown_list_items_are_kept() -> None:
    block = {"type": "citation", "cited_text": "x"}
    _, deltas = run_chunks(chunk({"content": "a"}), chunk({"content": [block]}),
                           chunk({"content": "b"}), chunk(finish_reason="stop"))
    assert final(deltas).parts == [TextPart("a"), UnknownPart(block), TextPart("b")]


# ----------------------------------------------------------------------------------------------
# Tool calls


def tool_header(index: int, call_id: str, name: str) -> dict[str, Any]:
    return {"content": None, "tool_calls": [{"index": index, "id": call_id, "type": "function",
                                             "function": {"name": name, "arguments": ""}}]}


def tool_args(index: int | None, fragment: Any) -> dict[str, Any]:
    call: dict[str, Any] = {"function": {"arguments": fragment}}
    if index is not None:
        call["index"] = index
    return {"content": None, "tool_calls": [call]}


def test_goose_like_stream_with_text_then_two_tools_at_indices_1_and_2() -> None:
    usage = {"prompt_tokens": 4982, "completion_tokens": None, "total_tokens": None}
    model, chunk_id = "us.anthropic.claude-sonnet-4-20250514-v1:0", "msg_bdrk_014pifLTHsNZz6"
    steps = [
        {"content": "I'll run both"}, {"content": " commands."},
        tool_header(1, "toolu_bdrk_01RMT", "developer__shell"), tool_args(1, ""),
        tool_args(1, '{"'), tool_args(1, 'command": "ls"}'),
        tool_header(2, "toolu_bdrk_016bg", "developer__shell"), tool_args(2, '{"command"'),
        tool_args(2, ': "pwd"}'),
    ]
    chunks = [chunk(step, usage=usage, model=model, chunk_id=chunk_id) for step in steps]
    chunks.append(chunk({"content": ""}, finish_reason="tool_calls", model=model,
                        chunk_id=chunk_id, usage={"prompt_tokens": 4982,
                                                  "completion_tokens": 122,
                                                  "total_tokens": 5104}))
    accumulator, deltas = run_chunks(*chunks, )
    accumulator.feed_data("[DONE]")
    assert deltas[:-1] == [
        TextDelta("I'll run both"), TextDelta(" commands."),
        ToolCallStartDelta(0, 1, "toolu_bdrk_01RMT", "developer__shell"),
        ToolCallArgsDelta(0, 1, '{"'), ToolCallArgsDelta(0, 1, 'command": "ls"}'),
        ToolCallStartDelta(1, 2, "toolu_bdrk_016bg", "developer__shell"),
        ToolCallArgsDelta(1, 2, '{"command"'), ToolCallArgsDelta(1, 2, ': "pwd"}')]
    completion = final(deltas)
    assert completion.parts == [
        TextPart("I'll run both commands."),
        ToolCallPart("toolu_bdrk_01RMT", "developer__shell", '{"command": "ls"}'),
        ToolCallPart("toolu_bdrk_016bg", "developer__shell", '{"command": "pwd"}')]
    assert completion.finish_reason == "tool_calls"
    assert completion.usage == Usage(4982, 122, 5104)


def test_interleaved_tool_fragments_go_to_their_index() -> None:
    _, deltas = run_chunks(chunk(tool_header(5, "a", "f")), chunk(tool_header(9, "b", "g")),
                           chunk(tool_args(5, '{"x":1}')), chunk(tool_args(9, '{"y":2}')),
                           chunk(finish_reason="tool_calls"))
    assert final(deltas).tool_calls == [ToolCallPart("a", "f", '{"x":1}'),
                                        ToolCallPart("b", "g", '{"y":2}')]


def test_fragment_without_index_belongs_to_the_latest_call() -> None:
    _, deltas = run_chunks(chunk(tool_header(1, "a", "f")), chunk(tool_args(None, '{"x"')),
                           chunk(tool_args(None, ":1}")), chunk(finish_reason="tool_calls"))
    assert final(deltas).tool_calls == [ToolCallPart("a", "f", '{"x":1}')]


def test_a_new_id_at_a_reused_index_is_a_new_call() -> None:
    _, deltas = run_chunks(chunk(tool_header(0, "a", "f")), chunk(tool_args(0, "{}")),
                           chunk(tool_header(0, "b", "g")), chunk(tool_args(0, "{}")),
                           chunk(finish_reason="tool_calls"))
    assert [(c.id, c.name) for c in final(deltas).tool_calls] == [("a", "f"), ("b", "g")]


def test_arguments_sent_as_an_object_are_serialized() -> None:
    _, deltas = run_chunks(chunk(tool_header(0, "a", "f")), chunk(tool_args(0, {"k": "東京"})),
                           chunk(finish_reason="tool_calls"))
    assert final(deltas).tool_calls[0].arguments == '{"k": "東京"}'


def test_a_call_without_argument_fragments_has_empty_object_arguments() -> None:
    _, deltas = run_chunks(chunk(tool_header(1, "a", "f")), chunk(finish_reason="tool_calls"))
    assert final(deltas).tool_calls == [ToolCallPart("a", "f", "{}")]


def test_reasoning_text_and_tool_calls_keep_their_start_order() -> None:
    _, deltas = run_chunks(chunk(reasoning_delta("r")), chunk(reasoning_delta("", "s")),
                           chunk({"content": "t"}), chunk(tool_header(2, "a", "f")),
                           chunk(tool_args(2, "{}")), chunk(finish_reason="tool_calls"))
    assert final(deltas).parts == [ReasoningPart("r", "s"), TextPart("t"),
                                   ToolCallPart("a", "f", "{}")]


# ----------------------------------------------------------------------------------------------
# Usage, finish and end of stream


def test_usage_is_counted_once_taking_the_last_non_null_values() -> None:
    early = {"prompt_tokens": 10, "completion_tokens": None, "total_tokens": None}
    _, deltas = run_chunks(chunk({"content": "a"}, usage=early),
                           chunk({"content": "b"}, usage=early),
                           chunk({"content": ""}, finish_reason="stop",
                                 usage={"prompt_tokens": 10, "completion_tokens": 5,
                                        "total_tokens": 15, "completion_tokens_details": {
                                            "reasoning_tokens": 2}}))
    assert final(deltas).usage == Usage(10, 5, 15, reasoning_tokens=2)


def test_finish_usage_missing_counts_fall_back_to_earlier_ones() -> None:
    _, deltas = run_chunks(chunk({"content": "a"}, usage={"prompt_tokens": 10}),
                           chunk(finish_reason="stop", usage={"prompt_tokens": None,
                                                              "completion_tokens": 3}))
    assert final(deltas).usage == Usage(10, 3, 13)


def test_usage_only_chunk_with_empty_choices() -> None:
    accumulator, deltas = run_chunks(chunk({"content": "a"}),
                                     chunk(choices=False, usage={"prompt_tokens": 1,
                                                                 "completion_tokens": 2,
                                                                 "total_tokens": 3}),
                                     chunk(finish_reason="stop"))
    assert final(deltas).usage == Usage(1, 2, 3)
    assert accumulator.snapshot().text == "a"


def test_a_stream_without_usage_has_none() -> None:
    _, deltas = run_chunks(chunk({"content": "a"}), chunk(finish_reason="stop"))
    assert final(deltas).usage is None


def test_finish_delta_is_emitted_exactly_once() -> None:
    accumulator, deltas = run_chunks(chunk({"content": "a"}), chunk(finish_reason="stop"),
                                     chunk(finish_reason="stop"))
    assert accumulator.feed_data("[DONE]") == []
    assert accumulator.end() == []
    assert final(deltas).text == "a"


def test_done_without_finish_reason_emits_the_finish() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_chunk(chunk({"content": "a"}))
    assert not accumulator.complete
    (finish,) = accumulator.feed_data("[DONE]")
    assert isinstance(finish, FinishDelta) and finish.completion.text == "a"
    assert finish.completion.finish_reason is None
    assert accumulator.complete and accumulator.end() == []


def test_end_of_an_unfinished_stream_emits_nothing_and_reports_incomplete() -> None:
    accumulator, deltas = run_chunks(chunk({"content": "partial"}))
    assert deltas == [TextDelta("partial")]
    assert not accumulator.complete and accumulator.has_output
    assert accumulator.snapshot().parts == [TextPart("partial")]


def test_snapshot_at_any_moment() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_chunk(chunk(reasoning_delta("r")))
    assert accumulator.snapshot().reasoning_text == "r"
    accumulator.feed_chunk(chunk({"content": "t"}))
    accumulator.feed_chunk(chunk(tool_header(1, "a", "f")))
    accumulator.feed_chunk(chunk(tool_args(1, '{"q"')))
    snapshot = accumulator.snapshot()
    assert snapshot.text == "t" and snapshot.tool_calls == [ToolCallPart("a", "f", '{"q"')]
    assert snapshot.finish_reason is None


def test_chunk_without_content_and_role_only_delta() -> None:
    accumulator, deltas = run_chunks(chunk({}), chunk({"content": None}))
    assert deltas == [] and not accumulator.has_output and not accumulator.complete


# ----------------------------------------------------------------------------------------------
# Part indices: every content delta names the part of the final completion it belongs to


def part_indices(deltas: list[Delta]) -> list[int]:
    """The `part_index` of each content delta, in order, after checking that each names a part
    of the final completion of the delta's kind and that each part's deltas rebuild it."""
    parts = final(deltas).parts
    fragments: dict[int, list[str]] = {}
    indices: list[int] = []
    for delta in deltas[:-1]:
        assert not isinstance(delta, FinishDelta)
        at = delta.part_index
        assert 0 <= at < len(parts), delta
        part = parts[at]
        indices.append(at)
        if isinstance(delta, (TextDelta, ReasoningDelta)):
            assert isinstance(part, TextPart if isinstance(delta, TextDelta) else ReasoningPart)
            fragments.setdefault(at, []).append(delta.text)
        elif isinstance(delta, SignatureDelta):
            assert isinstance(part, ReasoningPart) and part.signature == delta.signature
        elif isinstance(delta, RedactedReasoningDelta):
            assert part == RedactedReasoningPart(delta.data)
        elif isinstance(delta, ToolCallStartDelta):
            assert isinstance(part, ToolCallPart) and part.id.endswith(delta.id)
            fragments.setdefault(at, [])
        else:
            assert isinstance(part, ToolCallPart)
            fragments.setdefault(at, []).append(delta.fragment)
    for at, pieces in fragments.items():
        part, joined = parts[at], "".join(pieces)
        if isinstance(part, ToolCallPart):  # a call whose arguments never came has "{}"
            assert joined == part.arguments or (not joined and part.arguments == "{}"), part
        else:
            assert isinstance(part, (TextPart, ReasoningPart)) and joined == part.text, part
    return indices


def test_part_indices_of_the_captured_stream() -> None:
    payloads = list(iter_sse_data(fixture_text("stream_reasoning_then_text.sse").splitlines()))
    _, deltas = run(payloads)
    assert part_indices(deltas) == [0, 0, 0, 1]


@pytest.mark.parametrize("size", [1, 3, 1000])
def test_part_indices_of_reasoning_redacted_text_and_tools(size: int) -> None:
    body = load_fixture("seed_response_thinking_tools.json")
    message = body["choices"][0]["message"]
    message["content"].insert(1, {"type": "reasoning", "summary": [
        {"type": "summary_encrypted_text", "data": "opaque=="}]})
    message["tool_calls"].append({"id": "toolu_2", "type": "function", "function": {
        "name": "get_weather", "arguments": '{"location":"大阪"}'}})
    _, deltas = run(stream_from_response(body, size=size))
    kinds = [type(p).__name__ for p in final(deltas).parts]
    assert kinds == ["ReasoningPart", "RedactedReasoningPart", "TextPart", "ToolCallPart",
                     "ToolCallPart"]
    assert sorted(set(part_indices(deltas))) == [0, 1, 2, 3, 4]


def test_part_indices_of_text_then_two_tools_at_wire_indices_1_and_2() -> None:
    _, deltas = run_chunks(chunk({"content": "a"}), chunk({"content": "b"}),
                           chunk(tool_header(1, "x", "f")), chunk(tool_args(1, "{}")),
                           chunk(tool_header(2, "y", "g")), chunk(tool_args(2, "{}")),
                           chunk(finish_reason="tool_calls"))
    assert part_indices(deltas) == [0, 0, 1, 1, 2, 2]


def test_part_indices_of_interleaved_tool_fragments() -> None:
    _, deltas = run_chunks(chunk(tool_header(5, "a", "f")), chunk(tool_header(9, "b", "g")),
                           chunk(tool_args(5, '{"x":1}')), chunk(tool_args(9, '{"y":2}')),
                           chunk(tool_args(None, "")), chunk(finish_reason="tool_calls"))
    assert part_indices(deltas) == [0, 1, 0, 1]


def test_an_unknown_block_takes_an_index_without_a_delta() -> None:
    block = {"type": "citation", "cited_text": "x"}
    _, deltas = run_chunks(chunk({"content": "a"}), chunk({"content": [block]}),
                           chunk({"content": "b"}), chunk(finish_reason="stop"))
    assert part_indices(deltas) == [0, 2]


def test_part_indices_of_reasoning_around_text_and_redacted_reasoning() -> None:
    entry = {"type": "summary_encrypted_text", "data": "xyz"}
    _, deltas = run_chunks(chunk(reasoning_delta("a")), chunk({"content": "t"}),
                           chunk({"content": [{"type": "reasoning", "summary": [entry]}]}),
                           chunk(reasoning_delta("b")), chunk(reasoning_delta("", "s")),
                           chunk(reasoning_delta("c")), chunk(finish_reason="stop"))
    assert [type(d).__name__ for d in deltas[:-1]] == [
        "ReasoningDelta", "TextDelta", "RedactedReasoningDelta", "ReasoningDelta",
        "SignatureDelta", "ReasoningDelta"]
    assert part_indices(deltas) == [0, 1, 2, 3, 3, 4]
    reasoning = (ReasoningDelta, SignatureDelta, RedactedReasoningDelta)
    # `part`, unlike `part_index`, numbers the reasoning parts only.
    assert [d.part for d in deltas if isinstance(d, reasoning)] == [0, 1, 2, 2, 3]


def test_a_new_id_at_a_reused_index_is_a_new_part() -> None:
    _, deltas = run_chunks(chunk(tool_header(0, "a", "f")), chunk(tool_args(0, "{}")),
                           chunk(tool_header(0, "b", "g")), chunk(tool_args(0, "{}")),
                           chunk(finish_reason="tool_calls"))
    assert part_indices(deltas) == [0, 0, 1, 1]


def test_part_index_takes_no_part_in_equality() -> None:
    assert TextDelta("a", 3) == TextDelta("a")
    assert ToolCallArgsDelta(0, 1, "{}", 2) == ToolCallArgsDelta(0, 1, "{}")
    assert TextDelta("a").part_index == -1  # built by hand: no part named


# ----------------------------------------------------------------------------------------------
# Malformed input


def test_invalid_json_names_the_chunk() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed_data(json.dumps(chunk({"content": "a"})))
    with pytest.raises(MalformedResponseError, match=r"chunk #2 is not valid JSON.*'\{oops'"):
        accumulator.feed_data("{oops")
    assert accumulator.snapshot().text == "a"


@pytest.mark.parametrize(("data", "says"), [
    ("[1, 2]", "is a list"),
    ('"text"', "is a str"),
    ('{"choices": [1]}', "not a chat completion chunk"),
    ('{"choices": [{"delta": {"content": [1]}}]}', "not a chat completion chunk"),
    ('{"choices": [{"delta": {"tool_calls": [{"index": [1]}]}}]}', "index is a list"),
    ('{"choices": [{"delta": {"content": [{"type": "text", "text": 3}]}}]}', "text item is a"),
    ('{"error_code": "INTERNAL_ERROR", "message": "boom"}', "carried an error.*boom"),
])
def test_malformed_chunks_raise_a_typed_error(data: str, says: str) -> None:
    with pytest.raises(MalformedResponseError, match=says):
        StreamAccumulator().feed_data(data)


# ----------------------------------------------------------------------------------------------
# Scale


def test_a_200k_delta_stream() -> None:
    count = 200_000
    text_chunk = json.dumps(chunk({"content": "x"},
                                  usage={"prompt_tokens": 5, "completion_tokens": None}))
    finish_chunk = json.dumps(chunk({"content": ""}, finish_reason="length",
                                    usage={"prompt_tokens": 5, "completion_tokens": count}))
    body = sse_text([text_chunk] * count + [finish_chunk, "[DONE]"])
    accumulator = StreamAccumulator()
    emitted = 0
    for data in iter_sse_data(body.splitlines()):
        emitted += len(accumulator.feed_data(data))
    assert emitted == count + 1
    completion = accumulator.snapshot()
    assert completion.text == "x" * count and len(completion.parts) == 1
    assert completion.usage == Usage(5, count, 5 + count)
    assert completion.finish_reason == "length"
