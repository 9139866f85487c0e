"""Left open: remote image URLs. The service takes only base64 images; both adapters now fetch a
remote URL in the core kit and send it inline, in sync and async calls, without blocking the
event loop, never with the workspace token, and refuse it clearly when fetching is off.

A local image server stands in for a remote host: it is on loopback, so each model here allows
private hosts explicitly (the default refuses them: test_open_remote_images_safety.py).
"""

from __future__ import annotations

import asyncio
import base64
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock

from databricks_claude.emulator import Emulator
from databricks_claude.errors import ConfigurationError

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


class _Images(http.server.BaseHTTPRequestHandler):
    """`/pixel.png` (a PNG), `/slow.png` (the same after 0.5 s); records request headers."""

    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        self.seen.append(dict(self.headers.items()))
        if self.path == "/slow.png":
            time.sleep(0.5)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def images() -> Iterator[str]:
    """The base URL of a local image server (plain http on loopback)."""
    _Images.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _sent_image_urls(emulator: Emulator) -> list[str]:
    """Every image URL in the user turns the emulator received."""
    urls = []
    for request in emulator.requests:
        for message in request.json["messages"]:
            content = message.get("content")
            if isinstance(content, list):
                urls += [b["image_url"]["url"] for b in content if b.get("type") == "image_url"]
    return urls


def _lc_question(url: str) -> list[HumanMessage]:
    return [HumanMessage([{"type": "text", "text": "What is in this image?"},
                          {"type": "image", "url": url}])]


def _li_question(url: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[TextBlock(text="What is in this image?"),
                                             ImageBlock(url=url)])]


def test_langchain_invoke_and_stream_send_remote_images_inline(
        make_lc: Any, emulator: Emulator, images: str) -> None:
    llm = make_lc(allow_private_image_hosts=True)
    llm.invoke(_lc_question(f"{images}/pixel.png"))
    list(llm.stream(_lc_question(f"{images}/pixel.png")))
    assert _sent_image_urls(emulator) == [PNG_URL, PNG_URL]


async def test_langchain_async_paths_send_remote_images_inline(
        make_lc: Any, emulator: Emulator, images: str) -> None:
    llm = make_lc(allow_private_image_hosts=True)
    await llm.ainvoke(_lc_question(f"{images}/pixel.png"))
    async for _ in llm.astream(_lc_question(f"{images}/pixel.png")):
        pass
    await llm.aclose()
    assert _sent_image_urls(emulator) == [PNG_URL, PNG_URL]


def test_llama_index_sync_paths_send_remote_images_inline(
        make_li: Any, emulator: Emulator, images: str) -> None:
    llm = make_li(allow_private_image_hosts=True)
    llm.chat(_li_question(f"{images}/pixel.png"))
    list(llm.stream_chat(_li_question(f"{images}/pixel.png")))
    assert _sent_image_urls(emulator) == [PNG_URL, PNG_URL]


async def test_llama_index_async_paths_send_remote_images_inline(
        amake_li: Any, emulator: Emulator, images: str) -> None:
    llm = amake_li(allow_private_image_hosts=True)
    await llm.achat(_li_question(f"{images}/pixel.png"))
    async for _ in await llm.astream_chat(_li_question(f"{images}/pixel.png")):
        pass
    assert _sent_image_urls(emulator) == [PNG_URL, PNG_URL]


