"""LangChain messages to the core's neutral messages, ready for the request builder.

Pure functions, no I/O. System, human and tool messages become text, image and tool-result
parts; an earlier answer (`AIMessage`) is replayed as the assistant turn the service produced
(`replay`). Raises `ValueError` for message or content types the service cannot take
(`ConfigurationError`, a `ValueError`, for documents, audio and video). Remote image URLs are
kept as URLs: the model fetches and inlines them afterwards (`kit.images`), sync or async.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from databricks_claude.kit.images import data_url, unsupported_input
from databricks_claude.kit.roles import neutral_role
from databricks_claude.messages import (
    EPHEMERAL,
    ImagePart,
    Message,
    Part,
    TextPart,
    ToolResultPart,
    UnknownPart,
    tool_result,
)
from langchain_databricks_claude.layout import CACHE_CONTROL, cache_control
from langchain_databricks_claude.replay import ai_to_neutral

__all__ = ["content_to_parts", "image_url", "to_neutral_messages"]

_UNSUPPORTED_INPUTS = {"audio", "video", "file", "input_audio", "document"}


def to_neutral_messages(
    messages: Sequence[BaseMessage], *, cache_system_prompt: bool = False
) -> list[Message]:
    """Convert a LangChain conversation to neutral messages, ready for the request builder.

    `cache_system_prompt` adds an ephemeral `cache_control` to the last system text part.
    Raises `ValueError` for message or content types the service cannot take.
    """
    out: list[Message] = []
    for message in messages:
        out.extend(_to_neutral(message))
    if cache_system_prompt:
        _mark_last_system_text(out)
    return out


def _to_neutral(message: BaseMessage) -> list[Message]:
    """One LangChain message as neutral messages (a human turn with tool results gives several)."""
    if isinstance(message, AIMessage):
        return [ai_to_neutral(message)]
    if isinstance(message, HumanMessage):
        return _human_to_neutral(message.content)
    if isinstance(message, SystemMessage):
        return [Message("system", content_to_parts(message.content))]
    if isinstance(message, ToolMessage):
        return [Message("tool", [_tool_result(message)])]
    if isinstance(message, ChatMessage):
        return _chat_message_to_neutral(message)
    raise ValueError(
        f"{type(message).__name__} is not supported: use SystemMessage, HumanMessage, "
        "AIMessage or ToolMessage"
    )


def _chat_message_to_neutral(message: ChatMessage) -> list[Message]:
    """A generic `ChatMessage`, by its role."""
    role = neutral_role(message.role)
    if role == "system":
        return [Message("system", content_to_parts(message.content))]
    if role == "user":
        return _human_to_neutral(message.content)
    if role == "assistant":
        return [ai_to_neutral(AIMessage(content=message.content))]
    raise ValueError(f"a ChatMessage with role {message.role!r} cannot carry a tool result: "
                     "use ToolMessage")


def _human_to_neutral(content: str | list[str | dict[str, Any]]) -> list[Message]:
    """A human turn. Anthropic-style `tool_result` blocks become tool messages, placed first."""
    if isinstance(content, str):
        return [Message("user", [TextPart(content)])]
    results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
    if not results:
        return [Message("user", content_to_parts(content))]
    rest = [b for b in content if not (isinstance(b, dict) and b.get("type") == "tool_result")]
    out = [Message("tool", [_anthropic_tool_result(b)]) for b in results]
    if rest:
        out.append(Message("user", content_to_parts(rest)))
    return out


def content_to_parts(content: str | list[str | dict[str, Any]]) -> list[Part]:
    """User, system or tool content (a string or a list of blocks) as text and image parts."""
    if isinstance(content, str):
        return [TextPart(content)]
    parts: list[Part] = []
    for block in content:
        part = _block_to_part(block)
        if part is not None:
            parts.append(part)
    return parts


def _block_to_part(block: str | dict[str, Any]) -> Part | None:
    """One input content block as a part; None for blocks that carry nothing to send."""
    if isinstance(block, str):
        return TextPart(block)
    kind = block.get("type")
    if kind in ("text", "text-plain"):
        return TextPart(str(block.get("text", "")), cache_control(block))
    if kind in ("image", "image_url"):
        return ImagePart(image_url(block), cache_control(block))
    if kind == "non_standard" and isinstance(block.get("value"), dict):
        return _block_to_part(block["value"])
    if kind in _UNSUPPORTED_INPUTS:
        raise unsupported_input(f"content blocks of type {kind!r}", "a message",
                                document=kind in ("file", "document"))
    if kind in ("reasoning", "thinking", "redacted_thinking", "tool_use", "tool_call"):
        return None  # only meaningful in assistant turns
    return UnknownPart(dict(block))


def image_url(block: Mapping[str, Any]) -> str:
    """The URL (`https:` or a base64 `data:` URL) of any standard image block. A remote URL is
    left as it is here: the model inlines it before sending (`kit.images.inline_images`).

    Accepts v1 (`base64` + `mime_type`, or `url`), v0 (`source_type`), OpenAI (`image_url`)
    and Anthropic (`source`) forms.
    """
    if block.get("type") == "image_url":
        value = block.get("image_url")
        url = value.get("url") if isinstance(value, dict) else value
        if isinstance(url, str) and url:
            return url
        raise ValueError("image_url block without a url")
    source = block.get("source")
    if isinstance(source, dict):  # Anthropic
        if source.get("type") == "base64":
            return data_url(source.get("media_type"), source.get("data"))
        if source.get("type") == "url" and isinstance(source.get("url"), str):
            return str(source["url"])
    if block.get("base64") is not None:  # v1
        return data_url(block.get("mime_type"), block["base64"])
    if block.get("source_type") == "base64":  # v0
        return data_url(block.get("mime_type"), block.get("data"))
    if isinstance(block.get("url"), str):
        return str(block["url"])
    raise ValueError(
        "image blocks must carry base64 data or a URL (file ids are not supported): "
        f"got keys {sorted(block)}"
    )


def _tool_result(message: ToolMessage) -> ToolResultPart:
    """A `ToolMessage` as the result of its tool call."""
    cache = message.additional_kwargs.get(CACHE_CONTROL)
    return tool_result(message.tool_call_id, _tool_content(message.content),
                       cache_control=cache if isinstance(cache, dict) else None,
                       is_error=message.status == "error")


def _anthropic_tool_result(block: dict[str, Any]) -> ToolResultPart:
    """An Anthropic `tool_result` block from a human turn."""
    return tool_result(str(block.get("tool_use_id", "")), _tool_content(block.get("content", "")),
                       cache_control=cache_control(block), is_error=bool(block.get("is_error")))


def _tool_content(content: Any) -> str | list[TextPart | ImagePart]:
    """Tool output as a string, or text and image parts (anything else as JSON text); the core's
    `tool_result` decides how they are sent."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return json.dumps(content, ensure_ascii=False, default=str)
    parts: list[TextPart | ImagePart] = []
    for block in content:
        if isinstance(block, str):
            parts.append(TextPart(block))
        elif isinstance(block, dict) and block.get("type") in ("text", "text-plain"):
            parts.append(TextPart(str(block.get("text", "")), cache_control(block)))
        elif isinstance(block, dict) and block.get("type") in ("image", "image_url"):
            parts.append(ImagePart(image_url(block), cache_control(block)))
        else:
            parts.append(TextPart(json.dumps(block, ensure_ascii=False, default=str)))
    return parts


def _mark_last_system_text(messages: list[Message]) -> None:
    """Put an ephemeral cache breakpoint on the last system text part (if it has none)."""
    for message in reversed(messages):
        if message.role != "system":
            continue
        for part in reversed(message.parts):
            if isinstance(part, TextPart):
                if part.cache_control is None:
                    part.cache_control = dict(EPHEMERAL)
                return

