"""A model object's settings checked when it is built, the same way in every adapter.

- `check_init_args`: an init argument no field has is refused when it is close to a field's
  name (a typo: `max_tokes=`, `thinkng=`), naming the field; an adapter with no convention for
  passing unknown arguments on (LlamaIndex) refuses every one. LangChain's convention (unknown
  arguments go to `model_kwargs`, with LangChain's warning) is kept for the rest.
- `check_model_settings`: the transport settings (timeout, retries, headers), the endpoint, the
  host and the request options a model holds as fields, refused at construction with what to
  set instead rather than at the first call (docs/design-rules.md#construction).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from databricks_claude.config import allow_http_from_env, normalize_host, workspace_host
from databricks_claude.errors import ConfigurationError
from databricks_claude.rules.thinking import EFFORTS
from databricks_claude.settings import check_client_settings, check_endpoint

__all__ = ["check_init_args", "check_model_settings", "init_names"]

# How close an unknown name must be to a field's to be taken as its typo (difflib's ratio):
# `max_tokes`/`max_tokens` is 0.95, while a real payload key such as `client_request_id` is
# below 0.7 against every field.
_TYPO_CUTOFF = 0.8


def init_names(cls: Any) -> set[str]:
    """The init argument names of a pydantic model class: its fields and their aliases."""
    fields = cls.model_fields
    return set(fields) | {field.alias for field in fields.values() if field.alias}


def check_init_args(given: Iterable[str], valid: Collection[str], *, model: str,
                    passthrough: str | None = None) -> None:
    """Refuse unknown init arguments: a typo of a field always, any other one unless the
    adapter passes unknown arguments on (`passthrough` names where they go)."""
    names = sorted(valid)
    for name in given:
        if name in valid:
            continue
        close = difflib.get_close_matches(name, names, n=1, cutoff=_TYPO_CUTOFF)
        if close:
            raise ConfigurationError(
                f"{model} got an unknown argument {name!r}: did you mean {close[0]!r}?")
        if passthrough is None:
            raise ConfigurationError(
                f"{model} got an unknown argument {name!r}; to send a key at the root of the "
                "request body, put it in extra_body={...}")


def _positive_int(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value < 1):
        raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")


# The ranges `rules.sampling` enforces at request build (docs/design-rules.md#sampling).
_SAMPLING_RANGES = (("temperature", 0, 2, False), ("top_p", 0, 1, True))


def _check_sampling(values: Mapping[str, Any]) -> None:
    for name, low, high, low_open in _SAMPLING_RANGES:
        value = values.get(name)
        if value is None:
            continue
        # NaN fails every comparison, so it is refused too.
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)
                and (low < value if low_open else low <= value) and value <= high):
            bounds = f"{'(' if low_open else '['}{low}, {high}]"
            raise ConfigurationError(f"{name} must be a number in {bounds}, got {value!r}")


def _check_options(values: Mapping[str, Any]) -> None:
    """The request options a model holds: types and ranges that no model accepts otherwise."""
    _positive_int("max_tokens", values.get("max_tokens"))
    _check_sampling(values)
    _positive_int("top_k", values.get("top_k"))
    thinking = values.get("thinking")
    if thinking is not None and not isinstance(thinking, (bool, int, Mapping)):
        raise ConfigurationError(
            f"thinking must be True/False, a token budget (int) or a thinking dict, got "
            f"{thinking!r}")
    if isinstance(thinking, int) and not isinstance(thinking, bool) and thinking < 1:
        raise ConfigurationError(
            f"a thinking budget must be a positive number of tokens, got {thinking}; use "
            "thinking=False to turn thinking off")
    effort = values.get("effort")
    if effort is not None and effort not in EFFORTS:
        raise ConfigurationError(f"effort must be one of {', '.join(EFFORTS)}, got {effort!r}")
    stop = values.get("stop")
    if stop is not None and (isinstance(stop, str) or not all(isinstance(s, str) for s in stop)):
        raise ConfigurationError(f"stop must be a list of strings, got {stop!r}")


def check_model_settings(values: Mapping[str, Any]) -> None:
    """Refuse a model's bad settings at construction (the fields it has; others are skipped)."""
    check_endpoint(values.get("endpoint"))
    transport = {name: values[name] for name in
                 ("timeout", "connect_timeout", "max_retries", "max_retry_wait",
                  "default_headers") if name in values}
    check_client_settings(**transport)
    if "api" in values:
        from databricks_claude.codecs.registry import codec_for  # imported with the client

        codec_for(values["api"])
    flag = values.get("allow_insecure_http")
    allow = allow_http_from_env() if flag is None else bool(flag)
    host = values.get("host")
    if host is not None:
        # A pasted serving route is cut back (and warned about) here, at the user's line.
        workspace_host(normalize_host(str(host), allow_http=allow))
    base_url = values.get("base_url")
    if isinstance(base_url, str) and "://" in base_url:
        normalize_host(base_url, allow_http=allow)
    _check_options(values)
