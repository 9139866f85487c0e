"""Run every notebook in notebooks/ against the emulator, and check that they ship without outputs.

Each notebook runs in a fresh ipykernel started from this interpreter, with the Databricks workspace
variables removed from the kernel's environment, so the notebooks pick the emulator themselves.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = {
    "langchain_quickstart.ipynb",
    "langgraph_agent.ipynb",
    "llama_index_function_agent.ipynb",
}

KERNEL_NAME = "python3"
CELL_TIMEOUT = 90  # seconds; the emulator answers in milliseconds, so this only catches hangs
STARTUP_TIMEOUT = 60

# Anything that would point a notebook at a real workspace instead of the emulator.
WORKSPACE_VARIABLES = (
    "DATABRICKS_HOST",
    "DATABRICKS_TOKEN",
    "DATABRICKS_CLIENT_ID",
    "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_CONFIG_PROFILE",
    "DATABRICKS_CLAUDE_ENDPOINT",
)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture(scope="session")
def jupyter_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Jupyter data dir whose `python3` kernelspec runs this very interpreter.

    A `python3` kernelspec in the user's own Jupyter dirs could point at another Python; this one
    is searched first (via JUPYTER_PATH), so the kernel always has this environment's packages.
    """
    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return root


@pytest.fixture
def kernel_env(jupyter_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The kernel's environment: no workspace variables, this checkout first on the path."""
    monkeypatch.setenv(
        "JUPYTER_PATH",
        os.pathsep.join(p for p in (str(jupyter_path), os.environ.get("JUPYTER_PATH", "")) if p),
    )
    env = {k: v for k, v in os.environ.items() if k not in WORKSPACE_VARIABLES}
    env["DATABRICKS_CONFIG_FILE"] = os.devnull  # no ~/.databrickscfg profile either
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    yield env


def _code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    return [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]


def _error_text(cell: nbformat.NotebookNode, exc: BaseException) -> str:
    """The cell's error output (traceback without colour codes), after the timeout if one hit."""
    lines = [] if isinstance(exc, CellExecutionError) else [f"{type(exc).__name__}: {exc}"]
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            lines += output.get("traceback", [])
    if not lines:
        lines.append(f"{type(exc).__name__}: {exc}")
    return _ANSI.sub("", "\n".join(lines))


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )


def _run(client: NotebookClient, env: dict[str, str]) -> BaseException | None:
    """Execute the notebook; the cell error, timeout or kernel death, if any."""
    try:
        client.execute(env=env, cwd=str(NOTEBOOKS_DIR))
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        return exc
    return None


def test_expected_notebooks_exist() -> None:
    """The three notebooks the project documents are all there."""
    assert {p.name for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    """Notebooks are valid nbformat 4 and stored cleared: no outputs, no execution counts."""
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == 4
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in _code_cells(nb)
        if cell.get("outputs") or cell.get("execution_count") is not None
    ]
    assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before committing"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_against_the_emulator(path: Path, kernel_env: dict[str, str]) -> None:
    """The notebook runs top to bottom without an error, and says it is using the emulator."""
    nb = nbformat.read(path, as_version=4)
    current: dict[str, Any] = {"index": None}

    def on_cell_start(cell: nbformat.NotebookNode, cell_index: int) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT,
        startup_timeout=STARTUP_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
        on_cell_start=on_cell_start,
    )
    failure = _run(client, kernel_env)
    if failure is not None:
        index = current["index"]
        if index is None:
            pytest.fail(f"{path.name}: the kernel failed before any cell ran: {failure}")
        cell = nb.cells[index]
        # Raised outside the `except` so the report is not preceded by nbclient's own traceback.
        pytest.fail(
            f"{path.name}: cell {index} failed.\n"
            f"--- cell source ---\n{cell.source}\n"
            f"--- error ---\n{_error_text(cell, failure)}",
            pytrace=False,
        )

    first_index, first = _code_cells(nb)[0]
    assert "emulator" in _stdout(first).lower(), (
        f"{path.name}: cell {first_index} should say it uses the emulator; it printed "
        f"{_stdout(first)!r}"
    )
