"""Messages-route stream events -> typed deltas and, at any moment, the completion so far.

Anthropic streams name every event in its JSON `type` (the SSE `event:` line repeats it, so the
framing ignores it): `message_start` (id, model, input usage), `content_block_start` /
`content_block_delta` / `content_block_stop` per block (`text_delta`, `thinking_delta`,
`signature_delta`, `input_json_delta`; others ignored), `message_delta` (stop reason and the
cumulative usage), `message_stop`, `ping`, and `error`. Each block is one part, placed at the
position its `content_block_start` gave it, so `part_index` is known without a second fold.
Usage arrives in `message_start` and cumulatively in `message_delta`: the last value of each
count wins, so it is counted once. Unknown events and block types never break a stream.
Pure and O(n), like the chat decoder. Wire facts: docs/wire-messages.md#stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_core import from_json as loads  # about twice as fast as json.loads

from databricks_claude.blocks import string_field
from databricks_claude.codecs.messages.response import block_part, finish_reason, parse_usage
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
)

__all__ = ["EventAccumulator"]


class _Block:
    """One content block being received: its kind, its fragments and what it started with."""

    __slots__ = ("at", "chunks", "first", "kind", "number", "signature")

    def __init__(self, kind: str, at: int, first: Part, number: int) -> None:
        self.kind = kind  # "text", "thinking", "tool_use", or "fixed" (arrives whole)
        self.at = at
        self.first = first
        self.number = number  # reasoning: its number among reasoning parts; tools: position
        self.chunks: list[str] = []
        self.signature: str | None = None

    def build(self) -> Part:
        first = self.first
        if self.kind == "text":
            return TextPart(first.text + "".join(self.chunks))  # type: ignore[union-attr]
        if self.kind == "thinking":
            signature = self.signature if self.signature is not None else first.signature  # type: ignore[union-attr]
            return ReasoningPart(first.text + "".join(self.chunks), signature)  # type: ignore[union-attr]
        if self.kind == "tool_use":
            # The arguments are the streamed JSON; none streamed means the start's input.
            arguments = "".join(self.chunks) or first.arguments  # type: ignore[union-attr]
            return ToolCallPart(first.id, first.name, arguments)  # type: ignore[union-attr]
        return first


class EventAccumulator:
    """Folds Messages-route events; `complete` once the message stopped (or gave its stop
    reason), `has_output` once text, reasoning or a tool call arrived."""

    def __init__(self, decisions: Decisions | None = None) -> None:
        self.decisions = decisions
        self.complete = False
        self.has_output = False
        self.finish_reason: str | None = None
        self.model: str | None = None
        self.id: str | None = None
        self._blocks: list[_Block] = []
        self._by_index: dict[int, _Block] = {}
        self._reasoning_count = 0
        self._tool_count = 0
        self._usage: dict[str, Any] = {}
        self._finish_emitted = False
        self._events_seen = 0

    # -- input ---------------------------------------------------------------------------------

    def feed_data(self, data: str) -> list[Delta]:
        """One SSE data payload (one event)."""
        self._events_seen += 1
        try:
            event = loads(data)
        except (ValueError, RecursionError) as exc:
            raise MalformedResponseError(
                f"stream event #{self._events_seen} is not valid JSON ({exc}): {data[:200]!r}"
            ) from exc
        deltas: list[Delta] = []
        try:
            self._feed(event, deltas)
        except MalformedResponseError as exc:
            exc.applied = deltas
            raise
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            error = MalformedResponseError(
                f"stream event #{self._events_seen} is not a Messages event: {exc}")
            error.applied = deltas
            raise error from exc
        return deltas

    def end(self) -> list[Delta]:
        """At end of input: the `FinishDelta` if the message stopped but it was not emitted."""
        if self.complete and not self._finish_emitted:
            return [self._finish()]
        return []

    def snapshot(self) -> Completion:
        """Everything received so far, parts in block order."""
        return Completion(parts=[block.build() for block in self._blocks],
                          finish_reason=self.finish_reason,
                          usage=parse_usage(self._usage) if self._usage else None,
                          model=self.model, id=self.id, decisions=self.decisions)

    # -- events --------------------------------------------------------------------------------

    def _feed(self, event: Any, deltas: list[Delta]) -> None:
        if not isinstance(event, Mapping):
            raise MalformedResponseError(
                f"stream event #{self._events_seen} is a {type(event).__name__}, expected an "
                "object")
        kind = event.get("type")
        if kind == "content_block_delta":
            self._on_delta(event["index"], event["delta"], deltas)
        elif kind == "content_block_start":
            self._on_start(event["index"], event["content_block"], deltas)
        elif kind == "message_start":
            self._on_message_start(event.get("message") or {})
        elif kind == "message_delta":
            self._on_message_delta(event)
        elif kind == "message_stop":
            self.complete = True
            if not self._finish_emitted:
                deltas.append(self._finish())
        elif kind == "error":
            raise MalformedResponseError(
                f"the stream carried an error: {dict(event.get('error') or {})!r:.300}")
        # ping, content_block_stop and unknown events carry nothing to fold

    def _on_message_start(self, message: Mapping[str, Any]) -> None:
        model, message_id = message.get("model"), message.get("id")
        self.model = model if isinstance(model, str) else self.model
        self.id = message_id if isinstance(message_id, str) else self.id
        self._merge_usage(message.get("usage"))

    def _on_message_delta(self, event: Mapping[str, Any]) -> None:
        self._merge_usage(event.get("usage"))
        reason = (event.get("delta") or {}).get("stop_reason")
        if reason is not None:
            self.finish_reason = finish_reason(reason)
            self.complete = True

    def _merge_usage(self, usage: Any) -> None:
        if isinstance(usage, Mapping):
            self._usage.update((k, v) for k, v in usage.items() if v is not None)

    def _finish(self) -> FinishDelta:
        self._finish_emitted = True
        return FinishDelta(self.snapshot())

    # -- blocks --------------------------------------------------------------------------------

    def _on_start(self, index: Any, block: Any, deltas: list[Delta]) -> None:
        if type(index) is not int:
            raise MalformedResponseError(f"content block index is a {type(index).__name__}, "
                                         "expected an integer")
        part = block_part(block)
        at = len(self._blocks)
        kind = block.get("type") if isinstance(part, (TextPart, ReasoningPart, ToolCallPart)) \
            else "fixed"
        number = -1
        if isinstance(part, (ReasoningPart, RedactedReasoningPart)):
            number, self._reasoning_count = self._reasoning_count, self._reasoning_count + 1
        elif isinstance(part, ToolCallPart):
            number, self._tool_count = self._tool_count, self._tool_count + 1
        slot = _Block(kind, at, part, number)
        self._blocks.append(slot)
        self._by_index[index] = slot
        self._announce(slot, index, deltas)

    def _announce(self, slot: _Block, index: int, deltas: list[Delta]) -> None:
        """The deltas a block's start carries (a tool call's start, text already present)."""
        part = slot.first
        if isinstance(part, ToolCallPart):
            self.has_output = True
            deltas.append(ToolCallStartDelta(slot.number, index, part.id, part.name, slot.at))
        elif isinstance(part, RedactedReasoningPart):
            self.has_output = True
            deltas.append(RedactedReasoningDelta(part.data, slot.number, slot.at))
        elif isinstance(part, TextPart) and part.text:
            self.has_output = True
            deltas.append(TextDelta(part.text, slot.at))
        elif isinstance(part, ReasoningPart) and part.text:
            self.has_output = True
            deltas.append(ReasoningDelta(part.text, slot.number, slot.at))

    def _on_delta(self, index: Any, delta: Mapping[str, Any], deltas: list[Delta]) -> None:
        slot = self._by_index.get(index)
        if slot is None:
            raise MalformedResponseError(f"a delta for content block {index!r}, which never "
                                         "started")
        kind = delta.get("type")
        if kind == "text_delta" and slot.kind == "text":
            text = string_field(delta.get("text"), "text_delta")
            if text:
                self.has_output = True
                slot.chunks.append(text)
                deltas.append(TextDelta(text, slot.at))
        elif kind == "thinking_delta" and slot.kind == "thinking":
            text = string_field(delta.get("thinking"), "thinking_delta")
            if text:
                self.has_output = True
                slot.chunks.append(text)
                deltas.append(ReasoningDelta(text, slot.number, slot.at))
        elif kind == "signature_delta" and slot.kind == "thinking":
            signature = string_field(delta.get("signature"), "signature_delta")
            slot.signature = signature
            self.has_output = True
            deltas.append(SignatureDelta(signature, slot.number, slot.at))
        elif kind == "input_json_delta" and slot.kind == "tool_use":
            fragment = string_field(delta.get("partial_json"), "input_json_delta")
            if fragment:
                slot.chunks.append(fragment)
                deltas.append(ToolCallArgsDelta(slot.number, index, fragment, slot.at))
        # citations_delta and deltas of unknown types: nothing to fold yet
