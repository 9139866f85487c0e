"""The block form of parts: the dicts Claude's reasoning and unknown blocks travel as.

One form, read and written here: the chat-completions wire sends and accepts content blocks in
it, and the adapters keep reasoning and unknown blocks in it in their message metadata
(LangChain `additional_kwargs["reasoning_blocks"]`, ...) so that a replay sends them back
exactly. Reasoning is `{"type": "reasoning", "summary": [{"type": "summary_text", "text": ...,
"signature": ...}]}`, redacted reasoning a `summary_encrypted_text` entry; an unknown block is
kept verbatim. Wire facts: docs/wire-chat.md#reasoning-blocks.
"""

from __future__ import annotations

import json
from typing import Any

from databricks_claude.errors import (
    ConfigurationError,
    DatabricksClaudeError,
    MalformedResponseError,
)
from databricks_claude.messages import (
    CacheControl,
    ImagePart,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    UnknownPart,
)

__all__ = ["REDACTED_ENTRY", "TEXT_ENTRY", "UNKNOWN_ENTRY", "arguments_text", "content_parts",
           "part_to_block", "read_reasoning_entry", "reasoning_blocks", "reasoning_entry_part",
           "string_field", "with_cache"]


def with_cache(block: dict[str, Any], cache_control: CacheControl | None) -> dict[str, Any]:
    """`block` with `cache_control` set on it when there is one."""
    if cache_control is not None:
        block["cache_control"] = cache_control
    return block


def _text_block(part: TextPart) -> dict[str, Any]:
    return with_cache({"type": "text", "text": part.text}, part.cache_control)


def _image_block(part: ImagePart) -> dict[str, Any]:
    return with_cache({"type": "image_url", "image_url": {"url": part.url}}, part.cache_control)


def _summary_entry(part: ReasoningPart | RedactedReasoningPart) -> dict[str, Any]:
    if isinstance(part, RedactedReasoningPart):
        return {"type": "summary_encrypted_text", "data": part.data}
    entry: dict[str, Any] = {"type": "summary_text", "text": part.text}
    if part.signature is not None:
        entry["signature"] = part.signature
    return entry


def _reasoning_block(part: ReasoningPart | RedactedReasoningPart) -> dict[str, Any]:
    cache = part.cache_control if isinstance(part, ReasoningPart) else None
    return with_cache({"type": "reasoning", "summary": [_summary_entry(part)]}, cache)


def reasoning_blocks(parts: list[ReasoningPart | RedactedReasoningPart]) -> list[dict[str, Any]]:
    """Reasoning parts as wire blocks, grouped as received: a `joined` part's entry goes into
    the block before it, so a block with several summary entries replays exactly.

    A block's `cache_control` is the first one its parts carry.
    """
    blocks: list[dict[str, Any]] = []
    for part in parts:
        if part.joined and blocks:
            blocks[-1]["summary"].append(_summary_entry(part))
            cache = part.cache_control if isinstance(part, ReasoningPart) else None
            if cache is not None and "cache_control" not in blocks[-1]:
                blocks[-1]["cache_control"] = cache
        else:
            blocks.append(_reasoning_block(part))
    return blocks


def part_to_block(part: Part) -> dict[str, Any]:
    """One content part as the wire block the service sends and accepts back.

    Reasoning is `{"type": "reasoning", "summary": [{"type": "summary_text", "text": ...,
    "signature": ...}]}` (no `signature` key when it is None), redacted reasoning a
    `summary_encrypted_text` entry with its data, an unknown part its block verbatim (the part's
    own dict, not a copy); text and image parts give their text / `image_url` block.
    `cache_control` is kept on the parts that carry one. Tool calls and tool results are not
    content blocks (they are `tool_calls` and `tool` messages): `ConfigurationError`.
    """
    if isinstance(part, TextPart):
        return _text_block(part)
    if isinstance(part, (ReasoningPart, RedactedReasoningPart)):
        return _reasoning_block(part)
    if isinstance(part, UnknownPart):
        return part.data
    if isinstance(part, ImagePart):
        return _image_block(part)
    raise ConfigurationError(f"a {type(part).__name__} is not a content block")


