"""Mutation testing for the core's hot modules: how much of their behaviour the tests notice.

    python tools/mutation.py                       # the default modules, each with its own tests
    python tools/mutation.py databricks_claude/codecs/chat/stream.py --tests tests/test_stream.py
    python tools/mutation.py databricks_claude/schema.py --sample 100 --seed 1
    python tools/mutation.py databricks_claude/codecs/chat/stream.py --list    # the mutants only

Each mutant is one small change to the module's syntax tree (a comparison flipped, a boolean
operator swapped, a condition negated, a constant changed, a return value dropped, a call
statement removed). The mutated module is written into a private copy of the repository and
the chosen tests run there; a mutant is killed when they fail. The score is killed / total, and
every survivor is listed with its line, so each one becomes a test or a written reason why it
is equivalent. Run by hand, like the benchmarks: it takes minutes, not seconds.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("databricks_claude", "databricks_claude_cli", "langchain_databricks_claude",
          "llama_index_databricks_claude", "tests", "pyproject.toml")

# The hot modules of the core and the tests that own them (their own and the hostile ones):
# the stream accumulator, the request builder (the chat codec's request and history, the shared
# schema cleaning and the wire-neutral rules), the response parser and the retry decisions.
_STREAM_TESTS = ("tests/test_stream.py", "tests/test_stream_survivors.py",
                 "tests/reliability/test_hostile_stream.py")
_REQUEST_TESTS = ("tests/test_request.py", "tests/test_request_survivors.py",
                  "tests/reliability/test_hostile_request.py")
_RESPONSE_TESTS = ("tests/test_response.py", "tests/reliability/test_hostile_response.py")
DEFAULT_TARGETS: dict[str, tuple[str, ...]] = {
    "databricks_claude/codecs/chat/stream.py": _STREAM_TESTS,
    "databricks_claude/codecs/chat/request.py": _REQUEST_TESTS,
    "databricks_claude/codecs/chat/history.py": _REQUEST_TESTS,
    "databricks_claude/schema.py": _REQUEST_TESTS,
    "databricks_claude/rules/thinking.py": _REQUEST_TESTS,
    "databricks_claude/rules/sampling.py": _REQUEST_TESTS,
    "databricks_claude/rules/tool_choice.py": _REQUEST_TESTS,
    "databricks_claude/codecs/chat/response.py": _RESPONSE_TESTS,
    "databricks_claude/blocks.py": (*_RESPONSE_TESTS, *_REQUEST_TESTS),
    "databricks_claude/_retry.py": ("tests/test_client.py",),
}

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
    ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult, ast.Mod: ast.FloorDiv, ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr,
}
# Calls whose string arguments are prose for people (messages), not behaviour.
_PROSE_CALLS = frozenset({"_warn", "warn", "debug", "info", "warning", "error", "exception"})


@dataclass(frozen=True)
class Mutant:
    """One change: the index of the node in `ast.walk` order, what it does, and where."""

    node_index: int
    kind: str
    line: int
    before: str
    after: str


@dataclass(frozen=True)
class Outcome:
    """What the tests said about one mutant."""

    mutant: Mutant
    killed: bool
    reason: str


def _prose_nodes(tree: ast.AST) -> set[int]:
    """Ids of nodes that only make up messages: docstrings, raise arguments, warnings, logs."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        roots: list[ast.AST] = []
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                roots.append(body[0])
        if isinstance(node, ast.Raise) and node.exc is not None:
            roots.append(node.exc)
        if isinstance(node, ast.Call) and _call_name(node) in _PROSE_CALLS:
            roots.extend(node.args)
        if isinstance(node, (ast.arg, ast.AnnAssign)) and node.annotation is not None:
            roots.append(node.annotation)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            roots.append(node.returns)
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            roots.append(node)  # the export list: renaming an entry only breaks star-imports
        for root in roots:
            skipped.update(id(child) for child in ast.walk(root))
    return skipped


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _constant_change(value: object) -> object | None:
    """The changed constant, or None when this constant is not mutated."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 2 + 1
    if isinstance(value, str) and value:
        return f"XX{value}XX"
    if isinstance(value, str):
        return "XX"
    return None


def _changes(node: ast.AST) -> Iterator[tuple[str, Callable[[ast.AST], ast.AST | None]]]:
    """Every mutation of this one node: (kind, a function that applies it to a copy)."""
    if isinstance(node, ast.Compare) and type(node.ops[0]) in _COMPARE_SWAPS:
        def flip(n: ast.AST) -> None:
            assert isinstance(n, ast.Compare)
            n.ops[0] = _COMPARE_SWAPS[type(n.ops[0])]()
        yield "compare", flip
    if isinstance(node, ast.BoolOp):
        def swap(n: ast.AST) -> None:
            assert isinstance(n, ast.BoolOp)
            n.op = ast.Or() if isinstance(n.op, ast.And) else ast.And()
        yield "boolop", swap
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
        def arith(n: ast.AST) -> None:
            assert isinstance(n, ast.BinOp)
            n.op = _BINOP_SWAPS[type(n.op)]()
        yield "binop", arith
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "drop-not", lambda n: n.operand  # type: ignore[attr-defined]
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        def negate(n: ast.AST) -> None:
            n.test = ast.UnaryOp(op=ast.Not(), operand=n.test)  # type: ignore[attr-defined]
        yield "negate", negate
    yield from _value_changes(node)


def _value_changes(node: ast.AST) -> Iterator[tuple[str, Callable[[ast.AST], ast.AST | None]]]:
    """Mutations of constants, returns and call statements."""
    if isinstance(node, ast.Constant) and _constant_change(node.value) is not None:
        def change(n: ast.AST) -> None:
            n.value = _constant_change(n.value)  # type: ignore[attr-defined]
        yield "constant", change
    if isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        def drop(n: ast.AST) -> None:
            n.value = ast.Constant(value=None)  # type: ignore[attr-defined]
        yield "return-none", drop
    if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Call, ast.Await)):
        yield "drop-call", lambda n: ast.Pass()
    if isinstance(node, (ast.Break, ast.Continue)):
        yield "loop-jump", lambda n: ast.Continue() if isinstance(n, ast.Break) else ast.Break()


def _snippet(node: ast.AST) -> str:
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= 70 else text[:67] + "..."


def enumerate_mutants(source: str) -> list[Mutant]:
    """Every mutant of a module's source, in a stable order."""
    tree = ast.parse(source)
    skipped = _prose_nodes(tree)
    mutants: list[Mutant] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skipped or not hasattr(node, "lineno"):
            continue
        for kind, _ in _changes(node):
            mutated = apply_mutant(tree, Mutant(index, kind, 0, "", ""))
            after_node = list(ast.walk(mutated))[index] if mutated is not None else None
            after = _replacement_snippet(mutated, index, after_node)
            mutants.append(Mutant(index, kind, node.lineno, _snippet(node), after))
    return mutants


