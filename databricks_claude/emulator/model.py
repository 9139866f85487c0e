"""The deterministic model: scripted replies first, else tool calls and answers from the prompt."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from . import conversation as conv
from . import structured
from .catalog import Endpoint
from .reply import ReasoningBlock, Reply, ToolCall, completion_tokens, short_id
from .script import ScriptedReply
from .signing import Signer
from .toolargs import ArgumentBuilder, rank_tools

_ROUNDS = re.compile(r"\brounds\s*=\s*(\d+)")


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
        arguments = call.arguments if isinstance(call.arguments, str) else _dumps(call.arguments)
        call_id = call.id or short_id("toolu_bdrk_01", f"{reply.id}:{index}")
        reply.tool_calls.append(ToolCall(call_id, call.name, arguments))
    reply.finish_reason = script.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _fill_default(reply: Reply, body: dict[str, Any], ctx: Context) -> None:
    messages = conv.messages_of(body)
    prompt = conv.prompt_of(messages)
    tool = _tool_to_call(body, messages, prompt, ctx.tool_rounds)
    if tool is not None:
        name = str(conv.dig(tool, "function", "name") or "tool")
        parameters = conv.dig(tool, "function", "parameters") or {}
        arguments = _dumps(ArgumentBuilder(prompt).build(parameters))
        reply.tool_calls.append(ToolCall(short_id("toolu_bdrk_01", reply.id), name, arguments))
        reply.text = f"I'll use {name} to help with that."
        thought = f"The user asks: {_snippet(prompt)} I will call {name}."
        reply.finish_reason = "tool_calls"
    else:
        reply.text, thought = _answer(body, messages, prompt)
        reply.text, reply.finish_reason = _apply_stop(reply.text, body.get("stop"))
    if conv.thinking_on(body):
        _add_reasoning(reply, ctx.signer, thought, redacted=conv.MAGIC_REDACTED in prompt)
    _apply_max_tokens(reply, body)


def _tool_to_call(body: dict[str, Any], messages: list[dict[str, Any]], prompt: str,
                  default_rounds: int) -> dict[str, Any] | None:
    listed = body.get("tools")
    tools = [t for t in listed if isinstance(t, dict)] if isinstance(listed, list) else []
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    done = conv.tool_rounds_done(messages)
    match = _ROUNDS.search(prompt)
    wanted = int(match.group(1)) if match else default_rounds
    final, now = structured.answer_tool(messages, tools) if choice == "auto" else (None, False)
    if final is not None:  # asked to answer through it: now, or after the other tools ran
        others = [t for t in tools if t is not final]
        if now or not others or done >= wanted:
            return final
        tools = others
    forced = choice == "required" or isinstance(choice, dict) or (
        choice == "auto" and structured.asks_for_a_tool(messages))
    if not forced and done >= wanted:
        return None
    if isinstance(choice, dict):
        named = conv.dig(choice, "function", "name")
        tools = [t for t in tools if conv.dig(t, "function", "name") == named] or tools
    ranked = rank_tools(tools, prompt)
    return ranked[done % len(ranked)]


def _answer(body: dict[str, Any], messages: list[dict[str, Any]], prompt: str) -> tuple[str, str]:
    results = conv.tool_results(messages)
    schema = _json_schema(body.get("response_format"))
    if schema is not None:  # constrained output: JSON whether or not tools ran before
        return _dumps(ArgumentBuilder(prompt).build(schema)), "I will answer in the JSON schema."
    if results:
        return f"The result is {'; '.join(results)}.", "I have the tool results; I will answer."
    thought = f"The user asks: {_snippet(prompt)} I will answer directly."
    return f"Hello! This is the Databricks Claude emulator. You said: {_snippet(prompt)}", thought


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


def _snippet(prompt: str) -> str:
    flat = " ".join(prompt.split())
    return flat if len(flat) <= 200 else flat[:197] + "..."


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
