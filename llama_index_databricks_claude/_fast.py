"""Cheap construction of the LlamaIndex objects built once per streamed delta.

A 20,000-delta stream builds 20,000 `ChatResponse`s, each with a `ChatMessage` and a block or two.
Pydantic validation costs about 6 µs per chunk there and `model_construct` more still, which alone
would blow the streaming budget (DESIGN §7). The values built here are already of the right types,
so these helpers fill the instance dict directly, exactly as `model_construct` does, minus its
generic machinery (`databricks_claude._fastmodel`). A self-check compares them once with
validated objects; should a future pydantic or LlamaIndex store instances differently, every
helper falls back to ordinary validation.
"""

from __future__ import annotations

from typing import Any, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from databricks_claude._fastmodel import make as _make
from databricks_claude._fastmodel import matches

_ASSISTANT = MessageRole.ASSISTANT


def _fast_text_block(text: str) -> TextBlock:
    return _make(TextBlock, {"block_type": "text", "text": text}, {"text"})


def _fast_thinking_block(content: str | None, info: dict[str, Any]) -> ThinkingBlock:
    values = {"block_type": "thinking", "content": content, "num_tokens": None,
              "additional_information": info}
    return _make(ThinkingBlock, values, {"content", "additional_information"})


def _fast_tool_call_block(call_id: str, name: str, arguments: str) -> ToolCallBlock:
    values = {"block_type": "tool_call", "tool_call_id": call_id, "tool_name": name,
              "tool_kwargs": arguments}
    return _make(ToolCallBlock, values,
                 {"tool_call_id", "tool_name", "tool_kwargs"})


def _fast_chat_response(blocks: list[Any], delta: str, additional_kwargs: dict[str, Any],
                        message_kwargs: dict[str, Any]) -> ChatResponse:
    message = _make(ChatMessage, {"role": _ASSISTANT, "additional_kwargs": message_kwargs,
                                  "blocks": blocks}, {"role", "blocks", "additional_kwargs"})
    values = {"message": message, "raw": None, "delta": delta, "logprobs": None,
              "additional_kwargs": additional_kwargs}
    return _make(ChatResponse, values,
                 {"message", "delta", "additional_kwargs"})


def _safe_text_block(text: str) -> TextBlock:
    return TextBlock(text=text)


def _safe_thinking_block(content: str | None, info: dict[str, Any]) -> ThinkingBlock:
    return ThinkingBlock(content=content, additional_information=info)


def _safe_tool_call_block(call_id: str, name: str, arguments: str) -> ToolCallBlock:
    return ToolCallBlock(tool_call_id=call_id, tool_name=name, tool_kwargs=arguments)


def _safe_chat_response(blocks: list[Any], delta: str, additional_kwargs: dict[str, Any],
                        message_kwargs: dict[str, Any]) -> ChatResponse:
    message = ChatMessage(role=_ASSISTANT, blocks=blocks, additional_kwargs=message_kwargs)
    return ChatResponse(message=message, delta=delta, additional_kwargs=additional_kwargs)


def _sample(text_block: Any, thinking_block: Any, tool_call_block: Any,
            chat_response: Any) -> ChatResponse:
    """One response with every kind of block, built with the given helpers."""
    blocks = [thinking_block("t", {"signature": "s"}), text_block("t"),
              tool_call_block("id", "name", '{"a": 1}')]
    return cast("ChatResponse", chat_response(blocks, "t", {"thinking_delta": "t"}, {"k": 1}))


def _fast_path_works() -> bool:
    """True when the direct construction gives objects identical to validated ones."""
    return matches(
        lambda: _sample(_fast_text_block, _fast_thinking_block, _fast_tool_call_block,
                        _fast_chat_response),
        lambda: _sample(_safe_text_block, _safe_thinking_block, _safe_tool_call_block,
                        _safe_chat_response),
        (),
        check=lambda fast, safe: fast.message.content == safe.message.content == "t",
    )


if _fast_path_works():
    text_block, thinking_block = _fast_text_block, _fast_thinking_block
    tool_call_block, chat_response = _fast_tool_call_block, _fast_chat_response
else:  # pragma: no cover - only with a pydantic that stores instances differently
    text_block, thinking_block = _safe_text_block, _safe_thinking_block
    tool_call_block, chat_response = _safe_tool_call_block, _safe_chat_response

__all__ = ["chat_response", "text_block", "thinking_block", "tool_call_block"]
