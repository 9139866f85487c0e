"""HTTP pieces of the transport that do no I/O of their own: body encoding, typed errors for
failed exchanges, and the async pools (aiohttp-backed when possible).

- The async client uses the `httpx-aiohttp` transport (a dependency; used when importable): it
  keeps httpx's interface and avoids httpx's slow pool under bursts of concurrent calls. Plain
  httpx is used when an environment proxy applies to the endpoint, or when
  `DATABRICKS_CLAUDE_HTTP_BACKEND=httpx` is set.
- Redirects are errors: following one could send the token to another host.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import ssl
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx
from pydantic_core import from_json as loads  # about twice as fast as json.loads

from databricks_claude import __version__
from databricks_claude.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    error_from_response,
)

__all__ = ["LIMITS", "USER_AGENT", "AsyncPool", "encode_payload", "fast_async_transport",
           "ssl_context", "status_error", "transport_error"]

USER_AGENT = f"databricks-claude/{__version__}"
LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=1000, keepalive_expiry=30.0)
_BACKEND_ENV = "DATABRICKS_CLAUDE_HTTP_BACKEND"


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One verifying SSL context per process (the same CA settings httpx uses by default).

    Loading the CA bundle costs tens of milliseconds; every pool of every client shares the
    context instead of loading it again (a fresh client's first burst would pay for it).
    """
    return httpx.create_ssl_context()


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """The request body: compact JSON, encoded once per call and reused across retries.

    Raises `ConfigurationError` (before any network call) for a payload that is not strict
    JSON: NaN or infinity (which `json` would write as invalid `NaN`/`Infinity` tokens), a
    value JSON cannot hold, or a circular reference, typically from `extra_body`.
    """


    try:
        return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except ValueError as error:
        if "out of range float" in str(error).lower():
            raise ConfigurationError(
                "the request payload has a non-finite number (NaN or Infinity), which is not "
                "valid JSON: check the numbers in the options and extra_body") from error
        raise ConfigurationError(f"the request payload is not valid JSON: {error}") from error
    except (TypeError, RecursionError) as error:
        raise ConfigurationError(
            f"the request payload cannot be encoded as JSON ({error}): extra_body and tool "
            "schemas may only hold JSON values") from error


def transport_error(error: httpx.HTTPError, url: str) -> APIConnectionError:
    """The typed error for an httpx failure; the message names the URL, never a header."""
    cause = error.__cause__
    from_aiohttp = cause is not None and type(cause).__module__.startswith("aiohttp")
    # httpx-aiohttp maps every aiohttp connection error to ConnectTimeout: trust the cause.
    timed_out = isinstance(error, httpx.TimeoutException) and (
        not from_aiohttp or isinstance(cause, TimeoutError))
    detail = str(error) or type(error).__name__
    if timed_out:
        return APITimeoutError(f"timed out talking to {url} ({type(error).__name__}: {detail})")
    return APIConnectionError(f"connection to {url} failed ({type(error).__name__}: {detail})")


def _error_body(content: bytes) -> Any:
    """An error response's body: parsed JSON, else the text."""
    try:
        return loads(content)
    except (ValueError, RecursionError):  # RecursionError: hostile, absurdly deep JSON
        return content.decode("utf-8", "replace")


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a non-2xx response whose body has been read."""
    if 300 <= response.status_code < 400:
        return _redirect_error(response)
    return error_from_response(response.status_code, _error_body(response.content),
                               response.headers)


def _redirect_error(response: httpx.Response) -> APIStatusError:
    """A 3xx is an error: following it could send the token to another host."""
    location = urlsplit(response.headers.get("location", ""))
    target = f"{location.scheme}://{location.netloc}{location.path}" if location.netloc else (
        location.path or "an unknown location")
    return APIStatusError(
        f"the service redirected to {target}; redirects are not followed so that credentials "
        "never leave the configured host: check the host / base_url (it must be the workspace "
        "URL, e.g. https://dbc-xxxx.cloud.databricks.com)",
        status=response.status_code)


class AsyncPool(NamedTuple):
    """An event loop's async client and the transport it was built on (None: httpx's own)."""

    client: httpx.AsyncClient
    transport: httpx.AsyncBaseTransport | None

    @classmethod
    def open(cls, url: str, headers: Mapping[str, str], timeout: httpx.Timeout,
             transport: httpx.AsyncBaseTransport | None) -> AsyncPool:
        """A new pool for the running loop, on `transport` or the fastest one available."""
        transport = transport or fast_async_transport(url)
        client = httpx.AsyncClient(headers=dict(headers), timeout=timeout, limits=LIMITS,
                                   verify=ssl_context(),
                                   follow_redirects=False, transport=transport)
        return cls(client, transport)

    @property
    def is_aiohttp(self) -> bool:
        """True on the aiohttp transport, which `abandon` can close without awaiting."""
        return type(self.transport).__module__.partition(".")[0] == "httpx_aiohttp"

    def abandon(self) -> None:
        """Release a pool where nothing can be awaited: its loop is closed, or its owner is
        being collected (a finalizer).

        An aiohttp session and connector log "Unclosed ..." errors when collected: detach the
        session and close the connector's connections synchronously (`_close`, aiohttp's own
        non-awaiting half of `close()`; on a closed loop it only marks the connector closed).
        """
        session = getattr(self.transport, "client", None)
        connector = getattr(session, "connector", None)
        if session is None or connector is None:
            return
        session.detach()
        with warnings.catch_warnings(), contextlib.suppress(Exception):
            warnings.simplefilter("ignore")
            close_now = getattr(connector, "_close", None)
            if callable(close_now):  # aiohttp >= 3.10: closes the transports, awaits nothing
                close_now(abort_ssl=True)
            else:
                _run_to_completion(connector.close())


def _run_to_completion(awaitable: Any) -> None:
    """Drive a coroutine that is known not to suspend, without an event loop."""
    if not hasattr(awaitable, "send"):
        return
    try:
        awaitable.send(None)
    except StopIteration:
        return
    finally:
        awaitable.close()


def fast_async_transport(url: str) -> httpx.AsyncBaseTransport | None:
    """The aiohttp-backed transport when `httpx-aiohttp` is installed; None for plain httpx.

    Plain httpx is kept when a proxy from the environment applies to `url`: httpx honours
    HTTP(S)_PROXY / NO_PROXY, the aiohttp transport does not (and aiohttp's own `trust_env`
    costs two thread hops per request and clashes with ~/.netrc entries).
    """
    if os.environ.get(_BACKEND_ENV, "").lower() == "httpx" or _env_proxy_applies(url):
        return None
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:
        return None
    return AiohttpTransport(verify=ssl_context(), limits=LIMITS)


def _env_proxy_applies(url: str) -> bool:
    """True when the environment configures a proxy for this URL (and NO_PROXY spares it not)."""
    import urllib.request

    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")
