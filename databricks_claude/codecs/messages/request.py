"""Neutral messages and options -> the JSON payload of one Messages-route request.

The wire-neutral rules (`databricks_claude.rules`) decide thinking, effort, sampling and tool
choice exactly as on the chat route; this module writes the decisions in the Anthropic Messages
keys: `system` at the top level, `stop_sequences`, tools with `input_schema`, `tool_choice` as
`{"type": "auto" | "any" | "tool" | "none"}`, effort in `output_config`. `extra_body` is merged
at the root; `parallel_tool_calls: false` there becomes `disable_parallel_tool_use` on the tool
choice, this route's form of it. Wire facts: docs/wire-messages.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from databricks_claude.codecs import Request
from databricks_claude.codecs.messages.history import check_tool_pairing, wire_conversation
from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import Decisions, Message, RequestOptions, ToolSpec
from databricks_claude.notes import collecting, warn
from databricks_claude.profiles import ModelProfile
from databricks_claude.rules.content import check_n, check_vision
from databricks_claude.rules.sampling import sampling_for
from databricks_claude.rules.thinking import effort_for, max_tokens_for, thinking_for, thinking_on
from databricks_claude.rules.tool_choice import ToolChoiceDecision, check_tools, tool_choice_for

__all__ = ["build_payload", "build_request"]

_REASONING_TYPES = frozenset({"thinking", "redacted_thinking"})


def _tool_to_wire(tool: ToolSpec) -> dict[str, Any]:
    wire: dict[str, Any] = {"name": tool.name}
    if tool.description:
        wire["description"] = tool.description
    wire["input_schema"] = tool.parameters
    if tool.cache_control is not None:
        wire["cache_control"] = tool.cache_control
    return wire


def _tool_choice_to_wire(decision: ToolChoiceDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    if decision.keyword is None:
        return {"type": "tool", "name": decision.name}
    return {"type": {"required": "any"}.get(decision.keyword, decision.keyword)}


def _continues_unreasoned_tool_loop(wire: Sequence[dict[str, Any]]) -> bool:
    """True when the conversation ends in tool results answering an assistant turn that does
    not open with its reasoning (which Claude refuses while thinking is on)."""
    if len(wire) < 2 or wire[-1]["role"] != "user":
        return False
    if not any(block["type"] == "tool_result" for block in wire[-1]["content"]):
        return False
    blocks = wire[-2]["content"]
    return not (blocks and blocks[0].get("type") in _REASONING_TYPES)


def _thinking_sent(wire: list[dict[str, Any]], options: RequestOptions, profile: ModelProfile,
                   max_tokens: int) -> dict[str, Any] | None:
    """The `thinking` object to send: the rule's, off when the tool loop forbids it."""
    thinking = thinking_for(options, profile, max_tokens)
    if not thinking_on(thinking) or not _continues_unreasoned_tool_loop(wire):
        return thinking
    warn("thinking turned off for this request: the tool loop it continues has an assistant "
         "turn without its reasoning block, which Claude refuses while thinking is on (keep "
         "the reasoning of assistant messages to avoid this)")
    return {"type": "disabled"} if thinking and thinking.get("type") == "adaptive" else None


def _check_options(messages: Sequence[Message], options: RequestOptions,
                   profile: ModelProfile, model: str | None) -> None:
    if model is None:
        raise ConfigurationError("the Messages route needs the endpoint name as `model`; it has "
                                 "no per-endpoint /invocations form")
    check_n(options.n)
    check_vision(messages, profile)


def build_payload(messages: Sequence[Message], options: RequestOptions, *, model: str | None,
                  profile: ModelProfile, stream: bool = False) -> dict[str, Any]:
    """The JSON body of one Messages request. Raises `ConfigurationError` for anything the
    service would refuse and the caller must fix; warns for each setting dropped."""
    _check_options(messages, options, profile, model)
    system, wire = wire_conversation(messages)
    check_tool_pairing(wire)
    max_tokens = max_tokens_for(options, profile)
    thinking = _thinking_sent(wire, options, profile, max_tokens)
    payload: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": wire}
    if system is not None:
        payload["system"] = system
    if thinking is not None:
        payload["thinking"] = thinking
    _add_options(payload, options, profile, thinking)
    if stream:
        payload["stream"] = True
    if options.extra_body:
        _merge_extra_body(payload, options.extra_body)
    return payload


def _add_options(payload: dict[str, Any], options: RequestOptions, profile: ModelProfile,
                 thinking: dict[str, Any] | None) -> None:
    """Effort, sampling, stop sequences, tools and tool choice, in this route's keys."""
    reasoning = thinking_on(thinking)
    effort = effort_for(options, profile, thinking)
    if effort is not None:
        payload["output_config"] = {"effort": effort}
    payload.update(sampling_for(options, profile, reasoning))
    stop = options.stop
    if stop:
        payload["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    tools: Sequence[ToolSpec] = options.tools or ()
    if tools:
        check_tools(tools)
        payload["tools"] = [_tool_to_wire(tool) for tool in tools]
    choice = _tool_choice_to_wire(
        tool_choice_for(options.tool_choice, [t.name for t in tools], reasoning))
    if choice is not None:
        payload["tool_choice"] = choice


def _merge_extra_body(payload: dict[str, Any], extra_body: Mapping[str, Any]) -> None:
    for key, value in extra_body.items():
        if key == "parallel_tool_calls":
            if value is False:
                choice = payload.setdefault("tool_choice", {"type": "auto"})
                choice["disable_parallel_tool_use"] = True
            continue
        if key == "output_config" and isinstance(value, Mapping):
            payload["output_config"] = {**payload.get("output_config", {}), **value}
            continue
        payload[key] = value


def build_request(messages: Sequence[Message], options: RequestOptions, *, model: str | None,
                  profile: ModelProfile, stream: bool = False) -> Request:
    """`build_payload`, with what it decided: thinking as sent, tool choice as sent, warnings."""
    with collecting() as notes:
        payload = build_payload(messages, options, model=model, profile=profile, stream=stream)
    decisions = Decisions(thinking=thinking_on(payload.get("thinking")),
                          tool_choice=payload.get("tool_choice"), warnings=tuple(notes))
    return Request(payload, decisions)
