"""The transport: requests, retries, error mapping, streams, interruption and resumption.

Everything here runs on `httpx.MockTransport`; the emulator-backed tests are at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from databricks_claude import _http as http_mod
from databricks_claude._retry import RetryState, backoff_delay, is_retryable, should_retry
from databricks_claude.auth import OAuthM2MProvider
from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.config import ClientConfig
from databricks_claude.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    EndpointNotFoundError,
    MalformedResponseError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from databricks_claude.messages import (
    Completion,
    Delta,
    FinishDelta,
    Message,
    ReasoningDelta,
    RequestOptions,
    TextDelta,
    ToolCallStartDelta,
)

ENDPOINT = "databricks-claude-sonnet-4-5"
HOST = "https://dbc-1234.cloud.databricks.com"
URL = f"{HOST}/serving-endpoints/chat/completions"
TOKEN = "dapi-super-secret-token-4242"
CLIENT_SECRET = "oauth-secret-do-not-leak-777"
MESSAGES = [Message.user("Hello")]

Step = httpx.Response | BaseException | Callable[[httpx.Request], httpx.Response]


# ------------------------------------------------------------------------------------------------
# Wire builders


def completion_body(text: str = "Hello there") -> dict[str, Any]:
    return {"id": "msg_1", "model": "us.anthropic.claude", "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    usage = {"prompt_tokens": 5, "completion_tokens": 3 if finish else None,
             "total_tokens": 8 if finish else None}
    body = {"model": "m", "choices": [{"delta": {"role": "assistant", **delta}, "index": 0,
                                       "finish_reason": finish}],
            "usage": usage, "object": "chat.completion.chunk", "id": "msg-1", "created": 1}
    return f"data: {json.dumps(body)}\n\n"


def text(value: str) -> str:
    return chunk({"content": value})


def reasoning(value: str, signature: str = "") -> str:
    return chunk({"content": [{"type": "reasoning", "summary": [
        {"type": "summary_text", "text": value, "signature": signature}]}]})


def tool_start(name: str = "get_weather") -> str:
    return chunk({"content": None, "tool_calls": [
        {"index": 1, "id": "toolu_1", "type": "function",
         "function": {"name": name, "arguments": ""}}]})


def finish(reason: str = "stop") -> str:
    return chunk({"content": ""}, finish=reason)


DONE = "data: [DONE]\n\n"


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that yields some SSE text, then fails like a dropped connection."""

    def __init__(self, parts: list[str], error: BaseException | None = None):
        self.parts = [p.encode() for p in parts]
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part
        if self.error is not None:
            raise self.error


def sse(*parts: str, error: BaseException | None = None) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"},
                          stream=BrokenStream(list(parts), error))


def drop() -> httpx.ReadError:
    return httpx.ReadError("peer closed connection without sending complete message body")


# ------------------------------------------------------------------------------------------------
# A scripted service


class Service:
    """Plays a script of responses (or exceptions) in order and records the requests."""

    def __init__(self, *steps: Step, default: Step | None = None):
        self.steps = list(steps)
        self.default = default
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if self.steps else self.default
        if step is None:
            raise AssertionError(f"unexpected request #{len(self.requests)}")
        if isinstance(step, BaseException):
            raise step
        if callable(step) and not isinstance(step, httpx.Response):
            return step(request)
        return step

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


@pytest.fixture
def delays(sleeps: list[float]) -> list[float]:
    """The backoff waits, recorded instead of slept (the shared `sleeps` fixture)."""
    return sleeps


def make_client(service: Service, **kwargs: Any) -> DatabricksClaudeClient:
    transport = httpx.MockTransport(service)
    kwargs.setdefault("token", TOKEN)
    return DatabricksClaudeClient(ENDPOINT, host=HOST, transport=transport,
                                  async_transport=transport, **kwargs)


def ok(text_value: str = "Hello there") -> httpx.Response:
    return httpx.Response(200, json=completion_body(text_value))


def error(status: int, code: str = "ERR", message: str = "failed",
          headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "message": message},
                          headers=headers)


def collect(deltas: Iterator[Delta]) -> tuple[str, Completion]:
    items = list(deltas)
    assert isinstance(items[-1], FinishDelta)
    assert sum(isinstance(d, FinishDelta) for d in items) == 1
    streamed = "".join(d.text for d in items if isinstance(d, TextDelta))
    return streamed, items[-1].completion


async def acollect(deltas: AsyncIterator[Delta]) -> tuple[str, Completion]:
    items = [d async for d in deltas]
    assert isinstance(items[-1], FinishDelta)
    assert sum(isinstance(d, FinishDelta) for d in items) == 1
    streamed = "".join(d.text for d in items if isinstance(d, TextDelta))
    return streamed, items[-1].completion


# ------------------------------------------------------------------------------------------------
# Pure retry decisions


def test_retry_decisions() -> None:
    for status in (429, 500, 502, 503, 504):
        assert should_retry(status, 0, 2)
        assert not should_retry(status, 2, 2)
    for status in (400, 401, 403, 404, 409, 422):
        assert not should_retry(status, 0, 2)
    request = httpx.Request("POST", URL)
    assert is_retryable(httpx.ConnectError("x", request=request))
    assert is_retryable(httpx.ReadTimeout("x", request=request))
    assert is_retryable(httpx.RemoteProtocolError("x", request=request))
    assert not is_retryable(httpx.UnsupportedProtocol("x", request=request))
    assert not is_retryable(MalformedResponseError("x"))
    assert is_retryable(MalformedResponseError("x"), in_stream=True)
    assert not is_retryable(ValueError("x"))


def test_backoff_is_full_jitter_and_capped() -> None:
    for attempt in range(8):
        for _ in range(50):
            assert 0.0 <= backoff_delay(attempt, None) <= min(60.0, 0.5 * 2 ** attempt)
    assert backoff_delay(10, None, cap=3.0) <= 3.0
    assert backoff_delay(0, 7.0) == 7.0
    assert backoff_delay(0, 700.0, cap=60.0) == 60.0
    assert backoff_delay(0, -1.0) == 0.0


