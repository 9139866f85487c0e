"""LlamaIndex agents on `DatabricksClaude` with thinking on, against the strict emulator.

The emulator signs every reasoning block it sends and checks every block replayed to it: the
acceptance is that each replayed block verifies (`emu.verified_reasoning` equals the number of
reasoning blocks in the requests' assistant turns, and is positive).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from li_support import MakeLLM, chat_bodies
from llama_index.core.agent.workflow import (
    AgentStream,
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)
from llama_index.core.base.llms.types import ThinkingBlock, ToolCallBlock
from llama_index.core.memory import Memory
from pydantic import BaseModel

from databricks_claude.emulator import Emulator, ScriptedReply
from databricks_claude.notes import DatabricksClaudeWarning

# llama-index-workflows inspects agents with `inspect.getmembers`, which trips pydantic's
# deprecation warnings, and ReActAgent calls a deprecated `ctx.is_running`: framework noise.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning"),
]

TASK = "What are the weather and the local time in Paris? rounds=2"


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"10:00 in {city}"


def replayed_reasoning(emulator: Emulator) -> int:
    """Reasoning blocks sent back in assistant turns, over all requests."""
    return sum(1 for body in chat_bodies(emulator) for message in body["messages"]
               if message["role"] == "assistant" and isinstance(message["content"], list)
               for block in message["content"] if block["type"] == "reasoning")


def assert_all_reasoning_verified(emulator: Emulator, at_least: int = 1) -> None:
    assert emulator.verified_reasoning == replayed_reasoning(emulator) >= at_least


async def run_agent(agent: Any, task: str = TASK, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    """Run to the end; returns the result and what the event stream showed."""
    seen: dict[str, Any] = {"tools": [], "thinking": [], "deltas": []}
    handler = agent.run(task, **kwargs)
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            seen["tools"].append((event.tool_name, event.tool_kwargs, event.tool_output.content))
        elif isinstance(event, AgentStream):
            seen["deltas"].append(event.delta)
            if event.thinking_delta:
                seen["thinking"].append(event.thinking_delta)
    return await handler, seen


def assert_two_tool_task_done(result: Any, seen: dict[str, Any]) -> None:
    assert sorted(name for name, _, _ in seen["tools"]) == ["get_time", "get_weather"]
    assert all(kwargs == {"city": "Paris"} for _, kwargs, _ in seen["tools"])
    assert "Sunny in Paris" in str(result.response.content)
    assert "10:00 in Paris" in str(result.response.content)


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_with_thinking_and_two_tools(
        amake_llm: MakeLLM, emulator: Emulator, streaming: bool) -> None:
    llm = amake_llm(thinking=True)
    agent = FunctionAgent(tools=[get_weather, get_time], llm=llm, streaming=streaming,
                          system_prompt="You are a helpful assistant.")
    result, seen = await run_agent(agent)
    assert_two_tool_task_done(result, seen)
    assert len(chat_bodies(emulator)) == 3
    assert_all_reasoning_verified(emulator, at_least=3)  # 1 in the 2nd request, 2 in the 3rd
    assert bool(seen["thinking"]) is streaming  # streamed reasoning reaches AgentStream


@pytest.mark.parametrize("streaming", [True, False])
async def test_agent_workflow_with_thinking_and_two_tools(
        amake_llm: MakeLLM, emulator: Emulator, streaming: bool) -> None:
    llm = amake_llm(thinking=True)
    if streaming:
        workflow = AgentWorkflow.from_tools_or_functions([get_weather, get_time], llm=llm)
        assert isinstance(next(iter(workflow.agents.values())), FunctionAgent)
    else:
        agent = FunctionAgent(name="agent", description="Answers with tools.", llm=llm,
                              tools=[get_weather, get_time], streaming=False)
        workflow = AgentWorkflow(agents=[agent])
    result, seen = await run_agent(workflow)
    assert_two_tool_task_done(result, seen)
    assert_all_reasoning_verified(emulator, at_least=3)


async def test_memory_round_trip_keeps_reasoning_replayable(
        amake_llm: MakeLLM, emulator: Emulator) -> None:
    llm = amake_llm(thinking=True)
    memory = Memory.from_defaults(session_id="li-test", token_limit=100_000)
    agent = FunctionAgent(tools=[get_weather, get_time], llm=llm)
    await run_agent(agent, memory=memory)
    stored = await memory.aget_all()  # read back from Memory's SQL store
    assistant = [m for m in stored if m.role == "assistant"]
    assert any(isinstance(b, ThinkingBlock) and b.additional_information.get("signature")
               for m in assistant for b in m.blocks)
    assert any(isinstance(b, ToolCallBlock) for m in assistant for b in m.blocks)
    before = emulator.verified_reasoning
    result, _ = await run_agent(agent, "And what about Rome?", memory=memory)
    assert "Rome" in str(result.response.content)
    assert emulator.verified_reasoning > before
    assert_all_reasoning_verified(emulator)


async def test_initial_tool_choice_under_thinking(amake_llm: MakeLLM, emulator: Emulator) -> None:
    agent = FunctionAgent(tools=[get_weather, get_time], llm=amake_llm(thinking=True),
                          initial_tool_choice="get_time")
    with pytest.warns(DatabricksClaudeWarning, match="auto"):
        result, seen = await run_agent(agent, "Tell me the local time in Paris.")
    assert chat_bodies(emulator)[0]["tool_choice"] == "auto"
    assert seen["tools"] and result.response.content
    assert_all_reasoning_verified(emulator)


class Report(BaseModel):
    """A short weather report."""

    city: str
    summary: str


async def test_agent_structured_output_with_thinking(
        amake_llm: MakeLLM, emulator: Emulator) -> None:
    agent = FunctionAgent(tools=[get_weather], llm=amake_llm(thinking=True), output_cls=Report)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DatabricksClaudeWarning)  # forced choice -> auto
        result, _ = await run_agent(agent, "What is the weather in Paris?")
    report = result.get_pydantic_model(Report)
    assert isinstance(report, Report) and report.city
    assert_all_reasoning_verified(emulator)


REACT_STEPS = [
    'Thought: I need the weather tool.\nAction: get_weather\nAction Input: {"city": "Paris"}',
    'Thought: I need the time tool.\nAction: get_time\nAction Input: {"city": "Paris"}',
    "Thought: I can answer without using any more tools.\n"
    "Answer: Sunny in Paris, and it is 10:00 in Paris.",
]


@pytest.mark.parametrize("streaming", [True, False])
async def test_react_agent_with_thinking(
        amake_llm: MakeLLM, emulator: Emulator, streaming: bool) -> None:
    emulator.script(*(ScriptedReply(text=step) for step in REACT_STEPS))
    agent = ReActAgent(tools=[get_weather, get_time], llm=amake_llm(thinking=True),
                       streaming=streaming)
    result, seen = await run_agent(agent)
    assert_two_tool_task_done(result, seen)
    assert bool(seen["thinking"]) is streaming
    assert all(body["thinking"]["type"] == "enabled" for body in chat_bodies(emulator))
