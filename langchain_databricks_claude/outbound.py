"""The core's answers (`Completion`s) to LangChain `AIMessage`s, laid out as `layout` says.

Reasoning and the argument JSON of tool calls ride in `additional_kwargs`; tool calls whose JSON
does not parse are kept as invalid tool calls; usage becomes `UsageMetadata`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import InvalidToolCall, ToolCall

from databricks_claude.blocks import part_to_block as part_to_wire
from databricks_claude.blocks import reasoning_blocks
from databricks_claude.kit.placement import text_offsets
from databricks_claude.messages import Completion, Part, ToolCallPart, Usage
from langchain_databricks_claude.layout import (
    PROVIDER,
    REASONING_BLOCKS,
    REASONING_CONTENT,
    TOOL_CALL_ARGUMENTS,
    UNKNOWN_BLOCKS,
)

__all__ = ["final_kwargs", "response_metadata", "to_ai_message", "usage_to_metadata"]


def usage_to_metadata(usage: Usage) -> UsageMetadata:
    """Core usage as LangChain `UsageMetadata` (details only when the service reported them)."""
    total = usage.total_tokens or usage.input_tokens + usage.output_tokens
    meta = UsageMetadata(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                         total_tokens=total)
    details: dict[str, int] = {}
    if usage.cache_read_tokens is not None:
        details["cache_read"] = usage.cache_read_tokens
    if usage.cache_write_tokens is not None:
        details["cache_creation"] = usage.cache_write_tokens
    if details:
        meta["input_token_details"] = cast("Any", details)
    if usage.reasoning_tokens is not None:
        meta["output_token_details"] = {"reasoning": usage.reasoning_tokens}
    return meta


def response_metadata(completion: Completion, model_name: str) -> dict[str, Any]:
    """`response_metadata` of an answer: finish reason, endpoint, provider, id, backing model."""
    meta: dict[str, Any] = {
        "finish_reason": completion.finish_reason,
        "model_name": model_name,
        "model_provider": PROVIDER,
    }
    if completion.id:
        meta["id"] = completion.id
    if completion.model:
        meta["model"] = completion.model
    return meta


def final_kwargs(completion: Completion) -> dict[str, Any]:
    """`reasoning_blocks`, `unknown_blocks` and `tool_call_arguments` of an answer (absent when
    empty)."""
    kwargs: dict[str, Any] = {}
    reasoning = completion.reasoning_parts
    if reasoning:
        kwargs[REASONING_BLOCKS] = reasoning_blocks(list(reasoning))  # grouped as received
    unknown = _unknown_blocks(completion.parts)
    if unknown:
        kwargs[UNKNOWN_BLOCKS] = unknown
    calls = completion.tool_calls
    if calls:
        kwargs[TOOL_CALL_ARGUMENTS] = {c.id: c.arguments for c in calls}
    return kwargs


def _unknown_blocks(parts: Sequence[Part]) -> list[dict[str, Any]]:
    """The unknown blocks of an answer, each with the length of the answer text before it."""
    return [{"text_offset": offset, "block": part_to_wire(part)}
            for offset, part in text_offsets(parts)]


def _parse_tool_calls(calls: list[ToolCallPart]) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Tool calls with parsed arguments; those whose JSON does not parse are kept as invalid."""
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in calls:
        try:
            args = call.parsed_arguments()
        except ValueError as error:
            invalid.append(InvalidToolCall(type="invalid_tool_call", id=call.id, name=call.name,
                                           args=call.arguments, error=str(error)))
            continue
        valid.append(ToolCall(type="tool_call", id=call.id, name=call.name, args=args))
    return valid, invalid


def to_ai_message(
    completion: Completion, *, model_name: str, include_usage: bool = True
) -> AIMessage:
    """A non-streaming answer as an `AIMessage` (the layout: `layout`)."""
    kwargs = final_kwargs(completion)
    reasoning_text = completion.reasoning_text
    if reasoning_text:
        kwargs = {REASONING_CONTENT: reasoning_text, **kwargs}
    tool_calls, invalid = _parse_tool_calls(completion.tool_calls)
    usage = usage_to_metadata(completion.usage) if include_usage and completion.usage else None
    return AIMessage(
        content=completion.text,
        additional_kwargs=kwargs,
        response_metadata=response_metadata(completion, model_name),
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage,
        id=completion.id,
    )
