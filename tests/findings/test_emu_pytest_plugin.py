"""The pytest plugin: users get a `databricks_claude_emulator` fixture with no setup.

Each test runs an inner pytest session (pytester) in a fresh directory, with no conftest: only the
installed entry point provides the fixtures.
"""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "databricks_claude.emulator.pytest_plugin"


@pytest.fixture(autouse=True)
def _quiet_inner_sessions(pytester: pytest.Pytester) -> None:
    """The inner sessions set what pytest-asyncio would otherwise warn about."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def test_the_plugin_is_installed_as_a_pytest11_entry_point() -> None:
    plugins = {point.name: point.value for point in entry_points(group="pytest11")}
    assert plugins.get("databricks_claude_emulator") == PLUGIN


def test_the_readme_example_runs_as_is(pytester: pytest.Pytester) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### With pytest: the `databricks_claude_emulator` fixture", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example is not None
    pytester.makepyfile(test_my_app=example.group(1))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_fixture_is_reset_for_each_test_and_shared_across_them(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="""
        import httpx

        HOSTS = []
        BODY = {"model": "databricks-claude-sonnet-4-5",
                "messages": [{"role": "user", "content": "hi"}]}

        def _chat(emu):
            return httpx.post(emu.host + "/serving-endpoints/chat/completions", json=BODY,
                              headers={"Authorization": "Bearer " + emu.token})

        def test_first(databricks_claude_emulator):
            emu = databricks_claude_emulator
            assert emu.requests == []
            emu.fault("status", status=503, times=5)
            assert _chat(emu).status_code == 503
            HOSTS.append(emu.host)

        def test_second(databricks_claude_emulator):
            emu = databricks_claude_emulator
            assert emu.requests == []          # reset: no requests, no leftover faults
            assert _chat(emu).status_code == 200
            assert HOSTS == [emu.host]         # the same emulator, started once
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_marker_gives_a_test_its_own_emulator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="""
        import httpx
        import pytest

        BODY = {"model": "databricks-claude-sonnet-4-5", "temperature": 0.5, "top_p": 0.5,
                "messages": [{"role": "user", "content": "hi"}]}

        def _status(emu):
            return httpx.post(emu.host + "/serving-endpoints/chat/completions", json=BODY,
                              headers={"Authorization": "Bearer " + emu.token}).status_code

        @pytest.mark.databricks_claude_emulator(strict=False, token="dapi-mine")
        def test_lenient(databricks_claude_emulator):
            assert databricks_claude_emulator.token == "dapi-mine"
            assert _status(databricks_claude_emulator) == 200

        def test_strict_by_default(databricks_claude_emulator):
            assert _status(databricks_claude_emulator) == 400

        @pytest.mark.databricks_claude_emulator("positional")
        def test_misused(databricks_claude_emulator):
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*takes keyword options only*"])


def test_the_env_fixture_points_the_environment_at_the_emulator(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_inner="""
        import os

        def test_env(databricks_claude_env):
            assert os.environ["DATABRICKS_HOST"] == databricks_claude_env.host
            assert os.environ["DATABRICKS_TOKEN"] == databricks_claude_env.token
            assert "DATABRICKS_CLIENT_ID" not in os.environ
    """)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "someone-else")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_plugin_names_clash_with_no_repository_fixture() -> None:
    import importlib

    plugin = importlib.import_module(PLUGIN)
    names = {"databricks_claude_emulator", "databricks_claude_emulator_session",
             "databricks_claude_env"}
    assert names <= set(vars(plugin))
    ours = {"session_emulator", "emulator", "sleeps", "make_lc", "make_li", "amake_li"}
    assert not names & ours
