"""The `databricks-claude` command.

The first tests run it as a subprocess, the way a newcomer runs it; the rest call `cli.main`
in-process against the session emulator (DATABRICKS_HOST pointing at it), so that scripted
replies and faults drive every framework, stream and non-stream, the tool loop and each exit code.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import httpx
import pytest

from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall
from databricks_claude_cli import app as cli
from databricks_claude_cli import runners as cli_runners
from databricks_claude_cli.demo_tools import DEMO_TOOLS, DemoTool, calculate, get_weather
from databricks_claude_cli.view import ChatView

PROMPT = "What is the weather in Paris, and what is 17 * 23?"
FRAMEWORKS = ["core", "langchain", "llama-index"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env["DATABRICKS_CONFIG_FILE"] = os.devnull
    env.update(extra)
    return env


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "databricks_claude_cli", *args],
                          capture_output=True, text=True, timeout=120, env=_env(**env))


# ------------------------------------------------------------------------------------------------
# As a subprocess


@pytest.mark.parametrize("framework", FRAMEWORKS)
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("token", ["t0ken-for-test", None], ids=["own-token", "default-token"])
def test_emulator_command_serves_until_stopped(token: str | None) -> None:
    port = _free_port()
    extra = ["--token", token] if token else []
    proc = subprocess.Popen([sys.executable, "-m", "databricks_claude_cli", "emulator",
                             "--port", str(port), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert proc.stdout is not None
        assert f"http://127.0.0.1:{port}" in proc.stdout.readline()
        proc.stdout.readline()  # export DATABRICKS_HOST=...
        token_line = proc.stdout.readline()
        accepted = token or cli.EMULATOR_TOKEN
        # Only the public placeholder is ever printed; a token the user chose is not echoed.
        assert token_line.strip() == ("export DATABRICKS_TOKEN=<the token you passed>" if token
                                      else f"export DATABRICKS_TOKEN={cli.EMULATOR_TOKEN}")
        body = {"model": "databricks-claude-sonnet-4-5",
                "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100}
        url = f"http://127.0.0.1:{port}/serving-endpoints/chat/completions"
        response = _post_when_up(url, body, accepted)
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["role"] == "assistant"
        refused = httpx.post(url, json=body, headers={"Authorization": "Bearer dapi-not-it"})
        assert refused.status_code in (401, 403)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    if token:
        assert token not in out + err


def _post_when_up(url: str, body: dict[str, object], token: str) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# ------------------------------------------------------------------------------------------------
# In-process, against the session emulator


class Result(NamedTuple):
    code: int
    out: str
    err: str


Chat = Callable[..., Result]


@pytest.fixture
def workspace(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The session emulator as the configured workspace (DATABRICKS_HOST / DATABRICKS_TOKEN)."""
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    return emulator


