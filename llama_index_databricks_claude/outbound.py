"""The core's answers (`Completion`s) to LlamaIndex `ChatMessage`s and `ChatResponse`s.

An answer is thinking blocks, then the text, then tool calls, laid out as `layout` says; usage
goes in `raw` and `additional_kwargs` with the key names LlamaIndex's token counting reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from databricks_claude.kit.placement import BlockPart, block_positions
from databricks_claude.messages import (
    Completion,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    ToolCallPart,
    Usage,
)
from llama_index_databricks_claude.layout import (
    REDACTED_KEY,
    THINKING_KEY,
    UNKNOWN_BLOCKS_KEY,
    UNKNOWN_POSITIONS_KEY,
)

__all__ = ["TOOL_CHOICE_KEY", "legacy_tool_call", "raw_dict", "thinking_block", "to_blocks",
           "to_chat_message", "to_chat_response", "usage_dict"]


def to_blocks(
    parts: Sequence[Part],
) -> tuple[list[ContentBlock], list[tuple[int, dict[str, Any]]]]:
    """Content blocks for an answer's parts, in order, adjacent text merged into one block.

    Returns the blocks and the unknown parts (kept in `additional_kwargs`), each with the index
    in the blocks it comes before (`kit.placement.block_positions`).
    """
    shown, unknown = block_positions(parts)
    return [_block(part) for part in shown], [(at, part.data) for at, part in unknown]


def _block(part: BlockPart) -> ContentBlock:
    if isinstance(part, TextPart):
        return TextBlock(text=part.text)
    if isinstance(part, ToolCallPart):
        return ToolCallBlock(tool_call_id=part.id, tool_name=part.name, tool_kwargs=part.arguments)
    return thinking_block(part)


def thinking_block(part: ReasoningPart | RedactedReasoningPart) -> ThinkingBlock:
    """A `ThinkingBlock` that replays as exactly this reasoning part."""
    # `joined`: the part continues the reasoning block before it (several summary entries).
    joined: dict[str, Any] = {"joined": True} if part.joined else {}
    if isinstance(part, RedactedReasoningPart):
        return ThinkingBlock(content=None, additional_information={
            REDACTED_KEY: True, "data": part.data, **joined})
    info = {} if part.signature is None else {"signature": part.signature}
    return ThinkingBlock(content=part.text, additional_information={**info, **joined})


def to_chat_message(completion: Completion) -> ChatMessage:
    """The assistant message of an answer: thinking blocks, the text, tool calls.

    Tool calls are `ToolCallBlock`s, mirrored in `additional_kwargs["tool_calls"]` (OpenAI
    form), which some LlamaIndex code still reads; on replay the blocks win.
    """
    blocks, unknown = to_blocks(completion.parts)
    if not any(isinstance(b, TextBlock) for b in blocks):
        # `message.content` is the text; an empty block keeps it "" rather than None (a replay
        # drops it again). Unknown blocks from there on move one place along.
        at = _after_reasoning(blocks)
        blocks.insert(at, TextBlock(text=""))
        unknown = [(position + (position >= at), data) for position, data in unknown]
    extra: dict[str, Any] = {}
    if unknown:
        extra[UNKNOWN_BLOCKS_KEY] = [data for _, data in unknown]
        extra[UNKNOWN_POSITIONS_KEY] = [position for position, _ in unknown]
    calls = completion.tool_calls
    if calls:
        extra["tool_calls"] = [legacy_tool_call(c.id, c.name, c.arguments) for c in calls]
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def legacy_tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A tool call in the OpenAI form of `additional_kwargs["tool_calls"]`."""
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": arguments}}


def _after_reasoning(blocks: list[ContentBlock]) -> int:
    index = 0
    while index < len(blocks) and isinstance(blocks[index], ThinkingBlock):
        index += 1
    return index


def usage_dict(usage: Usage | None) -> dict[str, int]:
    """Usage with the OpenAI key names `TokenCountingHandler` reads, plus the cache counts."""
    if usage is None:
        return {}
    counts = {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
              "total_tokens": usage.total_tokens}
    optional = {"cache_read_input_tokens": usage.cache_read_tokens,
                "cache_creation_input_tokens": usage.cache_write_tokens,
                "reasoning_tokens": usage.reasoning_tokens}
    counts.update({key: value for key, value in optional.items() if value is not None})
    return counts


TOOL_CHOICE_KEY = "tool_choice"
"""The `ChatResponse.raw` key of the tool choice as its request sent it (None: none sent)."""


def raw_dict(completion: Completion) -> dict[str, Any]:
    """`ChatResponse.raw`: id, model, finish reason and usage (the key token counting reads),
    whether thinking was on for the request and its tool choice as sent, as the request decided
    them (when known)."""
    raw: dict[str, Any] = {"id": completion.id, "model": completion.model,
                           "finish_reason": completion.finish_reason,
                           "usage": usage_dict(completion.usage)}
    if completion.decisions is not None:
        raw[THINKING_KEY] = completion.decisions.thinking
        raw[TOOL_CHOICE_KEY] = completion.decisions.tool_choice
    return raw


def to_chat_response(completion: Completion) -> ChatResponse:
    """The `ChatResponse` for a whole answer, with usage in `raw` and `additional_kwargs`."""
    return ChatResponse(message=to_chat_message(completion), raw=raw_dict(completion),
                        delta="", additional_kwargs=usage_dict(completion.usage))