def _replacement_snippet(mutated: ast.AST | None, index: int, node: ast.AST | None) -> str:
    if mutated is None or node is None:
        return "?"
    return _snippet(node)


def apply_mutant(tree: ast.AST, mutant: Mutant) -> ast.Module | None:
    """A copy of the tree with this mutant applied (the same walk order finds the node)."""
    clone = copy.deepcopy(tree)
    parents = {id(child): parent for parent in ast.walk(clone)
               for child in ast.iter_child_nodes(parent)}
    target = list(ast.walk(clone))[mutant.node_index]
    change = dict(_changes(target)).get(mutant.kind)
    if change is None:
        return None
    replacement = change(target)
    if replacement is not None and replacement is not target:
        _replace(parents[id(target)], target, replacement)
    assert isinstance(clone, ast.Module)
    return ast.fix_missing_locations(clone)


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    """Put `new` where `old` sits in its parent (a field or a list field)."""
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list) and any(item is old for item in value):
            value[next(i for i, item in enumerate(value) if item is old)] = new
            return


class Workspace:
    """A private copy of the repository where one mutant at a time replaces one module."""

    def __init__(self, base: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mutation-", dir=base))
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, self.root / name,
                                ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
            else:
                shutil.copy2(source, self.root / name)

    def run(self, module: str, source: str, tests: Sequence[str], timeout: float,
            scale: float = 1.0) -> str:
        """Write `source` as `module`, run the tests; 'passed', 'failed' or 'timeout'."""
        (self.root / module).write_text(source)
        command = [sys.executable, "-m", "pytest", "-x", "-q", "--no-header",
                   "-p", "no:cacheprovider", "--timeout", str(int(timeout) + 1), *tests]
        # RELIABILITY_SCALE shrinks the hostile suites' example counts (tests/reliability).
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "RELIABILITY_SCALE": str(scale)}
        try:
            done = subprocess.run(command, cwd=self.root, env=env, capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout"
        return "passed" if done.returncode == 0 else "failed"


def run_module(module: str, tests: Sequence[str], mutants: Sequence[Mutant], workers: int,
               base: Path, scale: float = 1.0) -> list[Outcome]:
    """Run every mutant of one module on `workers` private copies; the outcomes in order."""
    original = (ROOT / module).read_text()
    tree = ast.parse(original)
    spaces = [Workspace(base) for _ in range(workers)]
    started = time.perf_counter()
    if spaces[0].run(module, original, tests, 1800, scale) != "passed":
        raise SystemExit(f"the tests fail on the unmutated {module}: fix them first")
    budget = max(10.0, 3 * (time.perf_counter() - started))
    free: list[Workspace] = list(spaces)

    def one(mutant: Mutant) -> Outcome:
        space = free.pop()
        try:
            mutated = apply_mutant(tree, mutant)
            if mutated is None:
                return Outcome(mutant, True, "not applicable")
            verdict = space.run(module, ast.unparse(mutated), tests, budget, scale)
            return Outcome(mutant, verdict != "passed", str(verdict))
        finally:
            free.append(space)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(one, mutants))
    for space in spaces:
        shutil.rmtree(space.root, ignore_errors=True)
    return outcomes


