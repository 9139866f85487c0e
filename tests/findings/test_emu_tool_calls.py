"""The emulator's unscripted model calls tools as Claude does (issue 13, "a Claude-like double").

Every tool the prompt asks for, in one turn (parallel calls); arguments from the prompt (quoted
text exactly, numbers, enum values); no tool when the prompt asks for nothing a tool does; then an
answer that uses the results. Driven with raw payloads, as the wire is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from databricks_claude.emulator import Emulator
from databricks_claude_cli.demo_tools import DEMO_TOOLS

MODEL = "databricks-claude-sonnet-4-5"
CHAT = "/serving-endpoints/chat/completions"
DEMO = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                          "parameters": t.parameters}} for t in DEMO_TOOLS]
CUSTOMER = {"type": "function", "function": {
    "name": "create_customer", "description": "Create a customer record.",
    "parameters": {"type": "object", "properties": {
        "customer_name": {"type": "string", "description": "The customer's name"},
        "tier": {"type": "string", "enum": ["free", "pro", "enterprise"]},
        "seats": {"type": "integer"}}, "required": ["customer_name", "tier", "seats"]}}}


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.host,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as http:
        yield http


def ask(client: httpx.Client, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    body = {"model": MODEL, "messages": messages, "tools": DEMO, **extra}
    response = client.post(CHAT, json=body)
    assert response.status_code == 200, response.text
    choice: dict[str, Any] = response.json()["choices"][0]
    return choice


def calls(choice: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(c["function"]["name"], json.loads(c["function"]["arguments"]))
            for c in choice["message"]["tool_calls"] or []]


@pytest.mark.parametrize("prompt", ["hi", "Hello there!", "Thanks, that is all."])
def test_a_prompt_asking_for_no_tool_gets_no_tool_call(client: httpx.Client, prompt: str) -> None:
    choice = ask(client, [{"role": "user", "content": prompt}])
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["tool_calls"] is None
    assert choice["message"]["content"]


def test_independent_calls_go_in_one_turn_then_the_answer_uses_the_results(
        client: httpx.Client) -> None:
    question = [{"role": "user", "content": "What is the weather in Paris, and what is 17 * 23?"}]
    first = ask(client, question)
    assert first["finish_reason"] == "tool_calls"
    assert calls(first) == [("get_weather", {"city": "Paris"}),
                            ("calculate", {"expression": "17 * 23"})]
    ids = [c["id"] for c in first["message"]["tool_calls"]]
    assert len(set(ids)) == 2
    results = [{"role": "tool", "tool_call_id": ids[0], "content": "Light rain, 18 °C"},
               {"role": "tool", "tool_call_id": ids[1], "content": "391"}]
    final = ask(client, [*question, first["message"], *results])
    assert final["finish_reason"] == "stop"
    assert final["message"]["tool_calls"] is None
    assert "Light rain, 18 °C" in final["message"]["content"]
    assert "391" in final["message"]["content"]


def test_only_the_tool_asked_for_is_called(client: httpx.Client) -> None:
    assert calls(ask(client, [{"role": "user", "content": "Weather in Oslo?"}])) == [
        ("get_weather", {"city": "Oslo"})]
    assert calls(ask(client, [{"role": "user", "content": "Please compute 6 * 7."}])) == [
        ("calculate", {"expression": "6 * 7"})]


def test_each_tool_takes_the_values_after_its_mention(client: httpx.Client) -> None:
    prompt = "Compute 2 + 2 and tell me the weather in Tokyo."
    assert calls(ask(client, [{"role": "user", "content": prompt}])) == [
        ("get_weather", {"city": "Tokyo"}), ("calculate", {"expression": "2 + 2"})]


def test_quoted_unicode_numbers_and_enum_values_come_from_the_prompt(
        client: httpx.Client) -> None:
    prompt = "Create a customer named '你好啊集团 «Ω»' on the enterprise tier with 12 seats."
    choice = ask(client, [{"role": "user", "content": prompt}], tools=[CUSTOMER])
    assert calls(choice) == [("create_customer", {"customer_name": "你好啊集团 «Ω»",
                                                  "tier": "enterprise", "seats": 12})]
    assert "你好啊集团" in choice["message"]["tool_calls"][0]["function"]["arguments"]  # not \\u


def test_a_named_enum_value_is_chosen(client: httpx.Client) -> None:
    choice = ask(client, [{"role": "user", "content": "Weather in Paris in fahrenheit?"}])
    assert calls(choice) == [("get_weather", {"city": "Paris", "unit": "fahrenheit"})]


def test_tool_choice_still_decides(client: httpx.Client) -> None:
    hi = [{"role": "user", "content": "hi"}]
    assert calls(ask(client, hi, tool_choice={"type": "function",
                                              "function": {"name": "calculate"}}))[0][0] == (
        "calculate")
    assert len(calls(ask(client, hi, tool_choice="required"))) == 1
    weather = [{"role": "user", "content": "Weather in Rome?"}]
    assert calls(ask(client, weather, tool_choice="none")) == []


def test_a_call_is_not_repeated_once_its_result_is_in(client: httpx.Client) -> None:
    question = [{"role": "user", "content": "Weather in Lima?"}]
    first = ask(client, question)
    result = {"role": "tool", "tool_call_id": first["message"]["tool_calls"][0]["id"],
              "content": "Sunny"}
    final = ask(client, [*question, first["message"], result])
    assert final["message"]["tool_calls"] is None
    assert final["message"]["content"] == "The result is Sunny."


def test_the_cli_emulator_setting_answers_hi_without_a_tool() -> None:
    """The CLI's emulator (`tool_rounds=2`) no longer calls get_weather(city="hi")."""
    with Emulator(tool_rounds=2) as emu, httpx.Client(
            base_url=emu.host, headers={"Authorization": f"Bearer {emu.token}"}) as http:
        choice = ask(http, [{"role": "user", "content": "hi"}])
    assert choice["message"]["tool_calls"] is None


def test_one_tool_for_several_places_is_called_once_per_place(client: httpx.Client) -> None:
    choice = ask(client, [{"role": "user", "content": "Weather in Paris, Oslo and New York?"}])
    assert calls(choice) == [("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"}),
                             ("get_weather", {"city": "New York"})]
    assert len({c["id"] for c in choice["message"]["tool_calls"]}) == 3


def test_a_required_call_after_the_results_goes_to_a_tool_not_called_yet(
        client: httpx.Client) -> None:
    question = [{"role": "user", "content": "Weather in Lima?"}]
    first = ask(client, question, tool_choice="required")
    assert calls(first) == [("get_weather", {"city": "Lima"})]
    result = {"role": "tool", "tool_call_id": first["message"]["tool_calls"][0]["id"],
              "content": "Sunny"}
    second = ask(client, [*question, first["message"], result], tool_choice="required")
    assert [name for name, _ in calls(second)] == ["calculate"]


def test_a_number_argument_defaults_to_an_integer_minimum() -> None:
    from databricks_claude.emulator.toolargs import ArgumentBuilder

    schema = {"type": "object", "properties": {"n": {"type": "number", "minimum": 3}},
              "required": ["n"]}
    assert ArgumentBuilder("no numbers here").build(schema) == {"n": 3}
