"""Agents work against the emulator's unscripted default model, thinking on (issue 13 acceptance).

A prompt that asks for two tools gets both called (in one turn, as parallel calls), with their
arguments from the prompt, and then an answer that uses both results: LangChain `create_agent`
(invoke, ainvoke, stream) and LlamaIndex `FunctionAgent` (streaming and not). No script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.tools import tool

from databricks_claude.emulator import Emulator

pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]

PROMPT = "What is the weather in Paris, and what is 21 degrees Celsius in Fahrenheit?"


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny in {city}"


@tool
def to_fahrenheit(celsius: float) -> float:
    """Convert a temperature from Celsius to Fahrenheit."""
    return celsius * 9 / 5 + 32


def check_lc(messages: list[BaseMessage], emulator: Emulator) -> None:
    """Both tools in one turn with the prompt's values, both results in the final answer."""
    answers = [m for m in messages if isinstance(m, AIMessage)]
    assert len(answers) == 2
    calls = sorted((c["name"], c["args"]) for c in answers[0].tool_calls)
    assert calls == [("get_weather", {"city": "Paris"}), ("to_fahrenheit", {"celsius": 21})]
    results = [m.content for m in messages if isinstance(m, ToolMessage)]
    assert sorted(results) == ["69.8", "Sunny in Paris"]
    final = answers[-1]
    assert not final.tool_calls
    assert "Sunny in Paris" in final.text and "69.8" in final.text
    assert all(m.additional_kwargs.get("reasoning_blocks") for m in answers)
    assert emulator.verified_reasoning == 1


@pytest.fixture
def lc_agent(make_lc: Callable[..., Any]) -> Any:
    return create_agent(make_lc(thinking=True, max_tokens=4096), [get_weather, to_fahrenheit])


def test_langchain_agent_invoke(lc_agent: Any, emulator: Emulator) -> None:
    result = lc_agent.invoke({"messages": [("user", PROMPT)]})
    check_lc(result["messages"], emulator)


async def test_langchain_agent_ainvoke(make_lc: Callable[..., Any], emulator: Emulator) -> None:
    llm = make_lc(thinking=True, max_tokens=4096)
    agent = create_agent(llm, [get_weather, to_fahrenheit])
    result = await agent.ainvoke({"messages": [("user", PROMPT)]})
    check_lc(result["messages"], emulator)
    await llm.aclose()


def test_langchain_agent_stream(lc_agent: Any, emulator: Emulator) -> None:
    chunks: list[AIMessageChunk] = []
    final: dict[str, Any] = {}
    for mode, item in lc_agent.stream({"messages": [("user", PROMPT)]},
                                      stream_mode=["messages", "values"]):
        if mode == "messages" and isinstance(item[0], AIMessageChunk):
            chunks.append(item[0])
        elif mode == "values":
            final = item
    assert any(c.tool_call_chunks for c in chunks)
    assert all(r.json.get("stream") for r in emulator.requests)
    check_lc(final["messages"], emulator)


# ---- LlamaIndex ---------------------------------------------------------------------------


def li_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


def li_time(city: str) -> str:
    """Get the local time in a city."""
    return f"10:00 in {city}"


async def run_li(agent: Any, task: str) -> tuple[Any, list[tuple[str, Any]]]:
    from llama_index.core.agent.workflow import ToolCallResult

    handler = agent.run(task)
    tools = [(e.tool_name, e.tool_kwargs) async for e in handler.stream_events()
             if isinstance(e, ToolCallResult)]
    return await handler, tools


@pytest.mark.parametrize("streaming", [True, False])
async def test_llama_index_function_agent(amake_li: Callable[..., Any], emulator: Emulator,
                                          streaming: bool) -> None:
    from llama_index.core.agent.workflow import FunctionAgent

    agent = FunctionAgent(tools=[li_weather, li_time], streaming=streaming,
                          llm=amake_li(thinking=True, max_tokens=4096))
    result, tools = await run_li(agent, "What are the weather and the local time in Tokyo?")
    assert sorted(tools) == [("li_time", {"city": "Tokyo"}), ("li_weather", {"city": "Tokyo"})]
    answer = str(result.response.content)
    assert "Sunny in Tokyo" in answer and "10:00 in Tokyo" in answer
    bodies = [r.json for r in emulator.requests]
    assert len(bodies) == 2  # both calls in one turn, then the answer
    assert all(b.get("stream", False) is streaming for b in bodies)
    assert emulator.verified_reasoning == 1
