"""Finding 13, the emulator's half: reasoning display defaults to omitted on the newer models.

On the adaptive-only models (Opus 4.7 and newer) the service returns reasoning with empty text
and a signature unless `thinking.display` is "summarized"; streaming, the first reasoning delta
has text "" and the signature. Older models keep summarized text. Raw payloads, as on the wire.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from databricks_claude.emulator import Emulator

CHAT = "/serving-endpoints/chat/completions"
OMITTED_BY_DEFAULT = ["databricks-claude-opus-4-7", "databricks-claude-opus-4-8",
                      "databricks-claude-sonnet-5", "databricks-claude-opus-5",
                      "databricks-claude-fable-5"]


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.host,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as http:
        yield http


def body(model: str, thinking: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": model, "max_tokens": 4096, "thinking": thinking,
            "messages": [{"role": "user", "content": "Why is the sky blue?"}], **extra}


def summary(client: httpx.Client, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post(CHAT, json=payload)
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert content[0]["type"] == "reasoning" and content[-1]["type"] == "text"
    entry: dict[str, Any] = content[0]["summary"][0]
    return entry


@pytest.mark.parametrize("model", OMITTED_BY_DEFAULT)
def test_adaptive_thinking_without_display_returns_empty_reasoning_text(
        client: httpx.Client, model: str) -> None:
    entry = summary(client, body(model, {"type": "adaptive"}))
    assert entry["type"] == "summary_text"
    assert entry["text"] == ""
    assert entry["signature"]


@pytest.mark.parametrize("model", OMITTED_BY_DEFAULT)
def test_display_summarized_returns_the_reasoning_text(client: httpx.Client, model: str) -> None:
    entry = summary(client, body(model, {"type": "adaptive", "display": "summarized"}))
    assert entry["text"] and entry["signature"]


def test_older_models_keep_summarized_text_unless_omitted_is_asked(client: httpx.Client) -> None:
    budget = {"type": "enabled", "budget_tokens": 2048}
    assert summary(client, body("databricks-claude-sonnet-4-5", budget))["text"]
    assert summary(client, body("databricks-claude-opus-4-6", {"type": "adaptive"}))["text"]
    omitted = summary(client, body("databricks-claude-sonnet-4-5", {**budget,
                                                                    "display": "omitted"}))
    assert omitted["text"] == "" and omitted["signature"]


def reasoning_deltas(client: httpx.Client, payload: dict[str, Any]) -> list[dict[str, Any]]:
    with client.stream("POST", CHAT, json={**payload, "stream": True}) as response:
        assert response.status_code == 200
        lines = [line[6:] for line in response.iter_lines()
                 if line.startswith("data: ") and line != "data: [DONE]"]
    contents = [json.loads(line)["choices"][0]["delta"]["content"] for line in lines]
    return [c[0]["summary"][0] for c in contents if isinstance(c, list)]


def test_streaming_omitted_reasoning_is_one_delta_with_the_signature(
        client: httpx.Client) -> None:
    deltas = reasoning_deltas(client, body("databricks-claude-opus-4-8", {"type": "adaptive"}))
    assert len(deltas) == 1
    assert deltas[0]["type"] == "summary_text" and deltas[0]["text"] == ""
    assert deltas[0]["signature"]
    shown = reasoning_deltas(client, body("databricks-claude-opus-4-8",
                                          {"type": "adaptive", "display": "summarized"}))
    assert "".join(d["text"] for d in shown)
    assert shown[-1]["text"] == "" and shown[-1]["signature"]


def test_an_omitted_block_replays_and_verifies(client: httpx.Client, emulator: Emulator) -> None:
    weather = {"type": "function", "function": {
        "name": "get_weather", "description": "Get the weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}
    payload = body("databricks-claude-opus-4-7", {"type": "adaptive"}, tools=[weather],
                   messages=[{"role": "user", "content": "Weather in Paris?"}])
    message = client.post(CHAT, json=payload).json()["choices"][0]["message"]
    assert message["content"][0]["summary"][0]["text"] == ""
    replayed = {k: message[k] for k in ("role", "content", "tool_calls")}
    payload["messages"] += [replayed, {"role": "tool", "content": "sunny",
                                       "tool_call_id": message["tool_calls"][0]["id"]}]
    response = client.post(CHAT, json=payload)
    assert response.status_code == 200, response.text
    assert emulator.verified_reasoning == 1
