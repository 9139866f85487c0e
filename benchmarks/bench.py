"""Benchmarks: this project beside the raw HTTP floors, the frameworks' own floors and the
existing Databricks integrations, side by side in one run against one emulator.

    pip install -e ".[bench]"
    python benchmarks/bench.py                 # everything, a few minutes; writes RESULTS.md
    python benchmarks/bench.py --quick         # fewer rounds, for a quick look
    python benchmarks/bench.py --only stream --only import   # sections or rows by name

Sections: import, invoke, stream, concurrent, agent, messages route. Medians over rounds,
warm-ups excluded; each row's ratio is to the floor of its section, and budgets are checked
(docs/design-rules.md#performance-budgets).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _agent
import _concurrent
import _imports
import _messages
import _sequential
import _server
from _harness import Result, Settings, machine_description, render_table
from _subjects import quiet_environment

HERE = Path(__file__).resolve().parent


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and calls")
    parser.add_argument("--only", action="append", default=[], metavar="ROW",
                        help="run only sections/rows whose 'section/row' contains this text "
                             "(repeatable; e.g. stream, invoke/core, concurrent, agent)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per fast row (default 5)")
    parser.add_argument("--server", choices=("process", "thread"), default="process",
                        help="run the emulator in a child process (default) or a thread")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md",
                        help="where to write the markdown report ('-' for none)")
    return parser.parse_args(argv)


def run_sections(settings: Settings, server: str) -> list[Result]:
    """Every selected section, in order; the emulator started once for all that need it."""
    results: list[Result] = []
    if settings.wants("import"):
        settings.log("import times (fresh processes)")
        results += _imports.run(settings)
    if settings.only and all(word.lower() == "import" for word in settings.only):
        return results
    with _server.start(server) as target:
        settings.log(f"emulator at {target.host} ({target.mode})")
        # Each section measures only the rows that --only selects.
        results += _sequential.run_invoke(settings, target)
        results += _sequential.run_stream(settings, target)
        results += _concurrent.run(settings, target)
        results += _agent.run(settings, target)
        results += _messages.run(settings, target)
    return results


def fast_construction() -> str:
    """Whether the adapters build their per-delta objects the fast way in this process, or
    which constructors fell back to validation, and why (`databricks_claude._fastmodel`)."""
    from databricks_claude import _fastmodel

    for adapter in ("langchain_databricks_claude._fast", "llama_index_databricks_claude._fast"):
        with contextlib.suppress(ImportError):  # declares that adapter's constructors
            importlib.import_module(adapter)
    _fastmodel.warm_up()  # already done by every model built above; checks what none used
    status = _fastmodel.report()
    slow = [f"{name}: {text}" for name, text in status.items() if text != "fast"]
    if not slow:
        return f"all {len(status)} per-delta constructors fast."
    return f"FALLBACK to validation ({len(slow)} of {len(status)}): " + "; ".join(slow)


def report(results: Sequence[Result], settings: Settings, server: str, seconds: float) -> str:
    """The markdown report: how it was run, the machine, the table."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    mode = "quick" if settings.quick else f"{settings.rounds} rounds per fast row"
    return "\n".join([
        "# Benchmark results",
        "",
        f"`python benchmarks/bench.py{' --quick' if settings.quick else ''}` ({mode}; emulator in "
        f"a {server}; {seconds:.0f} s in all; load average at the end: {load}).",
        "Medians over rounds, warm-ups excluded. Ratios are to the floor named beside them.",
        f"Fast construction: {fast_construction()}",
        "",
        "## Machine",
        "",
        machine_description(),
        "",
        "## Results",
        "",
        render_table(results),
        "",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks, print the table, write the report."""
    args = parse_args(argv)
    quiet_environment()
    settings = Settings(quick=args.quick, only=tuple(args.only), rounds=args.rounds,
                        log=lambda line: print(line, file=sys.stderr, flush=True))
    start = time.perf_counter()
    results = run_sections(settings, args.server)
    text = report(results, settings, args.server, time.perf_counter() - start)
    print(text)
    if str(args.output) != "-":
        args.output.write_text(text, encoding="utf-8")
        settings.log(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
