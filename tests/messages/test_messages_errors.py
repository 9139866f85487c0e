"""Errors on the Messages route: Anthropic's error bodies map to the same typed errors as the
chat route's, 529 `overloaded_error` is retried like 503, and an `error` event mid-stream ends
the stream with what had arrived."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.errors import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from databricks_claude.messages import FinishDelta, Message, TextDelta

HOST = "https://example.cloud.databricks.com"


def anthropic_error(status: int, kind: str, message: str,
                    headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers,
                          json={"type": "error", "error": {"type": kind, "message": message}})


ANSWER = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
          "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn",
          "usage": {"input_tokens": 3, "output_tokens": 1}}


class Service:
    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return self.responses.pop(0)


def client(service: Service, **kwargs: Any) -> DatabricksClaudeClient:
    transport = httpx.MockTransport(service)
    return DatabricksClaudeClient("databricks-claude-sonnet-4-5", host=HOST, token="dapi-x",
                                  api="messages", transport=transport,
                                  async_transport=transport, **kwargs)


@pytest.mark.parametrize("status, kind, message, error", [
    (400, "invalid_request_error", "messages: roles must alternate", BadRequestError),
    (400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum",
     ContextWindowExceededError),
    (401, "authentication_error", "invalid x-api-key", AuthenticationError),
])
def test_anthropic_error_bodies_map_to_the_typed_errors(status: int, kind: str, message: str,
                                                        error: type[Exception]) -> None:
    with client(Service(anthropic_error(status, kind, message)), max_retries=0) as failing, \
            pytest.raises(error) as raised:
        failing.complete([Message.user("hi")])
    assert message in str(raised.value) and raised.value.error_code == kind  # type: ignore[attr-defined]


def test_overloaded_529_is_retried_like_503(sleeps: list[float]) -> None:
    service = Service(anthropic_error(529, "overloaded_error", "Overloaded"),
                      anthropic_error(429, "rate_limit_error", "slow down", {"retry-after": "2"}),
                      httpx.Response(200, json=ANSWER))
    with client(service) as retrying:
        assert retrying.complete([Message.user("hi")]).text == "Hi"
    assert service.calls == 3 and sleeps[1] == 2.0


def test_overloaded_529_gives_up_as_a_server_error(sleeps: list[float]) -> None:
    service = Service(*[anthropic_error(529, "overloaded_error", "Overloaded")] * 3)
    with client(service, max_retries=2) as retrying, pytest.raises(ServerError) as raised:
        retrying.complete([Message.user("hi")])
    assert raised.value.status == 529 and service.calls == 3


def test_rate_limit_body_is_a_rate_limit_error() -> None:
    with client(Service(anthropic_error(429, "rate_limit_error", "slow down")),
                max_retries=0) as limited, pytest.raises(RateLimitError):
        limited.complete([Message.user("hi")])


def _events(*events: dict[str, Any]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def test_an_error_event_mid_stream_hands_back_what_arrived(sleeps: list[float]) -> None:
    body = _events(
        {"type": "message_start", "message": {"id": "msg_1", "model": "m", "content": [],
                                              "usage": {"input_tokens": 5, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text",
                                                                       "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta",
                                                               "text": "Partial answer"}},
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    service = Service(httpx.Response(200, headers={"content-type": "text/event-stream"},
                                     content=body))
    seen: list[Any] = []
    with client(service) as streaming, pytest.raises(StreamInterruptedError) as raised:
        seen.extend(streaming.stream([Message.user("hi")]))
    assert "".join(d.text for d in seen if isinstance(d, TextDelta)) == "Partial answer"
    assert not any(isinstance(d, FinishDelta) for d in seen)
    assert raised.value.partial.text == "Partial answer"
