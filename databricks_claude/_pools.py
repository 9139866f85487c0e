"""A client's HTTP pools: one sync `httpx.Client`, one async pool per event loop, and their end.

Models are rarely closed explicitly (a model per request, `asyncio.run` per call): the pools
live in this holder, apart from the client, so that a finalizer on the client can release
them without holding the client. Released where nothing can be awaited (a finalizer, a closed
loop), an async pool is closed synchronously (`AsyncPool.abandon`), so that no "Unclosed client
session" / "Unclosed connector" or unclosed-transport `ResourceWarning` reaches stderr
(docs/design-rules.md#lifecycle).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from databricks_claude._http import AsyncPool
from databricks_claude._loops import PerLoop

__all__ = ["Pools"]


class Pools:
    """The sync client and the per-loop async pools of one core client (thread-safe)."""

    __slots__ = ("_lock", "per_loop", "sync")

    def __init__(self) -> None:
        self.sync: httpx.Client | None = None
        # One async pool per event loop (a pool is bound to its loop); dead loops are pruned.
        self.per_loop: PerLoop[AsyncPool] = PerLoop(on_drop=AsyncPool.abandon)
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
        return self.per_loop.get(make).client

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
            await pool.client.aclose()
        self.per_loop.prune()

    def release(self) -> None:
        """Close everything without awaiting: the client's finalizer (it holds only this).

        The pools of loops still running are abandoned too: nothing else uses them once the
        client is gone, and their sockets are closed now rather than reported at collection.
        """
        self.close_sync()
        pools = self.per_loop.pop_all()
        for pool in pools:
            pool.abandon()
