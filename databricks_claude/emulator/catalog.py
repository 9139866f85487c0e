"""Which endpoint names the emulator serves, and what each backing model accepts.

Model capabilities and their public sources: docs/models.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ADAPTIVE_ONLY = frozenset({"opus-4-7", "opus-4-8", "fable-5", "sonnet-5", "opus-5", "opus-5-5",
                           "sonnet-5-5", "haiku-5-5", "fable-5-1"})
# Models older than adaptive thinking: they only take a budget.
BUDGET_ONLY = frozenset({"3-7-sonnet", "sonnet-4", "sonnet-4-1", "sonnet-4-5", "opus-4",
                         "opus-4-1", "opus-4-5", "haiku-4-5"})
# Both thinking styles: budget thinking is deprecated there, adaptive recommended.
BOTH_STYLES = frozenset({"sonnet-4-6", "opus-4-6"})
#: Every model served, by its Claude suffix.
MODELS = tuple(sorted(ADAPTIVE_ONLY | BUDGET_ONLY | BOTH_STYLES))
ALL_EFFORTS = ("low", "medium", "high", "xhigh", "max")
# `output_config.effort` levels per model; models absent here refuse the key (docs/models.md).
_EFFORTS = {"opus-4-5": ("low", "medium", "high"),
            "opus-4-6": ("low", "medium", "high", "max"),
            "sonnet-4-6": ("low", "medium", "high", "max"),
            **{suffix: ALL_EFFORTS for suffix in ADAPTIVE_ONLY}}
NO_TEMPERATURE = frozenset({"fable-5", "fable-5-1"})
NO_RESPONSE_FORMAT = frozenset({"opus-5-5", "sonnet-5-5", "haiku-5-5", "fable-5-1"})
MILLION_CONTEXT = frozenset({"sonnet-4-6", "opus-4-6"}) | ADAPTIVE_ONLY
_BACKING = {
    "3-7-sonnet": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "sonnet-4": "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "sonnet-4-5": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "haiku-4-5": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    "opus-4": "us.anthropic.claude-opus-4-20250514-v1:0",
    "opus-4-1": "us.anthropic.claude-opus-4-1-20250805-v1:0",
    "opus-4-5": "global.anthropic.claude-opus-4-5-20251101-v1:0",
}
_SUFFIX = re.compile(r"claude-([a-z0-9-]+?)(?:-v\d+)?$")


@dataclass(frozen=True)
class Endpoint:
    """A served endpoint: its name, the model behind it, and that model's limits."""

    name: str
    suffix: str
    backing_id: str
    adaptive_only: bool
    budget_only: bool
    temperature_allowed: bool
    response_format_allowed: bool
    context_window: int
    efforts: tuple[str, ...] = ALL_EFFORTS
    """The effort levels taken; empty: `output_config.effort` is refused."""


@lru_cache(maxsize=256)
def lookup(name: str) -> Endpoint | None:
    """The endpoint called `name`, or None when it is not a Claude endpoint (404)."""
    if not isinstance(name, str) or "claude" not in name.lower():
        return None
    match = _SUFFIX.search(name.lower().rsplit("/", 1)[-1])
    suffix = match.group(1) if match else ""
    backing = _BACKING.get(suffix) or (
        f"global.anthropic.claude-{suffix}" if suffix else _BACKING["sonnet-4-5"])
    return Endpoint(
        name=name, suffix=suffix, backing_id=backing,
        adaptive_only=suffix in ADAPTIVE_ONLY, budget_only=suffix in BUDGET_ONLY,
        temperature_allowed=suffix not in NO_TEMPERATURE,
        response_format_allowed=suffix not in NO_RESPONSE_FORMAT,
        context_window=1_000_000 if suffix in MILLION_CONTEXT else 200_000,
        # A name outside the catalogue is served leniently: every effort level.
        efforts=_EFFORTS.get(suffix, () if suffix in MODELS else ALL_EFFORTS),
    )
