"""Sampling: the temperature, top_p and top_k the model accepts with the thinking setting.

Rules: docs/design-rules.md#sampling.
"""

from __future__ import annotations

from typing import Any

from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import RequestOptions
from databricks_claude.notes import warn
from databricks_claude.profiles import ModelProfile

__all__ = ["sampling_for"]


def _check_ranges(options: RequestOptions) -> None:
    """Refuse a temperature outside [0, 2] or a top_p outside (0, 1]."""
    for name, low, high, low_open in (("temperature", 0, 2, False), ("top_p", 0, 1, True)):
        value = getattr(options, name)
        if value is None:
            continue
        # NaN fails every comparison, so it is refused here too (it is not JSON anyway).
        in_range = (isinstance(value, (int, float)) and not isinstance(value, bool)
                    and (low < value if low_open else low <= value) and value <= high)
        if not in_range:
            bounds = f"{'(' if low_open else '['}{low}, {high}]"
            raise ConfigurationError(f"{name} must be a number in {bounds}, got {value!r}")


def sampling_for(options: RequestOptions, profile: ModelProfile,
                 reasoning: bool) -> dict[str, Any]:
    """temperature / top_p / top_k that the model accepts with the current thinking setting."""
    _check_ranges(options)
    sent: dict[str, Any] = {}
    if (profile.one_sampler and options.temperature is not None and options.top_p is not None
            and not reasoning):
        raise ConfigurationError(
            f"temperature and top_p cannot both be set for {profile.name}: the service refuses "
            "the pair from Claude 4.5 on (docs/models.md#sampling); set only one of them")
    if options.temperature is not None:
        if not profile.temperature_allowed:
            warn(f"temperature not sent: {profile.name} does not support the temperature "
                  "parameter")
        elif reasoning:
            if options.temperature != 1:
                warn(f"temperature {options.temperature} not sent: Claude does not accept a "
                      "temperature other than 1 when thinking is on")
        else:
            sent["temperature"] = options.temperature
    if options.top_p is not None:
        if not reasoning:
            sent["top_p"] = options.top_p
        elif options.top_p != 1:
            warn(f"top_p {options.top_p} not sent: Claude does not accept top_p changes when "
                  "thinking is on")
    if options.top_k is not None:
        if reasoning:
            warn(f"top_k {options.top_k} not sent: Claude does not accept top_k when thinking "
                  "is on")
        else:
            sent["top_k"] = options.top_k
    return sent
