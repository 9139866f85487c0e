"""Finding 1: `create_agent(model, tools, response_format=...)` works on every model of the
profiles, thinking on and off, with LangChain's automatic choice, `ProviderStrategy` and
`ToolStrategy`; the profile says `structured_output` only where native `response_format` works.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.tools import tool
from pydantic import BaseModel

from databricks_claude.profiles import _PROFILES

MODELS = [f"databricks-claude-{suffix}" for suffix in _PROFILES]
REFUSE_NATIVE = {"opus-5-5", "sonnet-5-5", "haiku-5-5", "fable-5-1"}


class Weather(BaseModel):
    """The weather report."""

    city: str
    summary: str


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def _format(strategy: str) -> Any:
    return {"auto": Weather, "provider": ProviderStrategy(Weather),
            "tool": ToolStrategy(Weather)}[strategy]


def _ask(agent: Any) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # forced tool choice downgraded with thinking on
        return agent.invoke({"messages": [("user", "What is the weather in Paris?")]})


@pytest.mark.parametrize("strategy", ["auto", "provider", "tool"])
@pytest.mark.parametrize("thinking", [False, True])
@pytest.mark.parametrize("endpoint", MODELS)
def test_create_agent_response_format(make_lc: Any, emulator: Any, endpoint: str,
                                      thinking: bool, strategy: str) -> None:
    llm = make_lc(endpoint, thinking=thinking or None, max_tokens=4096)
    out = _ask(create_agent(llm, [get_weather], response_format=_format(strategy)))
    assert isinstance(out["structured_response"], Weather)
    assert out["structured_response"].city == "Paris"
    for request in emulator.requests:
        if endpoint.endswith(tuple(REFUSE_NATIVE)):
            assert "response_format" not in request.json  # the service would refuse it


@pytest.mark.parametrize("endpoint", MODELS)
def test_profile_tells_the_truth(make_lc: Any, endpoint: str) -> None:
    native = not endpoint.endswith(tuple(REFUSE_NATIVE))
    assert make_lc(endpoint).profile["structured_output"] is native


def test_native_answer_after_a_tool_round(make_lc: Any, emulator: Any) -> None:
    """sonnet-4-5: the provider strategy, a tool round, then the native JSON answer."""
    llm = make_lc("databricks-claude-sonnet-4-5")
    out = _ask(create_agent(llm, [get_weather], response_format=ProviderStrategy(Weather)))
    assert isinstance(out["structured_response"], Weather)
    sent = [r.json for r in emulator.requests]
    assert any(m.get("role") == "tool" for m in sent[-1]["messages"])  # after the tool ran
    assert sent[-1]["response_format"]["type"] == "json_schema"


@pytest.mark.parametrize("endpoint", ["databricks-claude-sonnet-4-5",
                                      "databricks-claude-opus-5-5"])
async def test_async_and_streamed_agent(make_lc: Any, endpoint: str) -> None:
    llm = make_lc(endpoint, thinking=True, max_tokens=4096)
    agent = create_agent(llm, [get_weather], response_format=ProviderStrategy(Weather))
    ask = {"messages": [("user", "What is the weather in Paris?")]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = await agent.ainvoke(ask)
        assert isinstance(out["structured_response"], Weather)
        states = list(agent.stream(ask, stream_mode="values"))
    assert isinstance(states[-1]["structured_response"], Weather)
