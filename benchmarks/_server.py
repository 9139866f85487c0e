"""The emulator every row talks to: in a child process (the default) or in a thread.

In a child process the server has its own interpreter and GIL, so a row measures its client
and not the server sharing its CPU time; on a machine with one core the two are the same. The
child is driven through its stdin with one-line commands (`script`, `reset`, `quit`), using only
the emulator's public API.

Run as `python _server.py --child` it is that child.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

ENDPOINT = "databricks-claude-sonnet-4-5"
TOKEN = "dapi-benchmark-token"
READY = "READY"


@dataclass
class Target:
    """Where the rows send requests, and how they ask the emulator for a long stream."""

    host: str
    token: str
    endpoint: str
    mode: str
    _command: Callable[[dict[str, Any]], None]

    @property
    def base_url(self) -> str:
        """`{host}/serving-endpoints`, the OpenAI-compatible base URL."""
        return f"{self.host}/serving-endpoints"

    @property
    def url(self) -> str:
        """The chat completions URL."""
        return f"{self.base_url}/chat/completions"

    def script_streams(self, deltas: int, count: int) -> None:
        """Make the next `count` answers `deltas` one-character deltas each (when streamed)."""
        self._command({"op": "script", "deltas": deltas, "count": count})

    def reset(self) -> None:
        """Drop queued scripts and recorded requests (between rows)."""
        self._command({"op": "reset"})


def _apply(emu: Any, command: dict[str, Any]) -> None:
    """Carry out one control command on an emulator."""
    from databricks_claude.emulator import ScriptedReply

    if command["op"] == "script":
        reply = ScriptedReply(text="x" * int(command["deltas"]), chunk_size=1)
        emu.script(*([reply] * int(command["count"])))
    elif command["op"] == "reset":
        emu.reset()


@contextlib.contextmanager
def in_thread() -> Iterator[Target]:
    """The emulator in a background thread of this process."""
    from databricks_claude.emulator import Emulator

    with Emulator(token=TOKEN) as emu:
        yield Target(emu.host, emu.token, ENDPOINT, "thread", lambda c: _apply(emu, c))


@contextlib.contextmanager
def in_process() -> Iterator[Target]:
    """The emulator in a child process with its own interpreter."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--child"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        host = _read_ready(child.stdout)
        yield Target(host, TOKEN, ENDPOINT, "process", _sender(child.stdin, child.stdout))
    finally:
        with contextlib.suppress(OSError, ValueError):
            child.stdin.write(json.dumps({"op": "quit"}) + "\n")
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def _read_ready(stdout: IO[str]) -> str:
    line = stdout.readline().split()
    if len(line) != 2 or line[0] != READY:
        raise RuntimeError(f"the emulator process did not start: {line!r}")
    return line[1]


def _sender(stdin: IO[str], stdout: IO[str]) -> Callable[[dict[str, Any]], None]:
    def send(command: dict[str, Any]) -> None:
        stdin.write(json.dumps(command) + "\n")
        answer = stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"the emulator process refused {command}: {answer}")

    return send


def start(mode: str) -> contextlib.AbstractContextManager[Target]:
    """The emulator as a context manager: mode is "process" or "thread"."""
    return in_process() if mode == "process" else in_thread()


def _child() -> None:
    from databricks_claude.emulator import Emulator

    with Emulator(token=TOKEN) as emu:
        print(READY, emu.host, flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            if command["op"] == "quit":
                break
            try:
                _apply(emu, command)
            except Exception as exc:  # reported to the parent, which raises
                print(f"error {exc!r}", flush=True)
            else:
                print("ok", flush=True)


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    _child()
