"""Pickled state without credentials: a pickle never carries a token or a secret.

Where the pickle is loaded the credentials come from the environment or databricks-sdk. The
state records which secrets were left out, so that a model that then finds none can say why
(`unpickled_hint`) instead of passing on the SDK's "cannot configure default credentials".
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

__all__ = ["SECRET_FIELDS", "dropped_secrets", "restored", "unpickled_hint", "without_secrets"]

#: The model fields that hold credentials (each adapter names its fields the same way).
SECRET_FIELDS = ("token", "client_secret")
# The state key naming the secrets left out (pydantic's `__setstate__` ignores other keys).
_DROPPED_KEY = "__databricks_claude_dropped_secrets__"
# The secrets left out of each unpickled model object, by identity, while it lives.
_DROPPED: dict[int, tuple[str, ...]] = {}
_ENV = {"token": "DATABRICKS_TOKEN", "client_secret": "DATABRICKS_CLIENT_SECRET"}


def without_secrets(state: dict[Any, Any], names: Iterable[str] = SECRET_FIELDS) -> dict[Any, Any]:
    """A pydantic `__getstate__` result with the secret fields set to None (and named)."""
    fields = dict(state["__dict__"])
    dropped = tuple(name for name in names if fields.get(name) is not None)
    for name in names:
        if name in fields:
            fields[name] = None
    return {**state, "__dict__": fields, _DROPPED_KEY: dropped}


def restored(owner: object, state: dict[Any, Any]) -> None:
    """Note, after `__setstate__`, which secrets the pickle of `owner` left out."""
    dropped = tuple(state.get(_DROPPED_KEY) or ())
    if dropped:
        _DROPPED[id(owner)] = dropped
        weakref.finalize(owner, _DROPPED.pop, id(owner), None)


def dropped_secrets(owner: object) -> tuple[str, ...]:
    """The secrets `owner`'s pickle left out and that are still unset (none if not unpickled)."""
    return tuple(name for name in _DROPPED.get(id(owner), ())
                 if getattr(owner, name, None) is None)


def unpickled_hint(owner: object) -> str | None:
    """What to do when an unpickled model finds no credentials; None if it was not unpickled."""
    dropped = dropped_secrets(owner)
    if not dropped:
        return None
    envs = " / ".join(_ENV.get(name, name) for name in dropped)
    names = " / ".join(f"{name}=" for name in dropped)
    return (f"this model was unpickled, and pickles never carry credentials ({', '.join(dropped)} "
            f"left out): set {envs} where it is loaded, or supply it again with "
            f"model.model_copy(update={{...}}) or a new model built with {names}")
