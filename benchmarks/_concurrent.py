"""Section 4: 500 concurrent async calls, on a warm client and as the first burst of a fresh one."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import time
from collections.abc import Callable, Iterator

from _harness import Budget, Result, Settings, row
from _server import Target
from _subjects import SUBJECTS, Factory, Subject, raw_httpx_over_aiohttp

WARM = "500 concurrent, warm"
COLD = "500 concurrent, fresh client"
CALLS = 500
PLAIN_HTTPX = "core client (plain httpx backend)"
HTTPX_AIOHTTP = "raw httpx (httpx-aiohttp transport)"
BACKEND_ENV = "DATABRICKS_CLAUDE_HTTP_BACKEND"
OURS = ("core client", PLAIN_HTTPX, "ChatDatabricksClaude", "DatabricksClaude (llama-index)")
BUDGETS = (Budget("raw httpx", ratio=1.2), Budget("raw aiohttp", ratio=2.0))


async def burst(subject: Subject, calls: int) -> float:
    """Seconds for `calls` concurrent `ainvoke`s to all finish."""
    start = time.perf_counter()
    await asyncio.gather(*(subject.ainvoke() for _ in range(calls)))
    return time.perf_counter() - start


@contextlib.contextmanager
def _backend(name: str) -> Iterator[None]:
    """Force the core's plain-httpx async transport for the row that measures it."""
    if name != PLAIN_HTTPX:
        yield
        return
    old = os.environ.get(BACKEND_ENV)
    os.environ[BACKEND_ENV] = "httpx"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(BACKEND_ENV, None)
        else:
            os.environ[BACKEND_ENV] = old


def warm_samples(factory: Factory, target: Target, calls: int, rounds: int) -> list[float]:
    """Bursts on one client, in one event loop; the first burst (which opens the pool) dropped."""

    async def main() -> list[float]:
        subject = factory(target)
        samples = []
        try:
            for i in range(rounds + 1):
                gc.collect()
                elapsed = await burst(subject, calls)
                if i:
                    samples.append(elapsed)
        finally:
            await subject.aclose()
        return samples

    return asyncio.run(main())


def cold_samples(factory: Factory, target: Target, calls: int, rounds: int) -> list[float]:
    """One burst per fresh client and event loop (the object is built before the clock starts);
    the first round, which also pays for lazy imports, dropped."""

    async def one() -> float:
        subject = factory(target)
        try:
            return await burst(subject, calls)
        finally:
            await subject.aclose()

    samples = []
    for i in range(rounds + 1):
        gc.collect()
        elapsed = asyncio.run(one())
        if i:
            samples.append(elapsed)
    return samples


def _plan() -> list[tuple[str, Factory]]:
    rows = list(SUBJECTS.items())
    rows.insert(2, (HTTPX_AIOHTTP, raw_httpx_over_aiohttp))
    rows.insert(4, (PLAIN_HTTPX, SUBJECTS["core client"]))
    return rows


def run(settings: Settings, target: Target) -> list[Result]:
    """Warm and fresh-client bursts for every subject; budgets against both raw floors."""
    calls = CALLS
    results = []
    plans: tuple[tuple[str, Callable[..., list[float]], int], ...] = (
        (WARM, warm_samples, settings.n(settings.rounds, 2)),
        (COLD, cold_samples, settings.n(3, 1)),
    )
    for section, sampler, rounds in plans:
        for name, factory in _plan():
            floor = None if name == "raw aiohttp" else "raw aiohttp"

            def run_row(n: str = name, f: Factory = factory,
                        s: Callable[..., list[float]] = sampler, r: int = rounds) -> list[float]:
                with _backend(n):
                    return s(f, target, calls, r)

            results.append(row(settings, section, name, run_row, floor=floor,
                                budgets=BUDGETS if name in OURS else ()))
    return [r for r in results if r is not None]
