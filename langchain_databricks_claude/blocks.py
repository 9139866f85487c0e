"""Standard content blocks for this package's messages (provider `databricks_claude`).

`AIMessage.content_blocks` calls `translate_content` (and `AIMessageChunk.content_blocks`
`translate_content_chunk`) for messages whose `response_metadata["model_provider"]` is
`databricks_claude`: reasoning becomes standard `reasoning` blocks (signature, or redacted data,
in `extras`), then the text, then the tool calls. The translator is registered when this module
is imported (the package imports it).
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types

from databricks_claude.blocks import part_to_block as part_to_wire
from databricks_claude.messages import ReasoningLike, ReasoningPart, RedactedReasoningPart
from langchain_databricks_claude.layout import (
    PROVIDER,
    REASONING_BLOCKS,
    REASONING_CONTENT,
    REDACTED,
)
from langchain_databricks_claude.replay import (
    content_reasoning,
    content_tool_calls,
    parse_wire_reasoning,
)

__all__ = ["register_translator", "translate_content", "translate_content_chunk"]

_REASONING = (ReasoningPart, RedactedReasoningPart)


def _standard_reasoning(part: ReasoningLike, *, with_text: bool = True) -> types.ContentBlock:
    """A neutral reasoning part as a standard `reasoning` block (signature in `extras`)."""
    if isinstance(part, RedactedReasoningPart):
        return cast("types.ContentBlock",
                    {"type": "reasoning", "extras": {REDACTED: part.data}})
    block: dict[str, Any] = {"type": "reasoning", "reasoning": part.text if with_text else ""}
    if part.signature is not None:
        block["extras"] = {"signature": part.signature}
    return cast("types.ContentBlock", block)


def _reasoning_blocks(message: AIMessage) -> list[types.ContentBlock]:
    """Standard reasoning blocks of a message (from `reasoning_blocks`, else the joined text).

    A chunk with `reasoning_blocks` but no `reasoning_content` is a stream's last chunk on its
    own: its reasoning text was already shown by earlier chunks, so only the extras are given.
    """
    kwargs = message.additional_kwargs
    text = kwargs.get(REASONING_CONTENT)
    wire = kwargs.get(REASONING_BLOCKS)
    if isinstance(wire, list) and wire:
        parts = [p for b in wire if isinstance(b, dict) for p in parse_wire_reasoning(b)
                 if isinstance(p, _REASONING)]
        if isinstance(text, str) or not isinstance(message, AIMessageChunk):
            return [_standard_reasoning(p) for p in parts]
        # A last chunk's blocks are merged by position with the one reasoning block the text
        # chunks opened: parts that had text come first, so the signature lands on that block.
        parts.sort(key=lambda p: not (isinstance(p, ReasoningPart) and p.text))
        return [_standard_reasoning(p, with_text=False) for p in parts]
    if isinstance(text, str) and text:
        return [cast("types.ContentBlock", {"type": "reasoning", "reasoning": text})]
    return []


def _content_blocks(content: str | list[str | dict[str, Any]], skip_reasoning: bool
                    ) -> list[types.ContentBlock]:
    """Standard blocks for message content (a string for this package's own answers)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[types.ContentBlock] = []
    for block in content:
        if isinstance(block, str):
            blocks.append({"type": "text", "text": block})
            continue
        reasoning = content_reasoning(block, True)
        if reasoning:
            if not skip_reasoning:
                blocks.extend(_standard_reasoning(p) if isinstance(p, _REASONING) else
                              cast("types.ContentBlock", {"type": "non_standard",
                                                          "value": part_to_wire(p)})
                              for p in reasoning)
        elif block.get("type") == "text":
            blocks.append({"type": "text", "text": str(block.get("text", ""))})
        elif block.get("type") in types.KNOWN_BLOCK_TYPES:
            blocks.append(cast("types.ContentBlock", block))
        elif block.get("type") != "tool_use":
            blocks.append({"type": "non_standard", "value": block})
    return blocks


def _tool_blocks(message: AIMessage, present: set[Any]) -> list[types.ContentBlock]:
    """`tool_call` blocks for the message's tool calls not already in its content.

    Without `tool_calls`, the calls are those of the content (Anthropic `tool_use` blocks), as
    for a replay: the blocks show the calls that would be sent.
    """
    calls = message.tool_calls or content_tool_calls(message.content)
    return [
        {"type": "tool_call", "id": c.get("id"), "name": c["name"], "args": c["args"]}
        for c in calls
        if c.get("id") not in present
    ]


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """Standard content blocks of an answer: reasoning, text, tool calls."""
    reasoning = _reasoning_blocks(message)
    blocks = reasoning + _content_blocks(message.content, skip_reasoning=bool(reasoning))
    present = {b.get("id") for b in blocks if b.get("type") == "tool_call"}
    return blocks + _tool_blocks(message, present)


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    """Standard content blocks of a chunk (or of a sum of chunks)."""
    if message.chunk_position == "last" or not message.tool_call_chunks:
        return translate_content(message)
    reasoning = _reasoning_blocks(message)
    blocks = reasoning + _content_blocks(message.content, skip_reasoning=bool(reasoning))
    for chunk in message.tool_call_chunks:
        block: dict[str, Any] = {"type": "tool_call_chunk", "id": chunk.get("id"),
                                 "name": chunk.get("name"), "args": chunk.get("args")}
        if chunk.get("index") is not None:
            block["index"] = chunk["index"]
        blocks.append(cast("types.ContentBlock", block))
    return blocks


def register_translator() -> None:
    """Register this package's translator for provider `databricks_claude` (idempotent)."""
    from langchain_core.messages.block_translators import register_translator as register

    register(PROVIDER, translate_content, translate_content_chunk)


register_translator()
