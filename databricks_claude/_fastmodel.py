"""Pydantic model instances built without validation, for the adapters' per-delta hot paths.

A framework adapter hands its framework one or two pydantic objects per streamed delta, so a
20,000-delta answer builds tens of thousands of them. Validation costs several µs per object,
and `model_construct` more still where a framework overrides it: enough, alone, to blow the
streaming budget (DESIGN §7). The values an adapter builds are already exactly what validation
would store, so `make` fills an instance the way `model_construct` does (instance dict, fields
set, extra, private), through `BaseModel`'s own slot descriptors, without its generic machinery.

That shortcut is right only while pydantic stores instances this way and the framework's
validators would store nothing else. `verified` checks it once, on sample arguments, against
the validated construction, and picks the validated path if anything differs: a future pydantic
or framework release may then cost speed, never correctness.

Framework-free: only pydantic (a core dependency) is imported, and only by the adapters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["AVAILABLE", "make", "matches", "new", "same", "set_dict", "set_extra",
           "set_fields_set", "set_private", "verified"]

_log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

new = object.__new__
"""An instance without `__init__` (nor validation): the first step of `make`."""


def _slot_setter(name: str) -> Any:
    """The `__set__` of one of BaseModel's slots, to be called directly (no attribute lookup per
    object); None if this pydantic has no such slot, which makes every `make` fail and so every
    `verified` choose the validated path."""
    descriptor = vars(BaseModel).get(name)
    return getattr(descriptor, "__set__", None)


# Public so that the very hottest paths can inline `make` (one Python call less per object).
set_dict = _slot_setter("__dict__")
set_fields_set = _slot_setter("__pydantic_fields_set__")
set_extra = _slot_setter("__pydantic_extra__")
set_private = _slot_setter("__pydantic_private__")

AVAILABLE = None not in (set_dict, set_fields_set, set_extra, set_private)
"""Whether this pydantic stores instances the way `make` fills them (checked again by use)."""


def make(cls: type[M], values: dict[str, Any], fields_set: set[str],
         extra: dict[str, Any] | None = None) -> M:
    """An instance of `cls` holding `values` as is, like `cls.model_construct` but cheaper.

    `values` must hold every field, in declaration order, already of the types validation
    would give (fresh containers: they are stored, not copied); `fields_set` the names a
    validated construction would mark as set; `extra` is `{}` for `extra="allow"` models, whose
    validated instances carry an empty dict there, and None otherwise. Only call it through a
    function chosen by `verified`.
    """
    obj = new(cls)
    set_dict(obj, values)
    set_fields_set(obj, fields_set)
    set_extra(obj, extra)
    set_private(obj, None)
    return obj


def same(left: Any, right: Any) -> bool:
    """Deep equality that `==` is too lenient for: types must be identical all the way down
    (`TextAccessor` vs `str`, tuple vs list), dict keys in the same order, and pydantic models
    must agree on their fields set, extra and private values too."""
    if type(left) is not type(right):
        return False
    if isinstance(left, BaseModel):
        return bool(
            same(left.__dict__, right.__dict__)
            and left.__pydantic_fields_set__ == right.__pydantic_fields_set__
            and same(left.__pydantic_extra__, right.__pydantic_extra__)
            and same(left.__pydantic_private__, right.__pydantic_private__)
        )
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(v, right[k]) for k, v in left.items())
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(map(same, left, right))
    return bool(left == right)


def _dump(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def matches(fast: Callable[..., Any], safe: Callable[..., Any], *samples: tuple[Any, ...],
            check: Callable[[Any, Any], bool] | None = None) -> bool:
    """Whether `fast(*args)` is indistinguishable from `safe(*args)` for every sample.

    Compared: `same`, `==` and `model_dump()`, then `check(fast_result, safe_result)` if given
    (for what only the framework knows, e.g. that chunks merge alike). `repr` is compared on the
    first sample only: it shows nothing `same` has not compared, and LangChain's costs about a
    millisecond. Any exception counts as a difference.
    """
    try:
        for number, args in enumerate(samples):
            built, validated = fast(*args), safe(*args)
            if not (same(built, validated) and built == validated
                    and same(_dump(built), _dump(validated))
                    and (number or repr(built) == repr(validated))):
                _log.debug("fast construction differs for %r: %r != %r", args, built, validated)
                return False
            if check is not None and not check(built, validated):
                _log.debug("fast construction fails its check for %r", args)
                return False
    except Exception:  # any surprise in pydantic or framework internals: use validation
        _log.debug("fast construction failed", exc_info=True)
        return False
    return True


def verified(fast: F, safe: F, *samples: tuple[Any, ...],
             check: Callable[[Any, Any], bool] | None = None) -> F:
    """`fast` if it `matches` `safe` on every sample, else `safe` (see `matches`)."""
    return fast if matches(fast, safe, *samples, check=check) else safe
