"""Section 1: import time, each module in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

from _harness import Budget, Result, Settings, measure

SECTION = "import"
PLUS = 0.1  # seconds an adapter may add to its framework's import

# (row, module, floor row, budget); the floors come first.
ROWS: tuple[tuple[str, str, str | None, Budget | None], ...] = (
    ("httpx", "httpx", None, None),
    ("databricks_claude (core)", "databricks_claude", "httpx", None),
    ("langchain_core.language_models", "langchain_core.language_models", None, None),
    ("langchain_databricks_claude", "langchain_databricks_claude",
     "langchain_core.language_models", Budget("langchain_core.language_models", plus=PLUS)),
    ("databricks_langchain", "databricks_langchain", "langchain_core.language_models", None),
    ("llama_index.core.llms", "llama_index.core.llms", None, None),
    ("llama_index_databricks_claude", "llama_index_databricks_claude",
     "llama_index.core.llms", Budget("llama_index.core.llms", plus=PLUS)),
    ("llama_index.llms.databricks", "llama_index.llms.databricks", "llama_index.core.llms", None),
)

_PROBE = (
    "import time; t = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - t)"
)


def import_seconds(module: str) -> float:
    """Seconds to import `module` in a new interpreter (its start-up excluded)."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "failed")
    return float(out.stdout.strip().splitlines()[-1])


def run(settings: Settings) -> list[Result]:
    """Every import row, medians over fresh processes (the first, which fills caches, dropped)."""
    results = []
    rounds = settings.n(settings.rounds, 3)
    for name, module, floor, budget in ROWS:
        if not settings.wants(SECTION, name):
            continue
        settings.log(f"  import {module}")
        result = Result(SECTION, name, [], floor=floor, budgets=(budget,) if budget else ())
        try:
            result.samples = measure(lambda m=module: import_seconds(m), rounds)
        except Exception as exc:  # a missing optional package is a row, not a crash
            result.error = str(exc)[:120]
        results.append(result)
    return results
