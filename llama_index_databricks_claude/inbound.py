"""LlamaIndex `ChatMessage`s to the core's neutral messages, as pure functions.

`to_neutral_messages` keeps what the service needs to accept a replayed assistant turn:
`ThinkingBlock`s become reasoning parts with their signatures (or redacted parts with their
data), `ToolCallBlock`s become tool calls with their arguments text unchanged, unknown blocks go
back where they were (see `layout`), `role="tool"` messages become tool results and
`CachePoint`s put `cache_control` on the part before them. Remote image URLs stay URLs here:
the LLM inlines them afterwards (`kit.images`), sync or async.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    CitationBlock,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from databricks_claude import blocks
from databricks_claude.errors import ConfigurationError
from databricks_claude.kit.images import sniff_image_type, unsupported_input
from databricks_claude.kit.placement import put_back, stored_positions
from databricks_claude.kit.roles import neutral_role
from databricks_claude.messages import (
    CacheControl,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    tool_result,
)
from llama_index_databricks_claude.layout import (
    REDACTED_KEY,
    UNKNOWN_BLOCKS_KEY,
    UNKNOWN_POSITIONS_KEY,
)

__all__ = ["arguments_text", "cache_control", "image_url", "reasoning_part",
           "to_neutral_messages"]

_Cacheable = TextPart | ImagePart | ReasoningPart | ToolResultPart


def to_neutral_messages(messages: Sequence[ChatMessage]) -> list[Message]:
    """The history as neutral messages. Never mutates the input.

    Raises `ConfigurationError` for blocks the service cannot take (audio, video, binary
    documents) and for tool results or tool calls without an id.
    """
    converted: list[Message] = []
    for message in messages:
        role = neutral_role(_role_name(message.role))
        if role == "tool":
            converted.append(_tool_message(message, converted))
        elif role == "assistant":
            converted.append(Message("assistant", _assistant_parts(message, converted)))
        else:
            converted.append(Message(role, _content_parts(message, converted)))
    return converted


def _role_name(role: MessageRole | str) -> str:
    return role.value if isinstance(role, MessageRole) else str(role)


def _content_parts(message: ChatMessage, previous: list[Message]) -> list[Part]:
    """Parts of a system, user or tool message: text, images and cache points."""
    parts: list[Part] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            parts.append(TextPart(block.text))
        elif isinstance(block, ImageBlock):
            parts.append(ImagePart(image_url(block)))
        elif isinstance(block, CachePoint):
            _mark_cache_point(block, parts, previous)
        elif not isinstance(block, (ThinkingBlock, ToolCallBlock, CitationBlock)):
            # Audio, video, documents: the chat-completions route has no part for them.
            raise unsupported_input(type(block).__name__, f"a {_role_name(message.role)} message",
                                    document=isinstance(block, DocumentBlock))
    return parts


def _assistant_parts(message: ChatMessage, previous: list[Message]) -> list[Part]:
    """Parts of an assistant turn, in block order, ready for an exact replay (unknown blocks
    back where they were)."""
    kwargs = message.additional_kwargs
    count = len(message.blocks)
    unknown = stored_positions(kwargs.get(UNKNOWN_BLOCKS_KEY) or (),
                               kwargs.get(UNKNOWN_POSITIONS_KEY), count)
    groups = [_assistant_items(block, count) for block in message.blocks]
    parts: list[Part] = []
    for item in put_back(groups, unknown):
        if isinstance(item, CachePoint):
            _mark_cache_point(item, parts, previous)
        else:
            parts.append(item)
    if not any(isinstance(block, ToolCallBlock) for block in message.blocks):
        parts.extend(_legacy_tool_calls(kwargs.get("tool_calls")))
    return parts


def _assistant_items(block: ContentBlock, count: int) -> list[Part | CachePoint]:
    """What one block of an assistant turn (of `count` blocks) replays as."""
    if isinstance(block, ThinkingBlock):
        return [reasoning_part(block)]
    if isinstance(block, TextBlock):
        # "" beside other blocks carries nothing.
        return [TextPart(block.text)] if block.text or count == 1 else []
    if isinstance(block, ToolCallBlock):
        return [_tool_call_part(block)]
    if isinstance(block, CachePoint):
        return [block]
    return []  # citations and other output-only blocks carry nothing the service takes back


def reasoning_part(block: ThinkingBlock) -> ReasoningPart | RedactedReasoningPart:
    """The reasoning part a `ThinkingBlock` replays as.

    Redacted reasoning is ours (`{"redacted": True, "data": ...}`) or Anthropic's
    (`{"type": "redacted_thinking", "data": ...}`); otherwise the signature, if any, is kept.
    """
    info = block.additional_information
    data = info.get("data")
    redacted = info.get(REDACTED_KEY) or info.get("type") == "redacted_thinking"
    joined = info.get("joined") is True  # continues the block before it (outbound.thinking_block)
    if redacted and isinstance(data, str):
        return RedactedReasoningPart(data, joined=joined)
    signature = info.get("signature")
    return ReasoningPart(block.content or "", signature if isinstance(signature, str) else None,
                         joined=joined)


def _tool_call_part(block: ToolCallBlock) -> ToolCallPart:
    if not block.tool_call_id:
        raise ConfigurationError(f"the call of tool {block.tool_name!r} has no tool_call_id")
    return ToolCallPart(block.tool_call_id, block.tool_name, arguments_text(block.tool_kwargs))


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as JSON text: a string is kept byte for byte, anything else dumped."""
    return blocks.arguments_text(arguments, error=ConfigurationError)


