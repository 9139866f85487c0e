"""Neutral messages and options -> the JSON payload of one Databricks chat request.

The wire-neutral rules (`databricks_claude.rules`) decide thinking, effort, sampling and tool
choice; `history` maps the messages; this module writes the decisions in this wire's keys and
assembles the payload. The service rejects unknown top-level keys, so the payload only ever
holds keys it accepts.

* `cache_control` on a `ToolSpec` goes on that tool's `function` object; put it on the last
  tool to cache all tool definitions.
* `extra_body` is the caller's escape hatch and is merged at the root as given, with
  exceptions that the service always refuses: `parallel_tool_calls` is dropped (with a warning),
  `strict` is removed from any function definition it carries, and the keys it is known to
  refuse raise `ConfigurationError` (`extras`).
* `response_format` goes out natively where the model takes it, else as one more tool whose
  call is the answer (`rules.output_format`, docs/structured-output.md).
* Thinking is turned off (with a warning) for a request that continues a tool loop whose
  assistant turn has no reasoning block: the service refuses that combination. Budget thinking
  is left out; adaptive thinking is sent as `{"type": "disabled"}`.

Wire facts: docs/wire-chat.md; rules: docs/design-rules.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from databricks_claude.codecs import Request
from databricks_claude.codecs.chat.extras import (
    ANY_TOOL_INSTRUCTION,
    NAMED_TOOL_INSTRUCTION,
    add_instruction,
    add_system_text,
    check_extra_keys,
)
from databricks_claude.codecs.chat.history import check_tool_pairing, wire_messages
from databricks_claude.messages import Decisions, Message, RequestOptions, ToolSpec
from databricks_claude.notes import collecting, warn
from databricks_claude.profiles import ModelProfile
from databricks_claude.rules.content import check_n, check_vision
from databricks_claude.rules.output_format import OutputFormat, output_format_for
from databricks_claude.rules.sampling import sampling_for
from databricks_claude.rules.thinking import effort_for, max_tokens_for, thinking_for, thinking_on
from databricks_claude.rules.tool_choice import ToolChoiceDecision, check_tools, tool_choice_for

__all__ = ["build_payload", "build_request"]


def _tool_to_wire(tool: ToolSpec) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.parameters
    if tool.cache_control is not None:
        function["cache_control"] = tool.cache_control
    return {"type": "function", "function": function}


_REASONING_BLOCK_TYPES = frozenset({"reasoning", "thinking", "redacted_thinking"})


def _open_tool_turn(wire: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The assistant turn whose tool results end the conversation, if it ends in a tool loop."""
    position = len(wire) - 1
    while position >= 0 and wire[position]["role"] == "tool":
        position -= 1
    if position == len(wire) - 1 or position < 0 or wire[position]["role"] != "assistant":
        return None
    return wire[position]


def _starts_with_reasoning(assistant: dict[str, Any]) -> bool:
    content = assistant.get("content")
    first = content[0] if isinstance(content, list) and content else None
    return isinstance(first, dict) and first.get("type") in _REASONING_BLOCK_TYPES


