"""SSE lines -> data payloads -> typed deltas and, at any moment, the completion so far.

Pure and O(n): no I/O, one JSON parse per chunk, fragments kept in lists and joined only when
a snapshot is taken. The transport feeds it; sync and async share it.

Stream shapes handled (docs/wire-chat.md#stream-chunks): `delta.content` as a string (text)
or a list (reasoning, text items, unknown blocks); reasoning text fragments followed by the
signature in its own delta; signature-only reasoning (newer models); `summary_encrypted_text`
(redacted reasoning); tool calls keyed by the wire `index` (Anthropic's content-block index: may
start at 1 and skip); `usage` on every chunk, counted once (the last non-null value of each
count wins); `[DONE]`; usage-only chunks with `choices: []`.

Every content delta carries the `part_index` of its part in the completion (the index of its
slot), so that adapters place it without folding the deltas again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic_core import from_json as loads  # about twice as fast as json.loads

from databricks_claude.blocks import (
    REDACTED_ENTRY,
    TEXT_ENTRY,
    read_reasoning_entry,
    string_field,
)
from databricks_claude.codecs.chat.response import parse_usage
from databricks_claude.errors import MalformedResponseError
from databricks_claude.messages import (
    Completion,
    Decisions,
    Delta,
    FinishDelta,
    Part,
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
)
from databricks_claude.sse import DONE

__all__ = ["StreamAccumulator"]

# Each slot is one part of the completion; `at` is its index in `Completion.parts` (the
# `part_index` of its deltas).


class _ReasoningSlot:
    """One reasoning part being received: text fragments and its signature."""

    __slots__ = ("at", "chunks", "joined", "number", "signature")

    def __init__(self, number: int, at: int):
        self.number = number
        self.at = at
        self.chunks: list[str] = []
        self.signature: str | None = None
        self.joined = False  # a later summary entry of the same block (docs/wire-chat.md)

    def build(self) -> ReasoningPart:
        return ReasoningPart("".join(self.chunks), self.signature, joined=self.joined)


class _TextSlot:
    """One text part being received."""

    __slots__ = ("at", "chunks")

    def __init__(self, at: int) -> None:
        self.at = at
        self.chunks: list[str] = []

    def build(self) -> TextPart:
        return TextPart("".join(self.chunks))


class _ToolSlot:
    """One tool call being received: id, name and argument fragments."""

    __slots__ = ("at", "chunks", "id", "index", "name", "position")

    def __init__(self, position: int, index: int, call_id: str, name: str, at: int):
        self.position = position
        self.at = at
        self.index = index
        self.id = call_id
        self.name = name
        self.chunks: list[str] = []

    def build(self) -> ToolCallPart:
        # A call whose arguments never came has none: "{}" is what the service sends for those.
        return ToolCallPart(self.id, self.name, "".join(self.chunks) or "{}")


class _FixedSlot:
    """A part that arrives whole (redacted reasoning, unknown blocks)."""

    __slots__ = ("part",)

    def __init__(self, part: Part):
        self.part = part

    def build(self) -> Part:
        return self.part


_Slot = _ReasoningSlot | _TextSlot | _ToolSlot | _FixedSlot


class StreamAccumulator:
    """Turns stream chunks into deltas and keeps everything needed for `snapshot()`.

    Parts are kept in the order they started. `complete` is True once a `finish_reason` or
    `[DONE]` was seen; `has_output` once any text, reasoning or tool call arrived. `FinishDelta`
    is emitted exactly once, with the chunk that carries the finish reason.
    """

    def __init__(self, decisions: Decisions | None = None) -> None:
        self.decisions = decisions  # what the request decided: carried by every completion
        self.complete = False
        self.has_output = False
        self.finish_reason: str | None = None
        self.model: str | None = None
        self.id: str | None = None
        self._slots: list[_Slot] = []
        self._text: _TextSlot | None = None  # the text part that text deltas extend
        self._reasoning: _ReasoningSlot | None = None  # the reasoning part fragments extend
        self._reasoning_count = 0
        self._tools: list[_ToolSlot] = []
        self._tools_by_index: dict[int, _ToolSlot] = {}
        self._usage: dict[str, Any] | None = None
        self._finish_emitted = False
        self._chunks_seen = 0

    # -- input ---------------------------------------------------------------------------------

    def feed_data(self, data: str) -> list[Delta]:
        """One SSE data payload: a JSON chunk, or `[DONE]` which marks the stream complete."""
        self._chunks_seen += 1
        if data == DONE or (len(data) < 16 and data.strip() == DONE):
            return self._done()
        try:
            chunk = loads(data)
        except (ValueError, RecursionError) as exc:  # RecursionError: hostile deep nesting
            raise MalformedResponseError(
                f"stream chunk #{self._chunks_seen} is not valid JSON ({exc}): {data[:200]!r}"
            ) from exc
        return self.feed_chunk(chunk)

    def feed_chunk(self, chunk: Mapping[str, Any]) -> list[Delta]:
        """One parsed chunk; returns the deltas it carried (possibly none)."""
        if type(chunk) is not dict and not isinstance(chunk, Mapping):
            kind = type(chunk).__name__
            raise MalformedResponseError(
                f"stream chunk #{self._chunks_seen} is a {kind}, expected an object")
        deltas: list[Delta] = []
        try:
            self._feed(chunk, deltas)
        except MalformedResponseError as exc:
            exc.applied = deltas
            raise
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            error = MalformedResponseError(
                f"stream chunk #{self._chunks_seen} is not a chat completion chunk: {exc}")
            error.applied = deltas
            raise error from exc
        return deltas

    def end(self) -> list[Delta]:
        """Call at end of input: the `FinishDelta` if the stream finished but it was not emitted.

        Never raises; check `complete` to know whether the stream finished properly.
        """
        if self.complete and not self._finish_emitted:
            return [self._finish()]
        return []

    # -- output --------------------------------------------------------------------------------

    def snapshot(self) -> Completion:
        """The completion so far: parts in the order they started, usage, finish reason."""
        return Completion(
            parts=[slot.build() for slot in self._slots],
            finish_reason=self.finish_reason,
            usage=parse_usage(self._usage),
            model=self.model,
            id=self.id,
            decisions=self.decisions,
        )

    # -- chunk handling ------------------------------------------------------------------------

    def _feed(self, chunk: Mapping[str, Any], deltas: list[Delta]) -> None:
        usage = chunk.get("usage")
        if usage:
            self._merge_usage(usage)
        if self.id is None:
            self._take_ids(chunk)
        choices = chunk.get("choices")
        if not choices:
            if choices is None and ("error" in chunk or "error_code" in chunk):
                raise MalformedResponseError(f"the stream carried an error: {dict(chunk)!r:.300}")
            return
        choice = choices[0]
        delta = choice.get("delta")
        if delta:
            content = delta.get("content")
            if content:
                if type(content) is str:
                    self._on_text(content, deltas)
                else:
                    self._on_content_list(content, deltas)
            tool_calls = delta.get("tool_calls")
            if tool_calls:
                for fragment in tool_calls:
                    self._on_tool_fragment(fragment, deltas)
        finish_reason = choice.get("finish_reason")
        if finish_reason and not self._finish_emitted:
            # Completion.finish_reason is a string; a malformed value is kept as its text.
            self.finish_reason = finish_reason if type(finish_reason) is str else str(
                finish_reason)
            self.complete = True
            deltas.append(self._finish())

    def _take_ids(self, chunk: Mapping[str, Any]) -> None:
        chunk_id, model = chunk.get("id"), chunk.get("model")
        self.id = chunk_id if isinstance(chunk_id, str) else None
        self.model = model if isinstance(model, str) else self.model

    def _merge_usage(self, usage: Mapping[str, Any]) -> None:
        # Counts are null until the last chunk: keep the last non-null value of each.
        if self._usage is None:
            self._usage = {}
        merged = self._usage
        for key, value in usage.items():
            if value is not None:
                merged[key] = value

    def _done(self) -> list[Delta]:
        self.complete = True
        if self._finish_emitted:
            return []
        return [self._finish()]

    def _finish(self) -> FinishDelta:
        self._finish_emitted = True
        return FinishDelta(self.snapshot())

    # -- content -------------------------------------------------------------------------------

    def _on_text(self, text: str, deltas: list[Delta]) -> None:
        slot = self._text
        if slot is None:
            slot = self._text = _TextSlot(len(self._slots))
            self._slots.append(slot)
            self._reasoning = None
            self.has_output = True
        slot.chunks.append(text)
        deltas.append(TextDelta(text, slot.at))

    def _on_content_list(self, items: list[Any], deltas: list[Delta]) -> None:
        for item in items:
            kind = item.get("type")
            if kind == "reasoning":
                # Entries after the first of one block continue it: replayed in that block.
                for position, entry in enumerate(item.get("summary") or ()):
                    self._on_summary_entry(entry, deltas, position > 0)
            elif kind == "text":
                text = string_field(item.get("text"), "text item")
                if text:
                    self._on_text(text, deltas)
            else:
                self._add_fixed(UnknownPart(item))

    def _on_summary_entry(self, entry: Mapping[str, Any], deltas: list[Delta],
                          joined: bool = False) -> None:
        kind, value, signature = read_reasoning_entry(entry)  # the one reader of summary entries
        if kind == TEXT_ENTRY:
            if joined:
                self._start_reasoning().joined = True
            self._on_reasoning(value, signature, deltas)
        elif kind == REDACTED_ENTRY:
            number, at = self._next_reasoning_number(), len(self._slots)
            self._add_fixed(RedactedReasoningPart(value, joined=joined))
            deltas.append(RedactedReasoningDelta(value, number, at))
        else:
            self._add_fixed(UnknownPart({"type": "reasoning", "summary": [entry]}))

    def _on_reasoning(self, text: str, signature: str | None, deltas: list[Delta]) -> None:
        slot = self._reasoning
        if slot is None or (text and slot.signature):
            if not text and not signature:
                return  # an empty fragment starts nothing
            slot = self._start_reasoning()
        if text:
            slot.chunks.append(text)
            deltas.append(ReasoningDelta(text, slot.number, slot.at))
        if signature:
            slot.signature = signature
            deltas.append(SignatureDelta(signature, slot.number, slot.at))
        elif signature is not None and slot.signature is None:
            slot.signature = ""

    def _start_reasoning(self) -> _ReasoningSlot:
        slot = self._reasoning = _ReasoningSlot(self._next_reasoning_number(), len(self._slots))
        self._slots.append(slot)
        self._text = None
        self.has_output = True
        return slot

    def _next_reasoning_number(self) -> int:
        number = self._reasoning_count
        self._reasoning_count += 1
        return number

    def _add_fixed(self, part: Part) -> None:
        self._slots.append(_FixedSlot(part))
        self._text = None
        self._reasoning = None
        self.has_output = True

    # -- tool calls ----------------------------------------------------------------------------

    def _on_tool_fragment(self, fragment: Mapping[str, Any], deltas: list[Delta]) -> None:
        index = fragment.get("index")
        call_id = fragment.get("id")
        function = fragment.get("function") or {}
        if index is not None and type(index) is not int:
            raise MalformedResponseError(
                f"tool call index is a {type(index).__name__}, expected an integer")
        if call_id is not None:
            call_id = string_field(call_id, "tool call id")
        if function.get("name") is not None:
            string_field(function["name"], "tool call name")
        if index is None:
            slot = self._tools[-1] if self._tools else None
        else:
            slot = self._tools_by_index.get(index)
        if slot is None or (call_id and slot.id and call_id != slot.id):
            slot = self._start_tool(index, call_id, function.get("name"), deltas)
        else:
            if call_id and not slot.id:
                slot.id = call_id
            if function.get("name") and not slot.name:
                slot.name = function["name"]
        arguments = function.get("arguments")
        if arguments:
            if type(arguments) is not str:
                arguments = json.dumps(arguments, ensure_ascii=False)
            slot.chunks.append(arguments)
            deltas.append(ToolCallArgsDelta(slot.position, slot.index, arguments, slot.at))

    def _start_tool(self, index: int | None, call_id: str | None, name: str | None,
                    deltas: list[Delta]) -> _ToolSlot:
        position = len(self._tools)
        wire_index = index if index is not None else position
        slot = _ToolSlot(position, wire_index, call_id or "", name or "", len(self._slots))
        self._tools.append(slot)
        self._tools_by_index[wire_index] = slot
        self._slots.append(slot)
        self._text = None
        self._reasoning = None
        self.has_output = True
        deltas.append(ToolCallStartDelta(position, wire_index, slot.id, slot.name, slot.at))
        return slot
