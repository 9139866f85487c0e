"""Tools for `bind_tools`: converted and sanitized once, at bind time.

`bind_tools` stores `BoundTool`s in the binding's `tools` kwarg. A `BoundTool` is the OpenAI-style
tool dict (what LangGraph and tracing inspect) and carries the core `ToolSpec` built from it, so
request building takes the spec as is and never converts a schema again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.utils.function_calling import convert_to_openai_tool

from databricks_claude.kit.tools import cache_control_of, make_tool_spec
from databricks_claude.messages import ToolSpec

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool
    from pydantic import BaseModel

__all__ = ["BoundTool", "to_tool_spec", "to_tool_specs"]


class BoundTool(dict[str, Any]):
    """An OpenAI-style tool dict that also holds its sanitized core `ToolSpec` (`.spec`)."""

    def __init__(self, spec: ToolSpec) -> None:
        function: dict[str, Any] = {"name": spec.name, "description": spec.description,
                                    "parameters": spec.parameters}
        super().__init__(type="function", function=function)
        self.spec = spec


def _cache_control(tool: Any) -> dict[str, Any] | None:
    """`cache_control` of a dict tool, or of a `BaseTool`'s `extras`."""
    if isinstance(tool, Mapping):
        return cache_control_of(tool)
    extras = getattr(tool, "extras", None)
    value = extras.get("cache_control") if isinstance(extras, Mapping) else None
    return dict(value) if isinstance(value, Mapping) else None


def to_tool_spec(
    tool: Mapping[str, Any] | type[BaseModel] | Callable[..., Any] | BaseTool | ToolSpec,
) -> ToolSpec:
    """One tool (pydantic model, function, `@tool`, OpenAI / Anthropic / JSON-schema dict) as a
    sanitized `ToolSpec`. Raises `ValueError` for tools the service cannot take."""
    if isinstance(tool, BoundTool):
        return tool.spec
    if isinstance(tool, ToolSpec):
        return tool
    function = convert_to_openai_tool(tool).get("function")
    if not isinstance(function, Mapping):
        raise ValueError(f"tool {tool!r:.100} is not a function tool: Claude on Databricks chat "
                         "completions takes function tools only")
    return make_tool_spec(function["name"], function.get("description", ""),
                          function.get("parameters"), cache_control=_cache_control(tool))


def to_tool_specs(tools: Sequence[Any]) -> list[ToolSpec]:
    """Several tools as specs (bound tools reuse their spec)."""
    return [to_tool_spec(tool) for tool in tools]

