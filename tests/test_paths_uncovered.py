"""Paths no other test walked (issue 11): async twins of tested sync paths (a stream that finished
but lost its `[DONE]`), the OAuth token fetch timing out, a `Retry-After` that is not a number of
seconds, and duplicate tool call ids in one assistant turn."""

from __future__ import annotations

import json
import socket
import traceback
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

import databricks_claude._retry as retry_module
from databricks_claude.auth import OAuthM2MProvider, OAuthTokenError
from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.config import ClientConfig
from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall
from databricks_claude.errors import (
    APITimeoutError,
    ConfigurationError,
    DatabricksClaudeError,
    RateLimitError,
    ServerError,
    error_from_response,
)
from databricks_claude.messages import (
    Completion,
    Delta,
    FinishDelta,
    Message,
    RequestOptions,
    TextDelta,
    ToolCallPart,
)
from databricks_claude.schema import make_tool_spec

ENDPOINT = "databricks-claude-sonnet-4-5"
MESSAGES = [Message.user("hi")]
SECRET = "dose-very-secret-0123456789"


def chat_requests(emulator: Emulator) -> list[Any]:
    return [r for r in emulator.requests if r.path.endswith("/chat/completions")]


def emu_client(emulator: Emulator, **kwargs: Any) -> DatabricksClaudeClient:
    return DatabricksClaudeClient(ENDPOINT, host=emulator.host, token=emulator.token, **kwargs)


@pytest.fixture(params=["aiohttp", "httpx"])
def async_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both async transports: httpx-aiohttp (the default when installed) and plain httpx."""
    if request.param == "aiohttp":
        pytest.importorskip("httpx_aiohttp")
    monkeypatch.setenv("DATABRICKS_CLAUDE_HTTP_BACKEND", request.param)
    return str(request.param)


def finished(deltas: list[Delta]) -> Completion:
    assert sum(isinstance(d, FinishDelta) for d in deltas) == 1
    last = deltas[-1]
    assert isinstance(last, FinishDelta)
    assert "".join(d.text for d in deltas if isinstance(d, TextDelta)) == last.completion.text
    return last.completion


# ------------------------------------------------------------------------------------------------
# A stream that finished (finish reason sent) but lost [DONE]: the answer is complete, no retry


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    usage = {"prompt_tokens": 5, "completion_tokens": 2 if finish else None,
             "total_tokens": 7 if finish else None}
    body = {"model": "m", "choices": [{"delta": {"role": "assistant", **delta}, "index": 0,
                                       "finish_reason": finish}],
            "usage": usage, "object": "chat.completion.chunk", "id": "msg-1", "created": 1}
    return f"data: {json.dumps(body)}\n\n".encode()


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The text `al` + `l`, the finish chunk, and no [DONE]: then EOF, or a dropped connection."""

    def __init__(self, drop: bool) -> None:
        self.parts = [_chunk({"content": "al"}), _chunk({"content": "l"}),
                      _chunk({"content": ""}, "stop")]
        self.drop = drop

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts
        if self.drop:
            raise httpx.ReadError("peer closed connection without sending complete message body")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part
        if self.drop:
            raise httpx.ReadError("peer closed connection without sending complete message body")


def _mock_client(drop: bool, calls: list[httpx.Request]) -> DatabricksClaudeClient:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              stream=_Body(drop))

    transport = httpx.MockTransport(handler)
    return DatabricksClaudeClient(ENDPOINT, host="http://127.0.0.1:9", token="dapi-x",
                                  transport=transport, async_transport=transport)


@pytest.mark.parametrize("drop", [False, True], ids=["eof", "dropped"])
async def test_astream_finished_without_done_is_complete(drop: bool, sleeps: list[float]) -> None:
    calls: list[httpx.Request] = []
    client = _mock_client(drop, calls)
    completion = finished([d async for d in client.astream(MESSAGES)])
    await client.aclose()
    assert (completion.text, completion.finish_reason) == ("all", "stop")
    assert completion.usage is not None and completion.usage.output_tokens == 2
    assert len(calls) == 1 and sleeps == []