def test_retry_state_refreshes_auth_once() -> None:
    state = RetryState(max_retries=0)
    unauthorized = AuthenticationError("no", status=401)
    assert state.decide(unauthorized, can_refresh=True).refresh_auth
    assert not state.decide(unauthorized, can_refresh=True).retry
    assert not RetryState(2).decide(unauthorized, can_refresh=False).retry


# ------------------------------------------------------------------------------------------------
# complete()


def test_complete_sends_the_request() -> None:
    service = Service(ok())
    client = make_client(service, default_headers={"X-Custom": "1"})
    completion = client.complete(MESSAGES, RequestOptions(max_tokens=100))
    assert completion.text == "Hello there"
    assert completion.usage is not None and completion.usage.total_tokens == 8
    request = service.requests[0]
    assert str(request.url) == URL
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"].startswith("databricks-claude/")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-custom"] == "1"
    body = service.bodies[0]
    assert body["model"] == ENDPOINT
    assert body["max_tokens"] == 100
    assert body["messages"][-1]["role"] == "user"
    assert "stream" not in body or body["stream"] is False


def test_base_url_override_is_used() -> None:
    service = Service(ok())
    client = make_client(service, base_url=f"{HOST}/ai-gateway/mlflow/v1")
    client.complete(MESSAGES)
    assert str(service.requests[0].url) == f"{HOST}/ai-gateway/mlflow/v1/chat/completions"


def test_http_clients_are_reused() -> None:
    service = Service(ok(), ok())
    client = make_client(service)
    client.complete(MESSAGES)
    first = client._sync
    client.complete(MESSAGES)
    assert client._sync is first

    async def twice() -> bool:
        await client.acomplete(MESSAGES)
        first_async = client._async_client()
        await client.acomplete(MESSAGES)
        return client._async_client() is first_async

    service.steps = [ok(), ok()]
    assert asyncio.run(twice())


def test_429_retry_after_is_honoured(delays: list[float]) -> None:
    service = Service(error(429, "REQUEST_LIMIT_EXCEEDED", headers={"Retry-After": "3"}), ok())
    assert make_client(service).complete(MESSAGES).text == "Hello there"
    assert delays == [3.0]
    assert len(service.requests) == 2


def test_429_retry_after_is_capped(delays: list[float]) -> None:
    service = Service(error(429, headers={"Retry-After": "500"}), ok())
    make_client(service, max_retry_wait=5.0).complete(MESSAGES)
    assert delays == [5.0]


def test_503_then_success(delays: list[float]) -> None:
    service = Service(error(503, "TEMPORARILY_UNAVAILABLE"), ok())
    assert make_client(service).complete(MESSAGES).text == "Hello there"
    assert len(delays) == 1 and 0.0 <= delays[0] <= 0.5


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_retried(status: int, delays: list[float]) -> None:
    service = Service(error(status), ok())
    make_client(service).complete(MESSAGES)
    assert len(service.requests) == 2


def test_connection_error_then_success(delays: list[float]) -> None:
    service = Service(httpx.ConnectError("connection refused"), ok())
    assert make_client(service).complete(MESSAGES).text == "Hello there"
    assert len(service.requests) == 2


def test_read_timeout_then_success(delays: list[float]) -> None:
    service = Service(httpx.ReadTimeout("timed out"), ok())
    assert make_client(service).complete(MESSAGES).text == "Hello there"


@pytest.mark.parametrize(("status", "cls"), [
    (400, BadRequestError), (403, PermissionDeniedError), (404, EndpointNotFoundError)])
def test_client_errors_not_retried(status: int, cls: type[APIStatusError],
                                   delays: list[float]) -> None:
    service = Service(error(status, "X", "refused [ReqId: abc-123]"), default=ok())
    with pytest.raises(cls) as info:
        make_client(service).complete(MESSAGES)
    assert len(service.requests) == 1
    assert info.value.status == status
    assert info.value.request_id == "abc-123"
    assert delays == []


def test_max_retries_respected(delays: list[float]) -> None:
    service = Service(default=error(503))
    with pytest.raises(ServerError):
        make_client(service, max_retries=3).complete(MESSAGES)
    assert len(service.requests) == 4
    assert len(delays) == 3
    for attempt, delay in enumerate(delays):
        assert 0.0 <= delay <= 0.5 * 2 ** attempt


def test_no_retries(delays: list[float]) -> None:
    service = Service(default=error(429))
    with pytest.raises(RateLimitError):
        make_client(service, max_retries=0).complete(MESSAGES)
    assert len(service.requests) == 1


def test_timeouts_exhausted_raise_timeout_error(delays: list[float]) -> None:
    service = Service(default=httpx.ReadTimeout("timed out"))
    with pytest.raises(APITimeoutError, match="timed out"):
        make_client(service, max_retries=1).complete(MESSAGES)
    assert len(service.requests) == 2


def test_connection_errors_exhausted(delays: list[float]) -> None:
    service = Service(default=httpx.ConnectError("connection refused"))
    with pytest.raises(APIConnectionError, match="connection refused") as info:
        make_client(service).complete(MESSAGES)
    assert not isinstance(info.value, APITimeoutError)
    assert len(service.requests) == 3


def test_401_with_static_token_is_not_retried(delays: list[float]) -> None:
    service = Service(error(401, "401", "Credential was not sent"), default=ok())
    with pytest.raises(AuthenticationError):
        make_client(service).complete(MESSAGES)
    assert len(service.requests) == 1


def oauth_config(token_calls: list[int]) -> ClientConfig:
    def token_endpoint(request: httpx.Request) -> httpx.Response:
        token_calls.append(1)
        return httpx.Response(200, json={"access_token": f"oauth-{len(token_calls)}",
                                         "expires_in": 3600})

    http = httpx.Client(transport=httpx.MockTransport(token_endpoint))
    provider = OAuthM2MProvider(HOST, "sp-id", SecretStr(CLIENT_SECRET), http_client=http)
    return ClientConfig(HOST, f"{HOST}/serving-endpoints", provider)


