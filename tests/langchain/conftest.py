"""Fixtures for the LangChain adapter tests: `ChatDatabricksClaude` objects on the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lc_helpers import ENDPOINT, PNG, MakeLLM

from databricks_claude.emulator import Emulator
from langchain_databricks_claude import ChatDatabricksClaude


@pytest.fixture
def make_llm(emulator: Emulator) -> Iterator[MakeLLM]:
    """Builds models on the (reset) session emulator and closes their clients afterwards."""
    created: list[ChatDatabricksClaude] = []

    def make(endpoint: str = ENDPOINT, **kwargs: Any) -> ChatDatabricksClaude:
        llm = ChatDatabricksClaude(endpoint=endpoint, host=emulator.host, token=emulator.token,
                                   **kwargs)
        created.append(llm)
        return llm

    yield make
    for llm in created:
        llm.close()


class _Downloaded:
    """What `httpx.get` returns in the standard multimodal tests: a tiny PNG."""

    content = PNG
    status_code = 200


@pytest.fixture
def offline_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard tests download sample images from GitHub: serve a tiny PNG instead."""
    import langchain_tests.integration_tests.chat_models as standard

    monkeypatch.setattr(standard.httpx, "get", lambda *a, **k: _Downloaded())
