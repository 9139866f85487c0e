"""A model object's settings to a core client, and one set of clients per model object.

Clients live outside the framework's (pydantic) model object, keyed by the object's identity,
so that copies, pickles and serializations of a model never share or carry one: each model
object builds its own on first use. When the object is collected its clients are dropped, and
their finalizers close their connection pools: a model made per request and never closed leaves
nothing open (docs/design-rules.md#lifecycle). `ClientOwner` gives both adapters' models the
same `close` / `aclose`, `with` / `async with`, and pickles without secrets.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from databricks_claude.errors import ConfigurationError
from databricks_claude.kit.secrets import restored, unpickled_hint, without_secrets

if TYPE_CHECKING:
    from databricks_claude.client import DatabricksClaudeClient

__all__ = ["CLIENTS", "CONNECTION_FIELDS", "TRANSPORT_FIELDS", "ClientOwner", "ClientRegistry",
           "model_settings", "new_client"]

_Owner = TypeVar("_Owner", bound="ClientOwner")

#: Model fields that say where and how to connect (None: resolved from the environment).
CONNECTION_FIELDS = ("host", "token", "client_id", "client_secret", "base_url", "config_profile",
                     "allow_insecure_http")
#: Model fields that tune the transport.
TRANSPORT_FIELDS = ("timeout", "connect_timeout", "max_retries", "max_retry_wait",
                    "resume_streams", "default_headers", "api")


def model_settings(model: object, *,
                   explicit: Collection[str] | None = None) -> dict[str, Any]:
    """A model object's connection and transport fields; with `explicit`, a connection field
    not set explicitly is None, so that the core resolves it (environment, databricks-sdk)."""
    settings = {name: getattr(model, name) for name in TRANSPORT_FIELDS}
    settings.update({name: getattr(model, name) if explicit is None or name in explicit else None
                     for name in CONNECTION_FIELDS})
    return settings


def new_client(endpoint: str, settings: Mapping[str, Any], *,
               primary: DatabricksClaudeClient | None = None,
               owner: object | None = None) -> DatabricksClaudeClient:
    """A core client for `endpoint` from a model's settings (connection and transport fields).

    With `primary`, the new client reuses that client's resolved credentials (a per-call
    endpoint override on the same model) instead of resolving them again. `owner` is the model
    object: an unpickled one that finds no credentials says that pickles never carry them.
    """
    from databricks_claude.client import DatabricksClaudeClient

    transport: dict[str, Any] = {name: settings[name] for name in TRANSPORT_FIELDS
                                 if name in settings}
    if primary is not None:
        return DatabricksClaudeClient(endpoint, config=primary.config, **transport)
    connection: dict[str, Any] = {name: settings.get(name) for name in CONNECTION_FIELDS}
    try:
        return DatabricksClaudeClient(endpoint, **connection, **transport)
    except ConfigurationError as error:
        hint = unpickled_hint(owner) if owner is not None else None
        if hint is None:
            raise
        raise ConfigurationError(hint) from error


class ClientRegistry:
    """The core clients of model objects: per object and endpoint, built once, thread-safe."""

    def __init__(self) -> None:
        self._clients: dict[int, dict[str, DatabricksClaudeClient]] = {}
        self._lock = threading.Lock()

    def get(self, owner: object, endpoint: str,
            build: Callable[[], DatabricksClaudeClient]) -> DatabricksClaudeClient:
        """The owner's client for `endpoint`, built with `build()` on first use."""
        clients = self._clients.get(id(owner))
        client = clients.get(endpoint) if clients else None
        if client is not None:
            return client
        built = build()
        with self._lock:
            clients = self._clients.get(id(owner))
            if clients is None:
                clients = self._clients[id(owner)] = {}
                weakref.finalize(owner, self._clients.pop, id(owner), None)
            client = clients.setdefault(endpoint, built)
        if client is not built:  # another thread won the race: keep one pool
            built.close()
        return client

    def existing(self, owner: object) -> list[DatabricksClaudeClient]:
        """The owner's clients built so far (none are built here)."""
        return list((self._clients.get(id(owner)) or {}).values())

    def pop(self, owner: object) -> list[DatabricksClaudeClient]:
        """Forget the owner's clients (they are rebuilt on next use) and return them."""
        with self._lock:
            return list((self._clients.pop(id(owner), None) or {}).values())

    def close(self, owner: object) -> None:
        """Close the owner's clients' connections."""
        for client in self.pop(owner):
            client.close()

    async def aclose(self, owner: object) -> None:
        """Close the owner's clients' connections, including the running loop's async ones."""
        for client in self.pop(owner):
            await client.aclose()


#: The registry both adapters use.
CLIENTS = ClientRegistry()


class ClientOwner:
    """The lifecycle of an adapter's model object (a mixin, before the framework's base class).

    Its clients come from `CLIENTS`; `close()` / `aclose()` close them (they are rebuilt on
    next use), `with model:` / `async with model:` close them at the end of the block, and a
    model nobody closes has them closed when it is collected. Pickles carry no secret
    (docs/design-rules.md#secrets): `token` and `client_secret` are left out and, where the
    pickle is loaded, come from the environment or databricks-sdk.
    """

    __slots__ = ()

    def close(self) -> None:
        """Close this model's HTTP connections (clients are rebuilt if the model is used again)."""
        CLIENTS.close(self)

    async def aclose(self) -> None:
        """Close this model's HTTP connections, including the async ones of the running loop."""
        await CLIENTS.aclose(self)

    def __enter__(self: _Owner) -> _Owner:
        """`with model:` closes its connections at the end of the block."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self: _Owner) -> _Owner:
        """`async with model:` closes its connections (the loop's async ones too) at the end."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __getstate__(self) -> dict[Any, Any]:
        """The pickled state, without `token` and `client_secret`."""
        return without_secrets(super().__getstate__())  # type: ignore[arg-type]

    def __setstate__(self, state: dict[Any, Any]) -> None:
        """Restore the state, noting the secrets its pickle left out (for a clear error)."""
        super().__setstate__(state)  # type: ignore[misc]
        restored(self, state)
