"""A model object's settings to a core client, and one set of clients per model object.

Clients live outside the framework's (pydantic) model object, keyed by the object's identity,
so that copies, pickles and serializations of a model never share or carry one: each model
object builds its own on first use. When the object is collected its clients are dropped (their
own finalizers release the connection pools of finished event loops).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks_claude.client import DatabricksClaudeClient

__all__ = ["CONNECTION_FIELDS", "TRANSPORT_FIELDS", "ClientRegistry", "new_client"]

#: Model fields that say where and how to connect (None: resolved from the environment).
CONNECTION_FIELDS = ("host", "token", "client_id", "client_secret", "base_url", "config_profile")
#: Model fields that tune the transport.
TRANSPORT_FIELDS = ("timeout", "max_retries", "max_retry_wait", "resume_streams",
                    "default_headers")


def new_client(endpoint: str, settings: Mapping[str, Any], *,
               primary: DatabricksClaudeClient | None = None) -> DatabricksClaudeClient:
    """A core client for `endpoint` from a model's settings (connection and transport fields).

    With `primary`, the new client reuses that client's resolved credentials (a per-call
    endpoint override on the same model) instead of resolving them again.
    """
    from databricks_claude.client import DatabricksClaudeClient

    transport: dict[str, Any] = {name: settings[name] for name in TRANSPORT_FIELDS
                                 if name in settings}
    if "connect_timeout" in settings and settings["connect_timeout"] is not None:
        transport["connect_timeout"] = settings["connect_timeout"]
    if primary is not None:
        return DatabricksClaudeClient(endpoint, config=primary.config, **transport)
    connection: dict[str, Any] = {name: settings.get(name) for name in CONNECTION_FIELDS}
    return DatabricksClaudeClient(endpoint, **connection, **transport)


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
