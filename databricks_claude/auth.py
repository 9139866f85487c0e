"""Credential providers: the `Authorization` headers sent with every request.

- `StaticTokenProvider`: a personal access token (or any bearer token), never refreshed.
- `OAuthM2MProvider`: a service principal's client id and secret, exchanged at
  `POST {host}/oidc/v1/token` for a short-lived token, cached until shortly before it expires.
- `SdkProvider`: whatever `databricks.sdk.core.Config` resolves (profiles, notebooks, Azure, CLI).

No provider ever shows a secret in its repr, in an exception or in a log line.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from databricks_claude._loops import PerLoop
from databricks_claude.errors import APIConnectionError, APITimeoutError, AuthenticationError

if TYPE_CHECKING:
    from databricks.sdk.core import Config as SdkConfig

__all__ = [
    "CredentialProvider",
    "OAuthM2MProvider",
    "OAuthTokenError",
    "SdkProvider",
    "StaticTokenProvider",
]

logger = logging.getLogger("databricks_claude")

_EXPIRY_MARGIN = 60.0  # refresh this long before expiry (or 10% of the lifetime if shorter)
_DEFAULT_LIFETIME = 3600.0  # when the token endpoint does not say


class OAuthTokenError(AuthenticationError):
    """The OAuth token endpoint refused or failed to issue a token (not a 401 from the API)."""


class CredentialProvider(ABC):
    """Gives the auth headers for each request. Implementations must be thread- and task-safe.

    The returned dict may be shared between calls: callers must not modify it.
    """

    can_refresh: bool = False

    @abstractmethod
    def headers(self) -> dict[str, str]:
        """The auth headers for the next request (may block to fetch a token)."""

    async def aheaders(self) -> dict[str, str]:
        """The auth headers for the next request, without blocking the event loop."""
        return self.headers()

    def invalidate(self) -> None:  # noqa: B027 - optional hook, a no-op for static tokens
        """Forget the current credential after a 401, so that the next call fetches a fresh one."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release any resources (HTTP clients) the provider holds."""


class StaticTokenProvider(CredentialProvider):
    """A fixed bearer token (a personal access token, or a token obtained elsewhere)."""

    def __init__(self, token: SecretStr | str):
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        self._headers = {"Authorization": f"Bearer {secret.get_secret_value()}"}

    def headers(self) -> dict[str, str]:
        """The same `Authorization: Bearer ...` headers every time."""
        return self._headers

    async def aheaders(self) -> dict[str, str]:
        """The same headers as `headers()`; nothing to await."""
        return self._headers

    def __repr__(self) -> str:
        return "StaticTokenProvider(token=SecretStr('**********'))"


class _CachedToken:
    """An issued token's headers and the monotonic time after which it must be refreshed."""

    __slots__ = ("headers", "refresh_at")

    def __init__(self, access_token: str, lifetime: float, now: float):
        self.headers = {"Authorization": f"Bearer {access_token}"}
        self.refresh_at = now + lifetime - min(_EXPIRY_MARGIN, lifetime * 0.1)

    def __repr__(self) -> str:
        return f"_CachedToken(refresh_at={self.refresh_at:.0f})"


