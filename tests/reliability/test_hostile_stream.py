"""Hostile input to the stream decoder: SSE framing, random chunks, mutated real streams.

`StreamAccumulator.feed_data` / `feed_chunk` must emit well-typed deltas or raise the project's
own `MalformedResponseError`; `snapshot()` and `end()` must work at any moment, even after an
error. And nothing is lost or duplicated: the snapshot always holds exactly what the deltas
handed out (the text a caller printed is the text a resumed stream continues from).

Hostile input may be answered or refused; valid input may not. Well-formed streams are generated
apart from the hostile ones (`_valid_stream`), and each must be answered with exactly the deltas
and the completion its chunks describe.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.errors import DatabricksClaudeError
from databricks_claude.messages import (
    Completion,
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
from databricks_claude.sse import iter_sse_data

from ._support import (
    FIXTURES,
    ODDITIES,
    count,
    describe_error,
    examples,
    mutate,
    paths,
    rand_json,
    rand_mutate,
    short_repr,
)

SETTINGS = settings(deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: dict[str, Any] | None = None,
           choices: bool = True) -> dict[str, Any]:
    chunk: dict[str, Any] = {"model": "m", "object": "chat.completion.chunk", "id": "msg-1",
                             "created": 1}
    chunk["choices"] = [{"delta": {"role": "assistant", **delta}, "index": 0,
                         "finish_reason": finish}] if choices else []
    chunk["usage"] = usage or {"prompt_tokens": 4, "completion_tokens": None,
                               "total_tokens": None}
    return chunk


def _reasoning(text: str, signature: str = "") -> dict[str, Any]:
    return {"content": [{"type": "reasoning", "summary": [
        {"type": "summary_text", "text": text, "signature": signature}]}]}


def _tool(index: int, fragment: str, call_id: str | None = None, name: str | None = None
          ) -> dict[str, Any]:
    call: dict[str, Any] = {"index": index, "function": {"arguments": fragment}}
    if call_id:
        call.update(id=call_id, type="function")
        call["function"]["name"] = name
    return {"content": None, "tool_calls": [call]}


FINAL_USAGE = {"prompt_tokens": 4, "completion_tokens": 9, "total_tokens": 13}
REAL_SSE = [payload for payload in iter_sse_data(
    (FIXTURES / "stream_reasoning_then_text.sse").read_text(encoding="utf-8").splitlines())]
SEED_STREAMS: list[list[Any]] = [
    [json.loads(p) if p != "[DONE]" else "[DONE]" for p in REAL_SSE],
    # Text then two tool calls with block indices 1 and 2 (the goose capture's shape).
    [_chunk({"content": "I'll run both"}), _chunk({"content": " commands."}),
     _chunk(_tool(1, "", "toolu_a", "shell")), _chunk(_tool(1, '{"cmd"')),
     _chunk(_tool(1, ': "ls"}')), _chunk(_tool(2, "", "toolu_b", "shell")),
     _chunk(_tool(2, '{"cmd": "pwd"}')),
     _chunk({"content": ""}, "tool_calls", FINAL_USAGE), "[DONE]"],
    # Signature-only reasoning (display omitted), redacted reasoning, then text.
    [_chunk(_reasoning("", "CAIS6wEK")),
     _chunk({"content": [{"type": "reasoning", "summary": [
         {"type": "summary_encrypted_text", "data": "opaque=="}]}]}),
     _chunk({"content": [{"type": "text", "text": "Hello"}]}), _chunk({"content": " world"}),
     _chunk({"content": ""}, "stop", FINAL_USAGE),
     _chunk({}, None, FINAL_USAGE, choices=False), "[DONE]"],
    # Two reasoning blocks around text, a length stop and no [DONE].
    [_chunk(_reasoning("think ")), _chunk(_reasoning("more")), _chunk(_reasoning("", "s1")),
     _chunk({"content": "answer"}), _chunk(_reasoning("again")), _chunk(_reasoning("", "s2")),
     _chunk({"content": " tail"}), _chunk({"content": ""}, "length", FINAL_USAGE)],
]


class Feed:
    """Feeds one stream into an accumulator and records every delta it handed out."""

    def __init__(self) -> None:
        self.acc = StreamAccumulator()
        self.deltas: list[Any] = []
        self.error: DatabricksClaudeError | None = None
        self.finishes = 0

    def run(self, items: list[Any], as_data: bool) -> None:
        """Feed items until the first typed error; any other exception fails the test.

        After an error (where the transport stops reading), `end()` and `snapshot()` must
        still work, and what was handed out (including the deltas a failing chunk applied,
        which travel with its error) must equal the snapshot.
        """
        for item in items:
            try:
                if as_data or item == "[DONE]":
                    out = self.acc.feed_data(item)
                else:
                    out = self.acc.feed_chunk(item)
            except DatabricksClaudeError as error:
                self.error = error
                self._take(list(getattr(error, "applied", ())))  # handed out by the transport
                break
            except Exception as error:
                raise AssertionError(
                    f"untyped {describe_error(error)} feeding {short_repr(item)}") from error
            self._take(out)
        try:
            last = self.acc.end()
            snapshot = self.acc.snapshot()
        except Exception as error:
            raise AssertionError(f"end()/snapshot() raised {describe_error(error)}") from error
        if self.error is None:
            self._take(last)
            self.check(snapshot)
            return
        # What a failing chunk applied came back with its error: the deltas still match.
        self.check(snapshot)

    def _take(self, out: Any) -> None:
        assert isinstance(out, list), out
        for delta in out:
            self._check_delta(delta)
            self.deltas.append(delta)

    def _check_delta(self, delta: Any) -> None:
        if isinstance(delta, TextDelta):
            assert isinstance(delta.text, str) and delta.text, delta
        elif isinstance(delta, ReasoningDelta):
            assert isinstance(delta.text, str) and isinstance(delta.part, int), delta
        elif isinstance(delta, SignatureDelta):
            assert isinstance(delta.signature, str) and isinstance(delta.part, int), delta
        elif isinstance(delta, RedactedReasoningDelta):
            assert isinstance(delta.data, str) and isinstance(delta.part, int), delta
        elif isinstance(delta, ToolCallStartDelta):
            assert isinstance(delta.id, str) and isinstance(delta.name, str), delta
            assert isinstance(delta.position, int), delta
        elif isinstance(delta, ToolCallArgsDelta):
            assert isinstance(delta.fragment, str) and isinstance(delta.position, int), delta
        else:
            assert isinstance(delta, FinishDelta), delta
            self.finishes += 1
            assert self.finishes == 1, "FinishDelta emitted twice"
            _check_completion(delta.completion)
            # The final completion holds exactly what was streamed before it.
            assert delta.completion.text == self._joined(TextDelta), "finish text != streamed"

    def _joined(self, kind: type) -> str:
        return "".join(d.text for d in self.deltas if isinstance(d, kind))

    def check(self, snapshot: Completion) -> None:
        """Nothing lost, nothing duplicated: the snapshot equals what the deltas handed out."""
        _check_completion(snapshot)
        assert snapshot.text == self._joined(TextDelta), (snapshot.text, self._joined(TextDelta))
        assert snapshot.reasoning_text == self._joined(ReasoningDelta)
        starts = [d for d in self.deltas if isinstance(d, ToolCallStartDelta)]
        calls = snapshot.tool_calls
        assert len(calls) == len(starts), (calls, starts)
        for start, call in zip(starts, calls, strict=True):
            # An id or name the start fragment lacked may be filled in by a later fragment.
            assert call.id == start.id or not start.id, (call, start)
            assert call.name == start.name or not start.name, (call, start)
            fragments = "".join(d.fragment for d in self.deltas
                                if isinstance(d, ToolCallArgsDelta)
                                and d.position == start.position)
            assert call.arguments == (fragments or "{}"), (call.arguments, fragments)
        redacted = [p for p in snapshot.parts if isinstance(p, RedactedReasoningPart)]
        assert len(redacted) == sum(isinstance(d, RedactedReasoningDelta) for d in self.deltas)
        if self.finishes:
            assert self.acc.complete


def _check_completion(completion: Completion) -> None:
    assert isinstance(completion, Completion)
    for part in completion.parts:
        if isinstance(part, TextPart):
            assert isinstance(part.text, str)
        elif isinstance(part, ReasoningPart):
            assert isinstance(part.text, str), part
            assert part.signature is None or isinstance(part.signature, str), part
        elif isinstance(part, RedactedReasoningPart):
            assert isinstance(part.data, str), part
        elif isinstance(part, ToolCallPart):
            assert all(isinstance(v, str) for v in (part.id, part.name, part.arguments)), part
        else:
            assert isinstance(part, UnknownPart), part
    assert completion.finish_reason is None or isinstance(completion.finish_reason, str), (
        completion.finish_reason)
    assert completion.id is None or isinstance(completion.id, str)
    assert completion.model is None or isinstance(completion.model, str)


def _run(items: list[Any], as_data: bool) -> Feed:
    count("stream accumulator: cases")
    count(f"stream accumulator: {'feed_data' if as_data else 'feed_chunk'} calls", len(items))
    feed = Feed()
    feed.run(items, as_data)
    if feed.error is not None:
        count("stream accumulator: typed errors")
        assert str(feed.error).strip(), describe_error(feed.error)
    return feed


def _as_data(items: list[Any]) -> list[str]:
    return [item if isinstance(item, str) else json.dumps(item) for item in items]


# ----------------------------------------------------------------------------------------------
# Mutations of whole streams


def _mutate_stream(rnd: random.Random, stream: list[Any], as_data: bool) -> list[Any]:
    """A real stream with chunks dropped, repeated, swapped, cut, corrupted or mutated."""
    items = copy.deepcopy(stream)
    for _ in range(rnd.randint(1, 3)):
        how = rnd.randrange(8)
        at = rnd.randrange(len(items)) if items else 0
        if not items:
            items.append(rand_json(rnd))
        elif how == 0:
            del items[at]
        elif how == 1:
            items.insert(at, copy.deepcopy(items[at]))
        elif how == 2:
            other = rnd.randrange(len(items))
            items[at], items[other] = items[other], items[at]
        elif how == 3:
            del items[at:]
        elif how == 4:
            items.insert(at, rand_json(rnd))
        elif how == 5 and isinstance(items[at], dict):
            items[at], _ = rand_mutate(rnd, items[at], times=2, oddities=not as_data)
        elif how == 6:
            items.insert(at, "[DONE]")
        else:
            # default=repr: a chunk fed as an object may hold values JSON cannot carry.
            text = items[at] if isinstance(items[at], str) else json.dumps(items[at],
                                                                           default=repr)
            cut = rnd.randrange(len(text) + 1)
            items[at] = text[:cut] + rnd.choice(("", "}", "\x00", "\ufffd", "]]")) + (
                text[cut + 1:] if rnd.random() < 0.5 else "")
    if as_data:
        return _as_data(items)
    return [json.loads(item) if isinstance(item, str) and item != "[DONE]" and _is_json(item)
            else item for item in items]


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@settings(SETTINGS, max_examples=examples(10_000))
@given(rnd=st.randoms(use_true_random=True))
def test_stream_accumulator_bulk(rnd: random.Random) -> None:
    """10,000 seeded streams: mutated real streams, random chunks, as text and as objects."""
    as_data = rnd.random() < 0.5
    if rnd.random() < 0.8:
        items = _mutate_stream(rnd, rnd.choice(SEED_STREAMS), as_data)
    else:
        items = [rand_json(rnd) for _ in range(rnd.randrange(1, 6))]
        if as_data:
            items = _as_data(items)
        elif rnd.random() < 0.3:
            items.append(rnd.choice(ODDITIES))
    _run(items, as_data)


@st.composite
def _structured_stream(draw: st.DrawFn) -> tuple[list[Any], bool]:
    stream = copy.deepcopy(draw(st.sampled_from(SEED_STREAMS)))
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(stream) - 1))
        if not isinstance(stream[position], dict):
            continue
        path = draw(st.sampled_from(paths(stream[position])))
        how = draw(st.sampled_from(["replace", "delete", "null", "retype", "duplicate", "wrap",
                                    "empty"]))
        replacement = draw(st.one_of(st.none(), st.integers(), st.text(max_size=3),
                                     st.lists(st.integers(), max_size=2)))
        stream[position] = mutate(stream[position], path, how, replacement, None)
    if draw(st.booleans()):
        stream = stream[: draw(st.integers(0, len(stream)))]
    as_data = draw(st.booleans())
    return (_as_data(stream) if as_data else stream), as_data


@settings(SETTINGS, max_examples=examples(1_000))
@given(case=_structured_stream())
def test_stream_accumulator_structured(case: tuple[list[Any], bool]) -> None:
    """Hypothesis-shrinkable cases: one to three node mutations of a real stream."""
    items, as_data = case
    _run(items, as_data)


# ----------------------------------------------------------------------------------------------
# Valid streams, kept apart from the hostile ones: each must be answered (no error), with exactly
# the deltas and the completion its chunks describe. A valid stream wrongly refused fails here.

_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=6)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_SIGNATURE = st.text(_B64, min_size=1, max_size=12)
_ARGUMENTS = st.dictionaries(st.text(max_size=4), st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=5),
    st.lists(st.integers(0, 9), max_size=2)), max_size=3)
_BLOCKS = ("text", "signed", "signature-only", "unsigned", "redacted", "unknown")
_REASONING = ("signed", "signature-only", "unsigned")


@dataclass
class _ValidStream:
    """A well-formed stream and what it says: the deltas before the finish and the completion."""

    chunks: list[Any] = field(default_factory=list)  # chunk objects, then "[DONE]" if sent
    mode: str = "chunks"  # "chunks" (feed_chunk), "data" (feed_data) or "sse" (framed lines)
    lines: list[str] = field(default_factory=list)  # the SSE lines, in "sse" mode
    wire: list[dict[str, Any]] = field(default_factory=list)  # the deltas, before chunking
    deltas: list[Any] = field(default_factory=list)
    parts: list[Any] = field(default_factory=list)
    reasoning_count: int = 0
    completion: Completion | None = None

    def part_number(self) -> int:
        number = self.reasoning_count
        self.reasoning_count += 1
        return number


def _summary(entry: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "reasoning", "summary": [entry]}]}


def _pieces(draw: st.DrawFn, text: str) -> list[str]:
    """`text` cut into non-empty fragments at drawn places."""
    if len(text) < 2:
        return [text] if text else []
    cuts = sorted(draw(st.sets(st.integers(1, len(text) - 1), max_size=4)))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def _text_block(draw: st.DrawFn, stream: _ValidStream) -> None:
    pieces = draw(st.lists(_TEXT, min_size=1, max_size=4))
    for piece in pieces:
        as_item = draw(st.booleans())
        stream.wire.append({"content": [{"type": "text", "text": piece}]} if as_item
                           else {"content": piece})
        stream.deltas.append(TextDelta(piece))
    if stream.parts and isinstance(stream.parts[-1], TextPart):  # adjacent text is one part
        stream.parts[-1] = TextPart(stream.parts[-1].text + "".join(pieces))
    else:
        stream.parts.append(TextPart("".join(pieces)))


def _reasoning_block(draw: st.DrawFn, stream: _ValidStream, kind: str) -> None:
    """Text fragments with `signature: ""` and then the signature alone
    (docs/wire-chat.md#stream-reasoning), the
    signature alone (display omitted), or text only (no signature key, or always "")."""
    number = stream.part_number()
    pieces = [] if kind == "signature-only" else draw(st.lists(_TEXT, min_size=1, max_size=4))
    signature: str | None = "" if kind != "unsigned" or draw(st.booleans()) else None
    for piece in pieces:
        entry = {"type": "summary_text", "text": piece}
        if signature is not None:
            entry["signature"] = ""
        stream.wire.append(_summary(entry))
        stream.deltas.append(ReasoningDelta(piece, number))
    if kind != "unsigned":
        signature = draw(_SIGNATURE)
        stream.wire.append(_summary({"type": "summary_text", "text": "", "signature": signature}))
        stream.deltas.append(SignatureDelta(signature, number))
    stream.parts.append(ReasoningPart("".join(pieces), signature))


def _fixed_block(draw: st.DrawFn, stream: _ValidStream, kind: str) -> None:
    if kind == "redacted":
        data = draw(st.text(_B64, min_size=1, max_size=16))
        stream.wire.append(_summary({"type": "summary_encrypted_text", "data": data}))
        stream.deltas.append(RedactedReasoningDelta(data, stream.part_number()))
        stream.parts.append(RedactedReasoningPart(data))
    else:  # a block type this version does not know is kept whole, without a delta
        block = {"type": "citation", "cited_text": draw(_TEXT)}
        stream.wire.append({"content": [block]})
        stream.parts.append(UnknownPart(block))


def _tool_calls(draw: st.DrawFn, stream: _ValidStream, first_index: int) -> None:
    """Tool calls keyed by Anthropic block index: a header (with `""` arguments or the first
    fragment), then argument fragments (sometimes an empty one, as the service sends)."""
    for position in range(draw(st.integers(0, 3))):
        index, call_id = first_index + position, f"toolu_{position}_{draw(st.text(_B64[:62]))}"
        name = "f" + draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789_", max_size=8))
        arguments = json.dumps(draw(_ARGUMENTS), ensure_ascii=draw(st.booleans()))
        pieces = [] if draw(st.integers(0, 5)) == 0 else _pieces(draw, arguments)
        in_header = bool(pieces) and draw(st.booleans())
        header = pieces.pop(0) if in_header else ""
        stream.wire.append({"content": None, "tool_calls": [
            {"index": index, "id": call_id, "type": "function",
             "function": {"name": name, "arguments": header}}]})
        stream.deltas.append(ToolCallStartDelta(position, index, call_id, name))
        if header:
            stream.deltas.append(ToolCallArgsDelta(position, index, header))
        if draw(st.booleans()):
            pieces.insert(0, "")
        for piece in pieces:
            stream.wire.append({"content": None, "tool_calls": [
                {"index": index, "function": {"arguments": piece}}]})
            if piece:
                stream.deltas.append(ToolCallArgsDelta(position, index, piece))
        stream.parts.append(ToolCallPart(call_id, name, (header + "".join(pieces)) or "{}"))


def _allowed_after(previous: str | None, kind: str) -> bool:
    """Two reasoning blocks in a row are two parts only when the first was signed and the
    second has text; otherwise they are one block on the wire (docs/wire-chat.md#stream-reasoning:
    the last non-empty
    signature wins), so the generator does not put them side by side."""
    if kind not in _REASONING or previous not in _REASONING:
        return True
    return previous != "unsigned" and kind != "signature-only"


@st.composite
def _valid_stream(draw: st.DrawFn) -> _ValidStream:
    stream = _ValidStream()
    previous: str | None = None
    for kind in draw(st.lists(st.sampled_from(_BLOCKS), max_size=6)):
        if not _allowed_after(previous, kind):
            continue
        if kind == "text":
            _text_block(draw, stream)
        elif kind in _REASONING:
            _reasoning_block(draw, stream, kind)
        else:
            _fixed_block(draw, stream, kind)
        previous = kind
    _tool_calls(draw, stream, len(stream.parts) + draw(st.integers(0, 1)))
    _chunk_up(draw, stream)
    return stream


def _chunk_up(draw: st.DrawFn, stream: _ValidStream) -> None:
    """Chunks in the real key order, usage on each (complete on the last), the finish reason on
    a last chunk of its own or on the last content chunk, maybe a usage-only chunk and [DONE]."""
    model = draw(st.sampled_from(["databricks-claude-sonnet-4-5", "m"]))
    message_id = f"msg_bdrk_{draw(st.text(_B64[:62], max_size=8))}"
    prompt, output = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**5))
    reasoning = draw(st.one_of(st.none(), st.integers(0, output)))
    with_usage = draw(st.booleans())
    final: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": output,
                             "total_tokens": prompt + output}
    if reasoning is not None:
        final["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    early = {"prompt_tokens": prompt, "completion_tokens": None, "total_tokens": None}
    reason = "tool_calls" if stream.parts and isinstance(stream.parts[-1], ToolCallPart) else (
        draw(st.sampled_from(["stop", "length"])))

    def body(delta: dict[str, Any] | None, finish: str | None, usage: Any) -> dict[str, Any]:
        item: dict[str, Any] = {"model": model}
        item["choices"] = [] if delta is None else [
            {"delta": {"role": "assistant", **delta}, "index": 0, "finish_reason": finish}]
        if with_usage:
            item["usage"] = usage
        item.update({"object": "chat.completion.chunk", "id": message_id, "created": 1})
        return item

    chunks = [body(delta, None, early) for delta in stream.wire]
    if chunks and draw(st.booleans()):
        chunks[-1] = body(stream.wire[-1], reason, final)
    else:
        chunks.append(body({"content": ""}, reason, final))
    if with_usage and draw(st.booleans()):
        chunks.append(body(None, None, final))
    stream.chunks = [*chunks, "[DONE]"] if draw(st.booleans()) else chunks
    stream.completion = Completion(
        list(stream.parts), reason,
        Usage(prompt, output, prompt + output, reasoning_tokens=reasoning) if with_usage
        else None, model, message_id)
    stream.mode = draw(st.sampled_from(["chunks", "data", "sse"]))
    if stream.mode == "sse":
        ending, blank = draw(st.sampled_from(["\n", "\r\n", ""])), draw(st.booleans())
        for item in stream.chunks:
            data = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
            stream.lines.append(f"data: {data}{ending}")
            if blank:  # without blank lines, events still split at "}" + "{" (or [DONE])
                stream.lines.append(ending)
        if blank and draw(st.booleans()):
            stream.lines.pop()  # no blank line after the last event


@settings(SETTINGS, max_examples=examples(1_000))
@given(stream=_valid_stream())
def test_valid_streams_are_answered_exactly(stream: _ValidStream) -> None:
    """A well-formed stream (text, signed, signature-only and unsigned reasoning, redacted and
    unknown blocks, tool calls with fragmented arguments, usage, finish): no error, and the
    deltas and the completion are exactly what its chunks say."""
    count("stream accumulator: valid streams")
    if stream.mode == "sse":
        items: list[Any] = list(iter_sse_data(stream.lines))
        expected = [c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)
                    for c in stream.chunks]
        assert items == expected, "the SSE decoder lost or merged events"
    elif stream.mode == "data":
        items = _as_data(stream.chunks)
    else:
        items = stream.chunks
    feed = _run(items, stream.mode != "chunks")
    assert feed.error is None, f"a valid stream was refused: {describe_error(feed.error)}"
    assert feed.finishes == 1 and feed.acc.complete
    *deltas, finish = feed.deltas
    assert deltas == stream.deltas
    assert isinstance(finish, FinishDelta) and finish.completion == stream.completion
    assert feed.acc.snapshot() == stream.completion
    assert feed.acc.has_output == bool(stream.parts)


def test_real_streams_reassemble_exactly() -> None:
    """The unmutated seed streams: complete, one FinishDelta, text equal to the streamed text."""
    expected = ["391", "I'll run both commands.", "Hello world", "answer tail"]
    for stream, text in zip(SEED_STREAMS, expected, strict=True):
        for as_data in (True, False):
            feed = _run(_as_data(stream) if as_data else stream, as_data)
            assert feed.error is None and feed.finishes == 1 and feed.acc.complete
            assert feed.acc.snapshot().text == text


def test_a_chunk_failing_half_way_hands_out_what_it_applied() -> None:
    """A valid text item then a malformed one in the same chunk: nothing lost or duplicated."""
    acc = StreamAccumulator()
    handed_out = acc.feed_chunk(_chunk({"content": "Hello "}))
    with pytest.raises(DatabricksClaudeError) as info:
        acc.feed_chunk(_chunk({"content": [{"type": "text", "text": "world"}, 5]}))
    # The deltas applied before the failure travel with the error, for the transport to hand out.
    handed_out += list(getattr(info.value, "applied", ()))
    assert acc.snapshot().text == "".join(d.text for d in handed_out) == "Hello world"


def test_very_deep_chunk_is_a_typed_error() -> None:
    """A chunk nested deeper than Python's recursion limit must not escape as RecursionError."""
    _run(["[" * 100_000 + "]" * 100_000], as_data=True)
    _run(['{"choices": ' + "[" * 50_000 + "]" * 50_000 + "}"], as_data=True)


# ----------------------------------------------------------------------------------------------
# SSE framing

sse_payload = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"),
                      min_size=1, max_size=20).filter(lambda s: s.strip() == s)
noise = st.sampled_from([": keep-alive", "event: message", "id: 7", "retry: 100", ":"])


@settings(SETTINGS, max_examples=examples(1_000))
@given(payloads=st.lists(sse_payload, max_size=6), ending=st.sampled_from(["\n", "\r\n", ""]),
       noise_lines=st.lists(noise, max_size=3))
def test_sse_framing_recovers_payloads(payloads: list[str], ending: str,
                                       noise_lines: list[str]) -> None:
    """SSE text with comments and other fields gives back exactly the data payloads."""
    count("sse framing: cases")
    lines: list[str] = []
    for payload in payloads:
        lines.extend(line + ending for line in noise_lines)
        lines.append(f"data: {payload}{ending}")
        lines.append(ending)
    assert list(iter_sse_data(lines)) == payloads


@settings(SETTINGS, max_examples=examples(1_000))
@given(lines=st.lists(st.text(max_size=12), max_size=8))
def test_sse_framing_never_raises(lines: list[str]) -> None:
    """Arbitrary lines: only strings come out, nothing raises."""
    count("sse framing: cases")
    assert all(isinstance(p, str) for p in iter_sse_data(lines))
