"""Load: 1,000 concurrent async calls through faults, and a QPS-limited emulator.

* 1,000 concurrent calls per surface while about 10% of requests are answered 429 and 2% 503:
  every call completes with its own answer (none lost, none duplicated), and retries are
  bounded. The emulator has no probabilistic fault mode, so a seeded pattern of faults is queued
  (429 / 503 / a zero-second stall that changes nothing), consumed in arrival order.
* `Emulator(rate_limit_qps=Q)`: LangChain `abatch` with `max_concurrency`, and an
  `asyncio.Semaphore` around the core client and LlamaIndex, finish every call by backing off
  on the 429s (Retry-After: 1) instead of failing.

Waits are real here (short: `max_retry_wait` where the surface exposes it).
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from databricks_claude.emulator import Emulator

from ._drivers import DRIVERS
from ._support import count, report

CALLS = 1_000
MAX_RETRIES = 6  # a call fails only if 7 attempts in a row hit a fault: p ~ 0.12**7
_ID = re.compile(r"load call (\d{4})")


def _queue_faults(emu: Emulator, length: int, seed: int) -> list[str]:
    """A seeded pattern: ~10% 429 (half with Retry-After: 0), ~2% 503, else a no-op fault."""
    rnd = random.Random(seed)
    pattern = []
    for _ in range(length):
        roll = rnd.random()
        if roll < 0.10:
            params = {"retry_after": 0} if rnd.random() < 0.5 else {}
            emu.fault("status", status=429, **params)
            pattern.append("429")
        elif roll < 0.12:
            emu.fault("status", status=503)
            pattern.append("503")
        else:
            emu.fault("stall", seconds=0.0)
            pattern.append("ok")
    return pattern


def _call_of(text: str) -> int:
    match = _ID.search(text)
    assert match, text
    return int(match.group(1))


async def _gather_core(obj: Any, prompts: list[str]) -> list[str]:
    from databricks_claude.messages import Message

    async def one(prompt: str) -> str:
        return str((await obj.acomplete([Message.user(prompt)])).text)

    try:
        return await asyncio.gather(*(one(p) for p in prompts))
    finally:
        await obj.aclose()


async def _gather_langchain(obj: Any, prompts: list[str], concurrency: int | None = None
                            ) -> list[str]:
    config = {"max_concurrency": concurrency} if concurrency else None
    try:
        messages = await obj.abatch(prompts, config=config)
        return [str(m.text) for m in messages]
    finally:
        await obj.aclose()


async def _gather_llama_index(obj: Any, prompts: list[str]) -> list[str]:
    from llama_index.core.base.llms.types import ChatMessage

    async def one(prompt: str) -> str:
        response = await obj.achat([ChatMessage(role="user", content=prompt)])
        return str(response.message.content)

    try:
        return await asyncio.gather(*(one(p) for p in prompts))
    finally:
        await obj.aclose()


GATHER: dict[str, Callable[..., Awaitable[list[str]]]] = {
    "core": _gather_core, "langchain": _gather_langchain, "llama_index": _gather_llama_index}


@pytest.fixture
def built() -> Iterator[list[tuple[str, Any]]]:
    """Objects made by a test, closed afterwards."""
    objects: list[tuple[str, Any]] = []
    yield objects
    for surface, obj in objects:
        DRIVERS[surface]().close(obj)


@pytest.mark.parametrize("surface", sorted(GATHER))
def test_thousand_concurrent_calls_through_429s_and_503s(surface: str, emulator: Emulator,
                                                         built: list[tuple[str, Any]]) -> None:
    """All 1,000 complete with their own answer; every fault costs exactly one bounded retry."""
    pattern = _queue_faults(emulator, 2 * CALLS, seed=20_261_121)
    obj = DRIVERS[surface]().build(emulator.host, token=emulator.token, max_retries=MAX_RETRIES,
                                   max_retry_wait=0.2, timeout=60.0)
    built.append((surface, obj))
    prompts = [f"load call {i:04d}" for i in range(CALLS)]

    answers = asyncio.run(GATHER[surface](obj, prompts))

    assert [_call_of(a) for a in answers] == list(range(CALLS)), "an answer went to the wrong call"
    requests = [r for r in emulator.requests if r.path.endswith("/chat/completions")]
    faults = Counter(pattern[: len(requests)])
    # Each fault was answered by exactly one more request; nothing else was sent twice.
    assert len(requests) == CALLS + faults["429"] + faults["503"]
    per_call = Counter(_call_of(r.json["messages"][-1]["content"]) for r in requests)
    assert set(per_call) == set(range(CALLS))
    assert max(per_call.values()) <= MAX_RETRIES + 1
    share_429, share_503 = faults["429"] / len(requests), faults["503"] / len(requests)
    assert 0.07 < share_429 < 0.13 and 0.005 < share_503 < 0.035, (share_429, share_503)
    count("load: calls completed", CALLS)
    count("load: 429 answered", faults["429"])
    count("load: 503 answered", faults["503"])
    report(f"load [{surface}]: {CALLS} concurrent calls, {len(requests)} requests, "
           f"{faults['429']} answered 429 ({share_429:.1%}) and {faults['503']} 503 "
           f"({share_503:.1%}); all completed, 0 duplicated, at most "
           f"{max(per_call.values())} attempts for one call")


QPS = 50
RATE_CALLS = 150


@pytest.fixture(scope="module")
def limited() -> Iterator[Emulator]:
    """An emulator that answers 429 (Retry-After: 1) beyond QPS requests per second."""
    with Emulator(rate_limit_qps=QPS) as emu:
        yield emu


async def _with_semaphore(gather: Callable[..., Awaitable[list[str]]], obj: Any,
                          prompts: list[str], limit: int) -> list[str]:
    """`gather` over prompts, at most `limit` calls in flight."""
    semaphore = asyncio.Semaphore(limit)

    async def one(prompt: str) -> str:
        async with semaphore:
            return (await gather(obj, [prompt]))[0]

    return await asyncio.gather(*(one(p) for p in prompts))


async def _gather_core_open(obj: Any, prompts: list[str]) -> list[str]:
    from databricks_claude.messages import Message

    return [str((await obj.acomplete([Message.user(p)])).text) for p in prompts]


async def _gather_llama_index_open(obj: Any, prompts: list[str]) -> list[str]:
    from llama_index.core.base.llms.types import ChatMessage

    return [str((await obj.achat([ChatMessage(role="user", content=p)])).message.content)
            for p in prompts]


@pytest.mark.parametrize("surface", sorted(GATHER))
def test_qps_limit_is_respected_by_max_concurrency_and_backoff(
        surface: str, limited: Emulator, built: list[tuple[str, Any]]) -> None:
    """Every call finishes under a QPS limit it exceeds; the library's defaults (2 retries)."""
    limited.reset()
    obj = DRIVERS[surface]().build(limited.host, token=limited.token, timeout=60.0)
    built.append((surface, obj))
    prompts = [f"load call {i:04d}" for i in range(RATE_CALLS)]

    async def run() -> list[str]:
        if surface == "langchain":
            return await _gather_langchain(obj, prompts, concurrency=10)
        gather = _gather_core_open if surface == "core" else _gather_llama_index_open
        try:
            return await _with_semaphore(gather, obj, prompts, 10)
        finally:
            await obj.aclose()

    answers = asyncio.run(run())

    assert [_call_of(a) for a in answers] == list(range(RATE_CALLS))
    requests = [r for r in limited.requests if r.path.endswith("/chat/completions")]
    limited_429 = len(requests) - RATE_CALLS
    assert limited_429 > 0, "the run never hit the limit: the test proves nothing"
    per_call = Counter(_call_of(r.json["messages"][-1]["content"]) for r in requests)
    assert max(per_call.values()) <= 3  # default max_retries=2 was enough
    count("load: calls completed", RATE_CALLS)
    count("load: rate-limit 429s absorbed", limited_429)
    report(f"load [{surface}] under a {QPS} QPS limit: {RATE_CALLS} calls with at most 10 in "
           f"flight, {limited_429} rate-limit 429s absorbed by backoff, all completed")

