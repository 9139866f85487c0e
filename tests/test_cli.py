"""The `databricks-claude` command, run as a subprocess the way a newcomer runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from databricks_claude.emulator import Emulator

PROMPT = "What is the weather in Paris, and what is 17 * 23?"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env["DATABRICKS_CONFIG_FILE"] = os.devnull
    env.update(extra)
    return env


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "databricks_claude.cli", *args],
                          capture_output=True, text=True, timeout=120, env=_env(**env))


@pytest.mark.parametrize("framework", ["core", "langchain", "llama-index"])
def test_chat_streams_reasoning_tool_call_and_answer(framework: str) -> None:
    result = _cli("chat", PROMPT, "--thinking", "--tools", "demo", "--framework", framework)
    assert result.returncode == 0, result.stderr
    assert "using the built-in emulator" in result.stderr
    out = result.stdout
    assert "thinking> " in out
    assert "tool> get_weather(" in out or "tool> calculate(" in out
    assert "tool> get_weather -> " in out or "tool> calculate -> " in out
    assert "answer> " in out
    # Reasoning comes before the tool call; the final answer comes after the tool result.
    assert out.index("thinking> ") < out.index("tool> ")
    assert out.rindex("answer> ") > out.rindex("tool> ")


def test_chat_without_streaming_or_tools() -> None:
    result = _cli("chat", "Say hello", "--no-stream", "--framework", "core")
    assert result.returncode == 0, result.stderr
    assert "answer> " in result.stdout
    assert "thinking> " not in result.stdout
    assert "tool> " not in result.stdout


def test_unknown_endpoint_exits_4_with_advice() -> None:
    result = _cli("chat", "hi", "--endpoint", "no-such-endpoint", "--framework", "core")
    assert result.returncode == 4
    assert "ENDPOINT_NOT_FOUND" in result.stderr
    assert "--endpoint" in result.stderr


def test_workspace_without_credentials_exits_2_before_any_chat_request(emulator: Emulator) -> None:
    # A reachable host (the emulator) with no credential anywhere: databricks-sdk, when
    # installed, gets its say first and finds nothing either.
    result = _cli("chat", "hi", "--framework", "core", DATABRICKS_HOST=emulator.host)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "DATABRICKS_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert not [r for r in emulator.requests if r.path.endswith("/chat/completions")]


def test_bad_thinking_budget_is_a_usage_error() -> None:
    result = _cli("chat", "hi", "--thinking", "lots")
    assert result.returncode == 2
    assert "--thinking takes a token budget" in result.stderr


def test_emulator_command_serves_until_stopped() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "databricks_claude.cli", "emulator",
                             "--port", str(port), "--token", "t0ken-for-test"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert proc.stdout is not None
        assert f"http://127.0.0.1:{port}" in proc.stdout.readline()
        body = {"model": "databricks-claude-sonnet-4-5",
                "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100}
        response = _post_when_up(f"http://127.0.0.1:{port}/serving-endpoints/chat/completions",
                                 body, "t0ken-for-test")
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["role"] == "assistant"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "t0ken-for-test" not in err


def _post_when_up(url: str, body: dict[str, object], token: str) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