@pytest.mark.parametrize("drop", [False, True], ids=["eof", "dropped"])
def test_stream_finished_without_done_is_complete(drop: bool, sleeps: list[float]) -> None:
    calls: list[httpx.Request] = []
    with _mock_client(drop, calls) as client:
        completion = finished(list(client.stream(MESSAGES)))
    assert (completion.text, completion.finish_reason) == ("all", "stop")
    assert len(calls) == 1 and sleeps == []


# The emulator's drop_after sends every event but [DONE] when `chunks` is large, then closes.
LOST_DONE = {"chunks": 10_000}
RICH = ScriptedReply(text="Paris: light rain.", reasoning="Look it up.", chunk_size=3,
                     tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"}, id="toolu_w")])
TOOL = make_tool_spec("get_weather", "Weather for a city.",
                      {"type": "object", "properties": {"city": {"type": "string"}}})
THINKING = RequestOptions(thinking=True, max_tokens=4096, tools=[TOOL])


def test_the_emulator_fault_does_lose_only_done(emulator: Emulator) -> None:
    """The premise of the tests below: every event, the finish chunk included, but no [DONE]."""
    emulator.fault("drop_after", **LOST_DONE)
    emulator.script(RICH)
    body = {"model": ENDPOINT, "messages": [{"role": "user", "content": "hi"}], "stream": True,
            "max_tokens": 100}
    data: list[str] = []
    url = f"{emulator.host}/serving-endpoints/chat/completions"
    headers = {"Authorization": f"Bearer {emulator.token}"}
    with pytest.raises(httpx.RemoteProtocolError), \
            httpx.stream("POST", url, json=body, headers=headers) as response:
        data.extend(line[6:] for line in response.iter_lines() if line.startswith("data: "))
    assert data and "[DONE]" not in data
    assert json.loads(data[-1])["choices"][0]["finish_reason"] == "tool_calls"


def _check_rich(completion: Completion) -> None:
    assert completion.text == "Paris: light rain."
    assert completion.reasoning_text == "Look it up."
    assert completion.finish_reason == "tool_calls"
    assert [(c.id, c.parsed_arguments()) for c in completion.tool_calls] == [
        ("toolu_w", {"city": "Paris"})]


async def test_core_astream_lost_done_on_the_emulator(emulator: Emulator, async_backend: str,
                                                      sleeps: list[float]) -> None:
    emulator.fault("drop_after", **LOST_DONE)
    emulator.script(RICH)
    async with emu_client(emulator) as client:
        _check_rich(finished([d async for d in client.astream(MESSAGES, THINKING)]))
    assert len(chat_requests(emulator)) == 1 and sleeps == []


def test_core_stream_lost_done_on_the_emulator(emulator: Emulator, sleeps: list[float]) -> None:
    emulator.fault("drop_after", **LOST_DONE)
    emulator.script(RICH)
    with emu_client(emulator) as client:
        _check_rich(finished(list(client.stream(MESSAGES, THINKING))))
    assert len(chat_requests(emulator)) == 1 and sleeps == []


async def test_langchain_astream_lost_done(emulator: Emulator, async_backend: str,
                                           sleeps: list[float]) -> None:
    from langchain_databricks_claude import ChatDatabricksClaude

    llm = ChatDatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token=emulator.token,
                               thinking=True, max_tokens=4096)
    emulator.fault("drop_after", **LOST_DONE)
    emulator.script(RICH)
    chunks = [c async for c in llm.bind_tools([_openai_tool()]).astream("go")]
    total = chunks[0]
    for piece in chunks[1:]:
        total = total + piece
    await llm.aclose()
    assert total.text == "Paris: light rain."
    assert total.additional_kwargs["reasoning_content"] == "Look it up."
    assert total.response_metadata["finish_reason"] == "tool_calls"
    assert [(c["id"], c["args"]) for c in total.tool_calls] == [("toolu_w", {"city": "Paris"})]
    assert chunks[-1].chunk_position == "last"
    assert len(chat_requests(emulator)) == 1 and sleeps == []


