"""Section 1: import time, each module in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys

from _harness import Budget, Result, Settings, measure, row

SECTION = "import"
PLUS = 0.1  # seconds an adapter may add to its framework's import

LC = "langchain_core BaseChatModel"
LI = "llama_index.core.llms"

# (row, import statement, floor row, budget); the floors come first. `langchain_core.
# language_models` imports its classes lazily, so its floor is the statement every LangChain
# chat model runs: importing BaseChatModel.
ROWS: tuple[tuple[str, str, str | None, Budget | None], ...] = (
    ("httpx", "import httpx", None, None),
    ("databricks_claude (core)", "from databricks_claude import DatabricksClaudeClient",
     "httpx", None),
    (LC, "from langchain_core.language_models import BaseChatModel", None, None),
    ("langchain_databricks_claude", "from langchain_databricks_claude import ChatDatabricksClaude",
     LC, Budget(LC, plus=PLUS)),
    ("databricks_langchain", "from databricks_langchain import ChatDatabricks", LC, None),
    (LI, "import llama_index.core.llms", None, None),
    ("llama_index_databricks_claude",
     "from llama_index_databricks_claude import DatabricksClaude", LI, Budget(LI, plus=PLUS)),
    ("llama_index.llms.databricks", "from llama_index.llms.databricks import Databricks", LI,
     None),
)

_PROBE = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"


def import_seconds(statement: str) -> float:
    """Seconds to run an import statement in a new interpreter (its start-up excluded)."""
    # Bytecode must be written and reused, as in any installed package: with
    # PYTHONDONTWRITEBYTECODE set (some shells set it), a source checkout is recompiled on every
    # import while site-packages keeps its .pyc files, which would time the compiler, not us.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(statement=statement)],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "failed")
    return float(out.stdout.strip().splitlines()[-1])


def run(settings: Settings) -> list[Result]:
    """Every import row, medians over fresh processes (the first, which fills caches, dropped)."""
    results = []
    rounds = settings.n(settings.rounds, 3)
    for name, statement, floor, budget in ROWS:
        results.append(row(settings, SECTION, name,
                           lambda s=statement: measure(lambda: import_seconds(s), rounds),
                           floor=floor, budgets=(budget,) if budget else (), note=statement))
    return [r for r in results if r is not None]