def test_401_refreshes_oauth_token_once_then_succeeds(delays: list[float]) -> None:
    token_calls: list[int] = []
    service = Service(error(401, "401", "expired"), ok())
    client = make_client(service, config=oauth_config(token_calls))
    assert client.complete(MESSAGES).text == "Hello there"
    assert [r.headers["authorization"] for r in service.requests] == [
        "Bearer oauth-1", "Bearer oauth-2"]
    assert len(token_calls) == 2
    assert delays == [0.0]


def test_401_twice_raises_after_one_refresh(delays: list[float]) -> None:
    token_calls: list[int] = []
    service = Service(default=error(401, "401", "no"))
    client = make_client(service, config=oauth_config(token_calls), max_retries=5)
    with pytest.raises(AuthenticationError):
        client.complete(MESSAGES)
    assert len(service.requests) == 2
    assert len(token_calls) == 2


async def test_async_401_refreshes_oauth_token(delays: list[float]) -> None:
    token_calls: list[int] = []
    service = Service(error(401, "401", "expired"), ok())
    client = make_client(service, config=oauth_config(token_calls))
    assert (await client.acomplete(MESSAGES)).text == "Hello there"
    assert service.requests[1].headers["authorization"] == "Bearer oauth-2"
    await client.aclose()


def test_redirect_is_not_followed(delays: list[float]) -> None:
    service = Service(httpx.Response(302, headers={"Location": "https://login.evil.example/sso?x=1"}),
                      default=ok())
    with pytest.raises(APIStatusError) as info:
        make_client(service).complete(MESSAGES)
    assert info.value.status == 302
    assert "login.evil.example" in str(info.value)
    assert len(service.requests) == 1


def test_redirect_is_not_followed_for_streams(delays: list[float]) -> None:
    service = Service(httpx.Response(307, headers={"Location": "https://other.example/x"}),
                      default=sse(text("hi"), finish(), DONE))
    with pytest.raises(APIStatusError) as info:
        list(make_client(service).stream(MESSAGES))
    assert info.value.status == 307
    assert len(service.requests) == 1


def test_malformed_json_is_not_retried(delays: list[float]) -> None:
    service = Service(httpx.Response(200, text="<html>oops</html>"), default=ok())
    with pytest.raises(MalformedResponseError, match="not JSON"):
        make_client(service).complete(MESSAGES)
    assert len(service.requests) == 1


def test_error_body_as_text() -> None:
    service = Service(httpx.Response(400, text="BAD_REQUEST: Invalid role in the chat message"))
    with pytest.raises(BadRequestError, match="Invalid role") as info:
        make_client(service).complete(MESSAGES)
    assert info.value.error_code == "BAD_REQUEST"


def test_configuration_error_before_any_request() -> None:
    service = Service()
    with pytest.raises(ValueError):
        make_client(service).complete(MESSAGES, RequestOptions(n=2))
    assert service.requests == []


# -- async complete -----------------------------------------------------------------------------


async def test_acomplete_with_retries(delays: list[float]) -> None:
    service = Service(error(429, headers={"Retry-After": "2"}), httpx.ConnectError("refused"),
                      ok("async answer"))
    client = make_client(service)
    completion = await client.acomplete(MESSAGES)
    assert completion.text == "async answer"
    assert delays[0] == 2.0 and len(delays) == 2
    assert service.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    await client.aclose()


async def test_acomplete_not_retried_errors(delays: list[float]) -> None:
    service = Service(error(404, "ENDPOINT_NOT_FOUND"), default=ok())
    client = make_client(service)
    with pytest.raises(EndpointNotFoundError):
        await client.acomplete(MESSAGES)
    assert len(service.requests) == 1
    await client.aclose()


# ------------------------------------------------------------------------------------------------
# stream()


def test_stream_deltas_and_final_completion() -> None:
    service = Service(sse(reasoning("think"), reasoning("", "sig"), text("Hel"), text("lo"),
                          finish(), DONE))
    streamed, completion = collect(make_client(service).stream(MESSAGES))
    assert streamed == "Hello"
    assert completion.text == "Hello"
    assert completion.reasoning_text == "think"
    assert service.bodies[0]["stream"] is True
    assert service.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_stream_status_error_retried_then_streams(delays: list[float]) -> None:
    service = Service(error(503), sse(text("ok"), finish(), DONE))
    streamed, _ = collect(make_client(service).stream(MESSAGES))
    assert streamed == "ok"
    assert len(delays) == 1


def test_stream_status_error_not_retried() -> None:
    service = Service(error(400, "BAD_REQUEST", "Extra inputs are not permitted"))
    with pytest.raises(BadRequestError, match="Extra inputs"):
        list(make_client(service).stream(MESSAGES))


def test_stream_failure_before_first_event_is_retried(delays: list[float]) -> None:
    service = Service(sse(error=drop()), sse(text("fine"), finish(), DONE))
    streamed, completion = collect(make_client(service).stream(MESSAGES))
    assert streamed == "fine" and completion.text == "fine"
    assert len(service.requests) == 2


def test_stream_eof_before_output_is_retried(delays: list[float]) -> None:
    service = Service(sse(": keep-alive\n\n"), sse(text("fine"), finish(), DONE))
    streamed, _ = collect(make_client(service).stream(MESSAGES))
    assert streamed == "fine"


def test_stream_malformed_chunk_before_output_is_retried(delays: list[float]) -> None:
    service = Service(sse("data: {not json\n\n"), sse(text("fine"), finish(), DONE))
    streamed, _ = collect(make_client(service).stream(MESSAGES))
    assert streamed == "fine"


def test_stream_failures_before_output_exhaust_retries(delays: list[float]) -> None:
    service = Service(default=lambda request: sse(error=drop()))
    with pytest.raises(APIConnectionError):
        list(make_client(service, max_retries=2).stream(MESSAGES))
    assert len(service.requests) == 3


