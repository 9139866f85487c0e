"""What each Databricks Claude endpoint can do: context window, output size, thinking style.

Names are matched on their Claude suffix, so `databricks-claude-sonnet-4-5`,
`system.ai.claude-sonnet-4-5` and a custom endpoint called `my-claude-sonnet-4-5` share a profile.
Unknown names get safe defaults, never an error. Sources of the capabilities: docs/models.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

ThinkingStyle = Literal["budget", "adaptive"]
ThinkingDisplay = Literal["summarized", "omitted"]
DEFAULT_MAX_TOKENS = 8192

# `output_config.effort` levels per model generation (docs/models.md#effort).
_NO_EFFORT: tuple[str, ...] = ()
_EFFORT_45 = ("low", "medium", "high")
_EFFORT_46 = ("low", "medium", "high", "max")
_EFFORT_ALL = ("low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """Capabilities of one Claude endpoint, as far as the client needs to know them."""

    name: str
    context_window: int = 200_000
    max_output_tokens: int = 64_000
    thinking_style: ThinkingStyle = "budget"
    temperature_allowed: bool = True
    vision: bool = True
    known: bool = True
    adaptive_capable: bool = False
    """A budget-thinking model that also accepts adaptive thinking (released alongside it)."""
    efforts: tuple[str, ...] = _NO_EFFORT
    """The `effort` levels the model takes; empty when it takes no effort at all."""
    display_default: ThinkingDisplay = "summarized"
    """What the model shows of its reasoning when `thinking.display` is not sent."""
    one_sampler: bool = False
    """The service refuses `temperature` and `top_p` together (Claude 4.5 and later)."""

    @property
    def json_schema_output(self) -> bool:
        """Whether the chat route takes `response_format` `json_schema` for this model.

        The newest models refuse it with a 400 (docs/wire-chat.md#response-format); unknown
        names are not trusted with it either (structured output then goes through a tool).
        """
        return self.known and self.name.removeprefix("claude-") not in _NO_RESPONSE_FORMAT

    @property
    def default_max_tokens(self) -> int:
        """The `max_tokens` sent when the caller sets none (the service's own default is 1,000)."""
        return min(DEFAULT_MAX_TOKENS, self.max_output_tokens)


def _p(suffix: str, ctx: int, out: int, style: ThinkingStyle = "budget", temperature: bool = True,
       vision: bool = True, adaptive: bool = False, efforts: tuple[str, ...] = _NO_EFFORT,
       both_samplers: bool = False) -> tuple[str, ModelProfile]:
    # Every adaptive-only model takes every effort level and omits its reasoning text by default.
    display: ThinkingDisplay
    if style == "adaptive":
        efforts, display = _EFFORT_ALL, "omitted"
    else:
        display = "summarized"
    return suffix, ModelProfile(f"claude-{suffix}", ctx, out, style, temperature, vision,
                                adaptive_capable=adaptive, efforts=efforts,
                                display_default=display, one_sampler=not both_samplers)


_M = 1_000_000
_K = 200_000
_PROFILES: dict[str, ModelProfile] = dict([
    _p("3-7-sonnet", _K, 64_000, both_samplers=True),
    _p("haiku-4-5", _K, 64_000),
    _p("sonnet-4", _K, 64_000, both_samplers=True),
    _p("sonnet-4-1", _K, 64_000, both_samplers=True),
    _p("sonnet-4-5", _K, 64_000),
    _p("sonnet-4-6", _M, 128_000, adaptive=True, efforts=_EFFORT_46),
    _p("opus-4", _K, 32_000, both_samplers=True),
    _p("opus-4-1", _K, 32_000, both_samplers=True),
    _p("opus-4-5", _K, 64_000, efforts=_EFFORT_45),
    _p("opus-4-6", _M, 128_000, adaptive=True, efforts=_EFFORT_46),
    _p("opus-4-7", _M, 128_000, "adaptive"),
    _p("opus-4-8", _M, 128_000, "adaptive"),
    _p("fable-5", _M, 128_000, "adaptive", temperature=False, vision=False),
    _p("fable-5-1", _M, 128_000, "adaptive", temperature=False, vision=False),
    _p("sonnet-5", _M, 128_000, "adaptive"),
    _p("opus-5", _M, 128_000, "adaptive"),
    _p("opus-5-5", _M, 128_000, "adaptive"),
    _p("sonnet-5-5", _M, 128_000, "adaptive"),
    _p("haiku-5-5", _M, 128_000, "adaptive"),
])

#: The Claude suffixes with a profile (`sonnet-4-5`, ...), in release order within a family.
KNOWN_MODELS = tuple(_PROFILES)

# Models whose chat route refuses `response_format` (docs/wire-chat.md#response-format).
_NO_RESPONSE_FORMAT = frozenset({"opus-5-5", "sonnet-5-5", "haiku-5-5", "fable-5-1"})

_SUFFIX = re.compile(r"claude-([a-z0-9-]+?)(?:-v\d+)?$")


@lru_cache(maxsize=256)
def get_profile(endpoint: str | None) -> ModelProfile:
    """The profile for an endpoint name; a conservative default profile for unknown names."""
    name = (endpoint or "").strip().lower().rsplit("/", 1)[-1]
    match = _SUFFIX.search(name)
    if match and match.group(1) in _PROFILES:
        return _PROFILES[match.group(1)]
    return ModelProfile(name or "unknown", known=False)
