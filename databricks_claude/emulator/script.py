"""What a test puts into the emulator (scripted replies) and reads back (recorded requests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScriptedToolCall:
    """One tool call the emulator should make: `arguments` is a dict or an exact JSON string."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class ScriptedReply:
    """The next answer the emulator gives, instead of its deterministic model.

    `reasoning=None` means "reason only when the request turns thinking on" (default text);
    a string forces a signed reasoning block with that text. `redacted=True` adds a redacted
    (`summary_encrypted_text`) block first. `chunk_size` splits streamed text and reasoning into
    deltas of that many characters (default: word by word). `finish_reason=None` derives it
    ("tool_calls" when there are tool calls, else "stop"). `delay` waits before answering.
    Scripted text is never cut to `max_tokens`. Scripted reasoning follows the request's
    reasoning display like the model's own: empty text (with a signature) on the models whose
    display defaults to omitted, unless the request asks for "summarized".
    """

    text: str = ""
    reasoning: str | None = None
    tool_calls: Sequence[ScriptedToolCall] = ()
    redacted: bool = False
    chunk_size: int | None = None
    finish_reason: str | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the emulator received; the Authorization value is redacted."""

    method: str
    path: str
    json: Any
    headers: dict[str, str]
    time: float
