"""Finding 11 (CLI): quiet on a closed pipe, one-line warnings, true `--token` help, and a
clear error on a busy port.

- `databricks-claude chat ... | head -1`: the command ends as a Unix tool that SIGPIPE ends
  (status 141, as `yes | head -1` leaves for `yes`), with no BrokenPipeError traceback.
- A `DatabricksClaudeWarning` prints as `warning: ...`, without file:line and source line.
- `emulator --token` help names the real default (a fixed public placeholder).
- A port already taken: one error line, exit 1, and no banner.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import warnings
from typing import Any

import pytest

from databricks_claude.notes import warn
from databricks_claude_cli import app as cli


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env["DATABRICKS_CONFIG_FILE"] = os.devnull
    return env


def test_a_closed_pipe_ends_quietly_with_141() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "databricks_claude_cli", "chat", "Say hello", "--emulator",
         "--thinking"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    assert proc.stderr is not None and proc.stdout is not None
    first = proc.stderr.readline()  # the emulator banner, written before the chat starts
    assert "built-in emulator" in first
    proc.stdout.close()  # the reader goes away (`| head -0`) before any answer is written
    code = proc.wait(timeout=120)
    rest = proc.stderr.read()
    assert "Traceback" not in rest
    assert "BrokenPipeError" not in rest
    assert rest == ""
    assert code == cli.EXIT_BROKEN_PIPE == 141


def test_broken_pipe_in_process_returns_141(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["chat", "hi", "--emulator", "--framework", "core"]) == 141
    assert "Traceback" not in capsys.readouterr().err


def test_a_warning_is_one_line(monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    def runner(run: Any, host: Any, token: Any, view: Any) -> None:
        warnings.simplefilter("always")
        warn("temperature 0.3 not sent: thinking is on")

    monkeypatch.setitem(cli.RUNNERS, "core", runner)
    assert cli.main(["chat", "hi", "--emulator", "--framework", "core"]) == cli.EXIT_OK
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "warning: temperature 0.3 not sent: thinking is on"
    assert not any(".py:" in line for line in err)


def test_token_help_names_the_real_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["emulator", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "random" not in help_text
    assert f"default: {cli.EMULATOR_TOKEN}" in help_text


def test_a_busy_port_is_said_and_exits_non_zero(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    import databricks_claude.emulator.server as server

    served: list[int] = []
    monkeypatch.setattr(server, "serve", lambda **kw: served.append(kw["port"]))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(["emulator", "--port", str(port)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""  # no banner
    assert err == (f"error: port {port} on 127.0.0.1 is already in use (another emulator?); "
                   "stop it or pick another port with --port\n")
    assert served == []


def test_a_busy_port_in_a_subprocess_has_no_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "databricks_claude_cli", "emulator", "--port", str(port)],
            capture_output=True, text=True, timeout=60, env=_env(), check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "already in use" in result.stderr
    assert "Traceback" not in result.stderr