class OAuthM2MProvider(CredentialProvider):
    """OAuth machine-to-machine: client credentials exchanged for a cached workspace token.

    One fetch at a time across threads (a `threading.Lock`) and tasks (an `asyncio.Lock` per
    event loop, created lazily); the async path runs the fetch in a worker thread, so the sync
    and async paths share the same cache and HTTP client.
    """

    can_refresh = True

    def __init__(self, host: str, client_id: str, client_secret: SecretStr | str, *,
                 http_client: httpx.Client | None = None, timeout: float = 30.0,
                 clock: Any = time.monotonic):
        self.host = host
        self.client_id = client_id
        self._secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(
            client_secret)
        self.token_url = f"{host}/oidc/v1/token"
        self._http = http_client
        self._owns_http = http_client is None
        self._timeout = timeout
        self._clock = clock
        self._token: _CachedToken | None = None
        self._lock = threading.Lock()
        self._async_locks: PerLoop[asyncio.Lock] = PerLoop()
        self.fetch_count = 0

    def __repr__(self) -> str:
        return f"OAuthM2MProvider(host={self.host!r}, client_id={self.client_id!r})"

    def _fresh(self) -> dict[str, str] | None:
        """The cached headers if the token is still fresh, else None."""
        token = self._token
        if token is not None and self._clock() < token.refresh_at:
            return token.headers
        return None

    def headers(self) -> dict[str, str]:
        """Bearer headers for a fresh token, fetching one (once, under a lock) when needed."""
        cached = self._fresh()
        if cached is not None:
            return cached
        with self._lock:
            cached = self._fresh()
            if cached is None:
                self._token = self._fetch()
                cached = self._token.headers
            return cached

    async def aheaders(self) -> dict[str, str]:
        """Like `headers()`; a needed fetch runs in a worker thread, one task at a time per loop."""
        cached = self._fresh()
        if cached is not None:
            return cached
        async with self._async_lock():
            cached = self._fresh()
            if cached is not None:
                return cached
            return await asyncio.to_thread(self.headers)

    def _async_lock(self) -> asyncio.Lock:
        """The asyncio lock of the running loop (a lock is bound to one loop)."""
        return self._async_locks.get(asyncio.Lock)

    def invalidate(self) -> None:
        """Drop the cached token: the next `headers()` fetches a new one."""
        with self._lock:
            self._token = None

    def close(self) -> None:
        """Close the token endpoint HTTP client if this provider created it."""
        if self._http is not None and self._owns_http:
            self._http.close()
            self._http = None

    def _client(self) -> httpx.Client:
        """The HTTP client for the token endpoint (created on first use)."""
        if self._http is None:
            self._http = httpx.Client(timeout=self._timeout, follow_redirects=False)
        return self._http

    def _fetch(self) -> _CachedToken:
        """POST the client credentials to the token endpoint; returns the new token."""
        logger.debug("fetching an OAuth token from %s for client id %s", self.token_url,
                     self.client_id)
        self.fetch_count += 1
        try:
            response = self._client().post(
                self.token_url,
                data={"grant_type": "client_credentials", "scope": "all-apis"},
                auth=(self.client_id, self._secret.get_secret_value()),
                headers={"Accept": "application/json"},
            )
        except httpx.TimeoutException as error:
            raise APITimeoutError(
                f"timed out getting an OAuth token from {self.token_url} for client id "
                f"{self.client_id}: {type(error).__name__}") from None
        except httpx.HTTPError as error:
            raise APIConnectionError(
                f"could not reach the OAuth token endpoint {self.token_url} for client id "
                f"{self.client_id}: {type(error).__name__}: {error}") from None
        return self._token_from_response(response)

    def _token_from_response(self, response: httpx.Response) -> _CachedToken:
        """The token in a token endpoint answer; OAuthTokenError for any failure."""
        body = _json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict):
            raise self._token_error(response.status_code, body)
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise self._token_error(response.status_code, {"error": "no access_token in answer"})
        lifetime = _lifetime(body.get("expires_in"))
        return _CachedToken(access_token, lifetime, self._clock())

    def _token_error(self, status: int, body: Any) -> OAuthTokenError:
        """A typed error naming the client id and the endpoint's reason (never the secret)."""
        reason = ""
        if isinstance(body, dict):
            parts = [str(body[k]) for k in ("error", "error_description") if body.get(k)]
            reason = ": " + " - ".join(parts) if parts else ""
        error = OAuthTokenError(
            f"the OAuth token endpoint {self.token_url} refused client id {self.client_id} "
            f"(HTTP {status}){reason}; check DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET and "
            "that the service principal exists in this workspace",
            status=status if status >= 400 else 401,
            error_code=body.get("error") if isinstance(body, dict) else None)
        error.retryable = status == 429 or status >= 500
        return error


def _json_or_none(response: httpx.Response) -> Any:
    """The response's JSON body, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def _lifetime(expires_in: Any) -> float:
    """Seconds a token lives, from `expires_in` (default one hour when absent or invalid)."""
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        return _DEFAULT_LIFETIME
    return seconds if seconds > 0 else _DEFAULT_LIFETIME


class SdkProvider(CredentialProvider):
    """Headers from databricks-sdk's `Config.authenticate()` (which refreshes its own tokens)."""

    can_refresh = True

    def __init__(self, config: SdkConfig):
        self.config = config
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (f"SdkProvider(host={getattr(self.config, 'host', None)!r}, "
                f"auth_type={getattr(self.config, 'auth_type', None)!r})")

    def headers(self) -> dict[str, str]:
        """`Config.authenticate()`: fresh headers (the SDK caches and refreshes OAuth tokens)."""
        try:
            return dict(self.config.authenticate())
        except ValueError as error:
            raise OAuthTokenError(
                f"databricks-sdk could not authenticate ({type(error).__name__}): {error}",
                status=401) from None

    async def aheaders(self) -> dict[str, str]:
        """`headers()` in a worker thread: the SDK may do blocking I/O to refresh a token."""
        return await asyncio.to_thread(self.headers)

    def invalidate(self) -> None:
        """Rebuild the SDK's credential chain, which drops its cached token."""
        with self._lock:
            try:
                self.config.init_auth()
            except ValueError:
                logger.debug("databricks-sdk could not re-initialize its credentials")
