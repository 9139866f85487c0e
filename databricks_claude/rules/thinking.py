"""Whether a `thinking` setting turns reasoning on, and the effort levels."""

from __future__ import annotations

from collections.abc import Mapping

from databricks_claude.messages import ThinkingSetting

__all__ = ["EFFORTS", "MIN_THINKING_BUDGET", "thinking_on"]

#: The smallest thinking budget Claude accepts, in tokens.
MIN_THINKING_BUDGET = 1024
#: The `effort` values the service accepts.
EFFORTS = ("low", "medium", "high", "xhigh", "max")


def thinking_on(setting: ThinkingSetting) -> bool:
    """Whether a `thinking` setting turns reasoning on: the one rule every layer uses.

    None and False are off; True and an int budget are on; a dict is on when its type is
    "enabled" or "adaptive" (so `{"type": "disabled"}` is off). The answer does not depend on the
    model: both thinking styles turn any of these "on" settings into reasoning. It does not
    validate the setting (the codec does), and it does not know that a request continuing a
    tool loop without its reasoning block is sent with thinking off: a request's own
    `Decisions.thinking` says what was sent.
    """
    if isinstance(setting, Mapping):
        return setting.get("type") in ("enabled", "adaptive")
    return setting is not None and setting is not False
