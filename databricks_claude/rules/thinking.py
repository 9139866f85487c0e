"""Thinking, effort and the output limit: what is sent for the settings and the model.

Wire-neutral: the result is a `thinking` object in Claude's own vocabulary (`enabled` with a
budget, `adaptive`, `disabled`) and an effort level, which every codec sends in its own place.
Rules: docs/design-rules.md#thinking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import RequestOptions, ThinkingSetting
from databricks_claude.notes import warn
from databricks_claude.profiles import ModelProfile

__all__ = ["EFFORTS", "MIN_THINKING_BUDGET", "MIN_THINKING_MAX_TOKENS", "effort_for",
           "max_tokens_for", "thinking_for", "thinking_on"]

#: The smallest thinking budget Claude accepts, in tokens.
MIN_THINKING_BUDGET = 1024
#: The `effort` values the service accepts.
EFFORTS = ("low", "medium", "high", "xhigh", "max")
#: The largest budget `thinking=True` picks on its own.
MAX_DEFAULT_THINKING_BUDGET = 64_000
#: What a budget picked for `thinking=True` leaves at least for the answer, in tokens.
MIN_ANSWER_TOKENS = 256
#: The smallest `max_tokens` for which `thinking=True` can pick a budget.
MIN_THINKING_MAX_TOKENS = MIN_THINKING_BUDGET + MIN_ANSWER_TOKENS


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


def max_tokens_for(options: RequestOptions, profile: ModelProfile) -> int:
    """The `max_tokens` to send: the caller's, else the profile's default."""
    value = options.max_tokens if options.max_tokens is not None else profile.default_max_tokens
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"max_tokens must be a positive integer, got {value!r}")
    if profile.known and value > profile.max_output_tokens:
        raise ConfigurationError(
            f"max_tokens={value} is above the output limit of {profile.name} "
            f"({profile.max_output_tokens} tokens), which the service refuses: set max_tokens "
            f"to at most {profile.max_output_tokens}")
    return value


def _check_budget(budget: Any, max_tokens: int) -> int:
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise ConfigurationError(f"thinking budget must be an integer, got {budget!r}")
    if budget < MIN_THINKING_BUDGET:
        raise ConfigurationError(
            f"thinking budget {budget} is below the minimum of {MIN_THINKING_BUDGET} tokens "
            f"(max_tokens is {max_tokens}; the budget must be at least {MIN_THINKING_BUDGET} "
            "and less than max_tokens)")
    if budget >= max_tokens:
        raise ConfigurationError(
            f"thinking budget {budget} must be less than max_tokens {max_tokens}; "
            "raise max_tokens or lower the budget")
    return budget


_THINKING_KEYS = frozenset({"type", "budget_tokens", "display"})


def _thinking_type(setting: dict[str, Any]) -> str:
    unknown = sorted(map(str, set(setting) - _THINKING_KEYS))
    if unknown:
        raise ConfigurationError(
            f"thinking has keys the service does not accept: {', '.join(unknown)} (accepted: "
            "type, budget_tokens, display; use extra_body to send anything else)")
    kind = setting.get("type")
    if kind not in ("enabled", "adaptive", "disabled"):
        raise ConfigurationError(
            f"thinking type must be 'enabled', 'adaptive' or 'disabled', got {kind!r}")
    return str(kind)


def _default_budget(max_tokens: int) -> int:
    """The budget `thinking=True` picks: half of max_tokens, at least 1024, at most 64,000.

    The caller set no budget, so an impossible one is reported as what it is: a `max_tokens`
    too small for thinking (docs/design-rules.md#thinking).
    """
    if max_tokens < MIN_THINKING_MAX_TOKENS:
        raise ConfigurationError(
            f"max_tokens={max_tokens} is too small for thinking: the thinking budget must be at "
            f"least {MIN_THINKING_BUDGET} tokens and leave room for the answer; set max_tokens "
            f"to at least {MIN_THINKING_MAX_TOKENS} (2048 or more for a useful answer) or turn "
            "thinking off")
    return max(MIN_THINKING_BUDGET, min(max_tokens // 2, MAX_DEFAULT_THINKING_BUDGET))


def _budget_thinking(setting: Any, profile: ModelProfile, max_tokens: int) -> dict[str, Any]:
    if setting is True:
        return {"type": "enabled", "budget_tokens": _default_budget(max_tokens)}
    if isinstance(setting, int):
        return {"type": "enabled", "budget_tokens": _check_budget(setting, max_tokens)}
    kind = _thinking_type(setting)
    if kind == "enabled":
        _check_budget(setting.get("budget_tokens"), max_tokens)
    elif kind == "adaptive" and profile.known and not profile.adaptive_capable:
        budget = _default_budget(max_tokens)
        warn(f"thinking type 'adaptive' changed to 'enabled' with budget_tokens {budget}: "
              f"{profile.name} only supports budget thinking (set thinking to an int budget "
              "to choose it)")
        return {**setting, "type": "enabled", "budget_tokens": budget}
    return dict(setting)


def _adaptive_thinking(setting: Any, profile: ModelProfile) -> dict[str, Any]:
    if setting is True:
        return {"type": "adaptive"}
    if isinstance(setting, int):
        warn(f"thinking budget {setting} ignored: {profile.name} only supports adaptive thinking "
              "(sent {'type': 'adaptive'}; use effort to steer it)")
        return {"type": "adaptive"}
    if _thinking_type(setting) != "enabled":
        return dict(setting)
    warn(f"thinking type 'enabled' changed to 'adaptive': {profile.name} only supports adaptive "
          "thinking (budget_tokens dropped; use effort to steer it)")
    adaptive = {k: v for k, v in setting.items() if k not in ("type", "budget_tokens")}
    return {"type": "adaptive", **adaptive}


def thinking_for(options: RequestOptions, profile: ModelProfile,
                 max_tokens: int) -> dict[str, Any] | None:
    """The `thinking` object to send, or None when thinking is off."""
    setting = options.thinking
    if setting is None or setting is False:
        return None
    if not isinstance(setting, (bool, int, dict)):
        raise ConfigurationError(f"thinking must be a bool, an int or a dict, got {setting!r}")
    if profile.thinking_style == "adaptive":
        return _with_display(_adaptive_thinking(setting, profile), profile)
    return _with_display(_budget_thinking(setting, profile, max_tokens), profile)


def _with_display(thinking: dict[str, Any], profile: ModelProfile) -> dict[str, Any]:
    """`thinking` asking for summarized reasoning where the model would omit its text.

    Models whose display defaults to omitted return reasoning with empty text; a caller who
    wants that says so with `"display": "omitted"` (docs/models.md#display).
    """
    if (profile.display_default == "omitted" and "display" not in thinking
            and thinking.get("type") in ("enabled", "adaptive")):
        return {**thinking, "display": "summarized"}
    return thinking


def effort_for(options: RequestOptions, profile: ModelProfile,
               thinking: dict[str, Any] | None) -> str | None:
    """The effort level to send, or None when the model does not take it (with a warning).

    A known model takes the levels its profile lists, with or without thinking
    (docs/models.md#effort); an unknown one gets effort only beside adaptive thinking.
    """
    effort = options.effort
    if effort is None:
        return None
    if effort not in EFFORTS:
        raise ConfigurationError(f"effort must be one of {', '.join(EFFORTS)}, got {effort!r}")
    if not profile.known:
        if (thinking or {}).get("type") == "adaptive":
            return str(effort)
        warn(f"effort {effort!r} not sent: {profile.name} is not a known model, and effort is "
              "only sent with adaptive thinking there (set thinking={'type': 'adaptive'})")
        return None
    if effort in profile.efforts:
        return str(effort)
    if profile.efforts:
        warn(f"effort {effort!r} not sent: {profile.name} takes effort "
              f"{', '.join(profile.efforts)} only")
    else:
        warn(f"effort {effort!r} not sent: {profile.name} does not take effort (steer its "
              "reasoning with a thinking budget: set thinking to an int)")
    return None
