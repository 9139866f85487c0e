"""A client that leaves early (a `break` out of a stream) leaves no traceback in the emulator.

The emulator runs as users run it, `python -m databricks_claude_cli emulator`, in a subprocess
whose stderr is checked after clients broke off in every way a client can.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx

TOKEN = "dapi-disconnect-test"
CHAT = "/serving-endpoints/chat/completions"
STREAM = {"model": "databricks-claude-sonnet-4-5", "stream": True, "max_tokens": 4096,
          "thinking": {"type": "enabled", "budget_tokens": 1024},
          "messages": [{"role": "user", "content": "Tell me a long story about the sea"}]}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the emulator did not start")


@contextlib.contextmanager
def served() -> Iterator[tuple[int, list[str]]]:
    """A CLI emulator on a free port; yields the port and, once stopped, its stderr lines."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "databricks_claude_cli", "emulator", "--port", str(port),
         "--token", TOKEN], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    try:
        _wait_for(port, process)
        yield port, stderr
    finally:
        process.terminate()
        stderr.extend(process.communicate(timeout=15)[1].splitlines())


def _raw_request(port: int, body: dict[str, Any], *, whole_body: bool) -> bytes:
    data = json.dumps(body).encode()
    head = (f"POST {CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
    return head + (data if whole_body else data[: len(data) // 2])


def _send_and_leave(port: int, *, whole_body: bool = True, reset: bool = False) -> None:
    """Send a request and close the socket at once, without reading the answer."""
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(_raw_request(port, STREAM, whole_body=whole_body))
    if reset:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _break_out_of_stream(port: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                      headers={"Authorization": f"Bearer {TOKEN}"}) as client, \
            client.stream("POST", CHAT, json=STREAM) as response:
        assert response.status_code == 200
        for _line in response.iter_lines():
            break


def test_clients_leaving_early_leave_no_traceback() -> None:
    with served() as (port, stderr):
        for _ in range(3):
            _break_out_of_stream(port)
            _send_and_leave(port)
            _send_and_leave(port, reset=True)
            _send_and_leave(port, whole_body=False)
        time.sleep(0.5)  # let the server finish what it was writing
        with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                          headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            # It still answers afterwards.
            assert client.post(CHAT, json={**STREAM, "stream": False}).status_code == 200
    noisy = [line for line in stderr if "Traceback" in line or "ERROR" in line
             or "raised exception" in line or "Exception" in line]
    assert not noisy, "\n".join(stderr)
