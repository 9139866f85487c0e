"""The `databricks-claude` command: chat with a Claude endpoint, or run the local emulator.

`databricks-claude chat "PROMPT" --thinking --tools demo` streams an answer with its reasoning
shown apart and runs the demo tool loop to the end. With DATABRICKS_HOST (and credentials) set it
talks to that workspace; without, it starts the built-in emulator and says so.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from databricks_claude import errors
from databricks_claude_cli.runners import RUNNERS, ChatRun
from databricks_claude_cli.serve import EMULATOR_TOKEN, run_emulator
from databricks_claude_cli.view import ChatView

DEFAULT_ENDPOINT = "databricks-claude-sonnet-4-5"

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_AUTH, EXIT_NOT_FOUND, EXIT_RATE_LIMITED = 0, 1, 2, 3, 4, 5
#: A reader that went away (`| head -1`): the status a shell shows for a Unix tool that SIGPIPE
#: ended, 128 + 13, as `yes | head -1` leaves for `yes`.
EXIT_BROKEN_PIPE = 128 + 13


@dataclass(frozen=True)
class Target:
    """Where requests go: a workspace (host/token None: from the environment) or the emulator."""

    host: str | None
    token: str | None
    emulated: bool


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code.

    Warnings print as one `warning: ...` line; a reader that closes the pipe early ends the
    command quietly, as Unix tools end (status 141, no traceback).
    """
    args = _parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            if args.command == "emulator":
                return run_emulator(args.port, args.token, args.bind, sys.stdout, sys.stderr)
            return _run_chat(args, sys.stdout, sys.stderr)
        except BrokenPipeError:
            _drop_stdout()
            return EXIT_BROKEN_PIPE


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """A warning as one line, `warning: ...`: a command's user has no use for our file:line."""
    (file or sys.stderr).write(f"warning: {message}\n")


def _drop_stdout() -> None:
    """Point stdout at /dev/null: the interpreter's final flush must not fail again
    (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="databricks-claude",
        description="Claude on Databricks Model Serving, with reasoning and tools.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="ask a question and stream the answer")
    chat.add_argument("prompt", help="what to ask")
    endpoint = os.environ.get("DATABRICKS_CLAUDE_ENDPOINT", DEFAULT_ENDPOINT)
    chat.add_argument("--endpoint", default=endpoint,
                      help=f"serving endpoint name (default {DEFAULT_ENDPOINT})")
    chat.add_argument("--thinking", nargs="?", const=True, default=None, type=_budget,
                      metavar="BUDGET", help="turn reasoning on, optionally with a token budget")
    chat.add_argument("--effort", choices=["low", "medium", "high", "xhigh", "max"],
                      help="reasoning effort for adaptive-only models")
    chat.add_argument("--max-tokens", type=int, default=None, help="answer size limit")
    chat.add_argument("--tools", choices=["demo"], help="give the model the demo tools")
    chat.add_argument("--api", choices=["chat", "messages"], default="chat",
                      help="the wire: chat completions (default) or Claude's native Anthropic "
                           "Messages route")
    chat.add_argument("--framework", choices=sorted(RUNNERS), default="langchain",
                      help="which integration drives the chat (default langchain)")
    chat.add_argument("--no-stream", action="store_true", help="wait for whole answers")
    chat.add_argument("--emulator", action="store_true",
                      help="use the built-in emulator even when a workspace is configured")
    emu = sub.add_parser("emulator", help="run the local Databricks Claude emulator")
    emu.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    emu.add_argument("--bind", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    emu.add_argument("--token", default=None,
                     help=f"bearer token to accept (default: {EMULATOR_TOKEN}, a public "
                          "placeholder: pass your own when others can reach the port)")
    return parser


def _budget(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        message = f"--thinking takes a token budget, got {value!r}"
        raise argparse.ArgumentTypeError(message) from None


def _run_chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    view = ChatView(out, color=out.isatty())
    run = ChatRun(prompt=args.prompt, endpoint=args.endpoint, thinking=args.thinking,
                  effort=args.effort, max_tokens=args.max_tokens, tools=args.tools == "demo",
                  stream=not args.no_stream, api=args.api)
    try:
        with _target(force_emulator=args.emulator, err=err) as target:
            RUNNERS[args.framework](run, target.host, target.token, view)
    except ImportError as exc:
        err.write(f"error: {exc}. Install the extras: pip install 'databricks-claude[all]'\n")
        return EXIT_USAGE
    except errors.DatabricksClaudeError as exc:
        view.close()
        return _report(exc, err)
    except KeyboardInterrupt:
        view.close()
        err.write("interrupted\n")
        return 130
    view.close()
    return EXIT_OK


@contextlib.contextmanager
def _target(*, force_emulator: bool, err: TextIO) -> Iterator[Target]:
    if os.environ.get("DATABRICKS_HOST") and not force_emulator:
        yield Target(None, None, emulated=False)
        return
    from databricks_claude.emulator import Emulator

    # Two rounds, so that the demo question (weather and arithmetic) exercises both tools.
    with Emulator(tool_rounds=2) as emu:
        why = "--emulator given" if force_emulator else "DATABRICKS_HOST is not set"
        err.write(f"[databricks-claude] {why}: using the built-in emulator at {emu.host}\n")
        err.flush()
        yield Target(emu.host, emu.token, emulated=True)


_ADVICE: list[tuple[type[errors.DatabricksClaudeError], int, str]] = [
    (errors.ConfigurationError, EXIT_USAGE, "fix the settings named above"),
    (errors.AuthenticationError, EXIT_AUTH,
     "set DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)"),
    (errors.PermissionDeniedError, EXIT_AUTH,
     "the workspace refused the credential: check it is valid and may query this endpoint"),
    (errors.EndpointNotFoundError, EXIT_NOT_FOUND,
     "check --endpoint against the Serving page of your workspace"),
    (errors.RateLimitError, EXIT_RATE_LIMITED,
     "rate limited: wait a minute, or ask for a higher rate limit tier"),
]


def _report(exc: errors.DatabricksClaudeError, err: TextIO) -> int:
    for cls, code, advice in _ADVICE:
        if isinstance(exc, cls):
            err.write(f"error: {exc}\nhint: {advice}\n")
            return code
    err.write(f"error: {exc}\n")
    return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
