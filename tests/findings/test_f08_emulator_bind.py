"""Finding 8: `databricks-claude emulator --bind 0.0.0.0` prints hosts a client can use, and
plain http to a named host works with an explicit, warned opt-in.

`0.0.0.0` is no address to connect to: the banner gives the loopback URL for this machine and
the machine's hostname for others, with `DATABRICKS_CLAUDE_ALLOW_HTTP=1` (plain http to a host
other than loopback is refused without it). `allow_insecure_http=True` is the same opt-in as an
argument, on the core client and both models; each warns once per host.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Any

import pytest

from databricks_claude import config
from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.errors import APIConnectionError, ConfigurationError
from databricks_claude.messages import Message
from databricks_claude.notes import DatabricksClaudeWarning
from databricks_claude_cli import app as cli

ENDPOINT = "databricks-claude-sonnet-4-5"
NAMED = "http://emulator.internal:8765"


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.ALLOW_HTTP_ENV, raising=False)
    monkeypatch.setattr(config, "_WARNED", set())  # "once per process": start afresh


def test_bind_all_prints_usable_hosts(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import databricks_claude.emulator.server as server

    monkeypatch.setattr(server, "serve", lambda **kw: None)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert cli.main(["emulator", "--bind", "0.0.0.0", "--port", str(port)]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "DATABRICKS_HOST=http://0.0.0.0" not in out
    assert f"export DATABRICKS_HOST=http://127.0.0.1:{port}" in out
    assert f"export DATABRICKS_HOST=http://{socket.gethostname()}:{port}" in out
    assert "export DATABRICKS_CLAUDE_ALLOW_HTTP=1" in out


def test_plain_http_to_a_named_host_is_refused_with_the_way_out() -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http=True"):
        DatabricksClaudeClient(ENDPOINT, host=NAMED, token="dapi-x")


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_plain_http_opt_in_is_warned_once(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kwargs: dict[str, Any] = {}
    if how == "argument":
        kwargs["allow_insecure_http"] = True
    else:
        monkeypatch.setenv(config.ALLOW_HTTP_ENV, "1")
    with pytest.warns(DatabricksClaudeWarning, match="unencrypted to http://emulator.internal"):
        client = DatabricksClaudeClient(ENDPOINT, host=NAMED, token="dapi-x", **kwargs)
    assert client.url == f"{NAMED}/serving-endpoints/chat/completions"
    with pytest.warns() as again:
        DatabricksClaudeClient(ENDPOINT, host=NAMED, token="dapi-x", **kwargs).close()
        import warnings
        warnings.warn("marker", UserWarning, stacklevel=1)
    assert [str(w.message) for w in again] == ["marker"]
    client.close()


def test_both_models_take_the_opt_in(make_lc: Any, make_li: Any) -> None:
    with pytest.warns(DatabricksClaudeWarning, match="unencrypted"):
        lc = make_lc(host=NAMED, allow_insecure_http=True)
    assert lc.client().url.startswith(NAMED)
    li = make_li(host=NAMED, allow_insecure_http=True)
    assert li.client.url.startswith(NAMED)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env["DATABRICKS_CONFIG_FILE"] = os.devnull
    return env


@pytest.mark.filterwarnings("ignore::databricks_claude.notes.DatabricksClaudeWarning")
def test_the_printed_remote_host_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "databricks_claude_cli", "emulator",
                             "--bind", "0.0.0.0", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(7)]
        hosts = [line.split("=", 1)[1] for line in lines if "DATABRICKS_HOST=" in line]
        remote = hosts[-1]
        assert "0.0.0.0" not in remote
        monkeypatch.setenv(config.ALLOW_HTTP_ENV, "1")
        client = DatabricksClaudeClient(ENDPOINT, host=remote, token=cli.EMULATOR_TOKEN,
                                        max_retries=5)
        with client:
            for _ in range(50):  # the server may still be starting
                try:
                    assert client.complete([Message.user("hi")]).text
                    break
                except APIConnectionError:  # refused while the server starts
                    import time
                    time.sleep(0.2)
            else:
                pytest.fail("the emulator never answered on the printed host")
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
