"""Agents on the Messages route (`api="messages"`): a thinking + two-tool loop of four rounds in
each framework, every replayed signature confirmed by the emulator; and one conversation that
switches wire midway, in both directions, without losing its reasoning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from databricks_claude.emulator import Emulator

pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]

MESSAGES_PATH = "/serving-endpoints/anthropic/v1/messages"
# `rounds=4` makes the emulator's model call one tool per turn for four turns (then answer).
LOOP_PROMPT = ("Check the weather in Paris and convert 21 degrees Celsius to Fahrenheit, "
               "rounds=4")


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny in {city}"


@tool
def to_fahrenheit(celsius: float) -> float:
    """Convert a temperature from Celsius to Fahrenheit."""
    return celsius * 9 / 5 + 32


def check_loop(messages: list[Any], emulator: Emulator) -> None:
    answers = [m for m in messages if isinstance(m, AIMessage)]
    assert len(answers) == 5  # four tool rounds, then the answer
    assert all(len(a.tool_calls) == 1 for a in answers[:4]) and not answers[-1].tool_calls
    assert len([m for m in messages if isinstance(m, ToolMessage)]) == 4
    assert all(a.additional_kwargs.get("reasoning_content") for a in answers)
    assert {r.path for r in emulator.requests} == {MESSAGES_PATH}
    # Every later request replays each earlier turn's signed thinking: 1 + 2 + 3 + 4.
    assert emulator.verified_reasoning == 10


@pytest.fixture
def lc_loop_agent(make_lc: Callable[..., Any]) -> Any:
    llm = make_lc(api="messages", thinking=True, max_tokens=4096)
    return create_agent(llm, [get_weather, to_fahrenheit])


def test_langchain_agent_loop_of_four_rounds(lc_loop_agent: Any, emulator: Emulator) -> None:
    result = lc_loop_agent.invoke({"messages": [("user", LOOP_PROMPT)]})
    check_loop(result["messages"], emulator)


def test_langchain_agent_loop_streamed(lc_loop_agent: Any, emulator: Emulator) -> None:
    final: dict[str, Any] = {}
    for mode, item in lc_loop_agent.stream({"messages": [("user", LOOP_PROMPT)]},
                                           stream_mode=["messages", "values"]):
        if mode == "values":
            final = item
    assert all(r.json.get("stream") for r in emulator.requests)
    check_loop(final["messages"], emulator)


async def test_langchain_agent_loop_async(make_lc: Callable[..., Any],
                                          emulator: Emulator) -> None:
    llm = make_lc(api="messages", thinking=True, max_tokens=4096)
    result = await create_agent(llm, [get_weather, to_fahrenheit]).ainvoke(
        {"messages": [("user", LOOP_PROMPT)]})
    check_loop(result["messages"], emulator)
    await llm.aclose()


def li_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


def li_time(city: str) -> str:
    """Get the local time in a city."""
    return f"10:00 in {city}"


@pytest.mark.parametrize("streaming", [True, False])
async def test_llama_index_function_agent_loop_of_four_rounds(
        amake_li: Callable[..., Any], emulator: Emulator, streaming: bool) -> None:
    from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

    agent = FunctionAgent(tools=[li_weather, li_time], streaming=streaming,
                          llm=amake_li(api="messages", thinking=True, max_tokens=4096))
    handler = agent.run("What are the weather and the local time in Tokyo? rounds=4")
    calls = [e.tool_name async for e in handler.stream_events()
             if isinstance(e, ToolCallResult)]
    result = await handler
    assert len(calls) == 4 and set(calls) == {"li_weather", "li_time"}
    assert "Tokyo" in str(result.response.content)
    assert {r.path for r in emulator.requests} == {MESSAGES_PATH}
    assert all(r.json.get("stream", False) is streaming for r in emulator.requests)
    assert emulator.verified_reasoning == 10


# -- one conversation, two wires ------------------------------------------------------------------


def test_a_conversation_switches_wire_midway_and_keeps_its_reasoning(
        make_lc: Callable[..., Any], emulator: Emulator) -> None:
    chat = make_lc(thinking=True, max_tokens=4096).bind_tools([get_weather])
    messages = make_lc(api="messages", thinking=True, max_tokens=4096).bind_tools([get_weather])
    history: list[Any] = [HumanMessage("What is the weather in Paris?")]
    first = chat.invoke(history)  # chat route: signed reasoning, then a tool call
    assert first.tool_calls and first.additional_kwargs["reasoning_blocks"]
    history += [first, ToolMessage(get_weather.invoke(first.tool_calls[0]["args"]),
                                   tool_call_id=first.tool_calls[0]["id"])]
    second = messages.invoke(history)  # the chat turn replayed as a thinking block
    replayed = emulator.requests[-1].json["messages"][1]["content"][0]
    assert replayed["type"] == "thinking" and replayed["signature"]
    assert emulator.verified_reasoning == 1
    assert "Sunny in Paris" in second.text
    history += [second, HumanMessage("And in Oslo? Use the tool.")]
    third = chat.invoke(history)  # and back: the Messages turn replayed as a reasoning block
    assert third.tool_calls
    sent = emulator.requests[-1].json["messages"]
    assert sent[3]["role"] == "assistant" and sent[3]["content"][0]["type"] == "reasoning"
    assert emulator.verified_reasoning == 3
    assert [r.path for r in emulator.requests] == [
        "/serving-endpoints/chat/completions", MESSAGES_PATH,
        "/serving-endpoints/chat/completions"]
