"""The adjustments made to a request, warned about and recorded so that they travel with it.

Every rule that changes a setting before sending (drops it, downgrades it) calls `warn`: a
`DatabricksClaudeWarning` says what changed and why, and while a request is being built
(`collecting()`), the message is also recorded for its `Decisions.warnings`. The warning points
at the user's line (docs/design-rules.md#warnings).
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType
from typing import Any

__all__ = ["DatabricksClaudeWarning", "collecting", "entry_point", "entry_points", "warn"]


class DatabricksClaudeWarning(UserWarning):
    """A request was adjusted before sending (a setting dropped or downgraded), and why."""


# The adjustments of the request being built (None: no request is being built).
_NOTES: ContextVar[list[str] | None] = ContextVar("databricks_claude_request_notes", default=None)

# The packages of this project, and the machinery between a user's call and our code (the
# frameworks, asyncio, threads): a warning points at the first frame outside all of them.
_OURS = ("databricks_claude", "langchain_databricks_claude", "llama_index_databricks_claude")
_MACHINERY = ("langchain_core", "langchain", "langgraph", "llama_index",
              "llama_index_instrumentation", "workflows", "pydantic", "asyncio", "concurrent",
              "threading", "contextlib", "functools", "anyio")
_SKIPPED = frozenset(_OURS + _MACHINERY)

# A place in the user's code: file name, line, the module's globals (for the registry).
_Where = tuple[str, int, dict[str, Any]]
# Where a user called a public entry point, for work that runs in another task or thread.
_ENTRY: ContextVar[_Where | None] = ContextVar("databricks_claude_entry", default=None)


def warn(message: str) -> None:
    """Warn about an adjustment, and record it for the request being built.

    The warning points at the line that called the public entry point when one recorded it
    (`entry_point`: the call crossed into another task or thread), else at the first frame
    outside this project and the frameworks' machinery.
    """
    notes = _NOTES.get()
    if notes is not None:
        notes.append(message)
    where = _ENTRY.get() or _outside(sys._getframe(1))
    if where is None:
        warnings.warn(message, DatabricksClaudeWarning, stacklevel=2)
        return
    filename, lineno, module_globals = where
    # The module's own registry, so that "default" filters show it once per line, as warn does.
    registry = module_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(message, DatabricksClaudeWarning, filename, lineno,
                           module=module_globals.get("__name__"), registry=registry,
                           module_globals=module_globals)


def _outside(frame: FrameType | None) -> _Where | None:
    """The file, line and globals of the first frame outside our packages and the machinery."""
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.partition(".")[0] not in _SKIPPED:
            return frame.f_code.co_filename, frame.f_lineno, frame.f_globals
        frame = frame.f_back
    return None


def entry_point(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a public method whose work may run in another task or thread (a framework's
    `ainvoke` gathers tasks, its `batch` uses threads; both copy the context), so that its
    warnings point at the line that called it. An outer entry point's line wins."""
    if inspect.iscoroutinefunction(method):
        @functools.wraps(method)
        async def aentry(*args: Any, **kwargs: Any) -> Any:
            """The method, its caller's line recorded while it runs."""
            token = _ENTRY.set(_ENTRY.get() or _outside(sys._getframe(1)))
            try:
                return await method(*args, **kwargs)
            finally:
                _ENTRY.reset(token)
        return aentry

    @functools.wraps(method)
    def entry(*args: Any, **kwargs: Any) -> Any:
        """The method, its caller's line recorded while it runs."""
        token = _ENTRY.set(_ENTRY.get() or _outside(sys._getframe(1)))
        try:
            return method(*args, **kwargs)
        finally:
            _ENTRY.reset(token)
    return entry


def entry_points(cls: type, base: type, *names: str) -> None:
    """Give `cls` the `entry_point`-wrapped version of each of `base`'s methods `names`."""
    for name in names:
        setattr(cls, name, entry_point(getattr(base, name)))


@contextmanager
def collecting() -> Iterator[list[str]]:
    """Record the adjustments made inside the block (the list is filled as they happen)."""
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)
