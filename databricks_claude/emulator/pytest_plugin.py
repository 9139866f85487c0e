"""A pytest plugin: the `databricks_claude_emulator` fixture, for testing code that calls Claude.

Installed with the package (a `pytest11` entry point), so a test only names the fixture:

    def test_my_chain(databricks_claude_emulator):
        llm = ChatDatabricksClaude(endpoint="databricks-claude-sonnet-4-5",
                                   host=databricks_claude_emulator.host,
                                   token=databricks_claude_emulator.token)
        assert llm.invoke("hi").content

Fixtures:
- `databricks_claude_emulator`: a running emulator, reset before each test (requests, scripts,
  faults, counters); one per session, started on first use. A test marked
  `@pytest.mark.databricks_claude_emulator(**options)` gets its own, built with those `Emulator`
  options (`strict=False`, `fault_rate={429: 0.1}`, `seed=7`, `tool_rounds=2`, ...).
- `databricks_claude_env`: the same emulator, with `DATABRICKS_HOST` and `DATABRICKS_TOKEN` set
  to it for the test (and the other Databricks credential variables removed), for code that
  reads its workspace from the environment.

pytest imports this module at startup; the server (starlette, uvicorn) is imported only when a
fixture starts an emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from databricks_claude.emulator import Emulator

MARKER = "databricks_claude_emulator"
# Credentials that would compete with the emulator's token when code resolves its own.
_CREDENTIAL_VARIABLES = ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET",
                         "DATABRICKS_CONFIG_PROFILE", "DATABRICKS_AUTH_TYPE")


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker, so `--strict-markers` accepts it."""
    config.addinivalue_line(
        "markers", f"{MARKER}(**options): give this test its own Databricks Claude emulator, "
        "built with these Emulator options")


@pytest.fixture(scope="session")
def databricks_claude_emulator_session() -> Iterator[Emulator]:
    """One emulator for the whole session, started when a test first asks for it."""
    from databricks_claude.emulator import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def databricks_claude_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A running Databricks Claude emulator, reset for this test (`.host`, `.token`, ...)."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword options only, e.g. "
                                    f"@pytest.mark.{MARKER}(strict=False)")
        from databricks_claude.emulator import Emulator

        with Emulator(**marker.kwargs) as emulator:
            yield emulator
        return
    shared: Emulator = request.getfixturevalue("databricks_claude_emulator_session")
    shared.reset()
    yield shared


@pytest.fixture
def databricks_claude_env(databricks_claude_emulator: Emulator,
                          monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator, with DATABRICKS_HOST and DATABRICKS_TOKEN pointing at it for this test."""
    for name in _CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABRICKS_HOST", databricks_claude_emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", databricks_claude_emulator.token)
    return databricks_claude_emulator