def _thinking_for_tool_loop(thinking: dict[str, Any],
                            wire: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The thinking to send when thinking is on: itself, or off when a tool loop forbids it.

    With thinking on, the service refuses to continue a tool loop whose assistant turn does not
    start with its reasoning block (for instance a history whose reasoning was not kept).
    Budget thinking is then left out (None); adaptive thinking becomes `{"type": "disabled"}`,
    since adaptive models may think by default.
    """
    turn = _open_tool_turn(wire)
    if turn is None or _starts_with_reasoning(turn):
        return thinking
    warn("thinking turned off for this request: the tool loop it continues has an assistant "
          "turn without its reasoning block, which Claude refuses while thinking is on (keep "
          "the reasoning of assistant messages to avoid this)")
    return {"type": "disabled"} if thinking.get("type") == "adaptive" else None


def _stop(stop: Sequence[str] | str | None) -> list[str] | None:
    if not stop:
        return None
    return [stop] if isinstance(stop, str) else list(stop)


def _without_strict(tools: Any) -> Any:
    """`tools` from extra_body with `strict` removed from every function definition."""
    if not isinstance(tools, list):
        return tools
    cleaned = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and "strict" in function:
            function = {k: v for k, v in function.items() if k != "strict"}
            tool = {**tool, "function": function}
        if isinstance(tool, dict) and "strict" in tool:
            tool = {k: v for k, v in tool.items() if k != "strict"}
        cleaned.append(tool)
    return cleaned


def _merge_extra_body(payload: dict[str, Any], extra_body: Mapping[str, Any]) -> None:
    for key, value in extra_body.items():
        if key == "parallel_tool_calls":
            warn("parallel_tool_calls not sent: the service rejects it ('Extra inputs are not "
                  "permitted'); Claude may still return several tool calls")
            continue
        payload[key] = _without_strict(value) if key == "tools" else value


def _tool_choice_to_wire(decision: ToolChoiceDecision | None) -> Any:
    """The wire `tool_choice` of a decision (None: none sent)."""
    if decision is None:
        return None
    if decision.keyword is None:
        return {"type": "function", "function": {"name": decision.name}}
    return decision.keyword


def _thinking_sent(wire: list[dict[str, Any]], options: RequestOptions, profile: ModelProfile,
                   max_tokens: int) -> dict[str, Any] | None:
    """The `thinking` object to send: the rule's, off when the tool loop forbids it."""
    thinking = thinking_for(options, profile, max_tokens)
    if thinking is not None and thinking.get("type") in ("enabled", "adaptive"):
        thinking = _thinking_for_tool_loop(thinking, wire)
    return thinking


def build_payload(
    messages: Sequence[Message],
    options: RequestOptions,
    *,
    model: str | None,
    profile: ModelProfile,
    stream: bool = False,
) -> dict[str, Any]:
    """The JSON body of one chat request (see the module docstring and docs/design-rules.md).

    `model=None` leaves out the `model` key (for `/invocations` routes). Raises
    `ConfigurationError` for anything the service would refuse and the caller must fix; emits a
    `DatabricksClaudeWarning` for each setting it drops or downgrades.
    """
    return _build(messages, options, model=model, profile=profile, stream=stream)[0]


def _build(messages: Sequence[Message], options: RequestOptions, *, model: str | None,
           profile: ModelProfile, stream: bool) -> tuple[dict[str, Any], ToolSpec | None]:
    """The payload, and the tool a `response_format` went out as (None: none)."""
    check_n(options.n)
    options, output = _with_output_format(options, profile)
    wire = wire_messages(messages)
    check_tool_pairing(wire)
    check_vision(messages, profile)
    if output.tool is not None:
        add_instruction(wire, output.tool.name)
    max_tokens = max_tokens_for(options, profile)
    thinking = _thinking_sent(wire, options, profile, max_tokens)
    payload: dict[str, Any] = {"messages": wire}
    if model is not None:
        payload["model"] = model
    payload["max_tokens"] = max_tokens
    if thinking is not None:
        payload["thinking"] = thinking
    _add_options(payload, options, profile, thinking, output.tool)
    if output.native is not None:
        payload["response_format"] = output.native
    if stream:
        payload["stream"] = True
    if options.extra_body:
        _merge_extra_body(payload, options.extra_body)
    return payload, output.tool


def _with_output_format(options: RequestOptions,
                        profile: ModelProfile) -> tuple[RequestOptions, OutputFormat]:
    """The options without their `response_format` (checked extras), and the form it takes:
    native, or a tool added to the options' tools (docs/structured-output.md)."""
    extra = dict(options.extra_body or {})
    check_extra_keys(extra)
    tools = list(options.tools or ())
    output = output_format_for(extra.pop("response_format", None), profile, tools)
    if output.tool is not None:
        tools.append(output.tool)
    return replace(options, extra_body=extra or None, tools=tools or None), output


def _add_options(payload: dict[str, Any], options: RequestOptions, profile: ModelProfile,
                 thinking: dict[str, Any] | None, json_tool: ToolSpec | None = None) -> None:
    """Effort, sampling, stop sequences, tools and tool choice, in the service's keys."""
    reasoning = thinking_on(thinking)
    effort = effort_for(options, profile, thinking)
    if effort is not None:
        payload["output_config"] = {"effort": effort}
    payload.update(sampling_for(options, profile, reasoning))
    stop = _stop(options.stop)
    if stop:
        payload["stop"] = stop
    tools: Sequence[ToolSpec] = options.tools or ()
    if tools:
        check_tools(tools)
        payload["tools"] = [_tool_to_wire(tool) for tool in tools]
    wanted = _json_tool_choice(options, json_tool, reasoning)
    names = [t.name for t in tools]
    decision = tool_choice_for(wanted, names, reasoning)
    if reasoning and decision is not None:
        _ask_for_forced_tool(payload["messages"], tool_choice_for(wanted, names, False))
    choice = _tool_choice_to_wire(decision)
    if choice is not None:
        payload["tool_choice"] = choice


def _ask_for_forced_tool(wire: list[dict[str, Any]], unforced: ToolChoiceDecision | None) -> None:
    """Ask in the system prompt for the tool call a forced choice wanted, when thinking made it
    "auto" (Claude refuses forced tool use while thinking): otherwise an agent that relies on
    the call (LangChain's tool strategy) may get plain text."""
    if unforced is None or unforced.keyword not in (None, "required"):
        return
    text = (ANY_TOOL_INSTRUCTION if unforced.keyword == "required"
            else NAMED_TOOL_INSTRUCTION.format(name=unforced.name))
    add_system_text(wire, text)


def _json_tool_choice(options: RequestOptions, json_tool: ToolSpec | None,
                      reasoning: bool) -> Any:
    """The tool choice, with the `response_format` tool forced when it is the only tool, no
    choice was given and thinking is off (Claude refuses forced tool use while thinking; the
    system instruction asks for the call then)."""
    if (json_tool is None or options.tool_choice is not None or reasoning
            or len(options.tools or ()) != 1):
        return options.tool_choice
    return json_tool.name


def build_request(messages: Sequence[Message], options: RequestOptions, *, model: str | None,
                  profile: ModelProfile, stream: bool = False) -> Request:
    """`build_payload`, with what it decided: thinking as sent, tool choice as sent, warnings,
    and the tool a `response_format` went out as."""
    with collecting() as notes:
        payload, json_tool = _build(messages, options, model=model, profile=profile,
                                    stream=stream)
    decisions = Decisions(thinking=thinking_on(payload.get("thinking")),
                          tool_choice=payload.get("tool_choice"), warnings=tuple(notes),
                          json_tool=json_tool.name if json_tool else None)
    return Request(payload, decisions)
