"""Fixtures of the reliability tests, and the session summary of what they tried and survived.

The counters are filled by the tests (`_support.count`) and summed up here, at the end of the
session, through the terminal reporter: `pytest -q` captures what tests print, not this.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from ._drivers import DRIVERS, Driver
from ._support import COUNTS, LINES

_FIELD = re.compile(r"\{([^{}]+)\}")


def _line(template: str, *required: str) -> Callable[[], str | None]:
    """A summary line: `{name}` reads the counter `name`; shown once any `required` is set."""
    def render() -> str | None:
        if not any(COUNTS[name] for name in required):
            return None
        return _FIELD.sub(lambda match: str(COUNTS[match.group(1)]), template)
    return render


SUMMARY = [
    _line("hostile input, request builder: {request builder: cases} cases, "
          "{request builder: payloads} payloads checked against the request rules, "
          "{request builder: typed refusals} ConfigurationErrors, 0 untyped errors",
          "request builder: cases"),
    _line("hostile input, response parser: {response parser: cases} cases, "
          "{response parser: accepted} accepted and type-checked, "
          "{response parser: typed errors} MalformedResponseErrors, 0 untyped errors",
          "response parser: cases"),
    _line("hostile input, stream accumulator: {stream accumulator: cases} streams "
          "({stream accumulator: feed_data calls} feed_data + "
          "{stream accumulator: feed_chunk calls} feed_chunk calls), "
          "{stream accumulator: typed errors} MalformedResponseErrors, 0 untyped, 0 deltas "
          "lost or duplicated (deltas a failing chunk applied travel with its error); "
          "SSE framing {sse framing: cases} cases", "stream accumulator: cases"),
    _line("cross-check: {cross-check: cases} well-formed conversations, "
          "{cross-check: payloads accepted by both} payloads accepted by the emulator's strict "
          "rules, {cross-check: refused by the builder (by design)} refused by design, "
          "0 disagreements", "cross-check: cases"),
    _line("fault matrix: {fault matrix: cases} cases, {fault matrix: faults injected} faults "
          "injected, {fault matrix: faults survived} survived, {fault matrix: typed errors raised} "
          "typed errors raised, {fault matrix: partial outputs handed back intact} partial "
          "outputs handed back intact, {fault matrix: retries made} retries (all bounded), "
          "{fault matrix: hostile bodies answered with a typed error} hostile bodies answered "
          "with a typed error",
          "fault matrix: cases"),
    _line("stream resume: {stream resume: interrupted streams resumed seamlessly} interrupted "
          "streams resumed seamlessly, {stream resume: partial results handed back} partial "
          "results handed back where resuming is not allowed",
          "stream resume: interrupted streams resumed seamlessly",
          "stream resume: partial results handed back"),
    _line("load: {load: calls completed} calls completed, {load: 429 answered} answered 429 and "
          "{load: 503 answered} 503 under load, {load: rate-limit 429s absorbed} rate-limit 429s "
          "absorbed by backoff; 0 failed, 0 duplicated", "load: calls completed"),
    _line("secrets: {secrets: calls made} calls, {secrets: exceptions inspected} exceptions "
          "({secrets: exceptions pickled} pickled), {secrets: objects inspected} objects "
          "serialized, {secrets: log records scanned} debug log records, "
          "{secrets: artifacts scanned} artifacts scanned: 0 leaks; "
          "{secrets: plain-http hosts refused} plain-http hosts refused, "
          "{secrets: redirects refused} redirects refused", "secrets: artifacts scanned",
          "secrets: plain-http hosts refused", "secrets: redirects refused"),
]


def summary_lines() -> list[str]:
    """The summary: one line per area that ran, then the per-test lines the tests reported."""
    lines = [line for line in (render() for render in SUMMARY) if line is not None]
    return lines + LINES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Write what the reliability tests tried and survived at the end of the run."""
    lines = summary_lines()
    if not lines:
        return
    terminalreporter.section("reliability: cases tried, faults survived, load held")
    for line in lines:
        terminalreporter.write_line(line)


@pytest.fixture(scope="module", autouse=True)
def _print_counts() -> Iterator[None]:
    """After each module, print the running totals to stdout (shown with -s, or on failure)."""
    yield
    for line in summary_lines():
        print(line)


@pytest.fixture(params=sorted(DRIVERS))
def driver(request: pytest.FixtureRequest) -> Driver:
    """Each public surface in turn: core client, LangChain, LlamaIndex."""
    return DRIVERS[request.param]()
