"""`response_format`: sent natively where the model takes it, else as a tool whose call is the
answer (docs/structured-output.md).

* `{"type": "json_schema", ...}` goes out as given on models whose chat route takes it
  (`ModelProfile.json_schema_output`); on the others (the newest models refuse it with a 400)
  the schema becomes one tool and the call of that tool comes back as the answer's JSON text.
* `{"type": "json_object"}` is not supported for Claude: it goes through a tool with an open
  object schema, the same way.
* `{"type": "text"}` is the default and is not sent.

Anything else is refused before sending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import Completion, Part, TextPart, ToolCallPart, ToolSpec
from databricks_claude.profiles import ModelProfile
from databricks_claude.schema import make_tool_spec

__all__ = ["INSTRUCTION", "OutputFormat", "answer_from_json_tool", "output_format_for"]

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_DEFAULT_NAME = "json_answer"
INSTRUCTION = ("When you give your final answer, give it by calling the `{name}` tool once, "
               "with the answer as its arguments (a JSON object that follows its schema), "
               "instead of answering in text.")


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """How one request asks for a format: `native` (the wire `response_format`) or `tool`."""

    native: dict[str, Any] | None = None
    tool: ToolSpec | None = None


def output_format_for(response_format: Any, profile: ModelProfile,
                      tools: list[ToolSpec]) -> OutputFormat:
    """The form `response_format` is sent in for this model (see the module docstring)."""
    if response_format is None:
        return OutputFormat()
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    if kind == "text":
        return OutputFormat()
    if kind == "json_object":
        return OutputFormat(tool=_tool(_DEFAULT_NAME, {"type": "object"}, tools))
    if kind != "json_schema":
        raise ConfigurationError(
            f"response_format {response_format!r} is not supported: use "
            '{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}} '
            '(or {"type": "json_object"})')
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if not isinstance(schema, Mapping):
        raise ConfigurationError("response_format json_schema needs a JSON schema object in "
                                 '"json_schema": {"name": ..., "schema": {...}}')
    if profile.json_schema_output:
        return OutputFormat(native=dict(response_format))
    name = spec.get("name") if isinstance(spec, Mapping) else None
    name = name if isinstance(name, str) and _NAME.match(name) else _DEFAULT_NAME
    return OutputFormat(tool=_tool(name, dict(schema), tools))


def _tool(name: str, schema: dict[str, Any], tools: list[ToolSpec]) -> ToolSpec:
    if any(tool.name == name for tool in tools):
        raise ConfigurationError(
            f"response_format names {name!r}, which is also a bound tool: give the schema "
            "another name (json_schema.name)")
    description = "Give the final answer: its arguments are the answer, as a JSON object."
    return make_tool_spec(name, description, schema)


def answer_from_json_tool(completion: Completion, name: str) -> Completion:
    """`completion` with the call of tool `name` as its answer text (JSON), if it was called.

    Text around that call is dropped (the call is the answer); other tool calls stay, and the
    finish reason becomes "stop" when no other call is left.
    """
    calls = [p for p in completion.parts if isinstance(p, ToolCallPart) and p.name == name]
    if not calls:
        return completion
    answer = calls[0]
    parts: list[Part] = []
    for part in completion.parts:
        if isinstance(part, TextPart) or (isinstance(part, ToolCallPart) and part.name == name):
            if part is answer:
                parts.append(TextPart(answer.arguments))
            continue
        parts.append(part)
    others = any(isinstance(p, ToolCallPart) for p in parts)
    finish = completion.finish_reason
    if finish == "tool_calls" and not others:
        finish = "stop"
    return replace(completion, parts=parts, finish_reason=finish)
