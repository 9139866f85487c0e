"""Neutral messages -> the Messages route's `system` and `messages`, with the service's checks.

The Anthropic Messages format has two roles: tool results travel as `tool_result` blocks at the
start of the next user turn, and the system prompt is a top-level field. Assistant turns replay
their blocks in the order the service sent them (reasoning first), reasoning as `thinking`
blocks with their signature and redacted reasoning as `redacted_thinking`, so a turn received on
the chat route replays here unchanged in meaning. Wire facts: docs/wire-messages.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from databricks_claude.blocks import with_cache
from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import (
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    UnknownPart,
)
from databricks_claude.rules.content import (
    image_data,
    is_blank,
    tool_call_input,
    trim_prefill,
    without_unsigned,
)

__all__ = ["check_tool_pairing", "image_block", "wire_conversation"]

_REASONING_PARTS = (ReasoningPart, RedactedReasoningPart)


def _where(role: str, index: int) -> str:
    return f"{role} message {index}"


def image_block(part: ImagePart) -> dict[str, Any]:
    """An image as a base64 `image` block; the route refuses remote URLs, so they are refused
    here before sending."""
    url = part.url
    if not url.startswith("data:"):
        raise ConfigurationError(
            f"image {url[:80]!r} is not inline: the Messages route takes base64 images only; "
            "pass the image as a data: URL (base64) instead of a link")
    inline = image_data(url)
    if inline is None or not inline[1] or not inline[0].startswith("image/"):
        raise ConfigurationError(
            f"image data URL {url[:60]!r} is not a base64 image: use data:image/<type>;base64,...")
    media_type, data = inline
    source = {"type": "base64", "media_type": media_type, "data": data}
    return with_cache({"type": "image", "source": source}, part.cache_control)


def _text_block(part: TextPart) -> dict[str, Any]:
    return with_cache({"type": "text", "text": part.text}, part.cache_control)


def _reasoning_block(part: ReasoningPart | RedactedReasoningPart) -> dict[str, Any]:
    if isinstance(part, RedactedReasoningPart):
        return {"type": "redacted_thinking", "data": part.data}
    block = {"type": "thinking", "thinking": part.text, "signature": part.signature or ""}
    return with_cache(block, part.cache_control)


def _content_block(part: Part, role: str) -> dict[str, Any]:
    """One user or assistant block (text, image, reasoning, or an unknown block verbatim)."""
    if isinstance(part, TextPart):
        return _text_block(part)
    if isinstance(part, ImagePart):
        return image_block(part)
    if isinstance(part, UnknownPart):
        return part.data
    if isinstance(part, _REASONING_PARTS) and role == "assistant":
        return _reasoning_block(part)
    raise ConfigurationError(f"a {role} message cannot hold a {type(part).__name__}")


def _tool_result_block(result: ToolResultPart) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": result.tool_call_id}
    if isinstance(result.content, str):
        if result.content:  # an empty result is sent without content: "" is not a block
            block["content"] = result.content
    else:
        blocks = [_content_block(part, "tool") for part in result.content if not is_blank(part)]
        if blocks:
            block["content"] = blocks
    if result.is_error:
        block["is_error"] = True
    return with_cache(block, result.cache_control)


def _system(messages: Sequence[Message]) -> str | list[dict[str, Any]] | None:
    """All system messages as one system prompt: a string, or blocks when any is cached."""
    parts = [p for m in messages if m.role == "system" for p in m.parts if not is_blank(p)]
    if not parts:
        if any(m.role == "system" for m in messages):
            raise ConfigurationError("the system prompt is empty; the service refuses empty or "
                                     "whitespace-only text: give it some text or remove it")
        return None
    if not all(isinstance(p, TextPart) for p in parts):
        raise ConfigurationError("a system message can only hold text")
    if all(p.cache_control is None for p in parts):  # type: ignore[union-attr]
        return "\n\n".join(p.text for p in parts)  # type: ignore[union-attr]
    return [_text_block(p) for p in parts]  # type: ignore[arg-type]


def _assistant_content(parts: Sequence[Part], where: str) -> list[dict[str, Any]]:
    """The assistant blocks in the order received, reasoning first as the service requires."""
    parts = without_unsigned(parts, where)
    reasoning = [p for p in parts if isinstance(p, _REASONING_PARTS)]
    rest = [p for p in parts if not isinstance(p, _REASONING_PARTS) and not is_blank(p)]
    blocks = [_reasoning_block(p) for p in reasoning]
    for part in rest:
        if isinstance(part, ToolCallPart):
            blocks.append({"type": "tool_use", "id": part.id, "name": part.name,
                           "input": tool_call_input(part, where)})
        else:
            blocks.append(_content_block(part, "assistant"))
    return blocks


def _turns(messages: Sequence[Message]) -> list[tuple[str, list[dict[str, Any]], int]]:
    """(role, blocks, index of the caller's message) per message; tool results as user blocks."""
    turns: list[tuple[str, list[dict[str, Any]], int]] = []
    for index, message in enumerate(messages):
        role = message.role
        if role == "system":
            continue
        if role == "assistant":
            turns.append(("assistant", _assistant_content(message.parts,
                                                          _where(role, index)), index))
        elif role in ("user", "tool"):
            results = [_tool_result_block(p) for p in message.parts
                       if isinstance(p, ToolResultPart)]
            rest = [_content_block(p, "user") for p in message.parts
                    if not isinstance(p, ToolResultPart) and not is_blank(p)]
            if role == "tool" and (rest or len(results) != 1):
                raise ConfigurationError("a tool message must hold exactly one ToolResultPart")
            turns.append(("user", results + rest, index))
        else:
            raise ConfigurationError(f"unknown message role {role!r}")
    return turns


def _merged(turns: list[tuple[str, list[dict[str, Any]], int]]) -> list[dict[str, Any]]:
    """Consecutive turns of one role as one (tool results of one round share a user turn)."""
    wire: list[dict[str, Any]] = []
    last = len(turns) - 1
    for position, (role, blocks, index) in enumerate(turns):
        if not blocks and not (role == "assistant" and position == last):
            raise ConfigurationError(
                f"{_where(role, index)} is empty; the service refuses empty or whitespace-only "
                "text: give it some content or remove it")
        if not blocks:
            continue  # an empty final assistant turn: nothing to continue from
        if wire and wire[-1]["role"] == role:
            content = wire[-1]["content"] + blocks
            # Tool results must open their user turn: a merged turn puts them first.
            wire[-1]["content"] = ([b for b in content if b["type"] == "tool_result"]
                                   + [b for b in content if b["type"] != "tool_result"])
        else:
            wire.append({"role": role, "content": blocks})
    return wire


def check_tool_pairing(wire: Sequence[dict[str, Any]]) -> None:
    """Every `tool_use` answered by a `tool_result` in the next user turn, and every result
    answering a call of the assistant turn right before it.

    An assistant turn with unanswered calls is allowed only as the very last message.
    """
    pending: set[str] = set()
    for turn in wire:
        blocks = turn["content"]
        if turn["role"] == "assistant":
            if pending:
                raise ConfigurationError(
                    f"tool call {sorted(pending)[0]!r} has no result before the next assistant "
                    "message")
            pending = _call_ids(blocks)
            continue
        answered = [b["tool_use_id"] for b in blocks if b["type"] == "tool_result"]
        for call_id in answered:
            if call_id not in pending:
                raise ConfigurationError(
                    f"tool result for {call_id!r} has no matching tool call in the assistant "
                    "message before it (or answers it twice)")
            pending.discard(call_id)
        if pending:
            raise ConfigurationError(
                f"tool call {sorted(pending)[0]!r} has no result before the next user message")


def _call_ids(blocks: Sequence[dict[str, Any]]) -> set[str]:
    ids: set[str] = set()
    for block in blocks:
        if block.get("type") == "tool_use":
            if block["id"] in ids:
                raise ConfigurationError(f"tool call id {block['id']!r} appears twice in one turn")
            ids.add(block["id"])
    return ids


def wire_conversation(messages: Sequence[Message]
                      ) -> tuple[str | list[dict[str, Any]] | None, list[dict[str, Any]]]:
    """The system prompt (None when there is none) and the `messages` list."""
    if not messages:
        raise ConfigurationError("the message list is empty: a request needs at least one "
                                 "user message")
    system = _system(messages)
    wire = _merged(_turns(messages))
    if not wire:
        raise ConfigurationError("the conversation holds only system messages: a request "
                                 "needs at least one user message")
    if wire[-1]["role"] == "assistant":
        _trim_prefill(wire[-1]["content"])
    return system, wire


def _trim_prefill(blocks: list[dict[str, Any]]) -> None:
    """A final assistant turn (a prefill) without the trailing whitespace the API refuses."""
    last = blocks[-1]
    if last.get("type") == "text":
        blocks[-1] = {**last, "text": trim_prefill(last["text"])}
