"""A client's HTTP pools: one sync `httpx.Client`, one async pool per event loop, and their end.

Models are rarely closed explicitly (a model per request, `asyncio.run` per call), so every
pool is closed without the user's help (docs/design-rules.md#lifecycle):

- when its event loop shuts down: each loop's pool registers a closer with the loop's
  shutdown of async generators (which `asyncio.run` runs before closing the loop), so a
  long-lived model used by one `asyncio.run` after another leaves no transport open;
- when its client is collected (a finalizer that holds only this holder, not the client): an
  aiohttp-backed pool is closed synchronously (`AsyncPool.abandon`); a plain-httpx one, which
  can only be closed by awaiting, is closed by a task on its loop while that loop runs.

So no "Unclosed client session" / "Unclosed connector" or unclosed-transport `ResourceWarning`
reaches stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Callable
from typing import Any

import httpx

from databricks_claude._http import AsyncPool
from databricks_claude._loops import PerLoop

__all__ = ["LoopPool", "Pools"]

# Pools released by a finalizer while their loop runs, closing on it: held until closed (a
# loop keeps only weak references to its tasks and async generators).
_CLOSING: set[LoopPool] = set()


def _drive(step: Any) -> None:
    """Run an awaitable that is known not to suspend to its end, without an event loop."""
    with contextlib.suppress(StopIteration, StopAsyncIteration, RuntimeError):
        step.send(None)


class LoopPool:
    """One event loop's pool, with the closer that loop's shutdown runs."""

    __slots__ = ("closer", "closing", "done", "loop", "pool")

    def __init__(self, pool: AsyncPool) -> None:
        self.pool = pool
        self.loop = asyncio.get_running_loop()
        self.done = False
        self.closing: asyncio.Task[None] | None = None
        self.closer = self._close_at_shutdown()
        # Started here, in the running loop: the loop's first-iteration hook records it, and
        # its shutdown (`shutdown_asyncgens`, run by `asyncio.run`) closes it: the pool too.
        _drive(self.closer.__anext__())

    async def _close_at_shutdown(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            if not self.done and self.closing is not None:
                # A close already under way (a finalizer's): let it finish before the loop ends.
                with contextlib.suppress(BaseException):
                    await self.closing
            if not self.done:
                with contextlib.suppress(Exception):
                    await self.pool.client.aclose()
            self._finished()

    def _finished(self) -> None:
        self.done = True
        _CLOSING.discard(self)

    def _retire(self) -> None:
        """Mark the pool closed and end its closer now (it then does nothing)."""
        self.done = True
        _drive(self.closer.aclose())

    async def aclose(self) -> None:
        """Close the pool (in its running loop)."""
        self._retire()
        await self.pool.client.aclose()

    def abandon(self) -> None:
        """Release the pool where nothing can be awaited (a closed loop, a finalizer)."""
        if self.done:
            return
        if self.pool.is_aiohttp or self.loop.is_closed():
            self._retire()
            self.pool.abandon()
            return
        # Plain httpx closes only by awaiting: a task on the pool's own loop, still open; the
        # closer, kept alive meanwhile, waits for it if the loop shuts down first.
        _CLOSING.add(self)
        try:
            self.loop.call_soon_threadsafe(self._start_closing)
        except RuntimeError:  # the loop closed meanwhile: nothing can close it any more
            self._retire()

    def _start_closing(self) -> None:
        if not self.done and self.closing is None:
            self.closing = self.loop.create_task(self._close_now())

    async def _close_now(self) -> None:
        with contextlib.suppress(Exception):
            await self.pool.client.aclose()
        self._retire()
        _CLOSING.discard(self)


class Pools:
    """The sync client and the per-loop async pools of one core client (thread-safe)."""

    __slots__ = ("_lock", "per_loop", "sync")

    def __init__(self) -> None:
        self.sync: httpx.Client | None = None
        # One async pool per event loop (a pool is bound to its loop); dead loops are pruned.
        self.per_loop: PerLoop[LoopPool] = PerLoop(on_drop=LoopPool.abandon)
        self._lock = threading.Lock()

    def sync_client(self, make: Callable[[], httpx.Client]) -> httpx.Client:
        """The sync client, made on first use."""
        client = self.sync
        if client is None:
            with self._lock:
                if self.sync is None:
                    self.sync = make()
                client = self.sync
        return client

    def async_client(self, make: Callable[[], AsyncPool]) -> httpx.AsyncClient:
        """The running loop's async client, its pool made on first use in that loop."""
        return self.per_loop.get(lambda: LoopPool(make())).pool.client

    def close_sync(self) -> None:
        """Close the sync client (it is made again on next use)."""
        with self._lock:
            client, self.sync = self.sync, None
        if client is not None:
            client.close()

    async def aclose_running(self) -> None:
        """Close the running loop's async pool, and release those of closed loops."""
        pool = self.per_loop.pop_running()
        if pool is not None:
            await pool.aclose()
        self.per_loop.prune()

    def release(self) -> None:
        """Close everything without awaiting: the client's finalizer (it holds only this).

        The pools of loops still running are released too: nothing else uses them once the
        client is gone, and their sockets are closed now rather than reported at collection.
        """
        self.close_sync()
        for pool in self.per_loop.pop_all():
            pool.abandon()
