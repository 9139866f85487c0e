"""A non-streaming chat completion body -> a `Completion`.

`message.content` is a string when there is no reasoning and a list of blocks when there is
(docs/wire-chat.md#content-blocks). Reasoning summary entries become `ReasoningPart`s
(`summary_text`) or `RedactedReasoningPart`s (`summary_encrypted_text`); block types this version
does not know are
kept verbatim as `UnknownPart`s so that replaying the message sends them back unchanged.

`parse_completion` accepts any JSON value and raises only `MalformedResponseError` for anything
that is not a chat completion, with a message saying what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from databricks_claude.blocks import arguments_text, content_parts
from databricks_claude.errors import MalformedResponseError
from databricks_claude.messages import (
    Completion,
    Part,
    ToolCallPart,
    Usage,
)

__all__ = ["parse_completion", "parse_tool_call", "parse_usage"]


def _count(value: Any) -> int | None:
    """A token count, or None when absent or not an integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def parse_usage(raw: Mapping[str, Any] | None) -> Usage | None:
    """Token counts from a `usage` object; None when there is none.

    `prompt_tokens` already includes cached tokens (docs/wire-chat.md#usage);
    `cache_read_input_tokens` and `cache_creation_input_tokens` are reported besides it.
    Non-integer counts are treated as absent.
    """
    if not isinstance(raw, Mapping):
        return None
    input_tokens = _count(raw.get("prompt_tokens")) or 0
    output_tokens = _count(raw.get("completion_tokens")) or 0
    total = _count(raw.get("total_tokens"))
    details = raw.get("completion_tokens_details")
    reasoning = _count(details.get("reasoning_tokens")) if isinstance(details, Mapping) else None
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total if total is not None else input_tokens + output_tokens,
        cache_read_tokens=_count(raw.get("cache_read_input_tokens")),
        cache_write_tokens=_count(raw.get("cache_creation_input_tokens")),
        reasoning_tokens=reasoning,
    )


def parse_tool_call(raw: Any) -> ToolCallPart:
    """One entry of `message.tool_calls` as a `ToolCallPart`."""
    if not isinstance(raw, dict) or not isinstance(raw.get("function"), dict):
        raise MalformedResponseError(f"tool call is not an object with a 'function': {raw!r:.200}")
    function = raw["function"]
    call_id, name = raw.get("id"), function.get("name")
    if not isinstance(call_id, str) or not isinstance(name, str):
        raise MalformedResponseError(f"tool call has no string id and name: {raw!r:.200}")
    return ToolCallPart(call_id, name, arguments_text(function.get("arguments")))


def _tool_calls(raw: Any) -> list[Part]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise MalformedResponseError(
            f"message tool_calls is a {type(raw).__name__}, expected a list")
    return [parse_tool_call(call) for call in raw]


def _first_choice(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise MalformedResponseError(
            f"response is a {type(body).__name__}, expected a chat completion object")
    choices = body.get("choices")
    if not isinstance(choices, list):
        keys = ", ".join(sorted(map(str, body))) or "none"
        raise MalformedResponseError(f"response has no 'choices' list (keys: {keys:.200})")
    if not choices:
        raise MalformedResponseError("response has an empty 'choices' list")
    choice = choices[0]
    if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
        raise MalformedResponseError("response choice has no 'message' object")
    return choice


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_completion(body: Any) -> Completion:
    """A chat completion body (parsed JSON) as a `Completion`.

    Parts come in the order the service sent them: reasoning and text blocks, then tool calls.
    Raises `MalformedResponseError` saying what was wrong for anything else.
    """
    choice = _first_choice(body)
    message = choice["message"]
    parts = content_parts(message.get("content"))
    parts.extend(_tool_calls(message.get("tool_calls")))
    return Completion(
        parts=parts,
        finish_reason=_optional_str(choice.get("finish_reason")),
        usage=parse_usage(body.get("usage")),
        model=_optional_str(body.get("model")),
        id=_optional_str(body.get("id")),
    )
