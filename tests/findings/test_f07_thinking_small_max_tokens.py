"""Finding 7: `thinking=True` with `max_tokens` under 2,048 named a budget the user never set.

A budget is picked whenever one fits (at least 1,024 and leaving room for the answer); when none
does, the error names `max_tokens` and says what to set. The README's `llm.bind(max_tokens=...)`
example runs, and so does the CLI's `--thinking --max-tokens 1500`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from databricks_claude import ConfigurationError
from databricks_claude.emulator import Emulator, ScriptedReply

README = Path(__file__).resolve().parents[2] / "README.md"


def _bodies(emulator: Emulator) -> list[dict[str, Any]]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


@pytest.mark.parametrize("max_tokens", [1280, 1500, 2047])
def test_a_budget_is_picked_below_2048_and_the_emulator_takes_it(
        emulator: Emulator, make_lc: Callable[..., Any], max_tokens: int) -> None:
    emulator.script(ScriptedReply(text="ok", reasoning="short"))
    make_lc(thinking=True, max_tokens=max_tokens).invoke("hi")
    (body,) = _bodies(emulator)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["max_tokens"] == max_tokens


@pytest.mark.parametrize("max_tokens", [512, 1000, 1279])
def test_too_small_max_tokens_names_max_tokens_not_a_budget(
        emulator: Emulator, make_lc: Callable[..., Any], max_tokens: int) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_lc(thinking=True, max_tokens=max_tokens).invoke("hi")
    text = str(caught.value)
    assert f"max_tokens={max_tokens} is too small for thinking" in text
    assert "set max_tokens to at least 1280" in text and "turn thinking off" in text
    assert "budget " + str(max_tokens // 2) not in text  # the budget the user never set
    assert _bodies(emulator) == []


def test_the_readme_bind_example_runs_with_thinking(
        emulator: Emulator, make_lc: Callable[..., Any]) -> None:
    match = re.search(r"llm\.bind\(max_tokens=(\d+)\)", README.read_text(encoding="utf-8"))
    assert match, "the README's bind example is gone"
    emulator.script(ScriptedReply(text="ok", reasoning="short"))
    # The quick start's model has thinking=True; its bind example must run with it.
    make_lc(thinking=True).bind(max_tokens=int(match.group(1))).invoke("hi")
    (body,) = _bodies(emulator)
    assert body["thinking"]["type"] == "enabled" and body["max_tokens"] == int(match.group(1))


def test_the_cli_thinking_with_max_tokens_1500(emulator: Emulator, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from databricks_claude_cli import app as cli

    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    emulator.script(ScriptedReply(text="ok", reasoning="short"))
    code = cli.main(["chat", "hi", "--thinking", "--max-tokens", "1500", "--framework", "core"])
    assert code == 0, capsys.readouterr().err
    (body,) = _bodies(emulator)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
