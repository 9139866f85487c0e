"""A call's keyword arguments over a model's fields, to `RequestOptions`.

One rule for every adapter: a keyword named like an option overrides the model's field of the
same name; `extra_body` (and the model's own payload-root maps) merge at the payload root; any
other keyword the framework does not own goes to the payload root too, where the request
builder checks it (it refuses the keys the service is known to refuse, and turns
`response_format` into what the model takes).

OpenAI-style names that Claude endpoints do not take are mapped here, on every level (the
model's payload-root maps, then the call's keywords, a call winning over the model), so that
one request never carries two limits (docs/design-rules.md#openai-style-keywords):

* `max_completion_tokens` is `max_tokens`; both at one level with different values is refused.
* `reasoning_effort` is thinking and effort: "none" turns thinking off; "minimal" and "low" are
  effort "low"; "medium", "high", "xhigh" and "max" are that effort, with thinking on.
  A `thinking` or `effort` given at the same level wins over it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import RequestOptions, ToolSpec
from databricks_claude.rules.thinking import thinking_on

__all__ = ["OPTION_FIELDS", "REASONING_EFFORTS", "call_options"]

#: The request options a model object has as fields (and a call may override).
OPTION_FIELDS = ("max_tokens", "temperature", "top_p", "top_k", "stop", "thinking", "effort")
# Options that exist only per call.
_CALL_ONLY = ("tools", "tool_choice", "n")
#: `reasoning_effort` values and the effort each becomes (None: thinking off).
REASONING_EFFORTS: dict[str, str | None] = {
    "none": None, "minimal": "low", "low": "low", "medium": "medium", "high": "high",
    "xhigh": "xhigh", "max": "max"}


def call_options(fields: Mapping[str, Any], kwargs: Mapping[str, Any], *,
                 root: Iterable[Mapping[str, Any] | None] = (),
                 framework_keys: Collection[str] = (),
                 tools: list[ToolSpec] | None = None) -> RequestOptions:
    """The options of one call.

    `fields` holds the model's option fields; `kwargs` the call's keywords; `root` the model's
    payload-root maps in order (e.g. `model_kwargs`, `extra_body`); `framework_keys` the
    keywords the framework itself consumes (never sent); `tools` the call's tools already
    converted to specs. Raises `ConfigurationError` for contradicting limits and unknown
    `reasoning_effort` values.
    """
    values: dict[str, Any] = {name: fields.get(name) for name in OPTION_FIELDS}
    extra: dict[str, Any] = {}
    for mapping in root:
        extra.update(mapping or {})
    _fold_aliases(extra, values, explicit=extra.keys())
    call_extra: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in OPTION_FIELDS or key in _CALL_ONLY:
            values[key] = value
        elif key in ("extra_body", "model_kwargs"):
            call_extra.update(value or {})
        elif key not in framework_keys:
            call_extra[key] = value
    _fold_aliases(call_extra, values, explicit={*kwargs.keys(), *call_extra.keys()})
    extra.update(call_extra)
    values["tools"] = tools or None
    return RequestOptions(**values, extra_body=extra or None)


def _fold_aliases(level: dict[str, Any], values: dict[str, Any],
                  explicit: Collection[str]) -> None:
    """Move the OpenAI-style keys of one level (removed from `level`) into `values`.

    `explicit` holds the keys given at this level: an option given there wins over the alias,
    or contradicts it (two different limits).
    """
    if "max_completion_tokens" in level:
        limit = level.pop("max_completion_tokens")
        given = level.pop("max_tokens", values["max_tokens"] if "max_tokens" in explicit
                          else None)
        if given is not None and given != limit:
            raise ConfigurationError(
                f"max_tokens={given!r} and max_completion_tokens={limit!r} are two different "
                "output limits; Claude takes one (max_tokens): pass only max_tokens")
        values["max_tokens"] = limit
    if "reasoning_effort" in level:
        _fold_reasoning_effort(level.pop("reasoning_effort"), values, explicit)


def _fold_reasoning_effort(value: Any, values: dict[str, Any],
                           explicit: Collection[str]) -> None:
    """`reasoning_effort` as the thinking and effort Claude takes (see the module docstring)."""
    if value is None:
        return
    if not isinstance(value, str) or value not in REASONING_EFFORTS:
        raise ConfigurationError(
            f"reasoning_effort={value!r} is not known; use one of "
            f"{', '.join(REASONING_EFFORTS)} (or thinking=... and effort=... directly)")
    effort = REASONING_EFFORTS[value]
    if "thinking" not in explicit:
        if effort is None:
            values["thinking"] = False
        elif not thinking_on(values["thinking"]):
            values["thinking"] = True
    if effort is not None and "effort" not in explicit:
        values["effort"] = effort
