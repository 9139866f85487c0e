"""The emulator as a Claude-like test double for structured output (findings 1 and 10).

With `response_format` `json_schema` the answer is JSON following the schema even after a tool
round; the 5.5 family refuses `response_format`; a system prompt asking for the (final) answer
through a tool is followed, as Claude does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from databricks_claude.emulator import Emulator

CHAT = "/serving-endpoints/chat/completions"
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
RF = {"type": "json_schema", "json_schema": {"name": "Report", "schema": SCHEMA}}
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}}, "required": ["city"]}}}
REPORT = {"type": "function", "function": {"name": "Report", "parameters": SCHEMA}}


@pytest.fixture
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    """A raw client authenticated to the emulator."""
    with httpx.Client(base_url=emulator.host, timeout=10,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as client:
        yield client


def _ask(http: httpx.Client, messages: list[dict[str, Any]], model: str = "databricks-claude-"
         "sonnet-4-5", **extra: Any) -> dict[str, Any]:
    response = http.post(CHAT, json={"model": model, "messages": messages, "max_tokens": 500,
                                     **extra})
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]


def _tool_round() -> list[dict[str, Any]]:
    return [{"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "Checking.", "tool_calls": [
                {"id": "toolu_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"}]


def test_json_schema_answer_after_a_tool_round(http: httpx.Client) -> None:
    choice = _ask(http, _tool_round(), tools=[WEATHER], response_format=RF)
    assert json.loads(choice["message"]["content"]) == {"city": "Paris"}


def test_the_newest_models_refuse_response_format(http: httpx.Client) -> None:
    response = http.post(CHAT, json={"model": "databricks-claude-opus-5-5", "max_tokens": 100,
                                     "messages": [{"role": "user", "content": "hi"}],
                                     "response_format": RF})
    assert response.status_code == 400
    assert "response_format" in response.text


def test_final_answer_tool_is_called_after_the_other_tools(http: httpx.Client) -> None:
    system = {"role": "system", "content": "When you give your final answer, give it by calling "
                                           "the `Report` tool once."}
    first = _ask(http, [system, {"role": "user", "content": "Weather in Paris?"}],
                 tools=[WEATHER, REPORT])
    assert first["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    final = _ask(http, [system, *_tool_round()], tools=[WEATHER, REPORT])
    assert final["message"]["tool_calls"][0]["function"]["name"] == "Report"


def test_answer_through_some_tool(http: httpx.Client) -> None:
    system = {"role": "system", "content": "Answer by calling one of the tools, not in plain "
                                           "text."}
    choice = _ask(http, [system, *_tool_round()], tools=[WEATHER, REPORT])
    assert choice["message"].get("tool_calls")  # not a plain-text answer


def test_without_an_instruction_it_answers_in_text(http: httpx.Client) -> None:
    choice = _ask(http, _tool_round(), tools=[WEATHER, REPORT])
    assert not choice["message"].get("tool_calls")
