"""Thinking + tools agent loops against the strict emulator: four tool rounds with two tools, in
sync, async and streaming modes, with every replayed reasoning block verified by the emulator."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.tools import tool

from databricks_claude.emulator import Emulator
from langchain_databricks_claude import ChatDatabricksClaude

ROUNDS = 4
PROMPT = f"Plan a picnic in Paris: check the weather and the temperature (rounds={ROUNDS})."
REDACTED = ("ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_"
            "46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB")


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny in {city}"


@tool
def to_fahrenheit(celsius: float) -> float:
    """Convert a temperature from Celsius to Fahrenheit."""
    return celsius * 9 / 5 + 32


TOOLS = [get_weather, to_fahrenheit]


def _replayed_reasoning(emulator: Emulator) -> int:
    """How many reasoning entries the recorded requests sent back in assistant turns."""
    count = 0
    for request in emulator.requests:
        for message in (request.json or {}).get("messages", []):
            if message.get("role") == "assistant" and isinstance(message.get("content"), list):
                count += sum(len(b.get("summary", [])) for b in message["content"]
                             if b.get("type") == "reasoning")
    return count


def _check_loop(messages: list[BaseMessage], emulator: Emulator) -> None:
    """Four tool rounds alternating both tools, a final answer, every reasoning block verified."""
    answers = [m for m in messages if isinstance(m, AIMessage)]
    calls = [tc["name"] for m in answers for tc in m.tool_calls]
    assert len(calls) == ROUNDS
    assert set(calls) == {"get_weather", "to_fahrenheit"}
    assert not answers[-1].tool_calls and answers[-1].content
    assert all(m.additional_kwargs.get("reasoning_blocks") for m in answers)
    assert sum(isinstance(m, ToolMessage) for m in messages) == ROUNDS
    # Request k replays the k earlier turns' reasoning: 0 + 1 + 2 + 3 + 4.
    assert _replayed_reasoning(emulator) == sum(range(ROUNDS + 1))
    assert emulator.verified_reasoning == sum(range(ROUNDS + 1))


@pytest.fixture
def llm(emulator: Emulator) -> ChatDatabricksClaude:
    return ChatDatabricksClaude(endpoint="databricks-claude-sonnet-4-5", host=emulator.host,
                                token=emulator.token, thinking=True, max_tokens=4096)


def test_agent_loop_sync(llm: ChatDatabricksClaude, emulator: Emulator) -> None:
    agent = create_agent(llm, TOOLS)
    result = agent.invoke({"messages": [HumanMessage(PROMPT)]})
    _check_loop(result["messages"], emulator)


async def test_agent_loop_async(llm: ChatDatabricksClaude, emulator: Emulator) -> None:
    agent = create_agent(llm, TOOLS)
    result = await agent.ainvoke({"messages": [HumanMessage(PROMPT)]})
    _check_loop(result["messages"], emulator)
    await llm.aclose()


def test_agent_loop_streaming(llm: ChatDatabricksClaude, emulator: Emulator) -> None:
    agent = create_agent(llm, TOOLS)
    chunks: list[AIMessageChunk] = []
    final: dict[str, Any] = {}
    for mode, item in agent.stream({"messages": [HumanMessage(PROMPT)]},
                                   stream_mode=["messages", "values"]):
        if mode == "messages" and isinstance(item[0], AIMessageChunk):
            chunks.append(item[0])
        elif mode == "values":
            final = item
    assert any(c.additional_kwargs.get("reasoning_content") for c in chunks)
    assert any(c.tool_call_chunks for c in chunks)
    assert all(r.json.get("stream") for r in emulator.requests)
    _check_loop(final["messages"], emulator)


async def test_agent_loop_astreaming(llm: ChatDatabricksClaude, emulator: Emulator) -> None:
    streaming = llm.model_copy(update={"streaming": True})
    agent = create_agent(streaming, TOOLS)
    result = await agent.ainvoke({"messages": [HumanMessage(PROMPT)]})
    assert all(r.json.get("stream") for r in emulator.requests)
    _check_loop(result["messages"], emulator)
    await streaming.aclose()


def _run_tools(message: AIMessage) -> list[ToolMessage]:
    by_name = {t.name: t for t in TOOLS}
    return [ToolMessage(str(by_name[c["name"]].invoke(c["args"])), tool_call_id=c["id"])
            for c in message.tool_calls]


async def test_manual_loop_mixing_every_output_form(emulator: Emulator) -> None:
    """Each round's answer comes from a different path and is replayed as it came back."""
    base = ChatDatabricksClaude(endpoint="databricks-claude-sonnet-4-5", host=emulator.host,
                                token=emulator.token, thinking=True, max_tokens=4096)
    v1 = base.model_copy(update={"output_version": "v1"})
    history: list[BaseMessage] = [HumanMessage(PROMPT + " " + REDACTED)]

    def streamed(model: ChatDatabricksClaude) -> AIMessage:
        total: Any = None
        for chunk in model.bind_tools(TOOLS).stream(history):
            total = chunk if total is None else total + chunk
        return AIMessage(**{k: v for k, v in total.model_dump().items()
                            if k not in ("type", "tool_call_chunks", "chunk_position")})

    rounds = [
        lambda: base.bind_tools(TOOLS).invoke(history),
        lambda: streamed(base),
        lambda: v1.bind_tools(TOOLS).invoke(history),
        lambda: streamed(v1),
    ]
    for step in rounds:
        answer = step()
        assert answer.tool_calls, answer
        history += [answer, *_run_tools(answer)]
    final = await base.bind_tools(TOOLS).ainvoke(history)
    assert not final.tool_calls
    history.append(final)
    redacted = [b for m in history if isinstance(m, AIMessage)
                for b in m.content_blocks if b["type"] == "reasoning"]
    assert len(redacted) == ROUNDS + 1
    assert all("redacted_content" in b.get("extras", {}) for b in redacted)
    assert emulator.verified_reasoning == _replayed_reasoning(emulator) == sum(range(ROUNDS + 1))
    await base.aclose()


def test_forced_tool_choice_with_thinking_is_downgraded(llm: ChatDatabricksClaude,
                                                        emulator: Emulator) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answer = llm.bind_tools(TOOLS, tool_choice="get_weather").invoke("Weather in Rome?")
    assert emulator.requests[-1].json["tool_choice"] == "auto"
    assert any("tool_choice" in str(w.message) for w in caught)
    assert answer.tool_calls
