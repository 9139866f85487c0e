"""Fixtures for the new-user findings: models of both adapters on the (reset) session emulator.

Each finding of the new-user issue has its own test module here, `test_fNN_<slug>.py` for a
numbered finding, `test_open_<slug>.py` for an item left open before, `test_emu_<slug>.py` for
the emulator as a Claude-like test double.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from databricks_claude.emulator import Emulator

ENDPOINT = "databricks-claude-sonnet-4-5"


@pytest.fixture
def make_lc(emulator: Emulator) -> Iterator[Callable[..., Any]]:
    """Builds `ChatDatabricksClaude` objects on the emulator and closes them afterwards."""
    from langchain_databricks_claude import ChatDatabricksClaude

    created: list[ChatDatabricksClaude] = []

    def make(endpoint: str = ENDPOINT, **kwargs: Any) -> ChatDatabricksClaude:
        kwargs.setdefault("host", emulator.host)
        kwargs.setdefault("token", emulator.token)
        llm = ChatDatabricksClaude(endpoint=endpoint, **kwargs)
        created.append(llm)
        return llm

    yield make
    for llm in created:
        llm.close()


@pytest.fixture
def make_li(emulator: Emulator) -> Iterator[Callable[..., Any]]:
    """Builds LlamaIndex `DatabricksClaude` objects on the emulator and closes them afterwards."""
    from llama_index_databricks_claude import DatabricksClaude

    created: list[DatabricksClaude] = []

    def make(endpoint: str = ENDPOINT, **kwargs: Any) -> DatabricksClaude:
        kwargs.setdefault("host", emulator.host)
        kwargs.setdefault("token", emulator.token)
        llm = DatabricksClaude(endpoint=endpoint, **kwargs)
        created.append(llm)
        return llm

    yield make
    for llm in created:
        llm.close()


@pytest.fixture
async def amake_li(emulator: Emulator) -> AsyncIterator[Callable[..., Any]]:
    """Like `make_li`, for async tests: closes the async connections inside the test's loop."""
    from llama_index_databricks_claude import DatabricksClaude

    created: list[DatabricksClaude] = []

    def make(endpoint: str = ENDPOINT, **kwargs: Any) -> DatabricksClaude:
        kwargs.setdefault("host", emulator.host)
        kwargs.setdefault("token", emulator.token)
        llm = DatabricksClaude(endpoint=endpoint, **kwargs)
        created.append(llm)
        return llm

    yield make
    for llm in created:
        await llm.aclose()
