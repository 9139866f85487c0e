"""The deterministic model: scripted replies first, else tool calls and answers from the prompt."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from . import conversation as conv
from . import react
from .catalog import Endpoint
from .plan import PlannedCall, dumps, plan_calls
from .reply import ReasoningBlock, Reply, ToolCall, completion_tokens, short_id
from .script import ScriptedReply
from .signing import Signer
from .toolargs import ArgumentBuilder


@dataclass(frozen=True)
class Context:
    """Per-request facts the model needs besides the body."""

    endpoint: Endpoint
    signer: Signer
    seq: int
    prompt_tokens: int
    tool_rounds: int = 1
    cache: tuple[int, int] | None = None


def respond(body: dict[str, Any], ctx: Context, script: ScriptedReply | None) -> Reply:
    """The reply to a request: the scripted one when given, else the default model's."""
    msg_id = short_id("msg_bdrk_01", f"{ctx.seq}:{ctx.endpoint.name}")
    reply = Reply(id=msg_id, model=ctx.endpoint.backing_id, created=int(time.time()),
                  prompt_tokens=ctx.prompt_tokens, cache=ctx.cache)
    if script is not None:
        _fill_scripted(reply, body, ctx, script)
    else:
        _fill_default(reply, body, ctx)
    if _display_omitted(body, ctx.endpoint):
        _omit_reasoning_text(reply, ctx.signer)
    reply.completion_tokens = completion_tokens(reply)
    return reply


def _fill_scripted(reply: Reply, body: dict[str, Any], ctx: Context,
                   script: ScriptedReply) -> None:
    reply.text, reply.chunk_size, reply.delay = script.text, script.chunk_size, script.delay
    if script.redacted:
        reply.reasoning.append(ReasoningBlock(data=ctx.signer.redacted_data(reply.id)))
    reasoning = script.reasoning
    if reasoning is None and conv.thinking_on(body) and not script.redacted:
        reasoning = "The reply to this request was scripted; I will give it."
    if reasoning is not None:
        reply.reasoning.append(ReasoningBlock(reasoning, ctx.signer.sign(reasoning)))
    for index, call in enumerate(script.tool_calls):
        arguments = call.arguments if isinstance(call.arguments, str) else dumps(call.arguments)
        call_id = call.id or short_id("toolu_bdrk_01", f"{reply.id}:{index}")
        reply.tool_calls.append(ToolCall(call_id, call.name, arguments))
    reply.finish_reason = script.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _fill_default(reply: Reply, body: dict[str, Any], ctx: Context) -> None:
    messages = conv.messages_of(body)
    prompt, thought = _turn(reply, body, messages, ctx.tool_rounds)
    prefill = conv.prefill_of(messages)
    if prefill is not None:
        reply.text = _continuation(prefill, reply.text, calls=bool(reply.tool_calls))
    if reply.tool_calls:
        reply.finish_reason = "tool_calls"
    else:
        reply.text, reply.finish_reason = _apply_stop(reply.text, body.get("stop"))
    if conv.thinking_on(body):
        _add_reasoning(reply, ctx.signer, thought, redacted=conv.MAGIC_REDACTED in prompt)
    _apply_max_tokens(reply, body)


def _turn(reply: Reply, body: dict[str, Any], messages: list[dict[str, Any]],
          tool_rounds: int) -> tuple[str, str]:
    """Fill the reply's text and tool calls; returns the prompt answered and the thought."""
    system = conv.system_text(messages)
    if react.asks_for_react(system):
        reply.text, prompt, thought = react.react_turn(messages, system)
        return prompt, thought
    prompt = conv.prompt_of(messages)
    calls = plan_calls(body, messages, prompt, tool_rounds)
    for index, call in enumerate(calls):
        # The first call keeps the id a single call always had (tests and fixtures pin it).
        call_id = short_id("toolu_bdrk_01", f"{reply.id}:{index}" if index else reply.id)
        reply.tool_calls.append(ToolCall(call_id, call.name, call.arguments))
    reply.text, thought = _calls_text(calls, prompt) if calls else _answer(body, messages, prompt)
    return prompt, thought


def _calls_text(calls: list[PlannedCall], prompt: str) -> tuple[str, str]:
    """The text before tool calls, and the thought behind them."""
    names = [call.name for call in calls]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (f"I'll use {listed} to help with that.",
            f"The user asks: {react.snippet(prompt)} I will call {listed}.")


def _continuation(prefill: str, text: str, *, calls: bool) -> str:
    """What follows an assistant prefill: the rest of the answer it begins, never a repeat.

    When the answer does not begin with the prefill (the caller wrote its own), the answer
    follows it after a space; before tool calls, the calls follow it directly.
    """
    if text.startswith(prefill):
        return text[len(prefill):]
    if calls or not prefill:
        return "" if calls else text
    return " " + text.lstrip()


def _answer(body: dict[str, Any], messages: list[dict[str, Any]], prompt: str) -> tuple[str, str]:
    results = conv.tool_results(messages)
    schema = _json_schema(body.get("response_format"))
    if schema is not None:  # constrained output: JSON whether or not tools ran before
        return dumps(ArgumentBuilder(prompt).build(schema)), "I will answer in the JSON schema."
    if results:
        return f"The result is {'; '.join(results)}.", "I have the tool results; I will answer."
    said = react.snippet(prompt)
    thought = f"The user asks: {said} I will answer directly."
    return f"Hello! This is the Databricks Claude emulator. You said: {said}", thought


def _display_omitted(body: dict[str, Any], endpoint: Endpoint) -> bool:
    """Whether reasoning text is left out: asked for, or by default on the adaptive-only models.

    Opus 4.7 and newer default `thinking.display` to "omitted"
    (docs/emulator-model.md#reasoning-display).
    """
    display = conv.display_of(body)
    return display == "omitted" or (display is None and endpoint.adaptive_only)


def _omit_reasoning_text(reply: Reply, signer: Signer) -> None:
    """Each readable reasoning block becomes empty text with a signature (redacted ones stay)."""
    reply.reasoning = [block if block.data is not None else ReasoningBlock("", signer.sign(""))
                       for block in reply.reasoning]


def _add_reasoning(reply: Reply, signer: Signer, thought: str, *, redacted: bool) -> None:
    if redacted:
        reply.reasoning.append(ReasoningBlock(data=signer.redacted_data(reply.id)))
    else:
        reply.reasoning.append(ReasoningBlock(thought, signer.sign(thought)))


def _apply_stop(text: str, stop: Any) -> tuple[str, str]:
    listed = stop if isinstance(stop, list) else []
    stops = [stop] if isinstance(stop, str) else [s for s in listed if isinstance(s, str)]
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    return (text[:cut], "stop") if cut >= 0 else (text, "stop")


def _apply_max_tokens(reply: Reply, body: dict[str, Any]) -> None:
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    if not isinstance(limit, int) or completion_tokens(reply) <= limit:
        return
    reply.tool_calls.clear()
    room = max(0, limit - completion_tokens(Reply("", "", 0, reasoning=reply.reasoning)))
    reply.text = reply.text[: room * 4]
    reply.finish_reason = "length"


def _json_schema(response_format: Any) -> dict[str, Any] | None:
    if conv.dig(response_format, "type") != "json_schema":
        return None
    schema = conv.dig(response_format, "json_schema", "schema")
    return schema if isinstance(schema, dict) else None


