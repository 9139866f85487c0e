"""The emulator's Messages route, driven by the official `anthropic` SDK and by raw payloads.

The SDK is a client no one here wrote: every reply of the route must be one it accepts, and
the core client's Messages codec, given the same conversation, must see the same blocks.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.codecs.messages import MESSAGES
from databricks_claude.emulator import Emulator
from databricks_claude.messages import FinishDelta, Message, RequestOptions, ToolSpec

anthropic = pytest.importorskip("anthropic")

ENDPOINT = "databricks-claude-sonnet-4-5"
WEATHER = ToolSpec("get_weather", "Get the weather for a city",
                   {"type": "object", "properties": {"city": {"type": "string"}},
                    "required": ["city"]})
SDK_WEATHER = {"name": WEATHER.name, "description": WEATHER.description,
               "input_schema": WEATHER.parameters}
THINKING = {"type": "enabled", "budget_tokens": 2048}


def sdk(emulator: Emulator, path: str = "/serving-endpoints/anthropic") -> Any:
    return anthropic.Anthropic(base_url=f"{emulator.host}{path}", api_key="unused",
                               default_headers={"Authorization": f"Bearer {emulator.token}"})


def post(emulator: Emulator, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{emulator.host}/serving-endpoints/anthropic/v1/messages", json=body,
                      headers={"Authorization": f"Bearer {emulator.token}",
                               "anthropic-version": "2023-06-01"})


def test_sdk_create_with_thinking_and_a_tool_then_the_answer(emulator: Emulator) -> None:
    client = sdk(emulator)
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.messages.create(model=ENDPOINT, max_tokens=4096, thinking=THINKING,
                                   tools=[SDK_WEATHER], messages=messages)
    assert [b.type for b in first.content] == ["thinking", "text", "tool_use"]
    assert first.stop_reason == "tool_use" and first.content[2].input == {"city": "Paris"}
    messages += [{"role": "assistant", "content": first.content},
                 {"role": "user", "content": [{"type": "tool_result",
                                               "tool_use_id": first.content[2].id,
                                               "content": "18C and sunny"}]}]
    second = client.messages.create(model=ENDPOINT, max_tokens=4096, thinking=THINKING,
                                    tools=[SDK_WEATHER], messages=messages)
    assert second.stop_reason == "end_turn" and "18C" in second.content[-1].text
    assert emulator.verified_reasoning >= 1


def test_sdk_stream_accumulates_to_the_blocks_the_core_client_sees(emulator: Emulator) -> None:
    with sdk(emulator).messages.stream(model=ENDPOINT, max_tokens=4096, thinking=THINKING,
                                       tools=[SDK_WEATHER], messages=[
                                           {"role": "user", "content": "Weather in Oslo?"}]) as s:
        theirs = s.get_final_message()
    emulator.reset()
    client = DatabricksClaudeClient(ENDPOINT, host=emulator.host, token=emulator.token,
                                    codec=MESSAGES)
    options = RequestOptions(max_tokens=4096, thinking=2048, tools=[WEATHER])
    finish = list(client.stream([Message.user("Weather in Oslo?")], options))[-1]
    client.close()
    assert isinstance(finish, FinishDelta)
    ours = finish.completion
    assert [b.type for b in theirs.content] == ["thinking", "text", "tool_use"]
    assert ours.reasoning_text == theirs.content[0].thinking
    assert ours.text == theirs.content[1].text
    assert ours.tool_calls[0].parsed_arguments() == theirs.content[2].input
    assert ours.finish_reason == "tool_calls" and theirs.stop_reason == "tool_use"


def test_ai_gateway_path_serves_the_same_route(emulator: Emulator) -> None:
    reply = sdk(emulator, "/ai-gateway/anthropic").messages.create(
        model=ENDPOINT, max_tokens=256, messages=[{"role": "user", "content": "hi"}])
    assert reply.content[0].type == "text"


@pytest.mark.parametrize("body, message", [
    ({"messages": [{"role": "user", "content": "hi"}]}, "max_tokens: Field required"),
    ({"max_tokens": 10, "messages": [{"role": "user", "content": "hi"},
                                     {"role": "assistant", "content": "Hello "}]},
     "trailing whitespace"),
    ({"max_tokens": 10, "messages": [{"role": "system", "content": "x"}]}, "role"),
    ({"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], "n": 2},
     "n: Extra inputs are not permitted"),
    ({"max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "text",
                                                                    "text": "  "}]}]},
     "non-whitespace"),
    ({"max_tokens": 512, "thinking": THINKING, "messages": [{"role": "user", "content": "hi"}]},
     "budget_tokens"),
])
def test_refusals_carry_anthropic_error_bodies(emulator: Emulator, body: dict[str, Any],
                                                message: str) -> None:
    response = post(emulator, {"model": ENDPOINT, **body})
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert message in error["error"]["message"]


def test_unknown_endpoint_and_bad_token_are_refused(emulator: Emulator) -> None:
    response = post(emulator, {"model": "nope", "max_tokens": 5,
                               "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
    bad = httpx.post(f"{emulator.host}/serving-endpoints/anthropic/v1/messages",
                     json={"model": ENDPOINT, "max_tokens": 5,
                           "messages": [{"role": "user", "content": "hi"}]},
                     headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 403
