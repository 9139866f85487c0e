"""Pickled state without credentials: a pickle never carries a token or a secret."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["SECRET_FIELDS", "without_secrets"]

#: The model fields that hold credentials (each adapter names its fields the same way).
SECRET_FIELDS = ("token", "client_secret")


def without_secrets(state: dict[Any, Any], names: Iterable[str] = SECRET_FIELDS) -> dict[Any, Any]:
    """A pydantic `__getstate__` result with the secret fields set to None.

    Where the pickle is loaded, the credentials come from the environment or databricks-sdk,
    as after any other serialization.
    """
    fields = dict(state["__dict__"])
    for name in names:
        if name in fields:
            fields[name] = None
    return {**state, "__dict__": fields}
