"""`ChatDatabricksClaude` against the strict emulator: fields and per-call options, reasoning,
streams, usage, images, caching, errors, serialization, profile, client reuse."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import warnings
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from lc_helpers import ENDPOINT, PNG, PNG_B64, MakeLLM
from pydantic import SecretStr

import databricks_claude.errors as core_errors
from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall
from langchain_databricks_claude import ChatDatabricksClaude
from langchain_databricks_claude.errors import StreamInterruptedError


def _payload(emulator: Emulator, index: int = -1) -> dict[str, Any]:
    body = emulator.requests[index].json
    assert isinstance(body, dict)
    return body


def _same_answer(message: AIMessage) -> str:
    """A message as JSON with what differs between two replies to the same script (tool call
    ids, redacted data keyed by the reply id) replaced by placeholders."""
    text = json.dumps({"content": message.content, "kwargs": message.additional_kwargs,
                       "calls": message.tool_calls, "blocks": message.content_blocks},
                      sort_keys=True)
    for number, call in enumerate(message.tool_calls):
        text = text.replace(str(call["id"]), f"<call {number}>")
    for block in message.additional_kwargs.get("reasoning_blocks", []):
        entry = block["summary"][0]
        if "data" in entry:
            text = text.replace(entry["data"], "<redacted>")
    return json.dumps(json.loads(text), sort_keys=True)


def _sum(chunks: list[Any]) -> Any:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


SCRIPT = ScriptedReply(
    text="Two calls coming.", reasoning="I should call both tools.", redacted=True,
    tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"}),
                ScriptedToolCall("get_time", '{"zone": "CET",  "fmt": "24h"}')],
    chunk_size=4)


# ---- construction, fields, auth ----------------------------------------------------------------


def test_aliases_and_secret() -> None:
    llm = ChatDatabricksClaude(model=ENDPOINT, api_key="dapi-secret", max_tokens=10)
    assert llm.endpoint == ENDPOINT
    assert isinstance(llm.token, SecretStr) and llm.token.get_secret_value() == "dapi-secret"
    assert "dapi-secret" not in repr(llm) and "dapi-secret" not in str(llm)
    by_name = ChatDatabricksClaude(endpoint=ENDPOINT, token="t", stop_sequences=["x"])
    assert by_name.stop == ["x"]


def test_unknown_init_args_go_to_model_kwargs(make_llm: MakeLLM, emulator: Emulator) -> None:
    with pytest.warns(UserWarning, match="client_request_id"):
        llm = make_llm(client_request_id="abc")
    assert llm.model_kwargs == {"client_request_id": "abc"}
    llm.invoke("hi")
    assert _payload(emulator)["client_request_id"] == "abc"


def test_environment_credentials(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    llm = ChatDatabricksClaude(endpoint=ENDPOINT)
    assert llm.host == emulator.host
    assert llm.invoke("hi").content
    llm.close()


def test_oauth_m2m_credentials(emulator: Emulator) -> None:
    llm = ChatDatabricksClaude(endpoint=ENDPOINT, host=emulator.host,
                               client_id=emulator.client_id, client_secret=emulator.client_secret)
    assert llm.invoke("hi").content
    assert any(r.path == "/oidc/v1/token" for r in emulator.requests)
    llm.close()


def test_import_of_the_core_does_not_import_langchain() -> None:
    code = ("import sys, databricks_claude, databricks_claude.client; "
            "print(any(m.startswith('langchain') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_client_is_built_once_and_shared_across_threads(make_llm: MakeLLM) -> None:
    llm = make_llm()
    seen: list[Any] = []
    threads = [threading.Thread(target=lambda: seen.append(llm.client())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in seen}) == 1
    assert llm.client() is seen[0]
    assert llm.model_copy().client() is not seen[0]  # copies never share connections


# ---- options: fields and per-call overrides ----------------------------------------------------


def test_fields_reach_the_payload(make_llm: MakeLLM, emulator: Emulator) -> None:
    # An older model: from Claude 4.5 on the service refuses temperature with top_p.
    older = "databricks-claude-3-7-sonnet"
    llm = make_llm(older, max_tokens=300, temperature=0.2, top_p=0.9, top_k=5, stop=["STOP"],
                   extra_body={"usage_context": {"team": "a"}})
    llm.invoke("hi")
    body = _payload(emulator)
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["top_k"]) == (
        300, 0.2, 0.9, 5)
    assert body["stop"] == ["STOP"] and body["usage_context"] == {"team": "a"}
    assert body["model"] == older


def test_per_call_options(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(max_tokens=300)
    llm.invoke("hi", max_tokens=5000, thinking=2048, stop=["x"])
    body = _payload(emulator)
    assert body["max_tokens"] == 5000 and body["stop"] == ["x"]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    llm.bind(thinking=True, max_tokens=4000).invoke("hi")
    assert _payload(emulator)["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    llm.invoke("hi", max_tokens=4000, thinking={"type": "enabled", "budget_tokens": 1500},
               model_kwargs={"client_request_id": "r1"}, extra_body={"usage_context": {"b": 2}},
               stream_options={"include_usage": True})
    body = _payload(emulator)
    assert body["thinking"]["budget_tokens"] == 1500
    assert (body["client_request_id"], body["usage_context"], body["stream_options"]) == (
        "r1", {"b": 2}, {"include_usage": True})


def test_adaptive_model_takes_effort(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm("databricks-claude-opus-4-7", thinking=True, effort="high")
    message = llm.invoke("hi")
    body = _payload(emulator)
    assert body["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert body["output_config"] == {"effort": "high"}
    assert message.additional_kwargs["reasoning_content"]


def test_bad_budget_is_refused_before_sending(make_llm: MakeLLM, emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="1000"):
        make_llm(thinking=1000).invoke("hi")
    assert emulator.requests == []


def test_model_override_per_call(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm()
    message = llm.invoke("hi", model="databricks-claude-haiku-4-5")
    assert _payload(emulator)["model"] == "databricks-claude-haiku-4-5"
    assert message.response_metadata["model_name"] == "databricks-claude-haiku-4-5"
    assert llm.client("databricks-claude-haiku-4-5").config is llm.client().config


def test_langsmith_params(make_llm: MakeLLM) -> None:
    llm = make_llm(temperature=0.5, max_tokens=99, stop=["s"])
    params = llm._get_ls_params()
    assert params == {"ls_provider": "databricks", "ls_model_type": "chat",
                      "ls_model_name": ENDPOINT, "ls_temperature": 0.5, "ls_max_tokens": 99,
                      "ls_stop": ["s"]}
    assert llm._get_ls_params(model="other")["ls_model_name"] == "other"


# ---- reasoning, streams, usage ----------------------------------------------------------------


def test_invoke_surfaces_reasoning(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(SCRIPT)
    message = make_llm(thinking=True, max_tokens=4096).invoke("go")
    assert message.content == "Two calls coming."
    assert message.additional_kwargs["reasoning_content"] == "I should call both tools."
    blocks = message.additional_kwargs["reasoning_blocks"]
    assert [b["summary"][0]["type"] for b in blocks] == ["summary_encrypted_text",
                                                        "summary_text"]
    assert blocks[1]["summary"][0]["signature"]
    assert [tc["name"] for tc in message.tool_calls] == ["get_weather", "get_time"]
    assert message.additional_kwargs["tool_call_arguments"][message.tool_calls[1]["id"]] == (
        '{"zone": "CET",  "fmt": "24h"}')
    kinds = [b["type"] for b in message.content_blocks]
    assert kinds == ["reasoning", "reasoning", "text", "tool_call", "tool_call"]
    assert message.response_metadata["model_provider"] == "databricks_claude"
    assert message.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("output_version", [None, "v1"])
def test_stream_sum_equals_invoke(make_llm: MakeLLM, emulator: Emulator,
                                  output_version: str | None) -> None:
    llm = make_llm(thinking=True, max_tokens=4096, output_version=output_version)
    emulator.script(SCRIPT, SCRIPT)
    invoked = llm.invoke("go")
    chunks = list(llm.stream("go"))
    total = _sum(chunks)
    total.content = [{k: v for k, v in b.items() if k != "index"}  # type: ignore[assignment]
                     for b in total.content] if output_version else total.content
    assert _same_answer(total) == _same_answer(invoked)
    assert total.response_metadata["finish_reason"] == invoked.response_metadata["finish_reason"]
    assert total.usage_metadata["output_tokens"] == invoked.usage_metadata["output_tokens"]
    assert [c for c in chunks if c.usage_metadata] == [chunks[-1]]
    assert chunks[-1].chunk_position == "last"
    indices = {tc["index"] for c in chunks for tc in c.tool_call_chunks}
    assert indices == {0, 1}


async def test_async_paths(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(thinking=True, max_tokens=4096)
    emulator.script(SCRIPT, SCRIPT)
    invoked = await llm.ainvoke("go")
    total = _sum([c async for c in llm.astream("go")])
    assert _same_answer(total) == _same_answer(invoked)
    results = await llm.abatch(["a", "b", "c"])
    assert all(isinstance(r, AIMessage) and r.content for r in results)
    await llm.aclose()


def test_batch(make_llm: MakeLLM) -> None:
    results = make_llm().batch(["a", "b", "c"])
    assert [r.content for r in results] == [
        f"Hello! This is the Databricks Claude emulator. You said: {p}" for p in "abc"]


class _Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_callbacks_get_tokens(make_llm: MakeLLM, emulator: Emulator) -> None:
    handler = _Tokens()
    llm = make_llm()
    for _ in llm.stream("stream me", config={"callbacks": [handler]}):
        pass
    assert "".join(handler.tokens).startswith("Hello! This is")
    handler.tokens.clear()
    make_llm(streaming=True).invoke("stream me", config={"callbacks": [handler]})
    assert "".join(handler.tokens).startswith("Hello! This is")
    assert _payload(emulator)["stream"] is True


def test_usage_details_and_stream_usage(make_llm: MakeLLM) -> None:
    llm = make_llm(cache_system_prompt=True)
    messages = [SystemMessage("Long instructions. " * 300), HumanMessage("hi")]
    cold, warm = llm.invoke(messages), llm.invoke(messages)
    assert cold.usage_metadata["input_token_details"]["cache_creation"] > 0  # type: ignore[index]
    assert warm.usage_metadata["input_token_details"]["cache_read"] > 0  # type: ignore[index]
    assert list(make_llm(stream_usage=False).stream("hi"))[-1].usage_metadata is None
    assert make_llm(stream_usage=False).invoke("hi").usage_metadata  # only streams drop it
    assert list(llm.stream("hi", stream_usage=False))[-1].usage_metadata is None


def test_v1_output(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(SCRIPT)
    message = make_llm(thinking=True, max_tokens=4096, output_version="v1").invoke("go")
    assert isinstance(message.content, list)
    assert [b["type"] for b in message.content] == [  # type: ignore[index]
        "reasoning", "reasoning", "text", "tool_call", "tool_call"]
    assert message.content[1]["extras"]["signature"]  # type: ignore[index]


# ---- images and caching -----------------------------------------------------------------------


def test_images_in_every_standard_form(make_llm: MakeLLM, emulator: Emulator,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data_url = f"data:image/png;base64,{PNG_B64}"
    # A remote URL is fetched and sent inline (docs/images.md): the "remote" image is the PNG.
    monkeypatch.setattr("databricks_claude.kit.fetch.fetch_bytes", lambda url, policy: PNG)
    make_llm().invoke([HumanMessage([
        {"type": "text", "text": "describe"},
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
        {"type": "image", "url": "https://example.com/cat.png"},
        {"type": "image_url", "image_url": {"url": data_url}},
    ])])
    parts = _payload(emulator)["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url", "image_url"]
    assert [p["image_url"]["url"] for p in parts[1:]] == [data_url, data_url, data_url]
    assert PNG  # the conftest's decoded copy


def test_cache_control_on_blocks_and_system_prompt(make_llm: MakeLLM, emulator: Emulator) -> None:
    cache = {"type": "ephemeral"}
    make_llm(cache_system_prompt=True).invoke([
        SystemMessage("rules"),
        HumanMessage([{"type": "text", "text": "long doc", "cache_control": cache},
                      {"type": "text", "text": "question"}]),
    ])
    messages = _payload(emulator)["messages"]
    assert messages[0]["content"] == [{"type": "text", "text": "rules", "cache_control": cache}]
    assert messages[1]["content"][0] == {"type": "text", "text": "long doc",
                                         "cache_control": cache}
    assert "cache_control" not in messages[1]["content"][1]


# ---- errors -----------------------------------------------------------------------------------


def test_authentication_errors(emulator: Emulator, make_llm: MakeLLM) -> None:
    llm = ChatDatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token="dapi-wrong")
    with pytest.raises(ModelPermissionDeniedError) as denied:
        llm.invoke("hi")
    assert isinstance(denied.value, core_errors.PermissionDeniedError)
    assert denied.value.status == 403 and denied.value.is_retryable is False
    assert "dapi-wrong" not in str(denied.value)
    emulator.fault("status", status=401, body={
        "error_code": 401, "message": "Credential was not sent or was of an unsupported type"})
    with pytest.raises(ModelAuthenticationError) as info:
        make_llm().invoke("hi")
    assert isinstance(info.value, core_errors.AuthenticationError)


def test_not_found_error(make_llm: MakeLLM) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        make_llm("my-llama-endpoint").invoke("hi")
    assert isinstance(info.value, core_errors.EndpointNotFoundError)


def test_rate_limit_error(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.fault("status", status=429, retry_after=7)
    with pytest.raises(ModelRateLimitError) as info:
        make_llm(max_retries=0).invoke("hi")
    assert isinstance(info.value, core_errors.RateLimitError)
    assert info.value.retry_after == 7 and info.value.is_retryable


def test_bad_request_and_context_overflow(make_llm: MakeLLM, emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="n=2"):
        make_llm().invoke("hi", n=2)  # refused before sending
    with pytest.raises(ModelInvalidRequestError) as bad:
        make_llm().invoke("hi", frobnicate=0.5)  # unknown key: the service refuses it
    assert isinstance(bad.value, core_errors.BadRequestError)
    assert "frobnicate" in str(bad.value)
    emulator.fault("status", status=400, body={
        "error_code": "BAD_REQUEST", "message": "{\"message\":\"Input is too long.\"}"})
    with pytest.raises(ContextOverflowError) as info:
        make_llm().invoke("hi")
    assert isinstance(info.value, core_errors.ContextWindowExceededError)


def test_timeout_error(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.fault("stall", seconds=2.0)
    with pytest.raises(ModelTimeoutError) as info:
        make_llm(timeout=0.3, max_retries=0).invoke("hi")
    assert isinstance(info.value, core_errors.APITimeoutError)


def test_stream_interrupted_error_keeps_the_partial(make_llm: MakeLLM,
                                                    emulator: Emulator) -> None:
    emulator.script(ScriptedReply(text="one two three four five six", chunk_size=3))
    emulator.fault("drop_after", chunks=3)
    received = []
    with pytest.raises(ModelConnectionError) as info:
        for chunk in make_llm(max_retries=0).stream("hi"):
            received.append(chunk.content)
    assert isinstance(info.value, StreamInterruptedError)
    assert isinstance(info.value, core_errors.StreamInterruptedError)
    assert info.value.partial.text == "".join(received) != ""


def test_resume_streams(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(ScriptedReply(text="one two three four five six", chunk_size=3),
                    ScriptedReply(text="four five six", chunk_size=3))
    emulator.fault("drop_after", chunks=3)
    total = _sum(list(make_llm(resume_streams=True).stream("hi")))
    assert total.content.startswith("one") and total.content.endswith("six")
    assert len(emulator.requests) == 2


def test_resumed_v1_stream_ending_in_a_tool_call(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(ScriptedReply(text="one two three", chunk_size=3),
                    ScriptedReply(tool_calls=[ScriptedToolCall("f", {"a": 1}, "c1")]))
    emulator.fault("drop_after", chunks=3)
    total = _sum(list(make_llm(resume_streams=True, output_version="v1").stream("hi")))
    assert [b["type"] for b in total.content] == ["text", "tool_call"]  # type: ignore[index]
    assert total.tool_calls == [{"name": "f", "args": {"a": 1}, "id": "c1", "type": "tool_call"}]


def test_base_url(emulator: Emulator) -> None:
    gateway = f"{emulator.host}/ai-gateway/mlflow/v1"  # not the default /serving-endpoints
    llm = ChatDatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token=emulator.token,
                               base_url=gateway)
    assert llm.invoke("hi").content
    assert "".join(chunk.text for chunk in llm.stream("hi"))
    llm.close()
    assert [(r.method, r.path) for r in emulator.requests] == [
        ("POST", "/ai-gateway/mlflow/v1/chat/completions")] * 2


def test_copies_and_pickles(make_llm: MakeLLM, emulator: Emulator,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    import copy
    import pickle

    llm = make_llm(thinking=True, max_tokens=4096)
    llm.invoke("hi")
    data = pickle.dumps(llm)
    assert emulator.token.encode() not in data  # pickles carry no secret...
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)  # ...it comes from the environment
    for clone in (copy.deepcopy(llm), pickle.loads(data)):
        assert clone.invoke("hi").additional_kwargs["reasoning_content"]
        assert clone.client() is not llm.client()
        clone.close()


# ---- serialization and profile ----------------------------------------------------------------


def test_serialization_never_contains_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = ChatDatabricksClaude(endpoint=ENDPOINT, token="dapi-very-secret",
                               client_id="sp", client_secret="shh-secret", thinking=True)
    text = dumps(llm)
    assert "dapi-very-secret" not in text and "shh-secret" not in text
    serialized = dumpd(llm)
    assert serialized["kwargs"]["token"] == {"lc": 1, "type": "secret",
                                             "id": ["DATABRICKS_TOKEN"]}
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-very-secret")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "shh-secret")
    loaded = load(serialized, valid_namespaces=["langchain_databricks_claude"],
                  allowed_objects=[ChatDatabricksClaude], secrets_from_env=True)
    assert isinstance(loaded, ChatDatabricksClaude)
    assert loaded.token is not None and loaded.token.get_secret_value() == "dapi-very-secret"
    assert (loaded.endpoint, loaded.thinking) == (ENDPOINT, True)


def test_profile() -> None:
    profile = ChatDatabricksClaude(endpoint="databricks-claude-opus-4-7", token="t").profile
    assert profile is not None
    assert profile["max_input_tokens"] == 1_000_000
    assert profile["max_output_tokens"] == 128_000
    assert profile["reasoning_output"] and profile["tool_calling"] and profile["image_inputs"]
    assert profile["reasoning_effort_levels"] == ["low", "medium", "high", "xhigh", "max"]
    fable = ChatDatabricksClaude(endpoint="databricks-claude-fable-5", token="t").profile
    assert fable is not None and fable["image_inputs"] is False and fable["temperature"] is False


def test_replay_of_anthropic_style_history(make_llm: MakeLLM, emulator: Emulator) -> None:
    """Thinking blocks in Anthropic's content format, from an earlier answer, are replayed."""
    llm = make_llm(thinking=True, max_tokens=4096)
    first = llm.invoke("hi")
    [block] = first.additional_kwargs["reasoning_blocks"]
    entry = block["summary"][0]
    anthropic = AIMessage([{"type": "thinking", "thinking": entry["text"],
                            "signature": entry["signature"]},
                           {"type": "text", "text": first.content}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm.invoke([HumanMessage("hi"), anthropic, HumanMessage("and again")])
    assert emulator.verified_reasoning == 1
    assert json.dumps(_payload(emulator)["messages"][1]["content"][0]) == json.dumps(block)


def test_protocol_event_stream(make_llm: MakeLLM, emulator: Emulator) -> None:
    """`stream_events(version="v3")`: a valid lifecycle whose output replays exactly."""
    from langchain_tests.utils.stream_lifecycle import assert_valid_event_stream

    from langchain_databricks_claude.replay import ai_to_neutral

    llm = make_llm(thinking=True, max_tokens=4096)
    emulator.script(SCRIPT, SCRIPT)
    invoked = llm.invoke("go")
    stream = llm.stream_events("go", version="v3")
    assert_valid_event_stream(list(stream))
    output = stream.output
    finished = [b for b in output.content_blocks if b["type"] == "reasoning"]
    assert finished[0]["reasoning"] == "I should call both tools."  # type: ignore[typeddict-item]
    assert finished[0]["extras"]["signature"]  # type: ignore[typeddict-item]
    assert "redacted_content" in finished[1]["extras"]  # type: ignore[typeddict-item]
    parts, expected = ai_to_neutral(output).parts, ai_to_neutral(invoked).parts
    assert [type(p) for p in parts] == [type(p) for p in expected]
    assert parts[1:3] == expected[1:3]  # the signed reasoning and the text
