"""Earlier answers (`AIMessage`s) replayed as the assistant turns the service produced.

Order: reasoning parts, then the text with any unknown blocks back where they were, then the
tool calls with their argument JSON as received (see `layout`). Reasoning is read from
`additional_kwargs["reasoning_blocks"]` (this package's answers), else from the content blocks:
v1 `reasoning`, Anthropic `thinking` / `redacted_thinking`, wire `reasoning` blocks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.messages import AIMessage

from databricks_claude.blocks import content_parts as parse_content
from databricks_claude.errors import MalformedResponseError
from databricks_claude.kit.placement import interleave
from databricks_claude.messages import (
    CacheControl,
    Message,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    ToolCallPart,
    UnknownPart,
)
from langchain_databricks_claude.layout import (
    PROVIDER,
    REASONING_BLOCKS,
    REDACTED,
    TOOL_CALL_ARGUMENTS,
    UNKNOWN_BLOCKS,
    cache_control,
)

__all__ = ["ai_to_neutral", "content_reasoning", "content_tool_calls", "parse_wire_reasoning"]


def ai_to_neutral(message: AIMessage) -> Message:
    """An earlier answer as the assistant turn the service produced.

    Order: reasoning parts (from `reasoning_blocks`, else from `reasoning` / `thinking` /
    `redacted_thinking` content blocks), then the text with the `unknown_blocks` back at their
    positions, then the tool calls with their original argument JSON when it is known and still
    matches the parsed arguments.
    """
    parts: list[Part] = list(_replay_reasoning(message))
    text, cache = _assistant_text(message.content)
    calls = _replay_tool_calls(message)
    unknown = _replay_unknown(message)
    if unknown:
        parts.extend(interleave(text, cache, unknown))
    elif text or not (parts or calls):
        parts.append(TextPart(text, cache))
    parts.extend(calls)
    return Message("assistant", parts)


def _replay_reasoning(message: AIMessage) -> list[Part]:
    """The reasoning parts to send back for an assistant message."""
    blocks = message.additional_kwargs.get(REASONING_BLOCKS)
    if isinstance(blocks, list) and blocks:
        return [p for b in blocks if isinstance(b, dict) for p in parse_wire_reasoning(b)]
    if not isinstance(message.content, list):
        return []
    ours = message.response_metadata.get("model_provider") == PROVIDER
    return [p for b in message.content if isinstance(b, dict) for p in content_reasoning(b, ours)]


def _replay_unknown(message: AIMessage) -> list[tuple[int, UnknownPart]]:
    """The `unknown_blocks` of an answer as (text offset, part), in order."""
    entries = message.additional_kwargs.get(UNKNOWN_BLOCKS)
    if not entries:
        return []
    out = []
    for entry in entries if isinstance(entries, list) else [entries]:
        offset = entry.get("text_offset") if isinstance(entry, dict) else None
        block = entry.get("block") if isinstance(entry, dict) else None
        if not (isinstance(offset, int) and isinstance(block, dict)):
            raise ValueError(f"additional_kwargs[{UNKNOWN_BLOCKS!r}] entries must be "
                             f'{{"text_offset": int, "block": dict}}, got {entry!r:.200}')
        out.append((offset, UnknownPart(block)))
    return out


def parse_wire_reasoning(block: Mapping[str, Any]) -> list[Part]:
    """A wire reasoning block (`{"type":"reasoning","summary":[...]}`) as neutral parts.

    The core's reader of the block form (`databricks_claude.blocks.content_parts`): reasoning
    and redacted reasoning parts, an unknown summary entry kept verbatim as an `UnknownPart`.
    Raises `ValueError` for a block the core would call malformed (a non-string signature, ...).
    """
    try:
        return parse_content([dict(block)])
    except MalformedResponseError as error:
        raise ValueError(f"invalid reasoning block {dict(block)!r:.200}: {error}") from None


def content_reasoning(block: Mapping[str, Any], ours: bool) -> list[Part]:
    """Reasoning parts from one content block of an assistant message.

    Unsigned v1 reasoning from another provider is dropped: the service would refuse it. A
    signature that is not a string raises `ValueError`.
    """
    kind = block.get("type")
    if kind == "reasoning":
        if "summary" in block:
            return parse_wire_reasoning(block)
        extras = block.get("extras") or {}
        if extras.get(REDACTED) is not None:
            return [RedactedReasoningPart(str(extras[REDACTED]))]
        signature = extras.get("signature")
        if signature is None and not ours:
            return []
        return [ReasoningPart(str(block.get("reasoning", "")), _signature(signature))]
    if kind == "thinking":
        return [ReasoningPart(str(block.get("thinking", "")), _signature(block.get("signature")))]
    if kind == "redacted_thinking":
        return [RedactedReasoningPart(str(block.get("data", "")))]
    if kind == "non_standard" and isinstance(block.get("value"), dict):
        return content_reasoning(block["value"], ours)
    return []


def _signature(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"a reasoning signature must be a string, got {type(value).__name__}")
    return value


def _assistant_text(content: str | list[str | dict[str, Any]]) -> tuple[str, CacheControl | None]:
    """The answer text of an assistant message and the cache_control of its text block."""
    if isinstance(content, str):
        return content, None
    texts: list[str] = []
    cache: CacheControl | None = None
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            texts.append(str(block.get("text", "")))
            cache = cache_control(block) or cache
    return "".join(texts), cache


def _replay_tool_calls(message: AIMessage) -> list[ToolCallPart]:
    """The tool calls of an assistant message, with their original argument text if known."""
    raw = message.additional_kwargs.get(TOOL_CALL_ARGUMENTS)
    raw_by_id: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    calls: Iterable[Mapping[str, Any]] = message.tool_calls or content_tool_calls(message.content)
    parts = []
    for call in calls:
        call_id = call.get("id")
        if not call_id:
            raise ValueError(
                f"tool call {call.get('name')!r} has no id: the service matches tool results "
                "to calls by id"
            )
        args = call.get("args") or {}
        original = raw_by_id.get(call_id)
        if not (isinstance(original, str) and _same_arguments(original, args)):
            original = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
        parts.append(ToolCallPart(call_id, str(call.get("name", "")), original))
    return parts


def content_tool_calls(content: str | list[str | dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls found only in content: v1 `tool_call` or Anthropic `tool_use` blocks."""
    if isinstance(content, str):
        return []
    calls = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "tool_call":
            calls.append({"id": block.get("id"), "name": block.get("name"),
                          "args": block.get("args") or {}})
        elif block.get("type") == "tool_use":
            calls.append({"id": block.get("id"), "name": block.get("name"),
                          "args": block.get("input") or {}})
    return calls


def _same_arguments(text: str, args: Any) -> bool:
    """Whether argument JSON text still parses to `args` (not edited since it was received)."""
    if not text.strip():
        return args == {}
    try:
        return bool(json.loads(text) == args)
    except ValueError:
        return False

