"""Which tool calls the default model makes on a request, with their arguments.

Claude-like by default: every tool the prompt asks for, all in one turn (parallel tool calls,
as Claude makes them), none when the prompt asks for nothing a tool does, and an answer once
the results are in. A test that wants a longer loop says `rounds=N` in its prompt (or builds
the emulator with `tool_rounds=N`): then one tool is called per turn, N turns, cycling through
the tools best match first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from . import conversation as conv
from . import structured
from .toolargs import PLACE_KEYS, ArgumentBuilder, place_list
from .toolmatch import ToolText, asked_for, first_mention, ranked, tool_text

_ROUNDS = re.compile(r"\brounds\s*=\s*(\d+)")


@dataclass(frozen=True)
class PlannedCall:
    """A tool call to make: the tool's name and its arguments as the JSON string sent."""

    name: str
    arguments: str


def tools_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's tools that are objects."""
    listed = body.get("tools")
    return [t for t in listed if isinstance(t, dict)] if isinstance(listed, list) else []


def plan_calls(body: dict[str, Any], messages: list[dict[str, Any]], prompt: str,
               default_rounds: int) -> list[PlannedCall]:
    """The tool calls for this turn (empty: answer instead)."""
    tools = [tool_text(t) for t in tools_of(body)]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return []
    if isinstance(choice, dict):  # a named tool is called whatever the prompt says
        named = conv.dig(choice, "function", "name")
        chosen = [t for t in tools if t.name == named] or tools[:1]
        return [call_for(chosen[0], prompt)]
    if choice == "auto":
        name, now = structured.answer_tool(messages, [t.name for t in tools])
        if name is not None:  # the answer goes through that tool: now, or once others ran
            final = next(t for t in tools if t.name == name)
            others = [t for t in tools if t is not final]
            calls = [] if now else _planned(others, messages, prompt, default_rounds, choice)
            return calls or [call_for(final, prompt)]
        if structured.asks_for_a_tool(messages):
            choice = "required"
    return _planned(tools, messages, prompt, default_rounds, choice)


def _planned(tools: list[ToolText], messages: list[dict[str, Any]], prompt: str,
             default_rounds: int, choice: Any) -> list[PlannedCall]:
    """The calls among `tools` the prompt asks for (or a loop of `rounds`, or a required one)."""
    if not tools:
        return []
    system = conv.system_text(messages)
    rounds = _ROUNDS.search(prompt)
    if rounds is not None or default_rounds > 1:
        wanted = int(rounds.group(1)) if rounds else default_rounds
        asked = rounds is not None or bool(asked_for(tools, prompt, system))
        return _round_call(tools, messages, prompt, wanted, choice == "required", asked=asked)
    called = conv.called_tools(messages)
    picked = [tools[i] for i in asked_for(tools, prompt, system) if tools[i].name not in called]
    if choice == "required" and not picked:
        # A call is required: the best tool not called yet (after the lookups, the final-answer
        # tool of a structured-output agent), else the best one.
        order = [tools[i] for i in ranked(tools, prompt)]
        picked = [next((t for t in order if t.name not in called), order[0])]
    return [call for tool in picked for call in calls_for(tool, prompt)]


def calls_for(tool: ToolText, prompt: str) -> list[PlannedCall]:
    """The calls of one tool: one per place when it takes a place and the prompt lists several
    ("weather in Paris and London" is two calls, as Claude makes them), else one."""
    properties = conv.dig(tool.parameters, "properties")
    takes_place = isinstance(properties, dict) and any(
        any(k in str(key).lower() for k in PLACE_KEYS) for key in properties)
    places = place_list(prompt, first_mention(tool, prompt)) if takes_place else []
    if len(places) < 2:
        return [call_for(tool, prompt)]
    return [call_for(tool, prompt, place) for place in places]


def _round_call(tools: list[ToolText], messages: list[dict[str, Any]], prompt: str,
                wanted: int, forced: bool, *, asked: bool) -> list[PlannedCall]:
    """One call per turn for `wanted` turns; a prompt asking for no tool gets none."""
    done = conv.tool_rounds_done(messages)
    if not forced and (done >= wanted or not asked):
        return []
    order = ranked(tools, prompt)
    return [call_for(tools[order[done % len(order)]], prompt)]


def call_for(tool: ToolText, prompt: str, place: str | None = None) -> PlannedCall:
    """The call of `tool` with arguments from the prompt (values after its mention first)."""
    parameters = tool.parameters if isinstance(tool.parameters, dict) else {}
    builder = ArgumentBuilder(prompt, anchor=first_mention(tool, prompt), place=place)
    arguments = builder.build(parameters) if parameters else {}
    return PlannedCall(tool.name or "tool", dumps(arguments))


def dumps(value: Any) -> str:
    """Compact JSON, unicode kept as is (as the service sends it)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
