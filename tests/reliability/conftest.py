"""Fixtures of the reliability tests, and the session summary of what they tried and survived.

pytest -q captures prints, so the counts are also written by `pytest_terminal_summary`.
"""

from __future__ import annotations

import pytest

from ._support import COUNTS, LINES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Write the counters collected by the reliability tests at the end of the run."""
    if not COUNTS and not LINES:
        return
    terminalreporter.section("reliability counts")
    for line in LINES:
        terminalreporter.write_line(line)
    for name in sorted(COUNTS):
        terminalreporter.write_line(f"{name}: {COUNTS[name]}")