def _openai_tool() -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


async def test_llama_index_astream_lost_done(emulator: Emulator, async_backend: str,
                                             sleeps: list[float]) -> None:
    from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock, ToolCallBlock

    from llama_index_databricks_claude import DatabricksClaude

    llm = DatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token=emulator.token,
                           thinking=True, max_tokens=4096)
    emulator.fault("drop_after", **LOST_DONE)
    emulator.script(RICH)
    stream = await llm.astream_chat([ChatMessage(role="user", content="go")],
                                    tools=[_openai_tool()])
    responses = [r async for r in stream]
    await llm.aclose()
    final = responses[-1]
    assert "".join(r.delta or "" for r in responses) == "Paris: light rain."
    assert final.message.content == "Paris: light rain."
    blocks = final.message.blocks
    assert [b.content for b in blocks if isinstance(b, ThinkingBlock)] == ["Look it up."]
    (call,) = [b for b in blocks if isinstance(b, ToolCallBlock)]
    assert (call.tool_call_id, json.loads(str(call.tool_kwargs))) == ("toolu_w",
                                                                      {"city": "Paris"})
    assert len(chat_requests(emulator)) == 1 and sleeps == []


# ------------------------------------------------------------------------------------------------
# The OAuth token fetch timing out


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def _check_timeout_error(error: BaseException, provider: OAuthM2MProvider) -> None:
    assert isinstance(error, APITimeoutError) and isinstance(error, DatabricksClaudeError)
    assert not isinstance(error, OAuthTokenError)  # not a refusal: another try may work
    text = str(error)
    assert text.startswith(f"timed out getting an OAuth token from {provider.token_url} for "
                           f"client id emulator-client: ")
    assert error.__cause__ is None and error.__suppress_context__
    shown = "".join(traceback.format_exception(error)) + repr(error) + repr(provider)
    assert SECRET not in shown


def test_oauth_token_fetch_timeout(silent_host: str) -> None:
    provider = OAuthM2MProvider(silent_host, "emulator-client", SECRET, timeout=0.2)
    with pytest.raises(APITimeoutError) as info:
        provider.headers()
    _check_timeout_error(info.value, provider)
    assert "ReadTimeout" in str(info.value)
    assert provider.fetch_count == 1
    provider.close()


async def test_oauth_token_fetch_timeout_async(silent_host: str) -> None:
    provider = OAuthM2MProvider(silent_host, "emulator-client", SECRET, timeout=0.2)
    with pytest.raises(APITimeoutError) as info:
        await provider.aheaders()
    _check_timeout_error(info.value, provider)
    provider.close()