@pytest.fixture
def chat(capsys: pytest.CaptureFixture[str]) -> Chat:
    """`databricks-claude chat ARGS...` in-process: the exit code and what it printed."""
    def run(*args: str) -> Result:
        code = cli.main(["chat", *args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def chat_bodies(emulator: Emulator) -> list[dict[str, Any]]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


def _modes(framework: str, stream: bool) -> list[str]:
    return ["--framework", framework, *([] if stream else ["--no-stream"])]


def _tool_lines(out: str) -> list[tuple[str, Any]]:
    """The `tool> name(args)` lines, arguments parsed (the core shows the model's JSON text)."""
    calls = re.findall(r"^tool> (\w+)\((.*)\)$", out, re.M)
    return [(name, json.loads(arguments)) for name, arguments in calls]


WEATHER_AND_PRODUCT = ScriptedReply(reasoning="I need the weather and a product.", tool_calls=[
    ScriptedToolCall("get_weather", {"city": "Paris"}, id="toolu_w"),
    ScriptedToolCall("calculate", {"expression": "17 * 23"}, id="toolu_c")])
FINAL = ScriptedReply(text="Light rain in Paris; 17 * 23 = 391.", reasoning="Both known.")


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_tool_round_shows_everything_and_sends_the_results_back(
        workspace: Emulator, chat: Chat, framework: str, stream: bool) -> None:
    workspace.script(WEATHER_AND_PRODUCT, FINAL)
    result = chat(PROMPT, "--thinking", "--tools", "demo", *_modes(framework, stream))
    assert result.code == 0, result.err
    weather, product = get_weather("Paris"), calculate("17 * 23")
    lines = result.out.splitlines()
    assert lines[0] == "thinking> I need the weather and a product."
    assert _tool_lines(result.out) == [("get_weather", {"city": "Paris"}),
                                       ("calculate", {"expression": "17 * 23"})]
    assert lines[2] == f"tool> get_weather -> {weather}"
    assert lines[4] == f"tool> calculate -> {product}"
    assert lines[5:] == ["thinking> Both known.", "answer> Light rain in Paris; 17 * 23 = 391."]
    assert result.out.endswith("\n")
    first, second = chat_bodies(workspace)
    assert [t["function"]["name"] for t in first["tools"]] == ["get_weather", "calculate"]
    assert first["thinking"]["type"] == "enabled"
    # The assistant turn is replayed (its signed reasoning verified), then both results.
    assert second["messages"][-2:] == [
        {"role": "tool", "tool_call_id": "toolu_w", "content": weather},
        {"role": "tool", "tool_call_id": "toolu_c", "content": product}]
    assert [c["id"] for c in second["messages"][-3]["tool_calls"]] == ["toolu_w", "toolu_c"]
    assert workspace.verified_reasoning == 1


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_plain_answer_without_tools_or_thinking(workspace: Emulator, chat: Chat,
                                                framework: str, stream: bool) -> None:
    workspace.script(ScriptedReply(text="Hello there."))
    result = chat("Say hello", "--max-tokens", "300", *_modes(framework, stream))
    assert result.code == 0, result.err
    assert result.out == "answer> Hello there.\n"
    assert result.err == ""
    (body,) = chat_bodies(workspace)
    assert body["max_tokens"] == 300
    assert "tools" not in body and "thinking" not in body
    assert body.get("stream", False) is stream


def test_thinking_budget_is_sent(workspace: Emulator, chat: Chat) -> None:
    workspace.script(ScriptedReply(text="ok", reasoning="short"))
    result = chat("hi", "--thinking", "2048", "--framework", "core")
    assert result.code == 0, result.err
    assert chat_bodies(workspace)[0]["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_endpoint_default_comes_from_the_environment(workspace: Emulator, chat: Chat,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_CLAUDE_ENDPOINT", "databricks-claude-opus-4-5")
    assert chat("hi", "--framework", "core").code == 0
    assert chat_bodies(workspace)[0]["model"] == "databricks-claude-opus-4-5"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_unknown_tool_and_bad_arguments_go_back_as_error_results(
        workspace: Emulator, chat: Chat, framework: str) -> None:
    workspace.script(
        ScriptedReply(tool_calls=[ScriptedToolCall("get_stock_price", {"ticker": "X"}, id="t1"),
                                  ScriptedToolCall("get_weather", {"town": "Paris"}, id="t2"),
                                  ScriptedToolCall("calculate", {"expression": "(9**100)**100"},
                                                   id="t3")]),
        ScriptedReply(text="Sorry."))
    result = chat("hi", "--tools", "demo", "--framework", framework)
    assert result.code == 0, result.err
    results = {m["tool_call_id"]: json.loads(m["content"])
               for m in chat_bodies(workspace)[1]["messages"] if m["role"] == "tool"}
    assert results["t1"] == {"error": "no tool named get_stock_price"}
    assert results["t2"]["error"].startswith("bad arguments for get_weather:")
    assert results["t3"] == {"expression": "(9**100)**100", "error": "result too large"}
    assert result.out.rstrip().endswith("answer> Sorry.")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_tool_loop_stops_after_max_rounds(workspace: Emulator, chat: Chat, framework: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A model that never stops calling tools: the loop ends after MAX_TOOL_ROUNDS requests.

    Pinned as it is today: exit 0, no answer, and nothing says the limit was hit.
    """
    monkeypatch.setattr(cli_runners, "MAX_TOOL_ROUNDS", 2)
    workspace.script(*[ScriptedReply(tool_calls=[ScriptedToolCall(
        "calculate", {"expression": f"{n} + 1"}, id=f"toolu_{n}")]) for n in range(3)])
    result = chat("count", "--tools", "demo", "--framework", framework)
    assert result.code == 0, result.err
    assert len(chat_bodies(workspace)) == 2
    assert _tool_lines(result.out) == [("calculate", {"expression": "0 + 1"}),
                                       ("calculate", {"expression": "1 + 1"})]
    assert "answer>" not in result.out
    assert result.err == ""


# ---- exit codes --------------------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_settings_refused_before_sending_exit_2(workspace: Emulator, chat: Chat,
                                                framework: str) -> None:
    result = chat("hi", "--thinking", "5000", "--max-tokens", "1000", "--framework", framework)
    assert result.code == cli.EXIT_USAGE
    assert result.err == ("error: thinking budget 5000 must be less than max_tokens 1000; raise "
                          "max_tokens or lower the budget\nhint: fix the settings named above\n")
    assert chat_bodies(workspace) == []


def test_host_without_credentials_exits_2(emulator: Emulator, chat: Chat,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    result = chat("hi", "--framework", "core")
    assert result.code == cli.EXIT_USAGE
    assert "DATABRICKS_TOKEN" in result.err
    assert "hint: fix the settings named above" in result.err
    assert chat_bodies(emulator) == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_wrong_token_exits_3_without_echoing_it(workspace: Emulator, chat: Chat, framework: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-wrong-0123456789abcdef")
    result = chat("hi", "--framework", framework)
    assert result.code == cli.EXIT_AUTH
    assert "hint: the workspace refused the credential" in result.err
    assert "dapi-wrong-0123456789abcdef" not in result.out + result.err
    assert len(chat_bodies(workspace)) == 1  # a static token is not retried


def test_missing_token_on_the_wire_exits_3(workspace: Emulator, chat: Chat) -> None:
    workspace.fault("status", status=401)
    result = chat("hi", "--framework", "core")
    assert result.code == cli.EXIT_AUTH
    assert "hint: set DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)" \
        in result.err


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_unknown_endpoint_exits_4(workspace: Emulator, chat: Chat, framework: str) -> None:
    result = chat("hi", "--endpoint", "no-such-endpoint", "--framework", framework)
    assert result.code == cli.EXIT_NOT_FOUND
    assert "ENDPOINT_NOT_FOUND" in result.err
    assert result.err.endswith("hint: check --endpoint against the Serving page of your "
                               "workspace\n")
    assert [b["model"] for b in chat_bodies(workspace)] == ["no-such-endpoint"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_rate_limited_exits_5_after_the_retries(workspace: Emulator, chat: Chat, framework: str,
                                                sleeps: list[float]) -> None:
    workspace.fault("status", times=3, status=429, retry_after=7)
    result = chat("hi", "--framework", framework)
    assert result.code == cli.EXIT_RATE_LIMITED
    assert result.err.endswith("hint: rate limited: wait a minute, or ask for a higher rate "
                               "limit tier\n")
    assert len(chat_bodies(workspace)) == 3
    assert sleeps == [7.0, 7.0]  # the service's Retry-After, between the three attempts


def test_other_service_errors_exit_1_without_a_hint(workspace: Emulator, chat: Chat) -> None:
    workspace.fault("status", status=400, body={"error_code": "BAD_REQUEST",
                                                "message": "something is off"})
    result = chat("hi", "--framework", "core")
    assert result.code == cli.EXIT_ERROR
    assert result.err.startswith("error: ")
    assert "something is off" in result.err
    assert "hint:" not in result.err


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_stream_cut_short_exits_1_and_ends_the_line(workspace: Emulator, chat: Chat,
                                                    framework: str, sleeps: list[float]) -> None:
    workspace.fault("truncate", chunks=3)
    workspace.script(ScriptedReply(text="one two three four five six", chunk_size=4))
    result = chat("hi", "--framework", framework)
    assert result.code == cli.EXIT_ERROR
    assert "interrupted" in result.err
    assert result.out.startswith("answer> ") and result.out.endswith("\n")
    assert len(chat_bodies(workspace)) == 1  # output was shown: no silent restart


@pytest.mark.parametrize(("framework", "module"), [("langchain", "langchain_core.messages"),
                                                   ("llama-index", "llama_index.core.tools")])
def test_missing_framework_is_a_usage_error(workspace: Emulator, chat: Chat, framework: str,
                                            module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    result = chat("hi", "--framework", framework)
    assert result.code == cli.EXIT_USAGE
    assert result.err.endswith("Install the extras: pip install 'databricks-claude[all]'\n")
    assert module in result.err
    assert chat_bodies(workspace) == []


def test_ctrl_c_during_a_tool_exits_130(workspace: Emulator, chat: Chat,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(**kwargs: Any) -> str:
        raise KeyboardInterrupt

    monkeypatch.setitem(cli_runners._TOOLS_BY_NAME, "get_weather",
                        DemoTool("get_weather", "", {}, interrupted))
    workspace.script(WEATHER_AND_PRODUCT, FINAL)
    result = chat(PROMPT, "--tools", "demo", "--framework", "core")
    assert result.code == 130
    assert result.err == "interrupted\n"
    assert _tool_lines(result.out) == [("get_weather", {"city": "Paris"})]
    assert len(chat_bodies(workspace)) == 1


# ---- where requests go -------------------------------------------------------------------------


def test_without_a_workspace_the_builtin_emulator_answers(chat: Chat) -> None:
    result = chat(PROMPT, "--tools", "demo", "--framework", "core", "--no-stream")
    assert result.code == 0, result.err
    assert re.match(r"\[databricks-claude\] DATABRICKS_HOST is not set: using the built-in "
                    r"emulator at http://127\.0\.0\.1:\d+\n$", result.err)
    # Two tool rounds (weather, then arithmetic), then the answer.
    assert [name for name, _ in _tool_lines(result.out)] == ["get_weather", "calculate"]
    assert result.out.splitlines()[-1].startswith("answer> ")


def test_emulator_flag_wins_over_a_configured_workspace(chat: Chat,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-unused")
    result = chat("Say hello", "--emulator", "--framework", "core")
    assert result.code == 0, result.err
    assert result.err.startswith("[databricks-claude] --emulator given: using the built-in "
                                 "emulator at http://127.0.0.1:")
    assert result.out.startswith("answer> ")


# ---- the emulator subcommand, in-process -------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """`serve` recorded instead of run (the subprocess tests above run it for real)."""
    import databricks_claude.emulator.server as server

    calls: list[dict[str, Any]] = []

    def serve(port: int, token: str | None, host: str = "127.0.0.1") -> None:
        calls.append({"port": port, "token": token, "host": host})
        raise KeyboardInterrupt  # Ctrl-C: the command ends quietly

    monkeypatch.setattr(server, "serve", serve)
    return calls


def test_emulator_command_defaults(served: list[dict[str, Any]],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["emulator"]) == cli.EXIT_OK
    assert served == [{"port": 8765, "token": cli.EMULATOR_TOKEN, "host": "127.0.0.1"}]
    assert capsys.readouterr().out == (
        "Databricks Claude emulator on http://127.0.0.1:8765\n"
        "  export DATABRICKS_HOST=http://127.0.0.1:8765\n"
        f"  export DATABRICKS_TOKEN={cli.EMULATOR_TOKEN}\n")


def test_emulator_command_never_prints_a_chosen_token(served: list[dict[str, Any]],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["emulator", "--port", "9001", "--bind", "0.0.0.0", "--token", "s3cret-x"])
    assert code == cli.EXIT_OK
    assert served == [{"port": 9001, "token": "s3cret-x", "host": "0.0.0.0"}]
    out, err = capsys.readouterr()
    assert "s3cret-x" not in out + err
    assert "export DATABRICKS_TOKEN=<the token you passed>" in out
    assert "http://0.0.0.0:9001" in out


def test_module_entry_point_exits_with_the_code(workspace: Emulator,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    import runpy

    monkeypatch.setattr(sys, "argv", ["databricks-claude", "chat", "hi", "--endpoint", "nope"])
    with pytest.warns(RuntimeWarning, match="found in sys.modules"), \
            pytest.raises(SystemExit) as info:
        runpy.run_module("databricks_claude_cli.app", run_name="__main__")
    assert info.value.code == cli.EXIT_NOT_FOUND
    assert "ENDPOINT_NOT_FOUND" in capsys.readouterr().err


def test_bad_thinking_budget_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["chat", "hi", "--thinking", "1e3"])
    assert info.value.code == cli.EXIT_USAGE
    assert "--thinking takes a token budget, got '1e3'" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# The view


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_output_is_coloured(workspace: Emulator, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    terminal = Tty()
    monkeypatch.setattr(sys, "stdout", terminal)
    workspace.script(ScriptedReply(text="Hi.", reasoning="Greet."))
    assert cli.main(["chat", "hello", "--thinking", "--framework", "core"]) == 0
    assert terminal.getvalue() == ("\033[2mthinking> Greet.\033[0m\n"
                                   "\033[1manswer>\033[0m Hi.\033[0m\n")


def test_view_labels_sections_and_tool_lines() -> None:
    out = io.StringIO()
    view = ChatView(out, color=False)
    view.reasoning("")
    view.answer("")  # empty fragments show nothing, not even a label
    assert out.getvalue() == ""
    view.reasoning("a")
    view.reasoning("b")
    view.tool_call("f", '{"x": 1}')
    view.tool_result("f", "2")
    view.answer("c")
    view.reasoning("d")
    view.close()
    view.close()
    assert out.getvalue() == ("thinking> ab\ntool> f({\"x\": 1})\ntool> f -> 2\n"
                              "answer> c\nthinking> d\n")


def test_view_colours_tool_lines() -> None:
    out = io.StringIO()
    view = ChatView(out, color=True)
    view.answer("x")
    view.tool_call("f", "{}")
    view.close()
    assert out.getvalue() == "\033[1manswer>\033[0m x\033[0m\n\033[36mtool> f({})\033[0m\n"


# ------------------------------------------------------------------------------------------------
# The runners' guards (the clients never end a stream this way; the runners must not loop)


def test_core_stream_without_a_finish_is_an_error() -> None:
    from databricks_claude.messages import TextDelta

    class Client:
        def stream(self, messages: Any, options: Any) -> Iterator[Any]:
            yield TextDelta("half")

    view = ChatView(io.StringIO(), color=False)
    with pytest.raises(RuntimeError, match="ended without a final answer"):
        cli_runners._core_turn(Client(), [], None, True, view)


def test_llama_index_empty_stream_is_an_error() -> None:
    class LLM:
        def stream_chat_with_tools(self, tools: Any, chat_history: Any) -> Iterator[Any]:
            return iter(())

    view = ChatView(io.StringIO(), color=False)
    with pytest.raises(RuntimeError, match="ended without a final answer"):
        cli_runners._llama_turn(LLM(), [], [], True, view)


# ------------------------------------------------------------------------------------------------
# The demo tools


@pytest.mark.parametrize(("city", "unit", "expected"), [
    ("Paris", "celsius", {"city": "Paris", "temperature": 18, "unit": "celsius",
                          "sky": "light rain"}),
    (" TOKYO ", "fahrenheit", {"city": " TOKYO ", "temperature": 75, "unit": "fahrenheit",
                               "sky": "sunny"}),
    ("Atlantis", "celsius", {"city": "Atlantis", "temperature": 21, "unit": "celsius",
                             "sky": "clear"}),
    ("Atlantis", "fahrenheit", {"city": "Atlantis", "temperature": 70, "unit": "fahrenheit",
                                "sky": "clear"}),
])
def test_get_weather(city: str, unit: str, expected: dict[str, Any]) -> None:
    assert json.loads(get_weather(city, unit)) == expected


def test_get_weather_refuses_an_unknown_unit() -> None:
    # Any unit but celsius used to come back as a Fahrenheit value labelled with that unit.
    assert json.loads(get_weather("Paris", "kelvin")) == {
        "city": "Paris", "error": "unknown unit 'kelvin': use celsius or fahrenheit"}


@pytest.mark.parametrize(("expression", "result"), [
    ("17 * 23", 391), ("2 ** 10", 1024), ("-3 + 10 % 4", -1), ("(1 + 2) / 4", 0.75),
    ("-2 ** 2", -4), ("2 ** 100", 2 ** 100), ("1.5 - 0.5", 1.0),
])
def test_calculate(expression: str, result: float) -> None:
    assert json.loads(calculate(expression)) == {"expression": expression, "result": result}


@pytest.mark.parametrize(("expression", "error"), [
    ("1 / 0", "division by zero"),
    ("2 ** 101", "exponent too large"),
    ("x + 1", "unsupported expression element: Name(id='x'"),
    ("__import__('os')", "unsupported expression element: Call("),
    ("7 // 2", "unsupported expression element: BinOp("),
    ("'a' * 3", "unsupported expression element: Constant(value='a')"),
    ("import os", "invalid syntax"),
    ("", "invalid syntax"),
    ("(10.0 ** 100) ** 100", "Numerical result out of range"),
    # These used to escape `calculate`: an int too long for str() (ValueError out of
    # json.dumps), an infinite float written as `Infinity` (not JSON), a complex power, and
    # nested powers whose exponent check alone let them run for minutes.
    ("(9 ** 100) ** 100", "result too large"),
    ("(((9 ** 100) ** 100) ** 100) ** 100", "result too large"),
    ("1e308 * 10", "JSON"),
    ("(-8) ** 0.5", "the result is not a real number"),
])
def test_calculate_errors_are_results(expression: str, error: str) -> None:
    answer = json.loads(calculate(expression))
    assert set(answer) == {"expression", "error"}
    assert answer["expression"] == expression
    assert error in answer["error"]


def test_demo_tool_bad_arguments_are_a_result() -> None:
    weather, calc = DEMO_TOOLS
    assert json.loads(weather.run({"town": "Paris"}))["error"].startswith(
        "bad arguments for get_weather: ")
    assert json.loads(calc.run({"expression": 5}))["error"].startswith(
        "bad arguments for calculate: ")
    assert json.loads(weather.run({"city": "London", "unit": "celsius"}))["temperature"] == 14
