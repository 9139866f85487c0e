"""The `anthropic` SDK as a peer: a client no one here wrote reads the same bytes as ours.

The same SSE bytes go to the SDK's stream accumulator and to the core client on the Messages
codec; both must end with the same blocks. The core client's request goes to the route the
Databricks docs name, with the headers the route needs.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.codecs.messages import MESSAGES
from databricks_claude.messages import FinishDelta, Message, RequestOptions

anthropic = pytest.importorskip("anthropic")

HOST = "https://example.cloud.databricks.com"
ENDPOINT = "databricks-claude-sonnet-4-5"
TOKEN = "dapi-peer-test"


def sse(events: list[dict[str, Any]]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def stream_events() -> list[dict[str, Any]]:
    from test_messages_codec import events

    return events()


class Recorder:
    """Serves one SSE body (or JSON answer) and records each request; `http` is the httpx
    flavour to answer with (the SDK's own httpx fork, or httpx)."""

    def __init__(self, body: bytes, content_type: str, http: Any = httpx) -> None:
        self.body, self.content_type, self.http = body, content_type, http
        self.requests: list[Any] = []

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        return self.http.Response(200, headers={"content-type": self.content_type},
                                  content=self.body)


def sdk_http() -> Any:
    """The httpx the SDK is built on (newer releases ship their own fork, `httpx2`)."""
    try:
        import httpx2
    except ImportError:
        return httpx
    return httpx2


def sdk_final_message(body: bytes) -> Any:
    http = sdk_http()
    recorder = Recorder(body, "text/event-stream", http)
    client = anthropic.Anthropic(
        base_url=f"{HOST}/serving-endpoints/anthropic", api_key="unused",
        default_headers={"Authorization": f"Bearer {TOKEN}"},
        http_client=http.Client(transport=http.MockTransport(recorder)))
    with client.messages.stream(model=ENDPOINT, max_tokens=4096,
                                messages=[{"role": "user", "content": "weather?"}]) as stream:
        return stream.get_final_message()


def core_client(recorder: Recorder) -> DatabricksClaudeClient:
    transport = httpx.MockTransport(recorder)
    return DatabricksClaudeClient(ENDPOINT, host=HOST, token=TOKEN, codec=MESSAGES,
                                  transport=transport, async_transport=transport)


def test_sdk_and_core_fold_the_same_stream_to_the_same_blocks() -> None:
    body = sse(stream_events())
    sdk_message = sdk_final_message(body)
    client = core_client(Recorder(body, "text/event-stream"))
    deltas = list(client.stream([Message.user("weather?")], RequestOptions(max_tokens=4096)))
    client.close()
    finish = deltas[-1]
    assert isinstance(finish, FinishDelta)
    request = MESSAGES.build([Message.user("q"), finish.completion.to_message()],
                             RequestOptions(), model=ENDPOINT,
                             profile=client.profile, stream=False).payload
    ours = request["messages"][1]["content"]
    theirs = [block.model_dump(exclude_none=True) for block in sdk_message.content]
    for block in theirs:
        block.pop("citations", None)
        block.pop("caller", None)
    assert ours == theirs
    assert sdk_message.stop_reason == "tool_use" and finish.completion.finish_reason == "tool_calls"
    assert sdk_message.usage.output_tokens == finish.completion.usage.output_tokens


def test_core_client_posts_to_the_messages_route_with_the_anthropic_version() -> None:
    answer = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
              "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn",
              "usage": {"input_tokens": 3, "output_tokens": 1}}
    recorder = Recorder(json.dumps(answer).encode(), "application/json")
    client = core_client(recorder)
    completion = client.complete([Message.user("hi")])
    client.close()
    request = recorder.requests[0]
    assert str(request.url) == f"{HOST}/serving-endpoints/anthropic/v1/messages"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content)["model"] == ENDPOINT
    assert completion.text == "Hi"
    sdk = anthropic.types.Message.model_validate(answer)
    assert sdk.content[0].text == completion.text


def test_ai_gateway_base_url_gives_the_gateway_route() -> None:
    client = DatabricksClaudeClient("system.ai.claude-sonnet-4-5", host=HOST, token=TOKEN,
                                    base_url="/ai-gateway", codec=MESSAGES)
    assert client.url == f"{HOST}/ai-gateway/anthropic/v1/messages"
    client.close()