def string_field(value: Any, what: str) -> str:
    """A string field of a block: "" when absent; `MalformedResponseError` when not a string."""
    if value is None:
        return ""
    if type(value) is not str and not isinstance(value, str):  # exact str first: the hot path
        raise MalformedResponseError(f"{what} is a {type(value).__name__}, expected a string")
    return value


#: What `read_reasoning_entry` found: reasoning text, redacted data, or an entry it does not know.
TEXT_ENTRY, REDACTED_ENTRY, UNKNOWN_ENTRY = "text", "redacted", "unknown"


def read_reasoning_entry(entry: Any) -> tuple[str, str, str | None]:
    """The one reader of a `summary` entry: (kind, text or redacted data, signature).

    Shared by the parser and the stream accumulator (which builds no part per entry).
    """
    if not isinstance(entry, dict):
        raise MalformedResponseError(
            f"reasoning summary entry is a {type(entry).__name__}, expected an object")
    kind = entry.get("type")
    if kind == "summary_text":
        signature = entry.get("signature")
        return (TEXT_ENTRY, string_field(entry.get("text"), "reasoning text"),
                string_field(signature, "reasoning signature") if signature is not None else None)
    if kind == "summary_encrypted_text":
        return REDACTED_ENTRY, string_field(entry.get("data"), "redacted reasoning data"), None
    return UNKNOWN_ENTRY, "", None


def reasoning_entry_part(entry: Any) -> Part:
    """One `summary` entry of a reasoning block as a part (unknown entry types kept verbatim)."""
    kind, value, signature = read_reasoning_entry(entry)
    if kind == TEXT_ENTRY:
        return ReasoningPart(value, signature)
    if kind == REDACTED_ENTRY:
        return RedactedReasoningPart(value)
    return UnknownPart({"type": "reasoning", "summary": [entry]})


def _reasoning_parts(block: dict[str, Any]) -> list[Part]:
    summary = block.get("summary")
    if not isinstance(summary, list) or not summary:
        return [UnknownPart(block)]  # nothing we can read, but replaying it must keep it
    parts = [reasoning_entry_part(entry) for entry in summary]
    for part in parts[1:]:  # later entries continue the block: replayed in it (`reasoning_blocks`)
        if isinstance(part, (ReasoningPart, RedactedReasoningPart)):
            part.joined = True
    return parts


def _block_parts(block: Any) -> list[Part]:
    if not isinstance(block, dict):
        raise MalformedResponseError(
            f"content block is a {type(block).__name__}, expected an object")
    kind = block.get("type")
    if kind == "text":
        return [TextPart(string_field(block.get("text"), "text block"))]
    if kind == "reasoning":
        return _reasoning_parts(block)
    return [UnknownPart(block)]


def content_parts(content: str | list[Any] | None) -> list[Part]:
    """The parts of `message.content`: a string (plain text) or a list of blocks, in order."""
    if content is None:
        return []
    if isinstance(content, str):
        return [TextPart(content)] if content else []
    if not isinstance(content, list):
        raise MalformedResponseError(
            f"message content is a {type(content).__name__}, expected a string or a list")
    parts: list[Part] = []
    for block in content:
        parts.extend(_block_parts(block))
    return parts


def arguments_text(raw: Any, *,
                   error: type[DatabricksClaudeError] = MalformedResponseError) -> str:
    """Tool-call arguments as JSON text: verbatim when a string, serialized when an object.

    `error` is what an object JSON cannot hold raises: `MalformedResponseError` for what the
    service sent, `ConfigurationError` for what a caller gave.
    """
    if raw is None:
        return "{}"
    if isinstance(raw, str):
        return raw
    try:
        return json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:  # hostile (very deep) objects
        raise error(f"tool call arguments cannot be serialized: {exc}") from exc
