"""A call's keyword arguments over a model's fields, to `RequestOptions`.

One rule for every adapter: a keyword named like an option overrides the model's field of the
same name; `extra_body` (and the model's own payload-root maps) merge at the payload root; any
other keyword the framework does not own goes to the payload root too, where the request
builder checks it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from databricks_claude.messages import RequestOptions, ToolSpec

__all__ = ["OPTION_FIELDS", "call_options"]

#: The request options a model object has as fields (and a call may override).
OPTION_FIELDS = ("max_tokens", "temperature", "top_p", "top_k", "stop", "thinking", "effort")
# Options that exist only per call.
_CALL_ONLY = ("tools", "tool_choice", "n")


def call_options(fields: Mapping[str, Any], kwargs: Mapping[str, Any], *,
                 root: Iterable[Mapping[str, Any] | None] = (),
                 framework_keys: Collection[str] = (),
                 tools: list[ToolSpec] | None = None) -> RequestOptions:
    """The options of one call.

    `fields` holds the model's option fields; `kwargs` the call's keywords; `root` the model's
    payload-root maps in order (e.g. `model_kwargs`, `extra_body`); `framework_keys` the
    keywords the framework itself consumes (never sent); `tools` the call's tools already
    converted to specs.
    """
    values: dict[str, Any] = {name: fields.get(name) for name in OPTION_FIELDS}
    extra: dict[str, Any] = {}
    for mapping in root:
        extra.update(mapping or {})
    for key, value in kwargs.items():
        if key in OPTION_FIELDS or key in _CALL_ONLY:
            values[key] = value
        elif key in ("extra_body", "model_kwargs"):
            extra.update(value or {})
        elif key not in framework_keys:
            extra[key] = value
    values["tools"] = tools or None
    return RequestOptions(**values, extra_body=extra or None)