@pytest.mark.parametrize("timeout", [httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout])
def test_every_kind_of_token_timeout_is_typed(timeout: type[httpx.TimeoutException]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise timeout("timed out", request=request)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    provider = OAuthM2MProvider("http://127.0.0.1:9", "emulator-client", SECRET, http_client=http)
    with pytest.raises(APITimeoutError) as info:
        provider.headers()
    _check_timeout_error(info.value, provider)
    assert str(info.value).endswith(timeout.__name__)


def _oauth_client(host: str, provider: OAuthM2MProvider) -> DatabricksClaudeClient:
    config = ClientConfig(host=host, base_url=f"{host}/serving-endpoints", credentials=provider)
    return DatabricksClaudeClient(ENDPOINT, config=config, max_retries=2)


def test_client_retries_a_token_timeout_then_raises_it(silent_host: str,
                                                       sleeps: list[float]) -> None:
    provider = OAuthM2MProvider(silent_host, "emulator-client", SECRET, timeout=0.2)
    with _oauth_client(silent_host, provider) as client, \
            pytest.raises(APITimeoutError) as info:
        client.complete(MESSAGES)
    _check_timeout_error(info.value, provider)
    assert provider.fetch_count == 3 and len(sleeps) == 2  # like any timeout: retried
    provider.close()


async def test_async_client_retries_a_token_timeout_then_raises_it(
        silent_host: str, sleeps: list[float]) -> None:
    provider = OAuthM2MProvider(silent_host, "emulator-client", SECRET, timeout=0.2)
    client = _oauth_client(silent_host, provider)
    with pytest.raises(APITimeoutError) as info:
        await client.acomplete(MESSAGES)
    await client.aclose()
    _check_timeout_error(info.value, provider)
    assert provider.fetch_count == 3 and len(sleeps) == 2
    provider.close()


def test_token_timeout_then_success_on_the_emulator(emulator: Emulator,
                                                    sleeps: list[float]) -> None:
    """A token endpoint that times out once: the retry fetches a token and the call succeeds."""
    state = {"timeouts": 1}
    real = httpx.HTTPTransport()

    def handler(request: httpx.Request) -> httpx.Response:
        if state["timeouts"]:
            state["timeouts"] -= 1
            raise httpx.ReadTimeout("timed out", request=request)
        response = real.handle_request(request)
        response.read()
        return response

    http = httpx.Client(transport=httpx.MockTransport(handler))
    provider = OAuthM2MProvider(emulator.host, emulator.client_id, emulator.client_secret,
                                http_client=http)
    emulator.script(ScriptedReply(text="authorized"))
    with _oauth_client(emulator.host, provider) as client:
        assert client.complete(MESSAGES).text == "authorized"
    assert provider.fetch_count == 2 and len(sleeps) == 1
    assert [r.path for r in emulator.requests] == ["/oidc/v1/token",
                                                   "/serving-endpoints/chat/completions"]
    http.close()
    real.close()


# ------------------------------------------------------------------------------------------------
# A Retry-After that is not a number of seconds


class _RefuseFirst(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers the first request with `status` and `Retry-After: value`; passes the others on to
    the emulator (over loopback)."""

    def __init__(self, status: int, retry_after: str, body: dict[str, Any] | None = None) -> None:
        self.status, self.retry_after = status, retry_after
        self.body = body or {"error_code": "REQUEST_LIMIT_EXCEEDED" if status == 429 else
                             "TEMPORARILY_UNAVAILABLE", "message": "try again later"}
        self.refused = 0
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport()

    def _refusal(self) -> httpx.Response | None:
        if self.refused:
            return None
        self.refused += 1
        return httpx.Response(self.status, headers={"Retry-After": self.retry_after},
                              json=self.body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._refusal() or self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._refusal() or await self._async.handle_async_request(request)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


@pytest.fixture
def upper_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full jitter drawn at its upper bound, so the backoff the client used is exact."""
    monkeypatch.setattr(retry_module, "random", SimpleNamespace(uniform=lambda low, high: high))


NOT_SECONDS = ["soon", "Wed, 21 Oct 2015 07:28:00 GMT", "nan", "inf", "-inf", "", "1,5"]


@pytest.mark.parametrize("value", NOT_SECONDS)
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_that_is_not_seconds_falls_back_to_backoff(
        emulator: Emulator, status: int, value: str, sleeps: list[float],
        upper_jitter: None) -> None:
    transport = _RefuseFirst(status, value)
    emulator.script(ScriptedReply(text="after the wait"))
    with emu_client(emulator, transport=transport) as client:
        assert client.complete(MESSAGES).text == "after the wait"
    assert sleeps == [0.5]  # the first backoff step, not the header
    assert len(chat_requests(emulator)) == 1  # the refusal never reached the emulator


@pytest.mark.parametrize(("value", "wait"), [("3", 3.0), ("0", 0.0), ("-2", 0.0),
                                             ("4000", 60.0)])
def test_numeric_retry_after_is_the_wait(emulator: Emulator, value: str, wait: float,
                                         sleeps: list[float], upper_jitter: None) -> None:
    with emu_client(emulator, transport=_RefuseFirst(429, value)) as client:
        client.complete(MESSAGES)
    assert sleeps == [wait]  # capped at max_retry_wait (60 s)


@pytest.mark.parametrize("value", NOT_SECONDS)
def test_the_error_carries_no_retry_after(value: str) -> None:
    error = error_from_response(429, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow"},
                                {"retry-after": value})
    assert isinstance(error, RateLimitError) and error.retry_after is None
    error = error_from_response(503, {"message": "busy", "retry_after": value}, {})
    assert isinstance(error, ServerError) and error.retry_after is None


def test_body_retry_after_is_used_when_the_header_is_not_seconds(
        emulator: Emulator, sleeps: list[float], upper_jitter: None) -> None:
    body = {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow", "retry_after": 2}
    with emu_client(emulator, transport=_RefuseFirst(429, "soon", body)) as client:
        client.complete(MESSAGES)
    assert sleeps == [2.0]


def test_non_numeric_body_retry_after_from_the_emulator(emulator: Emulator, sleeps: list[float],
                                                        upper_jitter: None) -> None:
    emulator.fault("status", status=429, body={"error_code": "REQUEST_LIMIT_EXCEEDED",
                                               "message": "slow", "retry_after": "soon"})
    emulator.script(ScriptedReply(text="ok"))
    with emu_client(emulator) as client:
        assert client.complete(MESSAGES).text == "ok"
    assert sleeps == [0.5]
    assert len(chat_requests(emulator)) == 2


def test_stream_retry_after_that_is_not_seconds(emulator: Emulator, sleeps: list[float],
                                                upper_jitter: None) -> None:
    emulator.script(ScriptedReply(text="streamed"))
    with emu_client(emulator, transport=_RefuseFirst(503, "soon")) as client:
        assert finished(list(client.stream(MESSAGES))).text == "streamed"
    assert sleeps == [0.5]


@pytest.mark.parametrize("streamed", [False, True], ids=["acomplete", "astream"])
async def test_async_retry_after_that_is_not_seconds(emulator: Emulator, streamed: bool,
                                                     sleeps: list[float],
                                                     upper_jitter: None) -> None:
    emulator.script(ScriptedReply(text="async after the wait"))
    client = emu_client(emulator, async_transport=_RefuseFirst(429, "soon"))
    if streamed:
        text = finished([d async for d in client.astream(MESSAGES)]).text
    else:
        text = (await client.acomplete(MESSAGES)).text
    await client.aclose()
    assert text == "async after the wait"
    assert sleeps == [0.5]


def test_rate_limit_with_a_non_numeric_retry_after_exhausts_to_a_typed_error(
        emulator: Emulator, sleeps: list[float], upper_jitter: None) -> None:
    class Always(_RefuseFirst):
        def _refusal(self) -> httpx.Response | None:
            return httpx.Response(429, headers={"Retry-After": "soon"}, json=self.body)

    with emu_client(emulator, transport=Always(429, "soon")) as client, \
            pytest.raises(RateLimitError) as info:
        client.complete(MESSAGES)
    assert info.value.retry_after is None
    assert sleeps == [0.5, 1.0]  # the exponential backoff's upper bounds


# ------------------------------------------------------------------------------------------------
# Duplicate tool call ids in one assistant turn: refused before sending


DUPLICATE = "tool call id 'toolu_1' appears twice in one turn"


def _duplicate_history(*, answered: bool = True) -> list[Message]:
    turn = Message("assistant", [ToolCallPart("toolu_1", "get_weather", '{"city":"Paris"}'),
                                 ToolCallPart("toolu_1", "get_weather", '{"city":"Lyon"}')])
    results = [Message.tool("toolu_1", "rain"), Message.tool("toolu_1", "sun")] if answered else []
    return [Message.user("weather?"), turn, *results]


TOOLS = RequestOptions(tools=[TOOL])


@pytest.mark.parametrize("answered", [True, False], ids=["answered", "last-turn"])
def test_duplicate_ids_are_refused_before_sending(emulator: Emulator, answered: bool) -> None:
    history = _duplicate_history(answered=answered)
    with emu_client(emulator) as client:
        for call in (lambda: client.complete(history, TOOLS),
                     lambda: list(client.stream(history, TOOLS))):
            with pytest.raises(ConfigurationError, match=DUPLICATE):
                call()
    assert emulator.requests == []


async def test_duplicate_ids_are_refused_before_sending_async(emulator: Emulator) -> None:
    history = _duplicate_history()
    client = emu_client(emulator)
    with pytest.raises(ConfigurationError, match=DUPLICATE):
        await client.acomplete(history, TOOLS)
    with pytest.raises(ConfigurationError, match=DUPLICATE):
        _ = [d async for d in client.astream(history, TOOLS)]
    await client.aclose()
    assert emulator.requests == []


def test_duplicate_ids_from_the_model_are_kept_then_refused_on_replay(
        emulator: Emulator) -> None:
    """The answer is taken as sent (both calls, same id); the replay is what gets refused."""
    emulator.script(ScriptedReply(tool_calls=[
        ScriptedToolCall("get_weather", {"city": "Paris"}, id="toolu_1"),
        ScriptedToolCall("get_weather", {"city": "Lyon"}, id="toolu_1")]))
    with emu_client(emulator) as client:
        completion = client.complete(MESSAGES, TOOLS)
        assert [(c.id, c.parsed_arguments()) for c in completion.tool_calls] == [
            ("toolu_1", {"city": "Paris"}), ("toolu_1", {"city": "Lyon"})]
        history = [*MESSAGES, completion.to_message(), Message.tool("toolu_1", "rain"),
                   Message.tool("toolu_1", "sun")]
        with pytest.raises(ConfigurationError, match=DUPLICATE):
            client.complete(history, TOOLS)
    assert len(chat_requests(emulator)) == 1


def test_duplicate_ids_in_a_langchain_history(emulator: Emulator) -> None:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from langchain_databricks_claude import ChatDatabricksClaude

    llm = ChatDatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token=emulator.token)
    turn = AIMessage("", tool_calls=[{"id": "toolu_1", "name": "get_weather", "args": {"c": 1}},
                                     {"id": "toolu_1", "name": "get_weather", "args": {"c": 2}}])
    history = [HumanMessage("weather?"), turn, ToolMessage("rain", tool_call_id="toolu_1"),
               ToolMessage("sun", tool_call_id="toolu_1")]
    with pytest.raises(ConfigurationError, match=DUPLICATE):
        llm.bind_tools([_openai_tool()]).invoke(history)
    llm.close()
    assert emulator.requests == []


def test_duplicate_ids_in_a_llama_index_history(emulator: Emulator) -> None:
    from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock

    from llama_index_databricks_claude import DatabricksClaude

    llm = DatabricksClaude(endpoint=ENDPOINT, host=emulator.host, token=emulator.token)
    calls = [ToolCallBlock(tool_call_id="toolu_1", tool_name="get_weather", tool_kwargs="{}"),
             ToolCallBlock(tool_call_id="toolu_1", tool_name="get_weather", tool_kwargs="{}")]

    def tool(text: str) -> ChatMessage:
        return ChatMessage(role="tool", content=text, additional_kwargs={"tool_call_id": "toolu_1"})

    history = [ChatMessage(role="user", content="weather?"),
               ChatMessage(role="assistant", blocks=calls), tool("rain"), tool("sun")]
    with pytest.raises(ConfigurationError, match=DUPLICATE):
        llm.chat(history, tools=[_openai_tool()])
    llm.close()
    assert emulator.requests == []