def test_stream_interrupted_after_output_keeps_partial(delays: list[float]) -> None:
    service = Service(sse(reasoning("I think"), reasoning("", "sig-1"), text("Partial ans"),
                          error=drop()), default=sse(text("never"), finish(), DONE))
    seen: list[Delta] = []
    with pytest.raises(StreamInterruptedError) as info:
        for delta in make_client(service).stream(MESSAGES):
            seen.append(delta)
    error_value = info.value
    assert error_value.partial.text == "Partial ans"
    assert error_value.partial.reasoning_text == "I think"
    assert "11 characters of text" in str(error_value)
    assert isinstance(error_value.cause, APIConnectionError)
    assert len(service.requests) == 1
    assert any(isinstance(d, ReasoningDelta) for d in seen)
    assert "".join(d.text for d in seen if isinstance(d, TextDelta)) == "Partial ans"


def test_stream_eof_without_finish_after_output_is_an_interruption(delays: list[float]) -> None:
    service = Service(sse(text("half an answ")))
    with pytest.raises(StreamInterruptedError, match="12 characters") as info:
        list(make_client(service).stream(MESSAGES))
    assert info.value.partial.text == "half an answ"


def test_stream_finished_without_done_is_fine() -> None:
    service = Service(sse(text("all"), finish()))
    streamed, completion = collect(make_client(service).stream(MESSAGES))
    assert completion.finish_reason == "stop" and streamed == "all"


def test_stream_drop_after_finish_is_fine() -> None:
    service = Service(sse(text("all"), finish(), error=drop()))
    _, completion = collect(make_client(service).stream(MESSAGES))
    assert completion.text == "all"


def test_stream_stall_times_out_as_interruption(delays: list[float]) -> None:
    service = Service(sse(text("slow"), error=httpx.ReadTimeout("timed out")))
    with pytest.raises(StreamInterruptedError) as info:
        list(make_client(service).stream(MESSAGES))
    assert isinstance(info.value.cause, APITimeoutError)


class ClosableStream(BrokenStream):
    """A response body that records whether the client closed it (released the connection)."""

    closed = False

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def test_stream_consumer_can_stop_early() -> None:
    body = ClosableStream([text("a"), text("b"), finish(), DONE])
    service = Service(httpx.Response(200, headers={"content-type": "text/event-stream"},
                                     stream=body))
    stream = make_client(service).stream(MESSAGES)
    assert next(stream) == TextDelta("a")
    assert not body.closed  # still streaming
    stream.close()  # type: ignore[attr-defined]
    assert body.closed  # the response was closed: its connection goes back to the pool
    assert len(service.requests) == 1


async def test_astream_consumer_can_stop_early() -> None:
    body = ClosableStream([text("a"), text("b"), finish(), DONE])
    service = Service(httpx.Response(200, headers={"content-type": "text/event-stream"},
                                     stream=body))
    client = make_client(service)
    stream = client.astream(MESSAGES)
    assert await stream.__anext__() == TextDelta("a")
    assert not body.closed
    await stream.aclose()  # type: ignore[attr-defined]
    assert body.closed
    assert len(service.requests) == 1
    await client.aclose()


# -- resume_streams ----------------------------------------------------------------------------


def test_resume_streams_is_seamless(delays: list[float]) -> None:
    service = Service(sse(text("Hello, "), text("wor"), error=drop()),
                      sse(text("ld!"), finish(), DONE))
    streamed, completion = collect(make_client(service, resume_streams=True).stream(MESSAGES))
    assert streamed == "Hello, world!"
    assert completion.text == "Hello, world!"
    assert completion.finish_reason == "stop"
    resumed = service.bodies[1]["messages"]
    assert resumed[-1] == {"role": "assistant", "content": "Hello, wor"}
    assert resumed[:-1] == service.bodies[0]["messages"]


def test_resume_strips_trailing_whitespace_and_skips_its_repeat(delays: list[float]) -> None:
    service = Service(sse(text("Hello "), error=drop()),
                      sse(text(" "), text("world"), finish(), DONE))
    streamed, completion = collect(make_client(service, resume_streams=True).stream(MESSAGES))
    assert service.bodies[1]["messages"][-1] == {"role": "assistant", "content": "Hello"}
    assert streamed == "Hello world"
    assert completion.text == "Hello world"


def test_resumed_deltas_name_the_parts_of_the_merged_completion(delays: list[float]) -> None:
    """After a resume, every delta's `part_index` is its part's in the final (merged) completion:
    the text is part 0 and the continuation's other parts follow, however the continuation
    numbered them (here a tool call first, then text, then an unknown block and a call)."""
    unknown = chunk({"content": [{"type": "citation", "n": 1}]})
    second = chunk({"content": None, "tool_calls": [
        {"index": 3, "id": "toolu_2", "type": "function",
         "function": {"name": "get_time", "arguments": "{}"}}]})
    service = Service(sse(text("Hello "), text("wor"), error=drop()),
                      sse(tool_start(), text("ld"), unknown, second, finish("tool_calls"), DONE))
    deltas = list(make_client(service, resume_streams=True).stream(MESSAGES))
    final = deltas[-1]
    assert isinstance(final, FinishDelta)
    kinds = [type(p).__name__ for p in final.completion.parts]
    assert kinds == ["TextPart", "ToolCallPart", "UnknownPart", "ToolCallPart"]
    named = [(type(d).__name__, d.part_index) for d in deltas[:-1]]  # type: ignore[union-attr]
    assert named == [("TextDelta", 0), ("TextDelta", 0), ("ToolCallStartDelta", 1),
                     ("TextDelta", 0), ("ToolCallStartDelta", 3), ("ToolCallArgsDelta", 3)]


def test_resume_twice(delays: list[float]) -> None:
    service = Service(sse(text("one "), error=drop()), sse(text(" two"), error=drop()),
                      sse(text(" three"), finish(), DONE))
    streamed, completion = collect(make_client(service, resume_streams=True).stream(MESSAGES))
    assert streamed == completion.text == "one two three"
    assert service.bodies[2]["messages"][-1]["content"] == "one two"


