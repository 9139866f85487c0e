"""Sections 2 and 3: sequential invoke latency, and long streams."""

from __future__ import annotations

import time
from collections.abc import Callable

from _floors import LangChainFloor, LlamaIndexFloor
from _harness import Budget, Result, Settings, measure, row
from _server import Target
from _subjects import PROMPT, SUBJECTS, Subject

INVOKE = "invoke"
STREAM = "stream"
LC_FLOOR = "LangChain floor (prebuilt chunks)"
LC_BUILT = "LangChain floor (chunks built per delta)"
LI_FLOOR = "LlamaIndex floor (prebuilt chunks)"
LI_BUILT = "LlamaIndex floor (chunks built per delta)"
FLOORS = {LC_FLOOR: ("langchain", True), LC_BUILT: ("langchain", False),
          LI_FLOOR: ("llama-index", True), LI_BUILT: ("llama-index", False)}
OURS = ("core client", "ChatDatabricksClaude", "DatabricksClaude (llama-index)")
EXISTING = ("databricks_langchain.ChatDatabricks", "llama_index.llms.databricks.Databricks")
DELTAS = 20_000
LONG_DELTAS = 200_000


def _invoke_rounds(subject: Subject, calls: int, rounds: int) -> list[float]:
    def one_round() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            subject.invoke()
        return (time.perf_counter() - start) / calls

    try:
        return measure(one_round, rounds)
    finally:
        subject.close()


def run_invoke(settings: Settings, target: Target) -> list[Result]:
    """Per-call latency of a short answer, one call after another on a warm client."""
    calls, rounds = settings.n(200, 40), settings.n(settings.rounds, 3)
    budget = (Budget("raw httpx", ratio=1.5),)
    results = []
    for name, factory in SUBJECTS.items():
        if name == "raw aiohttp":
            continue
        fields = {"unit": "ms", "floor": None if name == "raw httpx" else "raw httpx",
                  "budgets": budget if name in OURS else ()}
        results.append(row(settings, INVOKE, name,
                            lambda f=factory: _invoke_rounds(f(target), calls, rounds),
                            **fields))
    return [r for r in results if r is not None]


def _stream_rounds(target: Target, subject: Subject, deltas: int, rounds: int) -> list[float]:
    target.reset()
    target.script_streams(deltas, rounds + 1)

    def one_round() -> float:
        start = time.perf_counter()
        seen = subject.stream()
        elapsed = time.perf_counter() - start
        if seen < deltas:
            raise RuntimeError(f"saw {seen} chunks, expected {deltas}")
        return elapsed

    try:
        return measure(one_round, rounds)
    finally:
        subject.close()
        target.reset()


def _floor_rounds(floor: LangChainFloor | LlamaIndexFloor, deltas: int,
                  rounds: int) -> list[float]:
    def one_round() -> float:
        floor.prepare(deltas)  # building the chunks is not the framework's cost
        start = time.perf_counter()
        if isinstance(floor, LangChainFloor):
            for _ in floor.stream(PROMPT):
                pass
        else:
            from llama_index.core.llms import ChatMessage

            for _ in floor.stream_chat([ChatMessage(role="user", content=PROMPT)]):
                pass
        return time.perf_counter() - start

    return measure(one_round, rounds)


def _stream_plan() -> list[tuple[str, str | None, tuple[Budget, ...]]]:
    """(row, floor row, budgets) of the 20,000-delta rows, in table order."""
    lc = (Budget(LC_FLOOR, ratio=1.3), Budget(LC_BUILT, ratio=1.3))
    li = (Budget(LI_FLOOR, ratio=1.3), Budget(LI_BUILT, ratio=1.3))
    return [
        ("raw httpx", None, ()),
        ("core client", "raw httpx", ()),
        (LC_FLOOR, None, ()),
        (LC_BUILT, LC_FLOOR, ()),
        ("ChatDatabricksClaude", LC_FLOOR, lc),
        (EXISTING[0], LC_FLOOR, ()),
        (LI_FLOOR, None, ()),
        (LI_BUILT, LI_FLOOR, ()),
        ("DatabricksClaude (llama-index)", LI_FLOOR, li),
        (EXISTING[1], LI_FLOOR, ()),
    ]


def _long_name(name: str) -> str:
    return f"{name}, 200,000 deltas"


def run_stream(settings: Settings, target: Target) -> list[Result]:
    """20,000-delta streams for everyone, then 200,000 for this project (and the floors)."""
    rounds = settings.n(settings.rounds, 2)
    slow_rounds = settings.n(3, 1)
    results = []
    for name, floor, budgets in _stream_plan():
        n = slow_rounds if name in EXISTING else rounds
        results.append(row(settings, STREAM, name, _stream_runner(target, name, DELTAS, n),
                            floor=floor, budgets=budgets))
    for name in ("raw httpx", *FLOORS, *OURS):
        budgets = (Budget(name, ratio=12),) if name in OURS else ()
        results.append(row(settings, STREAM, _long_name(name),
                            _stream_runner(target, name, LONG_DELTAS, slow_rounds),
                            floor=name, budgets=budgets))
    return [r for r in results if r is not None]


def _stream_runner(target: Target, name: str, deltas: int,
                   rounds: int) -> Callable[[], list[float]]:
    if name in FLOORS:
        framework, prebuilt = FLOORS[name]
        cls = LangChainFloor if framework == "langchain" else LlamaIndexFloor
        return lambda: _floor_rounds(cls(prebuilt=prebuilt), deltas, rounds)
    factory = SUBJECTS[name]
    return lambda: _stream_rounds(target, factory(target), deltas, rounds)
