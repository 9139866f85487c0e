"""A Messages-route answer (an Anthropic `message` object) -> a `Completion`.

Content blocks become parts in order: `text`, `thinking` (with its signature),
`redacted_thinking`, `tool_use` (its `input` as JSON text); any other block (server tools,
future types) is kept verbatim as an `UnknownPart` for exact replay. `stop_reason` is mapped to
the finish reasons the chat route uses, so everything above the codec reads one vocabulary.
Usage: Anthropic's `input_tokens` excludes cached tokens, the neutral count includes them.
Wire facts: docs/wire-messages.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from databricks_claude.blocks import string_field
from databricks_claude.errors import MalformedResponseError
from databricks_claude.messages import (
    Completion,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    ToolCallPart,
    UnknownPart,
    Usage,
)

__all__ = ["FINISH_REASONS", "block_part", "finish_reason", "parse_message", "parse_usage"]

#: Anthropic `stop_reason` -> the neutral finish reason (unknown ones pass through as is).
FINISH_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "tool_calls",
                  "max_tokens": "length", "refusal": "content_filter",
                  "model_context_window_exceeded": "length"}


def finish_reason(stop_reason: Any) -> str | None:
    """The neutral finish reason of a `stop_reason` (`pause_turn` and others kept as given)."""
    if stop_reason is None:
        return None
    text = stop_reason if isinstance(stop_reason, str) else str(stop_reason)
    return FINISH_REASONS.get(text, text)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_usage(raw: Mapping[str, Any] | None) -> Usage | None:
    """Token counts from an Anthropic `usage` object; None when there is none."""
    if not isinstance(raw, Mapping):
        return None
    read = _count(raw.get("cache_read_input_tokens"))
    write = _count(raw.get("cache_creation_input_tokens"))
    input_tokens = (_count(raw.get("input_tokens")) or 0) + (read or 0) + (write or 0)
    output_tokens = _count(raw.get("output_tokens")) or 0
    return Usage(input_tokens=input_tokens, output_tokens=output_tokens,
                 total_tokens=input_tokens + output_tokens,
                 cache_read_tokens=read, cache_write_tokens=write)


def block_part(block: Any) -> Part:
    """One content block as a part (raises `MalformedResponseError` on a broken known block)."""
    if not isinstance(block, Mapping):
        raise MalformedResponseError(f"a content block is a {type(block).__name__}, expected "
                                     "an object")
    kind = block.get("type")
    if kind == "text":  # citations are not kept yet: the text is
        return TextPart(string_field(block.get("text"), "text block"))
    if kind == "thinking":
        signature = block.get("signature")
        return ReasoningPart(string_field(block.get("thinking", ""), "thinking block"),
                             None if signature is None else string_field(signature, "signature"))
    if kind == "redacted_thinking":
        return RedactedReasoningPart(string_field(block.get("data"), "redacted_thinking data"))
    if kind == "tool_use":
        arguments = block.get("input")
        return ToolCallPart(string_field(block.get("id"), "tool_use id"),
                            string_field(block.get("name"), "tool_use name"),
                            json.dumps(arguments if arguments is not None else {},
                                       ensure_ascii=False))
    return UnknownPart(dict(block))


def parse_message(data: Any) -> Completion:
    """A parsed answer body; raises `MalformedResponseError` for anything that is not one."""
    if not isinstance(data, Mapping) or not isinstance(data.get("content"), list):
        raise MalformedResponseError(
            f"the answer is not an Anthropic message (no content list): {str(data)[:200]!r}")
    model, message_id = data.get("model"), data.get("id")
    return Completion(parts=[block_part(block) for block in data["content"]],
                      finish_reason=finish_reason(data.get("stop_reason")),
                      usage=parse_usage(data.get("usage")),
                      model=model if isinstance(model, str) else None,
                      id=message_id if isinstance(message_id, str) else None)
