"""The emulator against the wire captures, with raw httpx only (no client code)."""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall

FIXTURES = Path(__file__).parent / "fixtures"
CHAT = "/serving-endpoints/chat/completions"
MODEL = "databricks-claude-sonnet-4-5"
MAGIC = ("ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_"
         "46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB")
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location", "unit"]}}}
TIME_TOOL = {"type": "function", "function": {
    "name": "get_time", "description": "Get the local time in a timezone",
    "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}},
                   "required": ["timezone"]}}}


def load(name: str) -> Any:
    """A fixture file, parsed."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    """A raw httpx client authenticated to the session emulator."""
    with httpx.Client(base_url=emulator.host, timeout=10,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as http:
        yield http


def chat(**extra: Any) -> dict[str, Any]:
    """A minimal valid request."""
    return {"model": MODEL, "messages": [{"role": "user", "content": "Hello there"}], **extra}


def thinking_request(**extra: Any) -> dict[str, Any]:
    """A request with budget thinking and the weather tool."""
    base = chat(max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1024},
                tools=[WEATHER_TOOL],
                messages=[{"role": "user", "content": "What is the weather in Paris?"}])
    return {**base, **extra}


def events(text: str) -> list[str]:
    """The data payloads of an SSE body."""
    return [line[6:] for line in text.split("\n") if line.startswith("data: ")]


def chunks(text: str) -> list[dict[str, Any]]:
    """The JSON chunks of an SSE body (without [DONE])."""
    return [json.loads(data) for data in events(text) if data != "[DONE]"]


def replayable(message: dict[str, Any]) -> dict[str, Any]:
    """A response message as a client sends it back (the null fields dropped)."""
    return {k: v for k, v in message.items() if k in ("role", "content", "tool_calls") and v}


# --- shapes --------------------------------------------------------------------------------


def test_seed_request_is_accepted_and_answered_like_the_capture(client: httpx.Client) -> None:
    response = client.post(CHAT, json=load("seed_request_thinking_tools.json"))
    assert response.status_code == 200
    assert response.headers["x-databricks-request-id"]
    body = response.json()
    captured = load("seed_response_thinking_tools.json")
    assert list(body) == list(captured)
    assert list(body["choices"][0]) == list(captured["choices"][0])
    assert list(body["choices"][0]["message"]) == list(captured["choices"][0]["message"])
    assert list(body["usage"]) == list(captured["usage"])
    assert body["id"].startswith("msg_bdrk_01")
    assert body["model"] == "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    reasoning, text = choice["message"]["content"]
    assert reasoning["type"] == "reasoning" and reasoning["summary"][0]["signature"]
    assert text["type"] == "text" and text["text"]
    call = choice["message"]["tool_calls"][0]
    assert call["id"].startswith("toolu_bdrk_01") and call["type"] == "function"
    assert json.loads(call["function"]["arguments"]) == {"location": "東京"}
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_content_is_a_string_without_reasoning(client: httpx.Client) -> None:
    body = client.post(CHAT, json=chat()).json()
    message = body["choices"][0]["message"]
    assert isinstance(message["content"], str) and "Hello there" in message["content"]
    assert message["tool_calls"] is None and body["choices"][0]["finish_reason"] == "stop"
    assert "cache_read_input_tokens" not in body["usage"]


def test_other_routes_serve_the_same_chat(emulator: Emulator, client: httpx.Client) -> None:
    without_model = {"messages": [{"role": "user", "content": "hi"}]}
    assert client.post(f"/serving-endpoints/{MODEL}/invocations", json=without_model).is_success
    gateway = client.post("/ai-gateway/mlflow/v1/chat/completions",
                          json=chat(model="system.ai.claude-sonnet-4-5"))
    assert gateway.is_success
    assert [r.path for r in emulator.requests] == [f"/serving-endpoints/{MODEL}/invocations",
                                                   "/ai-gateway/mlflow/v1/chat/completions"]


def test_requests_are_recorded_with_the_token_redacted(emulator: Emulator,
                                                       client: httpx.Client) -> None:
    client.post(CHAT, json=chat())
    [recorded] = emulator.requests
    assert recorded.method == "POST" and recorded.path == CHAT
    assert recorded.json == chat()
    assert recorded.headers["authorization"] == "Bearer <redacted>"
    assert emulator.token not in repr(recorded)


def test_length_finish_when_max_tokens_is_small(client: httpx.Client) -> None:
    body = client.post(CHAT, json=chat(max_tokens=3)).json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert len(body["choices"][0]["message"]["content"]) <= 12


def test_stop_sequence_cuts_the_answer(client: httpx.Client) -> None:
    body = client.post(CHAT, json=chat(stop=["emulator"])).json()
    assert body["choices"][0]["message"]["content"] == "Hello! This is the Databricks Claude "


def test_json_schema_response_format_is_answered_in_json(client: httpx.Client) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"},
                                               "days": {"type": "integer"}},
              "required": ["city", "days"]}
    request = chat(messages=[{"role": "user", "content": "Plan 3 days in Rome"}],
                   response_format={"type": "json_schema",
                                    "json_schema": {"name": "plan", "schema": schema}})
    content = client.post(CHAT, json=request).json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {"city": "Rome", "days": 3}


# --- replay and signatures -------------------------------------------------------------------


def test_verbatim_replay_with_tool_result_is_accepted_and_verified(
        emulator: Emulator, client: httpx.Client) -> None:
    request = load("seed_request_thinking_tools.json")
    message = client.post(CHAT, json=request).json()["choices"][0]["message"]
    call_id = message["tool_calls"][0]["id"]
    request["messages"] += [message, {"role": "tool", "tool_call_id": call_id,
                                      "content": "晴れ, 20°C"}]
    response = client.post(CHAT, json=request)
    assert response.status_code == 200, response.text
    assert emulator.verified_reasoning == 1
    answer = response.json()["choices"][0]["message"]["content"][1]["text"]
    assert answer == "The result is 晴れ, 20°C."


def test_modified_reasoning_text_is_refused(emulator: Emulator, client: httpx.Client) -> None:
    request = thinking_request()
    message = replayable(client.post(CHAT, json=request).json()["choices"][0]["message"])
    message["content"][0]["summary"][0]["text"] += " (edited)"
    request["messages"] += [message, {"role": "tool", "content": "sunny",
                                      "tool_call_id": message["tool_calls"][0]["id"]}]
    response = client.post(CHAT, json=request)
    assert response.status_code == 400
    assert response.json() == {"error_code": "BAD_REQUEST", "message": json.dumps(
        {"message": "messages.1.content.0: Invalid `signature` in `thinking` block"})}
    assert emulator.verified_reasoning == 0


def test_missing_signature_is_refused(client: httpx.Client) -> None:
    request = thinking_request()
    message = replayable(client.post(CHAT, json=request).json()["choices"][0]["message"])
    del message["content"][0]["summary"][0]["signature"]
    request["messages"] += [message, {"role": "tool", "content": "sunny",
                                      "tool_call_id": message["tool_calls"][0]["id"]}]
    response = client.post(CHAT, json=request)
    assert response.status_code == 400
    assert "signature: Field required" in response.json()["message"]


def test_redacted_reasoning_round_trip(emulator: Emulator, client: httpx.Client) -> None:
    request = thinking_request(messages=[{"role": "user", "content": f"Weather? {MAGIC}"}])
    message = replayable(client.post(CHAT, json=request).json()["choices"][0]["message"])
    entry = message["content"][0]["summary"][0]
    assert entry["type"] == "summary_encrypted_text" and entry["data"]
    request["messages"] += [message, {"role": "tool", "content": "sunny",
                                      "tool_call_id": message["tool_calls"][0]["id"]}]
    assert client.post(CHAT, json=request).status_code == 200
    assert emulator.verified_reasoning == 1
    entry["data"] = entry["data"][:-6] + "AAAAAA"
    refused = client.post(CHAT, json=request)
    assert refused.status_code == 400 and "redacted_thinking" in refused.json()["message"]


# --- strictness ----------------------------------------------------------------------------


def _upstream(text: str) -> dict[str, Any]:
    return {"error_code": "BAD_REQUEST", "message": json.dumps({"message": text})}


def _tool_turn(content: Any) -> list[dict[str, Any]]:
    call = {"id": "toolu_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'}}
    return [{"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": content, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"}]


EXPECTED_THINKING = (
    "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{}`. When "
    "`thinking` is enabled, a final `assistant` message must start with a thinking block "
    "(preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you "
    "include thinking blocks from previous turns. To avoid this requirement, disable "
    "`thinking`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking")

STRICT_CASES: list[tuple[str, dict[str, Any], dict[str, Any] | str]] = [
    ("unknown key", chat(requestTimeout=5),
     {"error_code": "BAD_REQUEST", "message": "requestTimeout: Extra inputs are not permitted"}),
    ("parallel_tool_calls", chat(parallel_tool_calls=False),
     {"error_code": "BAD_REQUEST",
      "message": "parallel_tool_calls: Extra inputs are not permitted"}),
    ("thinking_blocks", chat(messages=[{"role": "user", "content": "a"},
                                       {"role": "assistant", "content": "b", "thinking_blocks": []},
                                       {"role": "user", "content": "c"}]),
     _upstream("messages.1.thinking_blocks: Extra inputs are not permitted")),
    ("reasoning_content", chat(messages=[{"role": "user", "content": "a"},
                                         {"role": "assistant", "content": "b",
                                          "reasoning_content": "x"},
                                         {"role": "user", "content": "c"}]),
     _upstream("messages.1.reasoning_content: Extra inputs are not permitted")),
    ("invalid role", chat(messages=[{"role": "thinking", "content": "x"}]),
     {"error_code": "BAD_REQUEST", "message": "BAD_REQUEST: Invalid role in the chat message"}),
    ("small budget", chat(max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1000}),
     _upstream("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")),
    ("max_tokens <= budget", chat(max_tokens=2048,
                                  thinking={"type": "enabled", "budget_tokens": 2048}),
     "`max_tokens` must be greater than `thinking.budget_tokens`"),
    ("budget on adaptive-only", chat(model="databricks-claude-opus-4-7", max_tokens=4096,
                                     thinking={"type": "enabled", "budget_tokens": 1024}),
     "\\\"thinking.type.enabled\\\" is not supported for this model"),
    ("forced tool with thinking", thinking_request(tool_choice="required"),
     _upstream("Thinking may not be enabled when tool_choice forces tool use.")),
    ("temperature with thinking", thinking_request(temperature=0.5),
     "`temperature` may only be set to 1 when thinking is enabled."),
    ("top_k with thinking", thinking_request(top_k=5), "`top_k` may not be set when thinking"),
    ("top_p with thinking", thinking_request(top_p=0.5), "`top_p` must be greater than or equal"),
    ("fable temperature", chat(model="databricks-claude-fable-5", temperature=0.2),
     {"error_code": "BAD_REQUEST", "message": "BAD_REQUEST: Model global.anthropic.claude-fable-5"
      " does not support the temperature parameter"}),
    ("empty text beside tool calls", chat(messages=_tool_turn(""), tools=[WEATHER_TOOL]),
     _upstream("messages.1.content.0.text: text content blocks must be non-empty")),
    ("empty text block beside tool calls",
     chat(messages=_tool_turn([{"type": "text", "text": ""}]), tools=[WEATHER_TOOL]),
     _upstream("messages.1.content.0.text: text content blocks must be non-empty")),
    ("missing tool result", chat(messages=[*_tool_turn("ok")[:2],
                                           {"role": "user", "content": "and?"}]),
     _upstream("messages.1: `tool_use` ids were found without `tool_result` blocks immediately "
               "after: toolu_1. Each `tool_use` block must have a corresponding `tool_result` "
               "block in the next message.")),
    ("result for unknown id", chat(messages=[*_tool_turn("ok")[:2],
                                             {"role": "tool", "tool_call_id": "toolu_9",
                                              "content": "x"}]),
     _upstream("messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: "
               "toolu_9. Each `tool_result` block must have a corresponding `tool_use` block in "
               "the previous message.")),
    ("result not right after its call", chat(messages=[
        *_tool_turn("ok")[:2], {"role": "user", "content": "wait"}, _tool_turn("ok")[2]]),
     "`tool_use` ids were found without `tool_result` blocks immediately after"),
    ("system not first", chat(messages=[{"role": "user", "content": "a"},
                                        {"role": "system", "content": "b"}]),
     "A system message can only be used once, as the first message"),
    ("two system messages", chat(messages=[{"role": "system", "content": "a"},
                                           {"role": "system", "content": "b"},
                                           {"role": "user", "content": "c"}]),
     "A system message can only be used once"),
    ("33 tools", chat(tools=[{"type": "function", "function": {"name": f"t{i}"}}
                             for i in range(33)]),
     "A maximum of 32 tools are supported"),
    ("n > 1", chat(n=2), "n > 1 is not supported"),
    ("reasoning not first", chat(messages=[
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [{"type": "text", "text": "b"},
                                          {"type": "reasoning", "summary": [
                                              {"type": "summary_text", "text": "t",
                                               "signature": "s"}]}]},
        {"role": "user", "content": "c"}]),
     "If an assistant message contains any thinking blocks, the first block must be thinking"),
    ("reasoning last", chat(messages=[
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [{"type": "reasoning", "summary": [
            {"type": "summary_text", "text": "t", "signature": "s"}]}]},
        {"role": "user", "content": "c"}]),
     _upstream("messages.1: The final block in an assistant message cannot be `thinking`.")),
    ("reasoning in the final assistant message with thinking off", chat(messages=[
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [{"type": "reasoning", "summary": [
            {"type": "summary_text", "text": "t", "signature": "s"}]},
            {"type": "text", "text": "partial"}]}]),
     _upstream("messages.1.content.0: When thinking is disabled, an `assistant` message in the "
               "final position cannot contain `thinking`. To use thinking blocks, enable "
               "`thinking` in your request.")),
    ("tool loop without reasoning (text)",
     thinking_request(messages=_tool_turn("Let me check.")),
     _upstream(EXPECTED_THINKING.format("text"))),
    ("tool loop without reasoning (no text)", thinking_request(messages=_tool_turn(None)),
     _upstream(EXPECTED_THINKING.format("tool_use"))),
    ("refused schema keyword", chat(tools=[{"type": "function", "function": {
        "name": "f", "parameters": {"type": "object", "properties": {
            "x": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}}}]),
     "JSON schema keyword 'anyOf' is not supported"),
    ("strict inside a function", chat(tools=[{"type": "function", "function": {
        "name": "f", "strict": True, "parameters": {"type": "object"}}}]),
     {"error_code": "BAD_REQUEST",
      "message": "tools.0.function.strict: Extra inputs are not permitted"}),
    ("json_object", chat(response_format={"type": "json_object"}), "json_object is not supported"),
    ("missing model", {"messages": [{"role": "user", "content": "hi"}]}, "model: Field required"),
]


@pytest.mark.parametrize(("body", "expected"), [(b, e) for _, b, e in STRICT_CASES],
                         ids=[name for name, _, _ in STRICT_CASES])
def test_strict_rules_refuse_like_the_service(client: httpx.Client, body: dict[str, Any],
                                              expected: dict[str, Any] | str) -> None:
    response = client.post(CHAT, json=body)
    assert response.status_code == 400, response.text
    if isinstance(expected, dict):
        assert response.json() == expected
    else:
        assert response.json()["error_code"] == "BAD_REQUEST"
        assert expected in response.json()["message"]


def test_refused_requests_do_not_consume_scripts(emulator: Emulator,
                                                 client: httpx.Client) -> None:
    emulator.script(ScriptedReply(text="scripted"))
    assert client.post(CHAT, json=chat(n=3)).status_code == 400
    assert client.post(CHAT, json=chat()).json()["choices"][0]["message"]["content"] == "scripted"


def test_lenient_emulator_accepts_unknown_keys() -> None:
    with Emulator(strict=False) as emu, httpx.Client(base_url=emu.host) as http:
        response = http.post(CHAT, json=chat(parallel_tool_calls=True, n=2),
                             headers={"Authorization": f"Bearer {emu.token}"})
        assert response.status_code == 200
        assert http.post(CHAT, json=chat()).status_code == 401


def test_valid_variants_are_accepted(client: httpx.Client) -> None:
    accepted = [
        chat(model="databricks-claude-opus-4-7", max_tokens=2048,
             thinking={"type": "adaptive", "display": "summarized"},
             output_config={"effort": "high"}),
        # temperature with top_p: only models before Claude 4.5 take both (docs/emulator.md).
        chat(model="databricks-claude-3-7-sonnet", stream_options={"include_usage": True},
             temperature=0.3, top_k=10, top_p=0.9, stop="END", max_completion_tokens=100),
        thinking_request(model="databricks-claude-3-7-sonnet", temperature=1, top_p=0.95),
        chat(messages=[{"role": "system", "content": [
            {"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}]},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {
                "type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}]}]),
        chat(messages=_tool_turn(None), tools=[WEATHER_TOOL]),
        chat(messages=[*_tool_turn("ok"), {"role": "user", "content": "thanks"}],
             tools=[WEATHER_TOOL]),
        chat(tools=[WEATHER_TOOL], tool_choice={"type": "function",
                                                "function": {"name": "get_weather"}}),
    ]
    for body in accepted:
        response = client.post(CHAT, json=body)
        assert response.status_code == 200, (body, response.text)


# --- auth and endpoints --------------------------------------------------------------------


def test_missing_and_wrong_tokens(emulator: Emulator) -> None:
    with httpx.Client(base_url=emulator.host) as http:
        missing = http.post(CHAT, json=chat())
        assert missing.status_code == 401
        assert missing.json() == {"error_code": 401, "message": "Credential was not sent or was "
                                  "of an unsupported type for this API."}
        wrong = http.post(CHAT, json=chat(), headers={"Authorization": "Bearer dapi-nope"})
        assert wrong.status_code == 403
        assert wrong.json() == {"error_code": 403, "message": "Invalid access token."}
        basic = http.post(CHAT, json=chat(), auth=("token", emulator.token))
        assert basic.status_code == 200


def test_unknown_endpoints_are_not_found(client: httpx.Client) -> None:
    expected = {"error_code": "ENDPOINT_NOT_FOUND", "message": "The given endpoint does not "
                "exist, please retry after checking the specified model and version deployment "
                "exists."}
    for response in (client.post(CHAT, json=chat(model="databricks-llama-4")),
                     client.post("/serving-endpoints/gpt-5/invocations", json=chat())):
        assert response.status_code == 404 and response.json() == expected


def test_oauth_client_credentials_flow() -> None:
    with Emulator(oauth_expires_in=600) as emu, httpx.Client(base_url=emu.host) as http:
        form = {"grant_type": "client_credentials", "scope": "all-apis"}
        assert http.post("/oidc/v1/token", data=form, auth=("x", "y")).status_code == 401
        issued = http.post("/oidc/v1/token", data=form, auth=(emu.client_id, emu.client_secret))
        assert issued.status_code == 200
        token = issued.json()
        assert token["token_type"] == "Bearer" and token["expires_in"] == 600
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        assert http.post(CHAT, json=chat(), headers=bearer).status_code == 200
        emu.expire_tokens()
        assert http.post(CHAT, json=chat(), headers=bearer).status_code == 401
        assert emu.client_secret not in repr(emu.requests)


def test_oauth_tokens_expire() -> None:
    with Emulator(oauth_expires_in=0) as emu, httpx.Client(base_url=emu.host) as http:
        form = {"grant_type": "client_credentials", "scope": "all-apis"}
        token = http.post("/oidc/v1/token", data=form,
                          auth=(emu.client_id, emu.client_secret)).json()["access_token"]
        expired = http.post(CHAT, json=chat(), headers={"Authorization": f"Bearer {token}"})
        assert expired.status_code == 401


# --- the default model -----------------------------------------------------------------------


def _agent_loop(client: httpx.Client, request: dict[str, Any]) -> tuple[list[str], str]:
    called = []
    for _ in range(10):
        message = client.post(CHAT, json=request).json()["choices"][0]["message"]
        if not message["tool_calls"]:
            return called, message["content"]
        call = message["tool_calls"][0]
        called.append(call["function"]["name"])
        request["messages"] += [replayable(message), {"role": "tool", "content": "ok",
                                                      "tool_call_id": call["id"]}]
    raise AssertionError("no final answer")


def test_default_model_calls_the_best_matching_tool(client: httpx.Client) -> None:
    request = chat(tools=[TIME_TOOL, WEATHER_TOOL],
                   messages=[{"role": "user", "content": "What's the weather in Paris?"}])
    message = client.post(CHAT, json=request).json()["choices"][0]["message"]
    call = message["tool_calls"][0]["function"]
    assert call["name"] == "get_weather"
    assert json.loads(call["arguments"]) == {"location": "Paris", "unit": "celsius"}


def test_tool_rounds_from_the_prompt_alternate_tools(client: httpx.Client) -> None:
    request = chat(tools=[WEATHER_TOOL, TIME_TOOL],
                   messages=[{"role": "user", "content": "Weather in Oslo please, rounds=4"}])
    called, answer = _agent_loop(client, request)
    assert called == ["get_weather", "get_time", "get_weather", "get_time"]
    assert answer == "The result is ok; ok; ok; ok."


def test_tool_rounds_setting_with_thinking() -> None:
    with Emulator(tool_rounds=2) as emu, httpx.Client(
            base_url=emu.host, headers={"Authorization": f"Bearer {emu.token}"}) as http:
        called, _ = _agent_loop(http, thinking_request())
        assert called == ["get_weather", "get_weather"]
        assert emu.verified_reasoning == 1 + 2  # each replayed turn's block, every request


def test_scripted_replies_are_fifo(emulator: Emulator, client: httpx.Client) -> None:
    emulator.script(
        ScriptedReply(text="first", tool_calls=[ScriptedToolCall("lookup", {"q": "x"},
                                                                 id="toolu_fixed")]),
        ScriptedReply(text="second", reasoning="thought", finish_reason="length"))
    first = client.post(CHAT, json=chat()).json()["choices"][0]
    assert first["finish_reason"] == "tool_calls"
    assert first["message"]["tool_calls"][0]["id"] == "toolu_fixed"
    assert first["message"]["tool_calls"][0]["function"]["arguments"] == '{"q":"x"}'
    second = client.post(CHAT, json=chat()).json()["choices"][0]
    assert second["finish_reason"] == "length"
    assert second["message"]["content"][0]["summary"][0]["text"] == "thought"
    assert second["message"]["content"][1] == {"type": "text", "text": "second"}
    assert "Hello there" in client.post(CHAT, json=chat()).json()["choices"][0]["message"][
        "content"]


def test_prompt_cache_writes_then_reads(client: httpx.Client) -> None:
    system = {"role": "system", "content": [{"type": "text", "text": "example text " * 400,
                                             "cache_control": {"type": "ephemeral"}}]}
    request = chat(messages=[system, {"role": "user", "content": "Explain"}])
    cold = client.post(CHAT, json=request).json()["usage"]
    warm = client.post(CHAT, json=request).json()["usage"]
    assert cold["cache_read_input_tokens"] == 0 and cold["cache_creation_input_tokens"] > 1000
    assert warm["cache_read_input_tokens"] == cold["cache_creation_input_tokens"]
    assert warm["cache_creation_input_tokens"] == 0
    assert warm["prompt_tokens"] >= warm["cache_read_input_tokens"]
    streamed = client.post(CHAT, json={**request, "stream": True}).text
    assert "cache_read_input_tokens" not in streamed


# --- streaming -------------------------------------------------------------------------------


def test_stream_shape_matches_the_captures(client: httpx.Client) -> None:
    request = thinking_request()
    whole = client.post(CHAT, json=request).json()
    response = client.post(CHAT, json={**request, "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert events(response.text)[-1] == "[DONE]"
    parsed = chunks(response.text)
    for chunk in parsed:
        assert list(chunk) == ["model", "choices", "usage", "object", "id", "created"]
        assert chunk["choices"][0]["delta"]["role"] == "assistant"
        assert "cache_read_input_tokens" not in chunk["usage"]
    assert all(c["usage"]["completion_tokens"] is None for c in parsed[:-1])
    final = parsed[-1]
    assert final["choices"][0] == {"delta": {"role": "assistant", "content": ""}, "index": 0,
                                   "finish_reason": "tool_calls"}
    assert final["usage"]["completion_tokens"] == whole["usage"]["completion_tokens"]
    deltas = [c["choices"][0]["delta"] for c in parsed[:-1]]
    reasoning = [d["content"][0]["summary"][0] for d in deltas if isinstance(d["content"], list)]
    assert all(r["signature"] == "" for r in reasoning[:-1])
    assert reasoning[-1]["text"] == "" and reasoning[-1]["signature"]
    expected_message = whole["choices"][0]["message"]
    assert "".join(r["text"] for r in reasoning) == expected_message["content"][0]["summary"][0][
        "text"]
    text = "".join(d["content"] for d in deltas if isinstance(d["content"], str))
    assert text == expected_message["content"][1]["text"]
    calls = [d["tool_calls"][0] for d in deltas if d.get("tool_calls")]
    assert all(d["content"] is None for d in deltas if d.get("tool_calls"))
    header = calls[0]
    assert header["index"] == 2 and header["type"] == "function"
    assert header["function"] == {"name": "get_weather", "arguments": ""}
    assert all(c["index"] == 2 and "id" not in c for c in calls[1:])
    arguments = "".join(c["function"]["arguments"] for c in calls)
    assert arguments == expected_message["tool_calls"][0]["function"]["arguments"]


def test_tool_call_index_starts_at_zero_without_text(emulator: Emulator,
                                                     client: httpx.Client) -> None:
    emulator.script(ScriptedReply(tool_calls=[ScriptedToolCall("a"), ScriptedToolCall("b")]))
    parsed = chunks(client.post(CHAT, json=chat(stream=True)).text)
    headers = [d["tool_calls"][0] for c in parsed
               if (d := c["choices"][0]["delta"]).get("tool_calls") and "id" in d["tool_calls"][0]]
    assert [(h["index"], h["function"]["name"]) for h in headers] == [(0, "a"), (1, "b")]


def test_chunk_size_one_streams_every_character_fast(emulator: Emulator,
                                                     client: httpx.Client) -> None:
    text = "abcdefghij" * 2_000
    emulator.script(ScriptedReply(text=text, chunk_size=1))
    started = time.perf_counter()
    response = client.post(CHAT, json=chat(stream=True))
    elapsed = time.perf_counter() - started
    parsed = chunks(response.text)
    assert len(parsed) == 20_001
    assert "".join(c["choices"][0]["delta"]["content"] for c in parsed) == text
    assert elapsed < 3.0


def test_streamed_redacted_reasoning(client: httpx.Client) -> None:
    request = thinking_request(messages=[{"role": "user", "content": MAGIC}], stream=True)
    parsed = chunks(client.post(CHAT, json=request).text)
    first = parsed[0]["choices"][0]["delta"]["content"][0]["summary"][0]
    assert first["type"] == "summary_encrypted_text" and first["data"]


# --- faults ----------------------------------------------------------------------------------


def test_status_faults(emulator: Emulator, client: httpx.Client) -> None:
    emulator.fault("status", status=429, retry_after=2)
    emulator.fault("status", status=503, times=2)
    emulator.fault("status", status=500, body={"error_code": "X", "message": "custom"})
    limited = client.post(CHAT, json=chat())
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert limited.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert limited.json()["message"].startswith("REQUEST_LIMIT_EXCEEDED: Exceeded workspace")
    for _ in range(2):
        unavailable = client.post(CHAT, json=chat())
        assert unavailable.status_code == 503
        assert unavailable.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert "retry-after" not in unavailable.headers
    custom = client.post(CHAT, json=chat())
    assert custom.status_code == 500 and custom.json() == {"error_code": "X", "message": "custom"}
    assert client.post(CHAT, json=chat()).status_code == 200
    for status, code in [(500, "INTERNAL_ERROR"), (504, "DEADLINE_EXCEEDED"), (403, 403),
                         (400, "BAD_REQUEST")]:
        emulator.fault("status", status=status)
        response = client.post(CHAT, json=chat())
        assert response.status_code == status and response.json()["error_code"] == code
        assert response.headers["x-databricks-request-id"]


def test_reset_fault_closes_without_a_response(emulator: Emulator,
                                               client: httpx.Client) -> None:
    emulator.fault("reset")
    with pytest.raises(httpx.TransportError):
        client.post(CHAT, json=chat())
    assert client.post(CHAT, json=chat()).status_code == 200


def test_drop_after_fault_breaks_the_stream(emulator: Emulator, client: httpx.Client) -> None:
    emulator.fault("drop_after", chunks=3)
    received = []
    with pytest.raises(httpx.TransportError), client.stream(
            "POST", CHAT, json=chat(stream=True)) as response:
        for line in response.iter_lines():
            if line:
                received.append(line)
    assert len(received) == 3 and "[DONE]" not in received[-1]


def test_truncate_fault_ends_the_stream_cleanly_without_finish(emulator: Emulator,
                                                               client: httpx.Client) -> None:
    emulator.fault("truncate", chunks=2)
    parsed = chunks(client.post(CHAT, json=chat(stream=True)).text)
    assert len(parsed) == 2 and all(c["choices"][0]["finish_reason"] is None for c in parsed)


def test_malformed_fault_inserts_a_garbage_event(emulator: Emulator,
                                                 client: httpx.Client) -> None:
    emulator.fault("malformed", after=1)
    payloads = events(client.post(CHAT, json=chat(stream=True)).text)
    assert payloads[1] == "{not json" and payloads[-1] == "[DONE]"
    emulator.fault("malformed")
    assert client.post(CHAT, json=chat()).text == "{not json"


def test_non_streaming_body_faults(emulator: Emulator, client: httpx.Client) -> None:
    emulator.fault("drop_after")
    with pytest.raises(httpx.TransportError):
        client.post(CHAT, json=chat())
    emulator.fault("truncate")
    cut = client.post(CHAT, json=chat())
    assert cut.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        cut.json()
    assert client.post(CHAT, json=chat()).status_code == 200


def test_stall_faults(emulator: Emulator, client: httpx.Client) -> None:
    emulator.fault("stall", seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        client.post(CHAT, json=chat(), timeout=0.2)
    emulator.fault("stall", seconds=0.3, after=2)
    started = time.perf_counter()
    response = client.post(CHAT, json=chat(stream=True))
    assert time.perf_counter() - started >= 0.3
    assert events(response.text)[-1] == "[DONE]"


def test_oversize_fault(emulator: Emulator, client: httpx.Client) -> None:
    emulator.fault("oversize", bytes=2_000_000)
    response = client.post(CHAT, json=chat())
    assert len(response.content) == 2_000_000
    assert len(response.json()["choices"][0]["message"]["content"]) > 1_900_000


def test_unknown_fault_kind_is_refused(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        emulator.fault("explode")


def test_rate_limit() -> None:
    with Emulator(rate_limit_qps=2) as emu, httpx.Client(
            base_url=emu.host, headers={"Authorization": f"Bearer {emu.token}"}) as http:
        statuses = [http.post(CHAT, json=chat()) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert statuses[2].headers["retry-after"] == "1"
        assert statuses[2].json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        time.sleep(1.05)
        assert http.post(CHAT, json=chat()).status_code == 200


# --- concurrency, in-process use, lifecycle ----------------------------------------------------


def test_fifty_parallel_requests(emulator: Emulator) -> None:
    async def run() -> list[int]:
        async with httpx.AsyncClient(base_url=emulator.host, headers={
                "Authorization": f"Bearer {emulator.token}"}) as http:
            responses = await asyncio.gather(*(http.post(CHAT, json=chat()) for _ in range(50)))
        return [r.status_code for r in responses]

    assert asyncio.run(run()) == [200] * 50
    assert len(emulator.requests) == 50


def test_app_works_in_process() -> None:
    emu = Emulator(token="t")

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=emu.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
            return await http.post(CHAT, json=chat(), headers={"Authorization": "Bearer t"})

    assert asyncio.run(run()).status_code == 200


def test_starts_fast_and_stops_cleanly() -> None:
    Emulator().start().stop()  # warm the imports
    started = time.perf_counter()
    emu = Emulator().start()
    assert time.perf_counter() - started < 0.5
    emu.fault("stall", seconds=30)
    with httpx.Client(base_url=emu.host, timeout=0.2) as http, pytest.raises(httpx.ReadTimeout):
        http.post(CHAT, json=chat(), headers={"Authorization": f"Bearer {emu.token}"})
    stopping = time.perf_counter()
    emu.stop()
    assert time.perf_counter() - stopping < 2.0
    with pytest.raises(RuntimeError):
        _ = emu.host


def test_serve_blocks_and_prints_nothing() -> None:
    port = _free_port()
    code = f"from databricks_claude.emulator.server import serve; serve({port}, 'tok')"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.post(f"http://127.0.0.1:{port}{CHAT}", json=chat(),
                                      headers={"Authorization": "Bearer tok"})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert response.status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert out == ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_importing_the_package_does_not_import_the_server() -> None:
    code = ("import sys; import databricks_claude.emulator; "
            "print('starlette' in sys.modules or 'uvicorn' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).parent.parent)
    assert result.stdout.strip() == "False"


def test_reset_clears_everything(emulator: Emulator, client: httpx.Client) -> None:
    emulator.script(ScriptedReply(text="x"))
    emulator.fault("status", status=500)
    client.post(CHAT, json=chat())
    emulator.reset()
    assert emulator.requests == [] and emulator.verified_reasoning == 0
    body = client.post(CHAT, json=copy.deepcopy(chat())).json()
    assert body["choices"][0]["message"]["content"] != "x"
