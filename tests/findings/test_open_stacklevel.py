"""Left open: a `DatabricksClaudeWarning` points at the user's line, from every public entry
point: LangChain's invoke/ainvoke/stream/astream/batch/abatch, LlamaIndex's chat/achat/
stream_chat/astream_chat/complete/acomplete/stream_complete, the core client's complete/
acomplete/stream/astream.

The warning here is the sampling rule's (a temperature other than 1 is not sent with thinking
on). `notes.warn` looks for the first frame outside this project and the frameworks' machinery,
or the line that called an entry point whose work runs in another task or thread.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.emulator import Emulator
from databricks_claude.messages import Message, RequestOptions
from databricks_claude.notes import DatabricksClaudeWarning

ENDPOINT = "databricks-claude-sonnet-4-5"
SETTINGS: dict[str, Any] = {"thinking": True, "temperature": 0.5, "max_tokens": 4096}
OPTIONS = RequestOptions(**SETTINGS)
MESSAGES = [ChatMessage(role="user", content="hi")]


@contextmanager
def points_here() -> Iterator[None]:
    """Every DatabricksClaudeWarning raised in the block names this file (and one is raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    ours = [w for w in caught if issubclass(w.category, DatabricksClaudeWarning)]
    assert ours, "no DatabricksClaudeWarning was raised"
    assert [w.filename for w in ours] == [__file__] * len(ours), [
        f"{w.filename}:{w.lineno}" for w in ours]


@pytest.mark.parametrize("entry", ["invoke", "stream", "batch"])
def test_langchain_sync(make_lc: Any, entry: str) -> None:
    llm = make_lc(**SETTINGS)
    with points_here():
        if entry == "invoke":
            llm.invoke("hi")
        elif entry == "stream":
            list(llm.stream("hi"))
        else:
            llm.batch(["hi", "hello"])


@pytest.mark.parametrize("entry", ["ainvoke", "astream", "abatch"])
async def test_langchain_async(make_lc: Any, entry: str) -> None:
    llm = make_lc(**SETTINGS)
    with points_here():
        if entry == "ainvoke":
            await llm.ainvoke("hi")
        elif entry == "astream":
            async for _ in llm.astream("hi"):
                pass
        else:
            await llm.abatch(["hi", "hello"])


@pytest.mark.parametrize("entry", ["chat", "stream_chat", "complete", "stream_complete"])
def test_llama_index_sync(make_li: Any, entry: str) -> None:
    llm = make_li(**SETTINGS)
    with points_here():
        if entry == "chat":
            llm.chat(MESSAGES)
        elif entry == "stream_chat":
            list(llm.stream_chat(MESSAGES))
        elif entry == "complete":
            llm.complete("hi")
        else:
            list(llm.stream_complete("hi"))


@pytest.mark.parametrize("entry", ["achat", "astream_chat", "acomplete"])
async def test_llama_index_async(amake_li: Any, entry: str) -> None:
    llm = amake_li(**SETTINGS)
    with points_here():
        if entry == "achat":
            await llm.achat(MESSAGES)
        elif entry == "astream_chat":
            async for _ in await llm.astream_chat(MESSAGES):
                pass
        else:
            await llm.acomplete("hi")


def test_core_client_sync(emulator: Emulator) -> None:
    with DatabricksClaudeClient(ENDPOINT, host=emulator.host, token=emulator.token) as client:
        with points_here():
            client.complete([Message.user("hi")], OPTIONS)
        with points_here():
            list(client.stream([Message.user("hi")], OPTIONS))


async def test_core_client_async(emulator: Emulator) -> None:
    async with DatabricksClaudeClient(ENDPOINT, host=emulator.host,
                                      token=emulator.token) as client:
        with points_here():
            await client.acomplete([Message.user("hi")], OPTIONS)
        with points_here():
            async for _ in client.astream([Message.user("hi")], OPTIONS):
                pass
