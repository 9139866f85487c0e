"""One value per running event loop, for what asyncio binds to a loop (pools, locks).

A program that calls `asyncio.run` once per request makes a new loop each time; the values of
closed loops are dropped (and handed to `on_drop`) whenever a new loop's value is created.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["PerLoop"]

T = TypeVar("T")


class PerLoop(Generic[T]):
    """A value per event loop, created on first use in that loop (thread-safe)."""

    __slots__ = ("_lock", "_on_drop", "values")

    def __init__(self, on_drop: Callable[[T], None] | None = None) -> None:
        self.values: dict[asyncio.AbstractEventLoop, T] = {}
        self._on_drop = on_drop
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.values)

    def get(self, create: Callable[[], T]) -> T:
        """The running loop's value, created with `create()` on first use in this loop."""
        loop = asyncio.get_running_loop()
        value = self.values.get(loop)
        if value is None:
            with self._lock:
                value = self.values.get(loop)
                if value is None:
                    self.prune()
                    value = self.values[loop] = create()
        return value

    def pop_running(self) -> T | None:
        """Forget the running loop's value and return it (None if it had none)."""
        with self._lock:
            return self.values.pop(asyncio.get_running_loop(), None)

    def pop_all(self) -> list[T]:
        """Forget every loop's value and return them (for a final release)."""
        with self._lock:
            values = list(self.values.values())
            self.values.clear()
        return values

    def prune(self) -> None:
        """Drop the values of closed loops (no loop is running for them any more)."""
        for loop, value in list(self.values.items()):
            if loop.is_closed():
                self.values.pop(loop, None)
                if self._on_drop is not None:
                    self._on_drop(value)