def test_resume_refused_with_reasoning(delays: list[float]) -> None:
    service = Service(sse(reasoning("hmm"), text("Hi"), error=drop()), default=sse(finish()))
    with pytest.raises(StreamInterruptedError) as info:
        list(make_client(service, resume_streams=True).stream(MESSAGES))
    assert info.value.partial.reasoning_text == "hmm"
    assert len(service.requests) == 1


def test_resume_refused_with_tool_call_in_progress(delays: list[float]) -> None:
    service = Service(sse(text("Let me check"), tool_start(), error=drop()), default=sse(finish()))
    with pytest.raises(StreamInterruptedError) as info:
        list(make_client(service, resume_streams=True).stream(MESSAGES))
    assert info.value.partial.tool_calls[0].name == "get_weather"
    assert len(service.requests) == 1


def test_resume_refused_when_thinking_requested(delays: list[float]) -> None:
    service = Service(sse(text("Hi"), error=drop()), default=sse(finish()))
    client = make_client(service, resume_streams=True)
    with pytest.raises(StreamInterruptedError):
        list(client.stream(MESSAGES, RequestOptions(thinking=True, max_tokens=4096)))
    assert len(service.requests) == 1


def test_resume_gives_up_after_max_retries(delays: list[float]) -> None:
    service = Service(default=lambda request: sse(text("more "), error=drop()))
    with pytest.raises(StreamInterruptedError) as info:
        list(make_client(service, resume_streams=True, max_retries=2).stream(MESSAGES))
    assert len(service.requests) == 3
    assert info.value.partial.text == "more more more "


# -- async streams ------------------------------------------------------------------------------


async def test_astream(delays: list[float]) -> None:
    service = Service(error(502), sse(text("as"), text("ync"), finish(), DONE))
    client = make_client(service)
    streamed, completion = await acollect(client.astream(MESSAGES))
    assert streamed == completion.text == "async"
    await client.aclose()


async def test_astream_interrupted(delays: list[float]) -> None:
    service = Service(sse(reasoning("r"), text("partial"), error=drop()))
    client = make_client(service)
    with pytest.raises(StreamInterruptedError) as info:
        await acollect(client.astream(MESSAGES))
    assert info.value.partial.text == "partial"
    assert info.value.partial.reasoning_text == "r"
    await client.aclose()


async def test_astream_retry_before_output_and_resume(delays: list[float]) -> None:
    service = Service(sse(error=drop()), sse(text("Hello, "), error=drop()),
                      sse(text("world"), finish(), DONE))
    client = make_client(service, resume_streams=True, max_retries=3)
    streamed, completion = await acollect(client.astream(MESSAGES))
    assert streamed == completion.text == "Hello, world"
    assert service.bodies[2]["messages"][-1]["content"] == "Hello,"
    await client.aclose()


# ------------------------------------------------------------------------------------------------
# No secret anywhere


def _scenarios() -> list[tuple[Service, dict[str, Any]]]:
    echo = f"Invalid access token {TOKEN[:4]}"
    return [
        (Service(default=error(401, "401", echo)), {}),
        (Service(default=error(403, "403", "Invalid access token.")), {}),
        (Service(default=error(429, headers={"Retry-After": "0"})), {}),
        (Service(default=httpx.ConnectError("refused")), {}),
        (Service(default=httpx.ReadTimeout("timed out")), {}),
        (Service(default=httpx.Response(302, headers={"Location": "https://x.example/"})), {}),
        (Service(default=httpx.Response(200, text="not json")), {}),
    ]


def test_no_token_in_errors_or_debug_logs(delays: list[float],
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="databricks_claude")
    texts: list[str] = []
    for service, kwargs in _scenarios():
        client = make_client(service, **kwargs)
        texts += [repr(client), repr(client.config), str(client.config)]
        for call in (client.complete, lambda m, c=client: list(c.stream(m))):
            with pytest.raises(Exception) as info:
                call(MESSAGES)
            texts += [str(info.value), repr(info.value), str(info.value.args)]
            cause = info.value.__cause__
            if cause is not None:
                texts += [str(cause), repr(cause)]
    stream_service = Service(sse(text("x"), error=drop()))
    with pytest.raises(StreamInterruptedError) as interrupted:
        list(make_client(stream_service).stream(MESSAGES))
    texts += [str(interrupted.value), repr(interrupted.value), repr(interrupted.value.partial),
              str(interrupted.value.cause)]
    texts.append(caplog.text)
    assert "retrying POST" in caplog.text  # the debug log did run
    for value in texts:
        assert TOKEN not in value
        assert CLIENT_SECRET not in value


