"""Finding 12: LlamaIndex `ImageBlock(url=...)` surfaced a raw `requests.ConnectionError` (and
downloaded with LlamaIndex's own blocking `requests` call). The URL now goes through the kit's
safe fetch, and every failure is an `ImageFetchError` (a `ConfigurationError`) that names the
image and says what went wrong, before any request to the service.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock

from databricks_claude.emulator import Emulator
from databricks_claude.errors import ConfigurationError, DatabricksClaudeError, ImageFetchError

_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """`images.invalid` does not resolve; `closed.test` is 127.0.0.1 (where nothing listens on
    port 9); any other name resolves for real (the emulator's 127.0.0.1)."""
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host == "images.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if host == "closed.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return _real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _question(url: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[TextBlock(text="What is this?"),
                                             ImageBlock(url=url)])]


def test_an_unresolvable_image_host_is_a_typed_error(
        make_li: Any, emulator: Emulator, resolver: None) -> None:
    with pytest.raises(ImageFetchError, match="could not be resolved") as error:
        make_li().chat(_question("https://images.invalid/cat.png"))
    assert isinstance(error.value, ConfigurationError)
    assert isinstance(error.value, DatabricksClaudeError)
    assert "https://images.invalid/cat.png" in str(error.value)
    assert emulator.requests == []


def test_a_refused_connection_is_a_typed_error(
        make_li: Any, emulator: Emulator, resolver: None) -> None:
    with pytest.raises(ImageFetchError, match=r"cannot fetch the image .*ConnectError"):
        make_li(allow_private_image_hosts=True).chat(_question("https://closed.test:9/cat.png"))
    assert emulator.requests == []


async def test_the_async_paths_raise_the_same_typed_error(
        amake_li: Any, emulator: Emulator, resolver: None) -> None:
    llm = amake_li()
    with pytest.raises(ImageFetchError, match="could not be resolved"):
        await llm.achat(_question("https://images.invalid/cat.png"))
    with pytest.raises(ImageFetchError, match="could not be resolved"):
        await llm.astream_chat(_question("https://images.invalid/cat.png"))
    assert emulator.requests == []


def test_streaming_fails_at_the_call_not_at_the_first_chunk(
        make_li: Any, resolver: None) -> None:
    with pytest.raises(ImageFetchError):
        make_li().stream_chat(_question("https://images.invalid/cat.png"))
