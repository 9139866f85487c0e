"""Shared fixtures: one emulator for the whole session, reset before each test that asks for it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from databricks_claude.emulator import Emulator

# Tests must never reach a real workspace by accident: the live tests opt in explicitly.
_LIVE = bool(os.environ.get("DATABRICKS_HOST"))


@pytest.fixture(scope="session")
def session_emulator() -> Iterator[Emulator]:
    """An emulator started once per test session."""
    from databricks_claude.emulator import Emulator

    with Emulator() as emu:
        yield emu


@pytest.fixture
def emulator(session_emulator: Emulator) -> Emulator:
    """The session's emulator, with its requests, scripts, faults and counters cleared."""
    session_emulator.reset()
    return session_emulator


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits of the core client, recorded instead of slept (retry tests stay fast)."""
    import databricks_claude.client as client_module

    recorded: list[float] = []

    async def asleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(client_module, "_sleep", recorded.append)
    monkeypatch.setattr(client_module, "_asleep", asleep)
    return recorded


@pytest.fixture(autouse=True)
def _no_workspace_env(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Keep the developer's Databricks environment out of tests, except those marked live."""
    if request.node.get_closest_marker("live"):
        return
    for name in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID",
                 "DATABRICKS_CLIENT_SECRET", "DATABRICKS_CONFIG_PROFILE",
                 "DATABRICKS_CLAUDE_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", os.devnull)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the live tests unless a workspace is configured."""
    if _LIVE:
        return
    skip = pytest.mark.skip(reason="live test: set DATABRICKS_HOST and credentials to run it")
    for item in items:
        if item.get_closest_marker("live"):
            item.add_marker(skip)


# -- models of both adapters on the emulator (any test directory) ------------------------------

FIXTURE_ENDPOINT = "databricks-claude-sonnet-4-5"


def _maker(cls: Any, emulator: Emulator, created: list[Any]) -> Callable[..., Any]:
    """Builds `cls` models on the emulator (host and token unless given), remembering them."""
    def make(endpoint: str = FIXTURE_ENDPOINT, **kwargs: Any) -> Any:
        kwargs.setdefault("host", emulator.host)
        kwargs.setdefault("token", emulator.token)
        model = cls(endpoint=endpoint, **kwargs)
        created.append(model)
        return model

    return make


@pytest.fixture
def make_lc(emulator: Emulator) -> Iterator[Callable[..., Any]]:
    """Builds `ChatDatabricksClaude` objects on the emulator and closes them afterwards."""
    from langchain_databricks_claude import ChatDatabricksClaude

    created: list[Any] = []
    yield _maker(ChatDatabricksClaude, emulator, created)
    for llm in created:
        llm.close()


@pytest.fixture
def make_li(emulator: Emulator) -> Iterator[Callable[..., Any]]:
    """Builds LlamaIndex `DatabricksClaude` objects on the emulator and closes them afterwards."""
    from llama_index_databricks_claude import DatabricksClaude

    created: list[Any] = []
    yield _maker(DatabricksClaude, emulator, created)
    for llm in created:
        llm.close()


@pytest.fixture
async def amake_li(emulator: Emulator) -> AsyncIterator[Callable[..., Any]]:
    """Like `make_li`, for async tests: closes the async connections inside the test's loop."""
    from llama_index_databricks_claude import DatabricksClaude

    created: list[Any] = []
    yield _maker(DatabricksClaude, emulator, created)
    for llm in created:
        await llm.aclose()
