"""The emulator's default model follows the ReAct format when the system prompt asks for it.

LlamaIndex `ReActAgent` lists its tools in the system prompt and parses "Thought / Action /
Action Input" replies; unscripted, with two tools and thinking on, it now runs both tools and
answers with their results (issue 13 acceptance).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from databricks_claude.emulator import Emulator

pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning"),
]


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"10:00 in {city}"


@pytest.mark.parametrize("streaming", [True, False])
async def test_react_agent_runs_both_tools_and_answers(
        amake_li: Callable[..., Any], emulator: Emulator, streaming: bool) -> None:
    from llama_index.core.agent.workflow import ReActAgent, ToolCallResult

    agent = ReActAgent(tools=[get_weather, get_time], streaming=streaming,
                       llm=amake_li(thinking=True, max_tokens=4096))
    handler = agent.run("What are the weather and the local time in Paris?")
    tools = [(e.tool_name, e.tool_kwargs) async for e in handler.stream_events()
             if isinstance(e, ToolCallResult)]
    result = await handler
    assert sorted(tools) == [("get_time", {"city": "Paris"}), ("get_weather", {"city": "Paris"})]
    answer = str(result.response.content)
    assert "Sunny in Paris" in answer and "10:00 in Paris" in answer
    bodies = [r.json for r in emulator.requests]
    assert len(bodies) == 3 and all("tools" not in b for b in bodies)
    assert all(b["thinking"]["type"] == "enabled" for b in bodies)


SYSTEM = """You have access to the following tools:
> Tool Name: lookup
Tool Description: lookup(word: str) -> str
Look up a word in the dictionary.
Tool Args: {"properties": {"word": {"title": "Word", "type": "string"}}, "required": ["word"]}

## Output Format
Thought: ...
Action: tool name
Action Input: the input to the tool, in a JSON format
"""


def test_react_turns_on_the_wire(emulator: Emulator) -> None:
    def ask(messages: list[dict[str, Any]]) -> str:
        with httpx.Client(base_url=emulator.host,
                          headers={"Authorization": f"Bearer {emulator.token}"}) as http:
            body = {"model": "databricks-claude-sonnet-4-5",
                    "messages": [{"role": "system", "content": SYSTEM}, *messages]}
            text: str = http.post("/serving-endpoints/chat/completions",
                                  json=body).json()["choices"][0]["message"]["content"]
        return text

    question = {"role": "user", "content": "Look up the word 'serendipity'."}
    step = ask([question])
    thought, action, action_input = step.split("\n")
    assert thought.startswith("Thought: ") and action == "Action: lookup"
    assert json.loads(action_input.removeprefix("Action Input: ")) == {"word": "serendipity"}
    final = ask([question, {"role": "assistant", "content": step},
                 {"role": "user", "content": "Observation: a happy accident"}])
    assert final.startswith("Thought: ")
    assert final.endswith("\nAnswer: The result is a happy accident.")
    assert ask([{"role": "user", "content": "hi"}]).split("\n")[1].startswith("Answer: ")