def _legacy_tool_calls(calls: Any) -> list[ToolCallPart]:
    """OpenAI-style `additional_kwargs["tool_calls"]` (dicts or SDK objects), from older code."""
    parts: list[ToolCallPart] = []
    for call in calls or ():
        function = _field(call, "function")
        call_id, name = _field(call, "id"), _field(function, "name")
        if not call_id or not name:
            raise ConfigurationError(f"a tool call in additional_kwargs lacks id or name: {call!r}")
        parts.append(ToolCallPart(str(call_id), str(name),
                                  arguments_text(_field(function, "arguments"))))
    return parts


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _tool_message(message: ChatMessage, previous: list[Message]) -> Message:
    """A `role="tool"` message as one tool result."""
    call_id = message.additional_kwargs.get("tool_call_id") or next(
        (b.tool_call_id for b in message.blocks if isinstance(b, ToolCallBlock)), None)
    if not call_id:
        raise ConfigurationError(
            "a tool message has no tool_call_id (set additional_kwargs['tool_call_id'])")
    inner = [p for p in _content_parts(message, previous) if isinstance(p, (TextPart, ImagePart))]
    is_error = bool(message.additional_kwargs.get("is_error", False))
    return Message("tool", [tool_result(str(call_id), inner, is_error=is_error)])


def _mark_cache_point(block: CachePoint, parts: list[Part], previous: list[Message]) -> None:
    """Caching breakpoint: `cache_control` on the nearest part before it that can carry one."""
    candidates = [parts, *(m.parts for m in reversed(previous))]
    for group in candidates:
        for part in reversed(group):
            if isinstance(part, ToolResultPart) and isinstance(part.content, list) and part.content:
                part.content[-1].cache_control = cache_control(block)
                return
            if isinstance(part, _Cacheable):
                part.cache_control = cache_control(block)
                return
    # A cache point before any content marks nothing.


def cache_control(block: CachePoint) -> CacheControl:
    """The wire `cache_control` of a `CachePoint`; the TTL only when not the default 5 minutes."""
    control: CacheControl = {"type": block.cache_control.type}
    if block.cache_control.ttl and block.cache_control.ttl != "5m":
        control["ttl"] = block.cache_control.ttl
    return control


def image_url(block: ImageBlock) -> str:
    """The image as a `data:` URL, or its remote URL when it has only that: the LLM fetches
    remote URLs afterwards, safely and without blocking async calls (`kit.images`), never
    with LlamaIndex's own blocking download."""
    if block.image is None and block.path is None and block.url is not None:
        return str(block.url)
    data = block.resolve_image(as_base64=True).read()
    mimetype = block.image_mimetype or sniff_image_type(data) or "image/png"
    return f"data:{mimetype};base64,{data.decode('ascii')}"