def report(module: str, outcomes: Sequence[Outcome], elapsed: float) -> str:
    """The score line and the survivors of one module."""
    killed = sum(outcome.killed for outcome in outcomes)
    total = len(outcomes)
    score = 100.0 * killed / total if total else 100.0
    lines = [f"{module}: {killed}/{total} killed, score {score:.1f}% ({elapsed:.0f} s)"]
    for outcome in outcomes:
        if not outcome.killed:
            m = outcome.mutant
            lines.append(f"  survived  line {m.line:>4}  {m.kind:<11} {m.before}  ->  {m.after}")
    return "\n".join(lines)


def select(mutants: list[Mutant], sample: int | None, seed: int) -> list[Mutant]:
    """All mutants, or a seeded sample of them (kept in source order)."""
    if sample is None or sample >= len(mutants):
        return mutants
    chosen = random.Random(seed).sample(range(len(mutants)), sample)
    return [mutants[i] for i in sorted(chosen)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module paths (default: the hot modules)")
    parser.add_argument("--tests", nargs="+", help="test files to run (default: the module's own)")
    parser.add_argument("--sample", type=int, help="run a seeded sample of this many mutants")
    parser.add_argument("--seed", type=int, default=1, help="the sample's seed (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="parallel copies (default 2)")
    parser.add_argument("--scale", type=float, default=0.05,
                        help="RELIABILITY_SCALE for the hostile suites (default 0.05)")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mutants of each module and print a score per module with its survivors."""
    args = parse_args(argv)
    modules = args.modules or list(DEFAULT_TARGETS)
    base = Path(tempfile.mkdtemp(prefix="mutation-runs-"))
    try:
        for module in modules:
            own = DEFAULT_TARGETS.get(module, ())
            tests = args.tests or [test for test in own if (ROOT / test).exists()]
            mutants = select(enumerate_mutants((ROOT / module).read_text()), args.sample, args.seed)
            if args.list:
                for m in mutants:
                    print(f"line {m.line:>4}  {m.kind:<11} {m.before}  ->  {m.after}")
                continue
            if not tests:
                raise SystemExit(f"no tests for {module}: pass --tests")
            started = time.perf_counter()
            outcomes = run_module(module, tests, mutants, args.workers, base, args.scale)
            print(report(module, outcomes, time.perf_counter() - started), flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
