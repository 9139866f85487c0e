"""The emulator refuses what the service refuses, with the service's error texts (raw httpx).

Each rule and its source: docs/emulator.md#what-the-emulator-refuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from databricks_claude.emulator import Emulator

CHAT = "/serving-endpoints/chat/completions"
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAA"
           "AABJRU5ErkJggg==")


@pytest.fixture
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    """A raw httpx client authenticated to the session emulator."""
    with httpx.Client(base_url=emulator.host, timeout=10,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as client:
        yield client


def body(model: str = "databricks-claude-sonnet-4-5", **extra: Any) -> dict[str, Any]:
    """A minimal request that the service accepts."""
    return {"model": model, "messages": [{"role": "user", "content": "Hello there"}], **extra}


def upstream_message(response: httpx.Response) -> str:
    """The model service's text, nested as JSON in the Databricks 400's `message`."""
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["error_code"] == "BAD_REQUEST"
    return str(json.loads(payload["message"])["message"])


def with_messages(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A request carrying exactly these messages."""
    return {**body(**extra), "messages": list(messages)}


USER = {"role": "user", "content": "Write a haiku"}


@pytest.mark.parametrize("prefill", ["The haiku: ", "Line one\n", [
    {"type": "text", "text": "Start"}, {"type": "text", "text": "end\t"}]])
def test_final_assistant_message_ending_in_whitespace_is_refused(
        http: httpx.Client, prefill: Any) -> None:
    response = http.post(CHAT, json=with_messages(USER, {"role": "assistant", "content": prefill}))
    assert upstream_message(response) == ("messages: final assistant content cannot end with "
                                          "trailing whitespace")


def test_earlier_assistant_message_may_end_in_whitespace(http: httpx.Client) -> None:
    messages = (USER, {"role": "assistant", "content": "An old pond \n"},
                {"role": "user", "content": "Another"})
    assert http.post(CHAT, json=with_messages(*messages)).status_code == 200
    prefill = with_messages(USER, {"role": "assistant", "content": "An old pond"})
    assert http.post(CHAT, json=prefill).status_code == 200


@pytest.mark.parametrize("model", ["databricks-claude-sonnet-4-5", "databricks-claude-haiku-4-5",
                                   "databricks-claude-opus-4-5", "databricks-claude-sonnet-4-6",
                                   "databricks-claude-opus-4-7", "databricks-claude-sonnet-5"])
def test_temperature_with_top_p_is_refused_from_claude_4_5_on(http: httpx.Client,
                                                              model: str) -> None:
    response = http.post(CHAT, json=body(model, temperature=0.5, top_p=0.9))
    assert upstream_message(response) == ("`temperature` and `top_p` cannot both be specified "
                                          "for this model. Please use only one.")
    assert http.post(CHAT, json=body(model, temperature=0.5)).status_code == 200
    assert http.post(CHAT, json=body(model, top_p=0.9)).status_code == 200


@pytest.mark.parametrize("model", ["databricks-claude-3-7-sonnet", "databricks-claude-sonnet-4",
                                   "databricks-claude-opus-4-1"])
def test_older_models_take_temperature_with_top_p(http: httpx.Client, model: str) -> None:
    assert http.post(CHAT, json=body(model, temperature=0.5, top_p=0.9)).status_code == 200


@pytest.mark.parametrize(("model", "limit", "model_id"), [
    ("databricks-claude-sonnet-4-5", 64_000, "claude-sonnet-4-5-20250929"),
    ("databricks-claude-opus-4-1", 32_000, "claude-opus-4-1-20250805"),
    ("databricks-claude-opus-4-6", 128_000, "claude-opus-4-6"),
])
def test_max_tokens_above_the_output_limit_is_refused(http: httpx.Client, model: str,
                                                      limit: int, model_id: str) -> None:
    assert http.post(CHAT, json=body(model, max_tokens=limit)).status_code == 200
    response = http.post(CHAT, json=body(model, max_tokens=limit + 1))
    assert upstream_message(response) == (f"max_tokens: {limit + 1} > {limit}, which is the "
                                          "maximum allowed number of output tokens for "
                                          f"{model_id}")
    as_completion_tokens = http.post(CHAT, json=body(model, max_completion_tokens=limit + 1))
    assert "maximum allowed number of output tokens" in upstream_message(as_completion_tokens)


def image_message(data: str) -> dict[str, Any]:
    """A user turn with a caption and a base64 PNG."""
    return {"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}]}


def test_invalid_image_base64_is_refused(http: httpx.Client) -> None:
    assert http.post(CHAT, json=with_messages(image_message(PNG_1PX))).status_code == 200
    response = http.post(CHAT, json=with_messages(image_message("not base64!!")))
    assert upstream_message(response) == "messages.0.content.1.image.source.base64: invalid " \
                                         "base64 data"


@pytest.mark.parametrize("content", ["   ", "\n\t", [{"type": "text", "text": "  "}]])
def test_whitespace_only_text_is_refused(http: httpx.Client, content: Any) -> None:
    response = http.post(CHAT, json=with_messages({"role": "user", "content": content}))
    assert upstream_message(response) == ("messages: text content blocks must contain "
                                          "non-whitespace text")


def test_whitespace_only_assistant_text_is_refused(http: httpx.Client) -> None:
    messages = (USER, {"role": "assistant", "content": " "}, {"role": "user", "content": "Go"})
    response = http.post(CHAT, json=with_messages(*messages))
    assert "must contain non-whitespace text" in upstream_message(response)


def test_a_conversation_of_only_a_system_message_is_refused(http: httpx.Client) -> None:
    response = http.post(CHAT, json=with_messages({"role": "system", "content": "Be brief."}))
    assert upstream_message(response) == "messages: at least one message is required"
    response = http.post(CHAT, json=with_messages({"role": "system", "content": "Be brief."},
                                                  USER))
    assert response.status_code == 200


def test_lenient_emulator_skips_these_rules() -> None:
    with Emulator(strict=False) as emu, httpx.Client(
            base_url=emu.host, headers={"Authorization": f"Bearer {emu.token}"}) as client:
        response = client.post(CHAT, json=body(temperature=0.5, top_p=0.9, max_tokens=999_999))
        assert response.status_code == 200
