"""The state of one streamed call across attempts: the decoder, the retry budget, resumption.

Pure bookkeeping shared by the sync and async transports; the wire is reached only through its
codec (a fresh decoder per attempt, the prefill of a resumed attempt).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import replace

from databricks_claude._http import encode_payload
from databricks_claude._retry import RetryState
from databricks_claude.codecs import Codec, Request
from databricks_claude.errors import (
    APIConnectionError,
    DatabricksClaudeError,
    MalformedResponseError,
    StreamInterruptedError,
)
from databricks_claude.messages import (
    Completion,
    Delta,
    FinishDelta,
    ReasoningPart,
    RedactedReasoningPart,
    TextDelta,
    TextPart,
    ToolCallPart,
    Usage,
    add_usage,
)

__all__ = ["IncompleteStreamError", "StreamRun", "can_resume", "describe_partial"]


class IncompleteStreamError(APIConnectionError):
    """The stream ended (EOF) without a finish reason or `[DONE]`."""


def can_resume(partial: Completion, thinking: bool) -> bool:
    """A broken stream may be resumed by prefill only when it holds plain text: no reasoning,
    no tool call, and the request not thinking (`thinking`: what the request decided)."""
    # Prefill is not allowed when the request asks for reasoning.
    if thinking or not partial.text:
        return False
    return not any(isinstance(p, (ReasoningPart, RedactedReasoningPart, ToolCallPart))
                   for p in partial.parts)


def describe_partial(partial: Completion) -> str:
    """How much a broken stream had delivered, for the error message."""
    return (f"{len(partial.text)} characters of text, {len(partial.reasoning_text)} of reasoning "
            f"and {len(partial.tool_calls)} tool call(s)")


class StreamRun:
    """The state of one streamed call across attempts: accumulator, retry budget, resumption.

    Pure bookkeeping shared by the sync and async transports. After a resume, the text already
    delivered is sent back as an assistant prefill (trailing whitespace stripped, as the service
    requires) and the continuation is joined to it so that the caller sees one stream.
    """

    def __init__(self, codec: Codec, request: Request, retry: RetryState, *, resume: bool):
        self.codec = codec
        self.request = request
        self.retry = retry
        self.resume = resume
        self.accumulator = codec.decoder(request.decisions)
        self.body = encode_payload(request.payload)
        self._prefix = ""  # text delivered before the current attempt
        self._pending_ws = ""  # whitespace already delivered that the continuation may repeat
        self._dropped = 0  # characters of the continuation swallowed as repeats
        self._resumed = False
        self._text_parts: list[int] = []  # the current continuation's text part indices
        self._earlier_usage: Usage | None = None  # what interrupted attempts already consumed

    def feed(self, data: str) -> list[Delta]:
        """The deltas for one SSE data payload, joined to earlier attempts after a resume."""
        deltas = self.accumulator.feed_data(data)
        if self._resumed and deltas:
            return self._join(deltas)
        return deltas

    def applied(self, error: MalformedResponseError) -> list[Delta]:
        """The deltas a malformed chunk produced before failing (already in the snapshot)."""
        deltas = list(error.applied)
        return self._join(deltas) if self._resumed and deltas else deltas

    def feeder(self) -> Callable[[str], list[Delta]]:
        """`feed` for the current attempt: the accumulator's own method when nothing is joined
        (one call less per chunk on the hot path)."""
        return self.feed if self._resumed else self.accumulator.feed_data

    def end(self) -> list[Delta]:
        """The last deltas at EOF; IncompleteStreamError if the answer never finished."""
        deltas = self.accumulator.end()
        if not self.accumulator.complete:
            raise IncompleteStreamError(
                "the stream ended before the answer was complete (no finish_reason or [DONE])")
        return self._join(deltas) if self._resumed else deltas

    def partial(self) -> Completion:
        """Everything received so far, including text delivered before a resume."""
        snapshot = self.accumulator.snapshot()
        return self._merged(snapshot) if self._resumed else snapshot

    def _join(self, deltas: list[Delta]) -> list[Delta]:
        """Swallow repeated leading whitespace; number the continuation's parts as the merged
        completion has them (`_merged`: the text first, then the continuation's other parts);
        give the final completion the full text."""
        joined: list[Delta] = []
        for delta in deltas:
            if isinstance(delta, TextDelta):
                text = self._joined_text(delta)
                if text is None:
                    continue
                delta = text
            elif isinstance(delta, FinishDelta):
                delta = FinishDelta(self._merged(delta.completion))
            else:
                delta = replace(delta, part_index=self._merged_index(delta.part_index))
            joined.append(delta)
        return joined

    def _joined_text(self, delta: TextDelta) -> TextDelta | None:
        """A continuation's text delta as part of the merged text (part 0), None if nothing
        of it is left once repeated whitespace is swallowed."""
        parts = self._text_parts
        if not parts or parts[-1] < delta.part_index:
            parts.append(delta.part_index)  # text parts start in order
        if self._pending_ws:
            delta = self._swallow_repeat(delta)
            if not delta.text:
                return None
        return delta if delta.part_index == 0 else TextDelta(delta.text, 0)

    def _merged_index(self, part_index: int) -> int:
        """The index in the merged completion of a continuation's part other than text: after
        the one text part, the continuation's other parts in order."""
        return 1 + part_index - bisect_left(self._text_parts, part_index)

    def _swallow_repeat(self, delta: TextDelta) -> TextDelta:
        """Drop the start of `delta` that repeats whitespace the caller already received."""
        pending, text = self._pending_ws, delta.text
        same = 0
        while same < min(len(pending), len(text)) and pending[same] == text[same]:
            same += 1
        self._dropped += same
        self._pending_ws = pending[same:] if same == len(text) else ""
        return TextDelta(text[same:], delta.part_index)

    def _merged(self, continuation: Completion) -> Completion:
        """The continuation with its text replaced by everything delivered across attempts,
        and its usage added to what the interrupted attempts reported (they were billed too)."""
        text = self._prefix + continuation.text[self._dropped:]
        rest = [p for p in continuation.parts if not isinstance(p, TextPart)]
        usage = add_usage(self._earlier_usage, continuation.usage)
        return Completion([TextPart(text), *rest], continuation.finish_reason, usage,
                          continuation.model, continuation.id, continuation.decisions)

    def prepare_resume(self) -> None:
        """Start a continuation request with the delivered text as an assistant prefill."""
        partial = self.partial()
        delivered = partial.text
        self._earlier_usage = partial.usage
        prefill = delivered.rstrip()
        self._prefix, self._pending_ws = delivered, delivered[len(prefill):]
        self._dropped, self._resumed = 0, True
        self._text_parts = []
        payload = self.request.payload
        if prefill:
            payload = self.codec.with_prefill(payload, prefill)
        self.body = encode_payload(payload)
        self.accumulator = self.codec.decoder(self.request.decisions)

    def restart(self) -> None:
        """Start over after a failure before any output (nothing was delivered)."""
        self.accumulator = self.codec.decoder(self.request.decisions)

    def interrupted(self, error: DatabricksClaudeError) -> StreamInterruptedError:
        """The error raised when the stream cannot be continued after output was produced."""
        partial = self.partial()
        return StreamInterruptedError(
            f"the stream was interrupted after {describe_partial(partial)}: {error}",
            partial=partial, cause=error)