def test_no_oauth_secret_in_logs_or_errors(delays: list[float],
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    http = httpx.Client(transport=httpx.MockTransport(refuse))
    provider = OAuthM2MProvider(HOST, "sp-id", CLIENT_SECRET, http_client=http)
    client = make_client(Service(default=ok()),
                         config=ClientConfig(HOST, f"{HOST}/serving-endpoints", provider))
    with pytest.raises(AuthenticationError) as info:
        client.complete(MESSAGES)
    for value in (str(info.value), repr(info.value), caplog.text, repr(client.config)):
        assert CLIENT_SECRET not in value
    assert "sp-id" in str(info.value)


# ------------------------------------------------------------------------------------------------
# Lifecycle


def test_context_managers_close_clients() -> None:
    service = Service(ok())
    with make_client(service) as client:
        client.complete(MESSAGES)
        http = client._sync
    assert http is not None and http.is_closed

    async def run() -> None:
        service.steps = [ok()]
        async with make_client(service) as aclient:
            await aclient.acomplete(MESSAGES)
            inner = aclient._async_client()
        assert inner.is_closed

    asyncio.run(run())


def test_async_client_per_event_loop() -> None:
    service = Service(ok(), ok())
    client = make_client(service)
    asyncio.run(client.acomplete(MESSAGES))
    asyncio.run(client.acomplete(MESSAGES))  # a second loop must not reuse the first loop's pool
    assert len(service.requests) == 2


def test_tool_call_stream_deltas() -> None:
    service = Service(sse(tool_start(), chunk({"content": None, "tool_calls": [
        {"index": 1, "function": {"arguments": "{\"a\": 1}"}}]}), finish("tool_calls"), DONE))
    items = list(make_client(service).stream(MESSAGES))
    assert isinstance(items[0], ToolCallStartDelta)
    final = items[-1]
    assert isinstance(final, FinishDelta)
    assert final.completion.tool_calls[0].arguments == "{\"a\": 1}"


# ------------------------------------------------------------------------------------------------
# Against the emulator, on loopback


def _emulator_imports() -> Any:
    return pytest.importorskip("databricks_claude.emulator")


@pytest.fixture
def emu(emulator: Any) -> Any:
    """The shared emulator, reset."""
    return emulator


@pytest.fixture(params=["aiohttp", "httpx"])
def async_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run async tests on both the httpx-aiohttp transport (when installed) and plain httpx."""
    if request.param == "aiohttp":
        pytest.importorskip("httpx_aiohttp")
    monkeypatch.setenv("DATABRICKS_CLAUDE_HTTP_BACKEND", request.param)
    return str(request.param)


def emu_client(emu: Any, **kwargs: Any) -> DatabricksClaudeClient:
    kwargs.setdefault("token", emu.token)
    return DatabricksClaudeClient(ENDPOINT, host=emu.host, **kwargs)


def reply(text_value: str, **kwargs: Any) -> Any:
    return _emulator_imports().ScriptedReply(text=text_value, **kwargs)


THINKING = RequestOptions(thinking=True, max_tokens=4096)


def test_emulator_complete_and_stream(emu: Any) -> None:
    emu.script(reply("The answer is 42.", reasoning="Let me think."),
               reply("Streamed answer.", reasoning="Thinking again.", chunk_size=4))
    with emu_client(emu) as client:
        completion = client.complete(MESSAGES, THINKING)
        assert completion.text == "The answer is 42."
        assert completion.reasoning_text == "Let me think."
        streamed, final = collect(client.stream(MESSAGES, THINKING))
    assert streamed == final.text == "Streamed answer."
    assert final.reasoning_text == "Thinking again."
    recorded = emu.requests[-1]
    assert recorded.path == "/serving-endpoints/chat/completions"
    assert recorded.json["model"] == ENDPOINT
    assert emu.token not in json.dumps(recorded.headers)


def test_emulator_base_url_override_reaches_that_path(emu: Any) -> None:
    """A non-default base_url (the AI Gateway path): every request goes there, none to
    /serving-endpoints."""
    emu.script(reply("via the gateway"), reply("streamed via the gateway", chunk_size=5))
    gateway = f"{emu.host}/ai-gateway/mlflow/v1"
    with emu_client(emu, base_url=gateway) as client:
        assert client.url == f"{gateway}/chat/completions"
        assert client.complete(MESSAGES).text == "via the gateway"
        assert collect(client.stream(MESSAGES))[0] == "streamed via the gateway"
    assert [(r.method, r.path) for r in emu.requests] == [
        ("POST", "/ai-gateway/mlflow/v1/chat/completions")] * 2
    assert [r.json.get("stream", False) for r in emu.requests] == [False, True]


def test_emulator_stream_stopped_early_releases_its_connection(emu: Any) -> None:
    """On a one-connection pool, a stream abandoned after its first delta gives the connection
    back: the pool holds no busy connection and the next call gets through."""
    emu.script(reply("one two three four five six seven", chunk_size=3), reply("next call"))
    transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1,
                                                        max_keepalive_connections=1))
    with emu_client(emu, transport=transport) as client:
        stream = client.stream(MESSAGES)
        assert isinstance(next(stream), TextDelta)
        pool = transport._pool
        assert [c.is_idle() for c in pool.connections] == [False]  # busy while streaming
        stream.close()  # type: ignore[attr-defined]
        assert all(c.is_idle() for c in pool.connections), pool.connections
        assert client.complete(MESSAGES).text == "next call"
    assert len([r for r in emu.requests if r.path.endswith("/chat/completions")]) == 2


async def test_emulator_astream_stopped_early_releases_its_connection(emu: Any) -> None:
    """The async twin: `aclose()` on the stream gives the one pooled connection back at once."""
    emu.script(reply("one two three four five six seven", chunk_size=3), reply("next call"))
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=1,
                                                             max_keepalive_connections=1))
    async with emu_client(emu, async_transport=transport) as client:
        stream = client.astream(MESSAGES)
        assert isinstance(await stream.__anext__(), TextDelta)
        pool = transport._pool
        assert [c.is_idle() for c in pool.connections] == [False]
        await stream.aclose()  # type: ignore[attr-defined]
        assert all(c.is_idle() for c in pool.connections), pool.connections
        assert (await client.acomplete(MESSAGES)).text == "next call"
    assert len([r for r in emu.requests if r.path.endswith("/chat/completions")]) == 2


def test_emulator_reasoning_replay_verified(emu: Any) -> None:
    emu.script(reply("First.", reasoning="Plan."), reply("Second."))
    with emu_client(emu) as client:
        first = client.complete(MESSAGES, THINKING)
        history = [*MESSAGES, first.to_message(), Message.user("And then?")]
        assert client.complete(history, THINKING).text == "Second."
    assert emu.verified_reasoning == 1


async def test_emulator_acomplete_and_astream(emu: Any, async_backend: str) -> None:
    emu.script(reply("async complete", reasoning="r1"), reply("async stream", chunk_size=3))
    async with emu_client(emu) as client:
        completion = await client.acomplete(MESSAGES, THINKING)
        assert completion.text == "async complete"
        streamed, final = await acollect(client.astream(MESSAGES))
        assert streamed == final.text == "async stream"
        results = await asyncio.gather(*(client.acomplete(MESSAGES) for _ in range(20)))
        assert all(r.finish_reason == "stop" for r in results)


def test_emulator_status_fault_retried(emu: Any, delays: list[float]) -> None:
    emu.fault("status", status=503)
    emu.fault("status", status=429, retry_after=2)
    emu.script(reply("after faults"))
    with emu_client(emu) as client:
        assert client.complete(MESSAGES).text == "after faults"
    assert len(delays) == 2 and delays[1] == 2.0


def test_emulator_status_fault_not_retried(emu: Any, delays: list[float]) -> None:
    emu.fault("status", status=404)
    with emu_client(emu) as client, pytest.raises(EndpointNotFoundError):
        client.complete(MESSAGES)
    assert delays == []


def test_emulator_strict_400(emu: Any) -> None:
    options = RequestOptions(extra_body={"frobnicate": 5})
    with emu_client(emu) as client, pytest.raises(BadRequestError, match="frobnicate"):
        client.complete(MESSAGES, options)


def test_emulator_bad_token(emu: Any) -> None:
    with emu_client(emu, token="dapi-wrong") as client, pytest.raises(APIStatusError) as info:
        client.complete(MESSAGES)
    assert info.value.status in (401, 403)
    assert "dapi-wrong" not in str(info.value)


def test_emulator_reset_retried(emu: Any, delays: list[float]) -> None:
    emu.fault("reset")
    emu.script(reply("after reset"))
    with emu_client(emu) as client:
        assert client.complete(MESSAGES).text == "after reset"
        emu.fault("reset")
        emu.script(reply("stream after reset"))
        assert collect(client.stream(MESSAGES))[0] == "stream after reset"


def test_emulator_drop_after_output_interrupts(emu: Any, delays: list[float]) -> None:
    emu.fault("drop_after", chunks=3)
    emu.script(reply("one two three four five six", chunk_size=4, reasoning="plan"))
    with emu_client(emu) as client, pytest.raises(StreamInterruptedError) as info:
        list(client.stream(MESSAGES, THINKING))
    assert info.value.partial.reasoning_text or info.value.partial.text
    assert len([r for r in emu.requests if r.path.endswith("/chat/completions")]) == 1


def test_emulator_drop_after_resumed(emu: Any, delays: list[float]) -> None:
    emu.fault("drop_after", chunks=2)
    emu.script(reply("Hello there, ", chunk_size=6), reply("general Kenobi.", chunk_size=6))
    with emu_client(emu, resume_streams=True) as client:
        streamed, final = collect(client.stream(MESSAGES))
    delivered = "Hello there, "[:12]  # two 6-character chunks before the drop
    assert emu.requests[-1].json["messages"][-1] == {"role": "assistant",
                                                     "content": delivered.rstrip()}
    assert streamed == final.text
    assert final.text.startswith(delivered.rstrip()) and final.text.endswith("general Kenobi.")


def test_emulator_malformed_before_output_retried(emu: Any, delays: list[float]) -> None:
    emu.fault("malformed", after=0)
    emu.script(reply("clean", chunk_size=2), reply("clean", chunk_size=2))
    with emu_client(emu) as client:
        assert collect(client.stream(MESSAGES))[0] == "clean"


def test_emulator_truncated_stream_is_interruption(emu: Any, delays: list[float]) -> None:
    emu.fault("truncate", chunks=2)
    emu.script(reply("cut short here", chunk_size=3))
    with emu_client(emu) as client, pytest.raises(StreamInterruptedError):
        list(client.stream(MESSAGES))


def test_emulator_stall_times_out(emu: Any, delays: list[float]) -> None:
    emu.fault("stall", seconds=2.0, after=2)
    emu.script(reply("slow and steady", chunk_size=3))
    with emu_client(emu, timeout=0.3) as client, pytest.raises(StreamInterruptedError) as info:
        list(client.stream(MESSAGES))
    assert isinstance(info.value.cause, APITimeoutError)


def test_emulator_stall_before_answer_retried(emu: Any, delays: list[float]) -> None:
    emu.fault("stall", seconds=2.0)
    emu.script(reply("first try lost"), reply("second try"))
    with emu_client(emu, timeout=0.3) as client:
        assert client.complete(MESSAGES).text in ("first try lost", "second try")
    assert len(delays) == 1


async def test_emulator_async_faults(emu: Any, async_backend: str,
                                     delays: list[float]) -> None:
    emu.fault("status", status=502)
    emu.fault("reset")
    emu.script(reply("async after faults"))
    async with emu_client(emu) as client:
        assert (await client.acomplete(MESSAGES)).text == "async after faults"
        emu.fault("drop_after", chunks=2)
        emu.script(reply("a b c d e f g", chunk_size=2))
        with pytest.raises(StreamInterruptedError) as info:
            await acollect(client.astream(MESSAGES))
        assert info.value.partial.text
        emu.fault("stall", seconds=2.0, after=1)
        emu.script(reply("x y z", chunk_size=1))
    async with emu_client(emu, timeout=0.3) as client:
        with pytest.raises(StreamInterruptedError) as stalled:
            await acollect(client.astream(MESSAGES))
        assert isinstance(stalled.value.cause, APITimeoutError)


def test_emulator_oauth_m2m(emu: Any, delays: list[float]) -> None:
    emu.script(reply("one"), reply("two"))
    client = DatabricksClaudeClient(ENDPOINT, host=emu.host, client_id=emu.client_id,
                                    client_secret=emu.client_secret)
    with client:
        assert isinstance(client.config.credentials, OAuthM2MProvider)
        assert client.complete(MESSAGES).text == "one"
        emu.expire_tokens()
        assert client.complete(MESSAGES).text == "two"
        assert client.config.credentials.fetch_count == 2
    assert emu.client_secret not in repr(client.config)


async def test_emulator_oauth_m2m_async(emu: Any, async_backend: str) -> None:
    emu.script(*(reply(f"r{i}") for i in range(10)))
    client = DatabricksClaudeClient(ENDPOINT, host=emu.host, client_id=emu.client_id,
                                    client_secret=emu.client_secret)
    async with client:
        results = await asyncio.gather(*(client.acomplete(MESSAGES) for _ in range(10)))
        assert len(results) == 10
        assert client.config.credentials.fetch_count == 1  # type: ignore[attr-defined]


def test_emulator_oauth_wrong_secret(emu: Any) -> None:
    client = DatabricksClaudeClient(ENDPOINT, host=emu.host, client_id=emu.client_id,
                                    client_secret="wrong-secret-value")
    with client, pytest.raises(AuthenticationError) as info:
        client.complete(MESSAGES)
    assert emu.client_id in str(info.value)
    assert "wrong-secret-value" not in str(info.value) + repr(info.value)


def test_emulator_one_event_loop_per_call(emu: Any, async_backend: str,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """`asyncio.run` per call: pools of closed loops are released, quietly."""
    import gc

    caplog.set_level(logging.ERROR, logger="asyncio")
    client = emu_client(emu)
    for _ in range(3):
        assert asyncio.run(client.acomplete(MESSAGES)).finish_reason == "stop"
        assert len(client._async) == 1
    del client
    gc.collect()
    assert "Unclosed" not in caplog.text


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_a_connection_error(delays: list[float]) -> None:
    client = DatabricksClaudeClient(ENDPOINT, host=f"http://127.0.0.1:{_closed_port()}",
                                    token=TOKEN, max_retries=1)
    with client, pytest.raises(APIConnectionError) as info:
        client.complete(MESSAGES)
    assert not isinstance(info.value, APITimeoutError)
    assert len(delays) == 1


async def test_async_connection_refused_is_a_connection_error(async_backend: str,
                                                              delays: list[float]) -> None:
    client = DatabricksClaudeClient(ENDPOINT, host=f"http://127.0.0.1:{_closed_port()}",
                                    token=TOKEN, max_retries=1)
    async with client:
        with pytest.raises(APIConnectionError) as info:
            await client.acomplete(MESSAGES)
        assert not isinstance(info.value, APITimeoutError)
        with pytest.raises(APIConnectionError):
            await acollect(client.astream(MESSAGES))
    assert len(delays) == 2


def test_503_retry_after_header_is_honoured(emu: Any, delays: list[float]) -> None:
    """A real 503 with `Retry-After: 4` over HTTP: the retry waits exactly the 4 s it asks for."""
    emu.fault("status", status=503, retry_after=4)
    emu.script(reply("after the 503"))
    with emu_client(emu) as client:
        assert client.complete(MESSAGES).text == "after the 503"
    assert delays == [4.0]
    chat = [r for r in emu.requests if r.path.endswith("/chat/completions")]
    assert len(chat) == 2


def test_503_retry_after_header_reaches_the_error_and_the_stream_retry(
        emu: Any, delays: list[float]) -> None:
    emu.fault("status", status=503, retry_after=4)
    with emu_client(emu, max_retries=0) as client, pytest.raises(ServerError) as info:
        client.complete(MESSAGES)
    assert info.value.status == 503
    assert info.value.retry_after == 4.0
    assert delays == []
    emu.fault("status", status=503, retry_after=2.5)
    emu.script(reply("streamed after the 503"))
    with emu_client(emu) as client:
        assert collect(client.stream(MESSAGES))[0] == "streamed after the 503"
    assert delays == [2.5]


def test_deepcopy_shares_the_client() -> None:
    import copy

    client = make_client(Service(ok()))
    assert copy.deepcopy(client) is client


async def test_proxy_environment_applies_to_both_async_backends(
        emu: Any, async_backend: str, monkeypatch: pytest.MonkeyPatch,
        delays: list[float]) -> None:
    """HTTP_PROXY is honoured by the aiohttp transport as by httpx (here: a dead proxy)."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{_closed_port()}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with emu_client(emu, max_retries=0) as client:
        with pytest.raises(APIConnectionError):
            await client.acomplete(MESSAGES)
    assert not [r for r in emu.requests if r.path.endswith("/chat/completions")]


def test_env_proxy_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert not http_mod._env_proxy_applies(URL)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert http_mod._env_proxy_applies(URL)
    assert not http_mod._env_proxy_applies("http://127.0.0.1:8000/x")  # scheme http: no proxy
    monkeypatch.setenv("NO_PROXY", ".cloud.databricks.com")
    assert not http_mod._env_proxy_applies(URL)


def test_proxy_environment_keeps_plain_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("httpx_aiohttp")
    monkeypatch.delenv("DATABRICKS_CLAUDE_HTTP_BACKEND", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert http_mod.fast_async_transport(URL) is not None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert http_mod.fast_async_transport(URL) is None


def test_resumed_stream_usage_counts_every_attempt(delays: list[float]) -> None:
    # The interrupted attempt's prompt was billed too: its prompt_tokens (known from its first
    # chunk) are added to the continuation's usage, not lost.
    service = Service(sse(text("Hello, "), error=drop()), sse(text("world"), finish(), DONE))
    _, completion = collect(make_client(service, resume_streams=True).stream(MESSAGES))
    assert completion.usage is not None
    assert completion.usage.input_tokens == 5 + 5
    assert completion.usage.output_tokens == 3


HALF_BAD_CHUNK = chunk({"content": [{"type": "text", "text": "world"}, 5]})


def test_half_applied_malformed_chunk_is_handed_out_before_the_error(
        delays: list[float]) -> None:
    # A chunk with a valid text item then a malformed one: the valid part is already in the
    # partial answer, so the caller must have received it as a delta too (nothing lost).
    service = Service(sse(text("Hello "), HALF_BAD_CHUNK))
    streamed: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        for delta in make_client(service).stream(MESSAGES):
            if isinstance(delta, TextDelta):
                streamed.append(delta.text)
    assert "".join(streamed) == info.value.partial.text == "Hello world"


async def test_half_applied_malformed_chunk_async(delays: list[float]) -> None:
    service = Service(sse(text("Hello "), HALF_BAD_CHUNK))
    streamed: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        async for delta in make_client(service).astream(MESSAGES):
            if isinstance(delta, TextDelta):
                streamed.append(delta.text)
    assert "".join(streamed) == info.value.partial.text == "Hello world"
