"""Fixtures for the LlamaIndex adapter tests: `DatabricksClaude` objects bound to the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from li_support import ENDPOINT, MakeLLM

from databricks_claude.emulator import Emulator
from llama_index_databricks_claude import DatabricksClaude


def _factory(emulator: Emulator, created: list[DatabricksClaude]) -> MakeLLM:
    def make(endpoint: str = ENDPOINT, **kwargs: Any) -> DatabricksClaude:
        llm = DatabricksClaude(endpoint=endpoint, host=emulator.host, token=emulator.token,
                               **kwargs)
        created.append(llm)
        return llm

    return make


@pytest.fixture
def make_llm(emulator: Emulator) -> Iterator[MakeLLM]:
    """Builds LLMs on the emulator and closes their connections after the test."""
    created: list[DatabricksClaude] = []
    yield _factory(emulator, created)
    for llm in created:
        llm.close()


@pytest.fixture
async def amake_llm(emulator: Emulator) -> AsyncIterator[MakeLLM]:
    """Like `make_llm`, for async tests: closes the async connections inside the test's loop."""
    created: list[DatabricksClaude] = []
    yield _factory(emulator, created)
    for llm in created:
        await llm.aclose()
