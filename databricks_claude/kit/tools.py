"""Tool definitions as dicts (OpenAI, Anthropic, JSON schema) to `ToolSpec`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import CacheControl, ToolSpec
from databricks_claude.schema import make_tool_spec

__all__ = ["cache_control_of", "make_tool_spec", "spec_from_mapping"]


def cache_control_of(tool: Mapping[str, Any]) -> CacheControl | None:
    """A tool dict's `cache_control`, at the top or on its `function`."""
    value = tool.get("cache_control")
    if value is None and isinstance(tool.get("function"), Mapping):
        value = tool["function"].get("cache_control")
    return dict(value) if isinstance(value, Mapping) else None


def spec_from_mapping(tool: Mapping[str, Any]) -> ToolSpec:
    """A tool dict as a sanitized spec.

    Accepted: OpenAI `{"type": "function", "function": {...}}`, a bare function dict
    (`name`, `description`, `parameters`), and Anthropic `{"name", "input_schema"}`.
    """
    function = tool.get("function", tool)
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise ConfigurationError(f"tool {dict(tool)!r:.100} has no name: give a function tool "
                                 "dict with a name and a JSON schema")
    parameters = function.get("parameters", function.get("input_schema"))
    return make_tool_spec(function["name"], function.get("description") or "", parameters,
                          cache_control=cache_control_of(tool))
