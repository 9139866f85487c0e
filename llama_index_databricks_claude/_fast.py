"""Cheap construction of the LlamaIndex objects built once per streamed delta.

A 20,000-delta stream builds 20,000 `ChatResponse`s, each with a `ChatMessage` and a block or two.
Pydantic validation costs about 6 µs per chunk there and `model_construct` more still, which alone
would blow the streaming budget (docs/design-rules.md#per-delta-cost). The values built here are
already of the right types, so these helpers fill the instance dict directly, exactly as
`model_construct` does, minus its generic machinery (`databricks_claude._fastmodel`).

Each helper is declared as a `FastConstructor`, checked once per process (when a
`DatabricksClaude` is built, through `warm_up()`) against validated objects; should a future
pydantic or LlamaIndex store instances differently, that helper falls back to ordinary
validation, with a WARNING. The module names the converter calls (`chat_response`,
`text_block`, `thinking_block`, `tool_call_block`) are bound to the chosen plain functions at
that point (or by `__getattr__` on first access): one dict lookup per delta, no wrapper.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from databricks_claude._fastmodel import FastConstructor
from databricks_claude._fastmodel import make as _make

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


def _response_samples() -> tuple[tuple[Any, ...], ...]:
    """Responses with every kind of block (validated ones), on fresh containers."""
    blocks = [ThinkingBlock(content="t", additional_information={"signature": "s"}),
              TextBlock(text="t"), ToolCallBlock(tool_call_id="id", tool_name="name",
                                                 tool_kwargs='{"a": 1}')]
    return ((blocks, "t", {"thinking_delta": "t"}, {"k": 1}),
            ([], "", {}, {"tool_calls": [{"id": "id"}]}))


def _same_content(fast: ChatResponse, safe: ChatResponse) -> bool:
    """What LlamaIndex derives from the blocks (the message text) is the same."""
    return fast.message.content == safe.message.content


TEXT_BLOCK = FastConstructor("llama-index TextBlock", _fast_text_block, _safe_text_block,
                             lambda: (("t",), ("",)))
"""`text_block(text)`: the answer text so far."""
THINKING_BLOCK = FastConstructor(
    "llama-index ThinkingBlock", _fast_thinking_block, _safe_thinking_block,
    lambda: (("t", {"signature": "s"}), ("", {}), (None, {"redacted": True, "data": "d"})))
"""`thinking_block(content, additional_information)`: one reasoning part so far."""
TOOL_CALL_BLOCK = FastConstructor("llama-index ToolCallBlock", _fast_tool_call_block,
                                  _safe_tool_call_block,
                                  lambda: (("id", "name", '{"a": 1}'), ("", "", "")))
"""`tool_call_block(id, name, arguments)`: one tool call so far."""
CHAT_RESPONSE = FastConstructor("llama-index ChatResponse", _fast_chat_response,
                                _safe_chat_response, _response_samples, _same_content)
"""`chat_response(blocks, delta, additional_kwargs, message_kwargs)`: one streamed chunk."""
_EXPORTS: dict[str, FastConstructor[Any]] = {
    "text_block": TEXT_BLOCK, "thinking_block": THINKING_BLOCK,
    "tool_call_block": TOOL_CALL_BLOCK, "chat_response": CHAT_RESPONSE}
for _name, _constructor in _EXPORTS.items():
    _constructor.export(globals(), _name)

# Bound (as module globals) to the chosen functions once checked; `__getattr__` until then.
text_block: Callable[[str], TextBlock]
thinking_block: Callable[[str | None, dict[str, Any]], ThinkingBlock]
tool_call_block: Callable[[str, str, str], ToolCallBlock]
chat_response: Callable[[list[Any], str, dict[str, Any], dict[str, Any]], ChatResponse]


def __getattr__(name: str) -> Any:
    """A constructor not bound yet: checked (and so bound) now."""
    constructor = _EXPORTS.get(name)
    if constructor is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return constructor.choose()


__all__ = ["CHAT_RESPONSE", "TEXT_BLOCK", "THINKING_BLOCK", "TOOL_CALL_BLOCK", "chat_response",
           "text_block", "thinking_block", "tool_call_block"]
