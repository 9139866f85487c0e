"""The neutral message model shared by the core and both adapters.

A conversation is a list of `Message`s; each has a role and ordered parts. A `Completion` is what
the service answered. Stream `Delta`s are what the accumulator emits while a stream is read.
These classes know nothing of the wire format (see `request`, `response`, `stream`) nor of any
framework (see the adapters).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]
CacheControl: TypeAlias = dict[str, Any]
EPHEMERAL: CacheControl = {"type": "ephemeral"}


@dataclass(slots=True)
class TextPart:
    """Plain text. `cache_control` marks a prompt-caching breakpoint after this part."""

    text: str
    cache_control: CacheControl | None = None


@dataclass(slots=True)
class ImagePart:
    """An image, as a `data:` URL (base64) or an `https://` URL."""

    url: str
    cache_control: CacheControl | None = None


@dataclass(slots=True)
class ReasoningPart:
    """Claude's reasoning (a `summary_text` entry); the opaque `signature` is replayed as is.

    `signature` is None when the service sent no signature key, "" when it sent an empty one.
    `joined` marks an entry that continues the reasoning block of the part before it (a block
    with several `summary` entries), so that a replay sends the block whole.
    """

    text: str
    signature: str | None = None
    cache_control: CacheControl | None = None
    joined: bool = field(default=False, compare=False)


@dataclass(slots=True)
class RedactedReasoningPart:
    """Encrypted reasoning (a `summary_encrypted_text` entry): opaque data, replayed as is.

    `joined`: as on `ReasoningPart`, the entry continues the reasoning block before it.
    """

    data: str
    joined: bool = field(default=False, compare=False)


@dataclass(slots=True)
class ToolCallPart:
    """A call the model asked for. `arguments` is the JSON text exactly as received."""

    id: str
    name: str
    arguments: str = "{}"

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; `{}` for empty text. Raises `ValueError` on invalid JSON."""
        if not self.arguments.strip():
            return {}
        value = json.loads(self.arguments)
        if not isinstance(value, dict):
            raise ValueError(
                f"tool call {self.id} arguments are not a JSON object: {self.arguments!r}")
        return value


@dataclass(slots=True)
class ToolResultPart:
    """The result of one tool call, answering `tool_call_id`."""

    tool_call_id: str
    content: str | list[TextPart | ImagePart]
    cache_control: CacheControl | None = None
    is_error: bool = False


def tool_result(
    tool_call_id: str,
    content: str | Sequence[str | TextPart | ImagePart],
    *,
    cache_control: CacheControl | None = None,
    is_error: bool = False,
) -> ToolResultPart:
    """The result of tool call `tool_call_id`, from a string or a list of parts (the one rule
    both adapters use, so that the same tool output is sent the same way).

    Parts are kept as given, never joined: several text parts are sent as several text blocks
    (the tool result the model reads is exactly those blocks), strings in the list become
    `TextPart`s. A list holding one uncached text part becomes that text (sent the same as its
    one block), and an empty list becomes "" (an empty result).
    """
    if isinstance(content, str):
        return ToolResultPart(tool_call_id, content, cache_control, is_error)
    parts = [TextPart(p) if isinstance(p, str) else p for p in content]
    if not parts:
        return ToolResultPart(tool_call_id, "", cache_control, is_error)
    if len(parts) == 1 and isinstance(parts[0], TextPart) and parts[0].cache_control is None:
        return ToolResultPart(tool_call_id, parts[0].text, cache_control, is_error)
    return ToolResultPart(tool_call_id, parts, cache_control, is_error)


@dataclass(slots=True)
class UnknownPart:
    """A content block of a type this version does not know, kept verbatim rather than dropped."""

    data: dict[str, Any]


Part: TypeAlias = (
    TextPart
    | ImagePart
    | ReasoningPart
    | RedactedReasoningPart
    | ToolCallPart
    | ToolResultPart
    | UnknownPart
)
ReasoningLike: TypeAlias = ReasoningPart | RedactedReasoningPart


@dataclass(slots=True)
class Message:
    """One turn of a conversation: a role and its ordered parts.

    A `tool` message holds exactly one `ToolResultPart`. An `assistant` message keeps its parts in
    the order the service sent them: reasoning first, then text, then tool calls.
    """

    role: Role
    parts: list[Part] = field(default_factory=list)

    @classmethod
    def system(cls, text: str) -> Message:
        """A system message with one text part."""
        return cls("system", [TextPart(text)])

    @classmethod
    def user(cls, text: str) -> Message:
        """A user message with one text part."""
        return cls("user", [TextPart(text)])

    @classmethod
    def assistant(cls, text: str) -> Message:
        """An assistant message with one text part."""
        return cls("assistant", [TextPart(text)])

    @classmethod
    def tool(cls, tool_call_id: str, content: str) -> Message:
        """A tool-result message answering `tool_call_id`."""
        return cls("tool", [ToolResultPart(tool_call_id, content)])

    @property
    def text(self) -> str:
        """All text parts joined."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        """The tool calls, in order."""
        return [p for p in self.parts if isinstance(p, ToolCallPart)]


@dataclass(slots=True)
class Usage:
    """Token counts. `input_tokens` includes cached tokens, as the service reports them.

    The cache counts are None when the service did not report them (streams never do).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None


def add_usage(first: Usage | None, second: Usage | None) -> Usage | None:
    """The sum of two usages (None counts as nothing; cache and reasoning counts stay None
    when neither side reported them)."""
    if first is None or second is None:
        return second if first is None else first

    def both(a: int | None, b: int | None) -> int | None:
        return None if a is None and b is None else (a or 0) + (b or 0)

    return Usage(first.input_tokens + second.input_tokens,
                 first.output_tokens + second.output_tokens,
                 first.total_tokens + second.total_tokens,
                 both(first.cache_read_tokens, second.cache_read_tokens),
                 both(first.cache_write_tokens, second.cache_write_tokens),
                 both(first.reasoning_tokens, second.reasoning_tokens))