async def _ticks_while(awaitable: Any) -> int:
    """How often a 10 ms ticker ran while `awaitable` was awaited (0 if the loop was blocked)."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await awaitable
    finally:
        done.set()
        await task
    return ticks


async def test_async_fetch_does_not_block_the_event_loop(
        make_lc: Any, amake_li: Any, emulator: Emulator, images: str) -> None:
    """The server takes 0.5 s per image: the loop keeps running meanwhile, in both adapters."""
    lc = make_lc(allow_private_image_hosts=True)
    li = amake_li(allow_private_image_hosts=True)
    assert await _ticks_while(lc.ainvoke(_lc_question(f"{images}/slow.png"))) > 5
    assert await _ticks_while(li.achat(_li_question(f"{images}/slow.png"))) > 5
    await lc.aclose()
    assert _sent_image_urls(emulator) == [PNG_URL, PNG_URL]


async def test_distinct_urls_are_fetched_concurrently_and_once(
        amake_li: Any, emulator: Emulator, images: str) -> None:
    """Three slow images (two the same URL): two fetches, in parallel, not 1.5 s in a row."""
    llm = amake_li(allow_private_image_hosts=True)
    blocks = [ImageBlock(url=f"{images}/slow.png"), ImageBlock(url=f"{images}/slow.png?b"),
              ImageBlock(url=f"{images}/slow.png"), TextBlock(text="Compare them.")]
    started = time.monotonic()
    await llm.achat([ChatMessage(role="user", blocks=blocks)])
    assert time.monotonic() - started < 1.0
    assert len(_Images.seen) == 2
    assert _sent_image_urls(emulator) == [PNG_URL] * 3


def test_images_inside_tool_results_are_inlined_too(
        make_lc: Any, emulator: Emulator, images: str) -> None:
    from langchain_core.messages import AIMessage, ToolMessage

    llm = make_lc(allow_private_image_hosts=True)
    llm.invoke([
        HumanMessage("Take a screenshot."),
        AIMessage("", tool_calls=[{"id": "call_1", "name": "screenshot", "args": {}}]),
        ToolMessage([{"type": "image", "url": f"{images}/pixel.png"}], tool_call_id="call_1"),
    ])
    (tool_turn,) = [m for m in emulator.requests[0].json["messages"] if m["role"] == "tool"]
    assert any(b.get("image_url", {}).get("url") == PNG_URL for b in tool_turn["content"])


def test_the_fetch_carries_no_workspace_credential(
        make_lc: Any, make_li: Any, emulator: Emulator, images: str) -> None:
    make_lc(allow_private_image_hosts=True).invoke(_lc_question(f"{images}/pixel.png"))
    make_li(allow_private_image_hosts=True).chat(_li_question(f"{images}/pixel.png"))
    assert len(_Images.seen) == 2
    for headers in _Images.seen:
        assert not {k.lower() for k in headers} & {"authorization", "cookie"}
        assert not any(emulator.token in value for value in headers.values())


def test_fetch_images_off_refuses_remote_urls_before_sending(
        make_lc: Any, make_li: Any, emulator: Emulator, images: str) -> None:
    url = f"{images}/pixel.png?signature=SECRET"
    with pytest.raises(ConfigurationError, match="fetch_images") as lc_error:
        make_lc(fetch_images=False).invoke(_lc_question(url))
    with pytest.raises(ConfigurationError, match="fetch_images") as li_error:
        make_li(fetch_images=False).chat(_li_question(url))
    for error in (lc_error, li_error):
        assert "only base64" in str(error.value) and "SECRET" not in str(error.value)
    assert emulator.requests == [] and _Images.seen == []


def test_base64_images_are_sent_as_given_without_any_fetch(
        make_lc: Any, emulator: Emulator) -> None:
    make_lc(fetch_images=False).invoke(_lc_question(PNG_URL))
    assert _sent_image_urls(emulator) == [PNG_URL]


def test_the_langchain_profile_advertises_image_urls_unless_fetching_is_off(make_lc: Any) -> None:
    assert make_lc().profile["image_url_inputs"] is True
    assert make_lc(fetch_images=False).profile["image_url_inputs"] is False


def test_the_callers_messages_keep_their_urls(make_lc: Any, make_li: Any, images: str) -> None:
    """Inlining works on the converted copy: the caller's history still holds the URL."""
    url = f"{images}/pixel.png"
    lc_history, li_history = _lc_question(url), _li_question(url)
    make_lc(allow_private_image_hosts=True).invoke(lc_history)
    make_li(allow_private_image_hosts=True).chat(li_history)
    assert lc_history[0].content[1] == {"type": "image", "url": url}
    assert str(li_history[0].blocks[1].url) == url and li_history[0].blocks[1].image is None
