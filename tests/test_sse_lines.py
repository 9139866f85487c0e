"""SSE line ends: only CR, LF and CRLF end a line, whatever the text of a JSON string holds."""

from __future__ import annotations

import json
import random

import httpx

from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.messages import FinishDelta, Message, TextDelta
from databricks_claude.sse import aiter_sse_text, iter_sse_text

# Characters `str.splitlines` treats as line ends that JSON carries unescaped inside a string.
UNICODE_BREAKS = "\u2028\u2029\u0085"
TEXT = f"one{UNICODE_BREAKS}two"


def _chunk(delta: dict[str, object], finish: str | None = None) -> str:
    body = {"id": "x", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return json.dumps(body, ensure_ascii=False)


STREAM = (f"data: {_chunk({'role': 'assistant', 'content': TEXT})}\r\n\r\n"
          f"data: {_chunk({}, 'stop')}\n\n"
          "data: [DONE]\n\n")


def _cut(text: str, rng: random.Random) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, 12)))
    return [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def test_unicode_line_breaks_inside_json_do_not_split_an_event() -> None:
    rng = random.Random(5)
    for _ in range(300):
        payloads = list(iter_sse_text(_cut(STREAM, rng)))
        assert len(payloads) == 3
        assert json.loads(payloads[0])["choices"][0]["delta"]["content"] == TEXT
        assert payloads[2] == "[DONE]"


def test_lone_carriage_returns_and_a_missing_final_newline() -> None:
    assert list(iter_sse_text(['data: {"a":1}\r\rdata: {"b"', ':2}'])) == ['{"a":1}', '{"b":2}']
    assert list(iter_sse_text(["data: x\r", "\ndata: y\r", "\n\r\n"])) == ["x\ny"]


async def test_async_twin_gives_the_same_payloads() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for part in _cut(STREAM, random.Random(1)):
            yield part

    assert [p async for p in aiter_sse_text(chunks())] == list(iter_sse_text([STREAM]))


def _client() -> DatabricksClaudeClient:
    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=STREAM.encode())

    transport = httpx.MockTransport(serve)
    return DatabricksClaudeClient("databricks-claude-sonnet-4-5", host="https://example.test",
                                  token="dapi-test", transport=transport,
                                  async_transport=transport)


def test_client_streams_text_holding_unicode_line_breaks() -> None:
    with_breaks = _client()
    deltas = list(with_breaks.stream([Message.user("hi")]))
    assert "".join(d.text for d in deltas if isinstance(d, TextDelta)) == TEXT
    assert isinstance(deltas[-1], FinishDelta)
    with_breaks.close()


async def test_async_client_streams_text_holding_unicode_line_breaks() -> None:
    with_breaks = _client()
    deltas = [d async for d in with_breaks.astream([Message.user("hi")])]
    assert "".join(d.text for d in deltas if isinstance(d, TextDelta)) == TEXT
    await with_breaks.aclose()