FinishReason: TypeAlias = str  # "stop", "tool_calls", "length", "content_filter", ...


@dataclass(slots=True, frozen=True)
class Decisions:
    """What building a request decided, for everyone downstream to read instead of guessing.

    `thinking`: whether the request went out with reasoning on (after every model and history
    rule); `tool_choice`: the tool choice as sent (None: none sent); `warnings`: the adjustments
    made, each also emitted as a `DatabricksClaudeWarning`; `json_tool`: the tool a
    `response_format` was sent as (None: none), whose call is the answer's JSON text.
    """

    thinking: bool = False
    tool_choice: Any = None
    warnings: tuple[str, ...] = ()
    json_tool: str | None = None


@dataclass(slots=True)
class Completion:
    """What the service answered: parts in order, finish reason, usage, backing model and id.

    `decisions` is what the request that produced it decided (None for a completion parsed on
    its own); it takes no part in equality.
    """

    parts: list[Part] = field(default_factory=list)
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    model: str | None = None
    id: str | None = None
    decisions: Decisions | None = field(default=None, compare=False, repr=False)

    @property
    def text(self) -> str:
        """The answer text (all text parts joined)."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def reasoning_text(self) -> str:
        """All reasoning text joined (redacted reasoning contributes nothing)."""
        return "".join(p.text for p in self.parts if isinstance(p, ReasoningPart))

    @property
    def reasoning_parts(self) -> list[ReasoningLike]:
        """Reasoning and redacted reasoning parts, in order."""
        return [p for p in self.parts if isinstance(p, (ReasoningPart, RedactedReasoningPart))]

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        """The tool calls, in order."""
        return [p for p in self.parts if isinstance(p, ToolCallPart)]

    def to_message(self) -> Message:
        """This answer as an assistant message, ready to be replayed in the next request."""
        return Message("assistant", list(self.parts))


# ----------------------------------------------------------------------------------------------
# Stream deltas: emitted by `codecs.chat.stream.StreamAccumulator.feed_data`, consumed by the
# adapters. Every content delta carries `part_index`: the index, in the final `Completion.parts`,
# of the part it belongs to (so an adapter puts it in its block without folding the deltas
# again); -1 on a delta built by hand, and it takes no part in equality. The other numbers:
# `part` is the dense 0-based number of a reasoning part among the reasoning parts, `position`
# the dense 0-based order of a tool call within the answer, and `index` the wire's (Anthropic
# content-block) index of a tool call, which may start at 1 and skip.


@dataclass(slots=True)
class TextDelta:
    """A fragment of answer text."""

    text: str
    part_index: int = field(default=-1, compare=False)


@dataclass(slots=True)
class ReasoningDelta:
    """A fragment of reasoning text; `part` is the 0-based number of the part it extends."""

    text: str
    part: int
    part_index: int = field(default=-1, compare=False)


@dataclass(slots=True)
class SignatureDelta:
    """The signature of reasoning part `part` (its own delta, usually with empty text)."""

    signature: str
    part: int
    part_index: int = field(default=-1, compare=False)


@dataclass(slots=True)
class RedactedReasoningDelta:
    """A whole redacted reasoning block; `part` is its number among reasoning parts."""

    data: str
    part: int
    part_index: int = field(default=-1, compare=False)


@dataclass(slots=True)
class ToolCallStartDelta:
    """A tool call begins; its argument fragments follow as `ToolCallArgsDelta`s."""

    position: int
    index: int
    id: str
    name: str
    part_index: int = field(default=-1, compare=False)


@dataclass(slots=True)
class ToolCallArgsDelta:
    """A fragment of a tool call's JSON arguments."""

    position: int
    index: int
    fragment: str
    part_index: int = field(default=-1, compare=False)


@dataclass(slots=True)
class FinishDelta:
    """The stream finished. Emitted exactly once; carries the final completion and its usage."""

    completion: Completion


Delta: TypeAlias = (
    TextDelta
    | ReasoningDelta
    | SignatureDelta
    | RedactedReasoningDelta
    | ToolCallStartDelta
    | ToolCallArgsDelta
    | FinishDelta
)


# ----------------------------------------------------------------------------------------------
# Tools and options: what the adapters hand to the request builder.


@dataclass(slots=True, frozen=True)
class ToolSpec:
    """A function tool: name, description and JSON-schema parameters.

    Build it with `request.make_tool_spec`, which sanitizes the schema once so that request
    building never converts it again.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    cache_control: CacheControl | None = None


ToolChoice: TypeAlias = str | dict[str, Any] | bool | None
ThinkingSetting: TypeAlias = bool | int | dict[str, Any] | None


@dataclass(slots=True)
class RequestOptions:
    """Everything besides the messages that shapes one request. None means "not set".

    `thinking`: True (default budget), an int budget, or a dict passed through after validation.
    `effort`: for adaptive-only models ("low", "medium", "high", "xhigh", "max").
    `tool_choice`: "auto", "required"/"any", "none", a tool name, True (= required), or an
    OpenAI-style dict. `extra_body` is merged at the root of the payload.
    """

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: Sequence[str] | None = None
    thinking: ThinkingSetting = None
    effort: str | None = None
    tools: Sequence[ToolSpec] | None = None
    tool_choice: ToolChoice = None
    n: int | None = None
    extra_body: dict[str, Any] | None = None
