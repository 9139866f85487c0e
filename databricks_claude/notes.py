"""The adjustments made to a request, warned about and recorded so that they travel with it.

Every rule that changes a setting before sending (drops it, downgrades it) calls `warn`: a
`DatabricksClaudeWarning` says what changed and why, and while a request is being built
(`collecting()`), the message is also recorded for its `Decisions.warnings`.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType

__all__ = ["DatabricksClaudeWarning", "collecting", "warn"]


class DatabricksClaudeWarning(UserWarning):
    """A request was adjusted before sending (a setting dropped or downgraded), and why."""


# The adjustments of the request being built (None: no request is being built).
_NOTES: ContextVar[list[str] | None] = ContextVar("databricks_claude_request_notes", default=None)


def warn(message: str) -> None:
    """Warn about an adjustment, and record it for the request being built."""
    notes = _NOTES.get()
    if notes is not None:
        notes.append(message)
    warnings.warn(message, DatabricksClaudeWarning, stacklevel=_caller_level())


# The packages of this project: a warning points at the first frame outside them.
_OURS = ("databricks_claude", "langchain_databricks_claude", "llama_index_databricks_claude")


def _caller_level() -> int:
    """The `stacklevel` of the first frame outside this project (the caller's line), counted
    from `warn`'s caller: the depth of the rule that warns differs from rule to rule."""
    frame: FrameType | None = sys._getframe(2)  # the frame that called `warn`
    level = 2
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in _OURS:
        frame = frame.f_back
        level += 1
    return level


@contextmanager
def collecting() -> Iterator[list[str]]:
    """Record the adjustments made inside the block (the list is filled as they happen)."""
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)
