"""Pydantic model instances built without validation, for the adapters' per-delta hot paths.

A framework adapter hands its framework one or two pydantic objects per streamed delta, so a
20,000-delta answer builds tens of thousands of them. Validation costs several µs per object,
and `model_construct` more still where a framework overrides it: enough, alone, to blow the
streaming budget (docs/design-rules.md#per-delta-cost). The values an adapter builds are
already exactly what validation would store, so `make` fills an instance the way `model_construct`
does (instance dict, fields
set, extra, private), through `BaseModel`'s own slot descriptors, without its generic machinery.

That shortcut is right only while pydantic stores instances this way and the framework's
validators would store nothing else. So each adapter declares every such constructor once, as
a `FastConstructor` (the fast function, the validated one, sample arguments), and one policy
applies to all of them: each is checked once per process against validated construction,
when `warm_up()` runs (the adapters call it when a model object is built, so the check never
lands on a burst of requests) or else at its first `choose()`. A constructor that differs falls
back to the validated function, with one WARNING (logger `databricks_claude`) saying which and
why: a future pydantic or framework release may then cost speed, never correctness, and never
silently. `report()` tells what was chosen (the benchmarks print it).

Framework-free: only pydantic (a core dependency) is imported, and only by the adapters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

__all__ = ["AVAILABLE", "FastConstructor", "difference", "make", "matches",
           "new", "report", "reset", "same", "set_dict", "set_extra", "set_fields_set",
           "set_private", "verified", "warm_up", "where"]

_log = logging.getLogger("databricks_claude")

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

new = object.__new__
"""An instance without `__init__` (nor validation): the first step of `make`."""


def _slot_setter(name: str) -> Any:
    """The `__set__` of one of BaseModel's slots, to be called directly (no attribute lookup per
    object); None if this pydantic has no such slot, which makes every `make` fail and so every
    check choose the validated path."""
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
    function a `FastConstructor` chose.
    """
    obj = new(cls)
    set_dict(obj, values)
    set_fields_set(obj, fields_set)
    set_extra(obj, extra)
    set_private(obj, None)
    return obj


# ---- comparing -------------------------------------------------------------------------------


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 3]}..."


def _model_where(left: BaseModel, right: BaseModel) -> list[str] | None:
    """`_where` for two pydantic models of one type: fields, fields set, extra, private."""
    parts = (("", left.__dict__, right.__dict__),
             (".<fields set>", left.__pydantic_fields_set__, right.__pydantic_fields_set__),
             (".<extra>", left.__pydantic_extra__, right.__pydantic_extra__),
             (".<private>", left.__pydantic_private__, right.__pydantic_private__))
    for step, mine, theirs in parts:
        found = _where(mine, theirs)
        if found is not None:
            if step:
                found.append(step)
            return found
    return None


def _where(left: Any, right: Any) -> list[str] | None:
    """None if `left` and `right` are the same, else what differs followed by the path to it,
    innermost step first (built only on a difference: `same` runs this on every node)."""
    if type(left) is not type(right):
        return [f"{type(left).__name__} != {type(right).__name__}"]
    if isinstance(left, BaseModel):
        return _model_where(left, right)
    if isinstance(left, dict):
        if list(left) != list(right):
            return [f"keys {list(left)} != {list(right)}"]
        for key, value in left.items():
            found = _where(value, right[key])
            if found is not None:
                found.append(f".{key}")
                return found
        return None
    if isinstance(left, (list, tuple)):
        if len(left) != len(right):
            return [f"{len(left)} items != {len(right)}"]
        for number, (mine, theirs) in enumerate(zip(left, right, strict=True)):
            found = _where(mine, theirs)
            if found is not None:
                found.append(f"[{number}]")
                return found
        return None
    return None if bool(left == right) else [f"{_short(left)} != {_short(right)}"]


def where(left: Any, right: Any, name: str = "value") -> str | None:
    """Where `left` and `right` differ in the strict sense of `same` (`name.path: what`), or
    None when they are the same."""
    found = _where(left, right)
    if found is None:
        return None
    return f"{name}{''.join(reversed(found[1:]))}: {found[0]}"


def same(left: Any, right: Any) -> bool:
    """Deep equality that `==` is too lenient for: types must be identical all the way down
    (`TextAccessor` vs `str`, tuple vs list), dict keys in the same order, and pydantic models
    must agree on their fields set, extra and private values too."""
    return _where(left, right) is None


