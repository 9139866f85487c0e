"""Tools and tool choice: how many tools, their names, and the choice the model can honour.

A choice is decided as a keyword ("auto", "required", "none") or a bound tool's name; each codec
writes it in its own form. Rules: docs/design-rules.md#tool-choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import ToolSpec
from databricks_claude.notes import warn

__all__ = ["MAX_TOOLS", "ToolChoiceDecision", "check_tools", "tool_choice_for",
           "validate_tool_choice"]

#: The most tools one request may carry.
MAX_TOOLS = 32


def check_tools(tools: Sequence[ToolSpec]) -> None:
    """Refuse more tools than the service takes, and two tools of one name."""
    if len(tools) > MAX_TOOLS:
        raise ConfigurationError(
            f"{len(tools)} tools were bound; the service accepts at most {MAX_TOOLS}")
    seen: set[str] = set()
    for tool in tools:
        if tool.name in seen:
            raise ConfigurationError(f"two tools are named {tool.name!r}; names must be unique")
        seen.add(tool.name)


_AUTO, _REQUIRED, _NONE = "auto", "required", "none"
_KEYWORD_CHOICES = {"auto": _AUTO, "required": _REQUIRED, "any": _REQUIRED, "none": _NONE}


def _choice_keyword(choice: Any) -> str | None:
    """"auto" / "required" / "none" for a keyword choice in any accepted form, else None."""
    if choice is True:
        return _REQUIRED
    if isinstance(choice, str):
        return _KEYWORD_CHOICES.get(choice)
    if isinstance(choice, dict):
        kind = choice.get("type")
        return _KEYWORD_CHOICES.get(kind) if isinstance(kind, str) else None
    raise ConfigurationError(f"tool_choice {choice!r} is not a known form")


def _choice_name(choice: Any) -> str:
    """The tool name of a named choice: a bare name, OpenAI or Anthropic style dict."""
    name: Any = choice
    if isinstance(choice, dict):
        if choice.get("type") == "function" and isinstance(choice.get("function"), dict):
            name = choice["function"].get("name")
        elif choice.get("type") == "tool":
            name = choice.get("name")
        else:
            raise ConfigurationError(f"tool_choice {choice!r} is not a known form")
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"tool_choice {choice!r} names no tool")
    return name


def _checked_choice(choice: Any, tool_names: Sequence[str]) -> tuple[str | None, str]:
    """(keyword, tool name) of a tool choice that is not off; raises for a choice it refuses."""
    keyword = _choice_keyword(choice)
    name = ""
    if keyword is None:
        name = _choice_name(choice)
        if name not in tool_names:
            bound = ", ".join(tool_names) or "none"
            raise ConfigurationError(f"tool_choice names {name!r}, which is not a bound tool "
                                     f"(bound tools: {bound})")
    if not tool_names and keyword == _REQUIRED:
        raise ConfigurationError("tool_choice requires a tool call but no tools are bound")
    return keyword, name


def validate_tool_choice(choice: Any, tool_names: Sequence[str]) -> None:
    """Raise the `ConfigurationError` `build_payload` would raise for this tool choice.

    Accepted: None / False (none sent), "auto", "required" / "any" / True, "none", a bound tool's
    name, an OpenAI `{"type": "function", "function": {"name": ...}}` or Anthropic
    `{"type": "tool", "name": ...}` dict, or `{"type": <keyword>}`. Refused: an unknown form, a
    name that is not in `tool_names`, and a required tool call with no tools bound. The thinking
    rule (a forced choice is downgraded to "auto" with a warning) is applied when sending.
    """
    if choice is not None and choice is not False:
        _checked_choice(choice, tool_names)


@dataclass(slots=True, frozen=True)
class ToolChoiceDecision:
    """The tool choice to send: a keyword ("auto", "required", "none"), or `name` for one tool."""

    keyword: str | None
    name: str = ""


def tool_choice_for(choice: Any, tool_names: Sequence[str],
                    reasoning: bool) -> ToolChoiceDecision | None:
    """The tool choice to send, or None to send none (refuses a choice it cannot honour)."""
    if choice is None or choice is False:
        return None
    keyword, name = _checked_choice(choice, tool_names)
    if not tool_names:
        return None  # auto/none without tools mean nothing; the service refuses them alone
    if reasoning and keyword in (None, _REQUIRED):
        warn(f"tool_choice {choice!r} changed to 'auto': Claude cannot force tool use while "
             "thinking is on")
        return ToolChoiceDecision(_AUTO)
    return ToolChoiceDecision(keyword, name)
