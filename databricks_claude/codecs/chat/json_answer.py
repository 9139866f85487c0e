"""The stream decoder of a request whose `response_format` went out as a tool.

The call of that tool is the answer (`rules.output_format.answer_from_json_tool`). Whether the
model calls it is only known at the end, and text streamed before the call is not part of the
answer, so the answer's text and tool-call deltas are held back and given, from the converted
completion, with the finish; reasoning streams as it comes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.messages import (
    Completion,
    Decisions,
    Delta,
    FinishDelta,
    TextDelta,
    TextPart,
    ToolCallArgsDelta,
    ToolCallPart,
    ToolCallStartDelta,
)
from databricks_claude.rules.output_format import answer_from_json_tool

__all__ = ["JsonAnswerAccumulator"]

_HELD = (TextDelta, ToolCallStartDelta, ToolCallArgsDelta)


class JsonAnswerAccumulator(StreamAccumulator):
    """A `StreamAccumulator` whose completions have the tool's call as their answer text."""

    def __init__(self, decisions: Decisions, name: str) -> None:
        self._delivered = False
        super().__init__(decisions)
        self._name = name

    @property
    def has_output(self) -> bool:
        """Whether a delta was given out: held text is not output, so a failed stream that
        gave out nothing restarts instead of resuming from text the caller never saw."""
        return self._delivered

    @has_output.setter
    def has_output(self, value: bool) -> None:
        """Ignored: the base class marks what it received, this class what it gave out."""

    def feed_chunk(self, chunk: Mapping[str, Any]) -> list[Delta]:
        """One parsed chunk; text and tool-call deltas wait for the finish."""
        return self._given(_release(super().feed_chunk(chunk)))

    def end(self) -> list[Delta]:
        """The finish, with the answer's deltas, if the stream finished without one."""
        return self._given(_release(super().end()))

    def _given(self, deltas: list[Delta]) -> list[Delta]:
        if deltas:
            self._delivered = True
        return deltas

    def snapshot(self) -> Completion:
        """The completion so far, with the tool's call as the answer text."""
        return answer_from_json_tool(super().snapshot(), self._name)


def _release(deltas: list[Delta]) -> list[Delta]:
    """`deltas` without the held kinds; before a finish, the answer's deltas from its parts."""
    out: list[Delta] = []
    for delta in deltas:
        if isinstance(delta, FinishDelta):
            out.extend(_answer_deltas(delta.completion))
            out.append(delta)
        elif not isinstance(delta, _HELD):
            out.append(delta)
    return out


def _answer_deltas(completion: Completion) -> list[Delta]:
    """The text and tool-call deltas that build the answer's parts."""
    deltas: list[Delta] = []
    position = 0
    for at, part in enumerate(completion.parts):
        if isinstance(part, TextPart) and part.text:
            deltas.append(TextDelta(part.text, at))
        elif isinstance(part, ToolCallPart):
            deltas.append(ToolCallStartDelta(position, position, part.id, part.name, at))
            if part.arguments:
                deltas.append(ToolCallArgsDelta(position, position, part.arguments, at))
            position += 1
    return deltas
