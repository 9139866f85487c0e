"""Timing, results and the markdown table shared by every benchmark section."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any


@dataclass(frozen=True)
class Budget:
    """A budget against a floor row: `ratio` x the floor, or the floor + `plus` seconds."""

    floor: str
    ratio: float | None = None
    plus: float | None = None

    def limit(self, floor_value: float) -> float:
        """The largest value the row may have, given the floor's value."""
        if self.ratio is not None:
            return floor_value * self.ratio
        return floor_value + (self.plus or 0.0)

    def describe(self) -> str:
        """The budget as text for the table."""
        if self.ratio is not None:
            return f"<= {self.ratio:g}x {self.floor}"
        return f"<= {self.floor} + {self.plus:g} s"


@dataclass
class Result:
    """One measured row: the median of its rounds, in seconds."""

    section: str
    name: str
    samples: list[float]
    unit: str = "s"
    floor: str | None = None
    budgets: tuple[Budget, ...] = ()
    note: str = ""
    error: str | None = None

    @property
    def median(self) -> float:
        """The median of the rounds (NaN when the row failed)."""
        return statistics.median(self.samples) if self.samples else float("nan")


@dataclass
class Settings:
    """What the run was asked to do."""

    quick: bool = False
    only: tuple[str, ...] = ()
    rounds: int = 5
    log: Callable[[str], None] = field(default=print)

    def wants(self, section: str, row: str = "") -> bool:
        """Whether `--only` selects this section (and row, when given)."""
        if not self.only:
            return True
        text = f"{section}/{row}".lower()
        return any(word.lower() in text for word in self.only)

    def n(self, full: int, quick: int) -> int:
        """A count for this run: `quick` under --quick, otherwise `full`."""
        return quick if self.quick else full


def measure(
    one_round: Callable[[], float], rounds: int, warmups: int = 1
) -> list[float]:
    """Run `one_round` warmups + rounds times and keep the timings after the warmups.

    `one_round` returns its own elapsed time so that each row can leave its setup out.
    The collector runs between rounds, never during one, so a round does not pay for the
    garbage of the previous one.
    """
    samples: list[float] = []
    for i in range(warmups + rounds):
        gc.collect()
        elapsed = one_round()
        if i >= warmups:
            samples.append(elapsed)
    return samples


def row(settings: Settings, section: str, name: str, run: Callable[[], list[float]],
        **fields: Any) -> Result | None:
    """Measure one row when `--only` selects it; a failure becomes a row that says why."""
    if not settings.wants(section, name):
        return None
    settings.log(f"  {section}: {name}")
    result = Result(section, name, [], **fields)
    try:
        result.samples = run()
    except Exception as exc:  # an integration that breaks is a finding, not a crash
        result.error = f"{type(exc).__name__}: {exc}"[:160]
    return result


def timed(fn: Callable[[], object]) -> float:
    """The wall time of one call of `fn`, in seconds."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def format_value(seconds: float, unit: str) -> str:
    """Seconds shown in the row's unit."""
    if seconds != seconds:  # NaN: the row failed
        return "n/a"
    if unit == "ms":
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds:.3f} s"


def _key(section: str, name: str | None) -> str:
    return f"{section}/{name}"


def _ratio_text(result: Result, by_name: dict[str, Result]) -> str:
    floor = by_name.get(_key(result.section, result.floor))
    if floor is None or floor is result or not floor.samples or not result.samples:
        return ""
    return f"{result.median / floor.median:.2f}x"


def _verdict(result: Result, by_name: dict[str, Result]) -> tuple[str, str]:
    budgets, verdicts = [], []
    for budget in result.budgets:
        floor = by_name.get(_key(result.section, budget.floor))
        budgets.append(budget.describe())
        if floor is None or not floor.samples or not result.samples:
            verdicts.append("?")
            continue
        limit = budget.limit(floor.median)
        ok = result.median <= limit
        verdicts.append(f"{'met' if ok else 'MISSED'} ({format_value(limit, result.unit)})")
    return "; ".join(budgets), "; ".join(verdicts)


def render_table(results: Sequence[Result]) -> str:
    """The results as one markdown table, one section after another."""
    by_name = {_key(r.section, r.name): r for r in results}
    lines = [
        "| section | row | median | ratio to floor | budget | verdict | rounds | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        budget, verdict = _verdict(r, by_name)
        note = (r.error and f"failed: {r.error}") or r.note
        ratio = _ratio_text(r, by_name)
        floor = f"{ratio} {r.floor}" if ratio else ""
        lines.append(
            f"| {r.section} | {r.name} | {format_value(r.median, r.unit)} | {floor} | {budget} "
            f"| {verdict} | {len(r.samples)} | {note.replace('|', '/')} |"
        )
    return "\n".join(lines)


PACKAGES = (
    "databricks-claude",
    "httpx",
    "httpx-aiohttp",
    "aiohttp",
    "pydantic",
    "langchain-core",
    "llama-index-core",
    "databricks-langchain",
    "databricks-openai",
    "openai",
    "databricks-sdk",
    "llama-index-llms-databricks",
    "llama-index-llms-openai",
    "starlette",
    "uvicorn",
)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return f"{pages / 2**30:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        return "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def machine_description() -> str:
    """CPU, cores, memory, OS, Python and the versions of the packages measured."""
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    return "\n".join(
        [
            f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores",
            f"- memory: {_memory_gib()}",
            f"- OS: {platform.platform()}",
            f"- Python: {sys.version.split()[0]} ({platform.python_implementation()})",
            f"- git revision: {_git_revision()}",
            f"- packages: {versions}",
        ]
    )
