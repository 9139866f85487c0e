"""The emulator's answer to one request, before it is rendered as JSON or as a stream."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReasoningBlock:
    """A reasoning block: signed text, or opaque redacted data (`data` set, `text` None)."""

    text: str | None = None
    signature: str | None = None
    data: str | None = None


@dataclass(frozen=True)
class ToolCall:
    """A tool call with its arguments as the exact JSON string sent."""

    id: str
    name: str
    arguments: str


@dataclass
class Reply:
    """Everything the renderers need to answer a request."""

    id: str
    model: str
    created: int
    text: str = ""
    reasoning: list[ReasoningBlock] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache: tuple[int, int] | None = None  # (read, creation), set when the request used caching
    chunk_size: int | None = None
    delay: float = 0.0


def count_tokens(text: str) -> int:
    """A deterministic token estimate: about four characters per token."""
    return (len(text) + 3) // 4


def completion_tokens(reply: Reply) -> int:
    """The output token count of a reply: its text, reasoning and tool calls."""
    tokens = count_tokens(reply.text)
    for block in reply.reasoning:
        tokens += count_tokens(block.text) if block.text is not None else 32
    for call in reply.tool_calls:
        tokens += 8 + count_tokens(call.name) + count_tokens(call.arguments)
    return tokens


def short_id(prefix: str, seed: str) -> str:
    """An Anthropic-looking id (`msg_bdrk_01…`, `toolu_bdrk_01…`) derived from a seed."""
    encoded = base64.b64encode(hashlib.sha256(seed.encode("utf-8")).digest(), b"xZ")
    return prefix + encoded[:22].decode("ascii")