def _dump(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def _differs(built: Any, validated: Any, first: bool) -> str | None:
    """What tells `built` from `validated`, or None: `same`, `==`, `model_dump()`, and `repr`
    when `first` (it shows nothing `same` has not compared; LangChain's costs about 1 ms)."""
    found = where(built, validated)
    if found is not None:
        return found
    if built != validated:
        return "== is False"
    found = where(_dump(built), _dump(validated), "model_dump()")
    if found is not None:
        return found
    if first and repr(built) != repr(validated):
        return f"repr: {_short(repr(built))} != {_short(repr(validated))}"
    return None


def difference(fast: Callable[..., Any], safe: Callable[..., Any],
               samples: Iterable[tuple[Any, ...]],
               check: Callable[[Any, Any], bool] | None = None) -> str | None:
    """Why `fast(*args)` can be told from `safe(*args)` for some sample, or None if it cannot.

    Compared: `same`, `==` and `model_dump()` (and `repr` on the first sample), then
    `check(fast_result, safe_result)` if given (for what only the framework knows, e.g. that
    chunks merge alike). Any exception counts as a difference. The reason names the sample.
    """
    number, args = 0, ()
    try:
        for number, args in enumerate(samples):
            built, validated = fast(*args), safe(*args)
            found = _differs(built, validated, first=not number)
            if found is None and check is not None and not check(built, validated):
                found = f"{getattr(check, '__name__', 'check')} is False"
            if found is not None:
                return f"sample {number} {_short(args)}: {found}"
    except Exception as exc:  # any surprise in pydantic or framework internals: use validation
        return f"sample {number} {_short(args)}: {type(exc).__name__}: {exc}"
    return None


def matches(fast: Callable[..., Any], safe: Callable[..., Any], *samples: tuple[Any, ...],
            check: Callable[[Any, Any], bool] | None = None) -> bool:
    """Whether `fast(*args)` is indistinguishable from `safe(*args)` (see `difference`)."""
    return difference(fast, safe, samples, check) is None


def verified(fast: F, safe: F, *samples: tuple[Any, ...],
             check: Callable[[Any, Any], bool] | None = None) -> F:
    """`fast` if it `matches` `safe` on every sample, else `safe` (no registry, no warning)."""
    return fast if matches(fast, safe, *samples, check=check) else safe


# ---- declared constructors and the one check policy ------------------------------------------

_LOCK = threading.RLock()
_REGISTRY: dict[str, FastConstructor[Any]] = {}
_pending: list[FastConstructor[Any]] = []  # declared, not checked by `warm_up()` yet


@dataclass(eq=False)
class FastConstructor(Generic[F]):
    """One framework object constructor: `fast` (unvalidated) or `safe` (validated), chosen once.

    `samples()` returns fresh argument tuples (fast construction stores the containers it is
    given); `check(fast_result, safe_result)` adds a framework-specific comparison. Declaring
    one registers it. Hot paths call `choose()` once (per stream, say) and then call the plain
    function it returns.
    """

    name: str
    fast: F
    safe: F
    samples: Callable[[], Iterable[tuple[Any, ...]]]
    check: Callable[[Any, Any], bool] | None = None
    reason: str | None = field(default=None, init=False)
    """Why the fast function was refused (None: not refused, or not checked yet)."""
    _chosen: F | None = field(default=None, init=False, repr=False)
    _exports: list[tuple[MutableMapping[str, Any], str]] = field(
        default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        with _LOCK:
            _REGISTRY[self.name] = self
            _pending.append(self)

    def choose(self) -> F:
        """The function to use: checked on the first call in the process, then remembered."""
        chosen = self._chosen
        return chosen if chosen is not None else self._decide()

    @property
    def checked(self) -> bool:
        """Whether the check has run (in this process, since the last `reset`)."""
        return self._chosen is not None

    @property
    def status(self) -> str:
        """`fast`, `validated: <reason>`, or `not checked yet`."""
        if self._chosen is None:
            return "not checked yet"
        return "fast" if self.reason is None else f"validated: {self.reason}"

    def export(self, namespace: MutableMapping[str, Any], attribute: str) -> None:
        """Bind the chosen function to `namespace[attribute]` once chosen (e.g. a module's
        globals, whose `__getattr__` calls `choose()` while the name is unbound)."""
        self._exports.append((namespace, attribute))
        if self._chosen is not None:
            namespace[attribute] = self._chosen

    def _decide(self) -> F:
        with _LOCK:
            if self._chosen is None:
                try:
                    reason = difference(self.fast, self.safe, self.samples(), self.check)
                except Exception as exc:  # the samples themselves failed to build
                    reason = f"samples: {type(exc).__name__}: {exc}"
                self.reason = reason
                self._chosen = self.fast if reason is None else self.safe
                if reason is not None:
                    _log.warning("fast construction of %s is off, objects are validated "
                                 "(slower): %s", self.name, reason)
                for namespace, attribute in self._exports:
                    namespace[attribute] = self._chosen
            return self._chosen

    def _forget(self) -> None:
        self._chosen, self.reason = None, None
        for namespace, attribute in self._exports:
            namespace.pop(attribute, None)


def warm_up() -> None:
    """Check every declared constructor not checked yet (once per process, thread-safe).

    Idempotent: once nothing is pending it costs one list test. The adapters call it when a
    model object is built, so that no request pays for the check.
    """
    if not _pending:
        return
    with _LOCK:
        while _pending:
            _pending.pop(0).choose()


def report() -> dict[str, str]:
    """Every declared constructor's `status` by name (no check runs here)."""
    with _LOCK:
        return {name: constructor.status for name, constructor in _REGISTRY.items()}


def reset() -> None:
    """Forget every choice, as in a new process (for tests): the next `warm_up()` or `choose()`
    checks again."""
    with _LOCK:
        for constructor in _REGISTRY.values():
            constructor._forget()
        _pending[:] = _REGISTRY.values()
