"""Checks of a client's settings, run when the client (or a model) is built, before any request.

A bad value is refused with a `ConfigurationError` that names the setting, the value and what
to set instead, at construction: not as a plain `ValueError` at the first call
(docs/design-rules.md#construction).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from databricks_claude.errors import ConfigurationError

__all__ = ["check_client_settings", "check_endpoint"]


def _is_number(value: Any) -> bool:
    """A real, finite int or float (bool is not a number here)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _check_seconds(name: str, value: Any, *, optional: bool, zero: bool = False) -> None:
    """A duration in seconds: a finite number above 0 (or at least 0 with `zero`)."""
    if value is None and optional:
        return
    if _is_number(value) and (value >= 0 if zero else value > 0):
        return
    bound = "0 or more" if zero else "above 0"
    none = " (or None for no limit)" if optional else ""
    raise ConfigurationError(f"{name} must be a number of seconds {bound}{none}, got {value!r}")


def check_endpoint(endpoint: Any) -> None:
    """The serving endpoint's name: a non-empty string without slashes."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise ConfigurationError(
            f"the endpoint must be a serving endpoint name such as "
            f"'databricks-claude-sonnet-4-5', got {endpoint!r}")
    if "/" in endpoint:
        raise ConfigurationError(
            f"the endpoint {endpoint!r} looks like a path or URL: pass only the serving "
            "endpoint's name (e.g. 'databricks-claude-sonnet-4-5') and the workspace URL as "
            "host=")


def check_client_settings(*, timeout: Any = 300.0, connect_timeout: Any = 10.0,
                          max_retries: Any = 2, max_retry_wait: Any = 60.0,
                          default_headers: Any = None) -> None:
    """Refuse transport settings the client cannot use, naming each and what it takes."""
    _check_seconds("timeout", timeout, optional=True)
    _check_seconds("connect_timeout", connect_timeout, optional=True)
    _check_seconds("max_retry_wait", max_retry_wait, optional=False, zero=True)
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(
            f"max_retries must be a whole number of retries, 0 or more (0: no retry), got "
            f"{max_retries!r}")
    _check_headers(default_headers)


def _check_headers(headers: Any) -> None:
    """Extra headers: a mapping of strings to strings, never the Authorization header."""
    if headers is None:
        return
    if not isinstance(headers, Mapping):
        raise ConfigurationError(
            f"default_headers must be a dict of header names to values, got "
            f"{type(headers).__name__}")
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ConfigurationError(
                f"default_headers must map strings to strings; {name!r} is not (header values "
                "are never shown, as they may hold a credential)")
        if name.lower() == "authorization":
            raise ConfigurationError(
                "default_headers must not set Authorization: pass the credential as token= "
                "(or client_id= / client_secret=) so that it is never logged or pickled")
