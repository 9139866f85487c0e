"""Tools in and tool calls out: LlamaIndex tools (or tool dicts) as core `ToolSpec`s, and the
tool calls of a response as LlamaIndex `ToolSelection`s."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from llama_index.core.base.llms.types import ChatResponse, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from databricks_claude.errors import InvalidToolArgumentsError
from databricks_claude.kit.tools import make_tool_spec, spec_from_mapping
from databricks_claude.messages import ToolCallPart, ToolSpec

__all__ = ["keep_first_tool_call", "to_tool_specs", "tool_selections"]


def to_tool_specs(tools: Iterable[Any]) -> list[ToolSpec]:
    """Tool specs from LlamaIndex tools, OpenAI-style tool dicts or ready `ToolSpec`s."""
    specs: list[ToolSpec] = []
    for tool in tools:
        if isinstance(tool, ToolSpec):
            specs.append(tool)
        elif isinstance(tool, Mapping):
            specs.append(spec_from_mapping(tool))
        else:
            metadata = tool.metadata
            specs.append(make_tool_spec(metadata.get_name(), metadata.description,
                                        metadata.get_parameters_dict()))
    return specs


def tool_selections(response: ChatResponse) -> list[ToolSelection]:
    """The tool calls of a response or a streamed chunk.

    Partial arguments are tolerated in a chunk of a stream still under way (agents read the
    calls on every chunk). A finished answer (a `chat` response or a stream's last chunk: its
    `raw` has the finish reason) whose call's arguments are not a JSON object raises
    `InvalidToolArgumentsError`: the call is never returned with guessed arguments
    (docs/design-rules.md#invalid-tool-arguments).
    """
    raw = response.raw
    finished = isinstance(raw, Mapping) and "finish_reason" in raw
    reason = raw.get("finish_reason") if isinstance(raw, Mapping) else None
    return [_tool_selection(block, finished, reason) for block in response.message.blocks
            if isinstance(block, ToolCallBlock)]


def _tool_selection(block: ToolCallBlock, finished: bool, reason: Any) -> ToolSelection:
    arguments = block.tool_kwargs
    if isinstance(arguments, str):
        arguments = _strict_arguments(block, reason) if finished else _parse_arguments(arguments)
    return ToolSelection(tool_id=block.tool_call_id or "", tool_name=block.tool_name,
                         tool_kwargs=arguments)


def _strict_arguments(block: ToolCallBlock, reason: Any) -> dict[str, Any]:
    """The arguments of a finished call; raises `InvalidToolArgumentsError` if not an object."""
    text = str(block.tool_kwargs)
    try:
        return ToolCallPart(block.tool_call_id or "", block.tool_name, text).parsed_arguments()
    except ValueError as error:
        cause = ("the answer was cut off by max_tokens (finish_reason 'length'): raise "
                 "max_tokens and ask again" if reason == "length"
                 else "the model sent arguments that do not parse")
        raise InvalidToolArgumentsError(
            f"tool call {block.tool_call_id!r} to {block.tool_name!r} has arguments that are "
            f"not a JSON object ({text[:200]!r}): {cause}. The call is not returned, so that "
            "no tool runs with guessed arguments.") from error


def _parse_arguments(text: str) -> dict[str, Any]:
    """Arguments JSON, complete or cut off mid-stream; `{}` when nothing parses yet."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = parse_partial_json(text)
        except (ValueError, TypeError):
            return {}
    return value if isinstance(value, dict) else {}


def keep_first_tool_call(response: ChatResponse) -> None:
    """Drop every tool call but the first, from the blocks and their OpenAI-form mirror."""
    message = response.message
    blocks = message.blocks
    calls = [i for i, block in enumerate(blocks) if isinstance(block, ToolCallBlock)]
    if len(calls) > 1:
        dropped = set(calls[1:])
        message.blocks = [b for i, b in enumerate(blocks) if i not in dropped]
    legacy = message.additional_kwargs.get("tool_calls")
    if isinstance(legacy, list) and len(legacy) > 1:
        message.additional_kwargs["tool_calls"] = legacy[:1]
