"""Credential providers: static tokens, OAuth M2M caching (threads and tasks), the SDK bridge."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from databricks_claude.auth import (
    OAuthM2MProvider,
    OAuthTokenError,
    SdkProvider,
    StaticTokenProvider,
)
from databricks_claude.errors import APIConnectionError, AuthenticationError

HOST = "https://dbc-1234.cloud.databricks.com"
CLIENT_ID = "sp-0000-1111"
SECRET = "dose-very-secret-client-secret"


class FakeClock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TokenEndpoint:
    """A scripted OAuth token endpoint that counts the tokens it issues."""

    def __init__(self, expires_in: float = 3600, delay: float = 0.0,
                 status: int = 200, body: dict[str, Any] | None = None):
        self.expires_in = expires_in
        self.delay = delay
        self.status = status
        self.body = body
        self.calls = 0
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.calls += 1
            number = self.calls
        self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        if self.status != 200:
            return httpx.Response(self.status, json=self.body or {})
        return httpx.Response(200, json=self.body or {
            "access_token": f"access-{number}", "token_type": "Bearer",
            "expires_in": self.expires_in})


def make_provider(endpoint: Callable[[httpx.Request], httpx.Response],
                  clock: FakeClock | None = None) -> OAuthM2MProvider:
    http = httpx.Client(transport=httpx.MockTransport(endpoint))
    return OAuthM2MProvider(HOST, CLIENT_ID, SecretStr(SECRET), http_client=http,
                            clock=clock or FakeClock())


# -- static --------------------------------------------------------------------------------------


def test_static_token_headers_and_repr() -> None:
    provider = StaticTokenProvider(SecretStr("dapi-abc"))
    assert provider.headers() == {"Authorization": "Bearer dapi-abc"}
    assert asyncio.run(provider.aheaders()) == {"Authorization": "Bearer dapi-abc"}
    assert "dapi-abc" not in repr(provider) + str(provider)
    assert provider.can_refresh is False
    provider.invalidate()  # a no-op
    assert provider.headers()["Authorization"] == "Bearer dapi-abc"


def test_static_token_accepts_plain_str() -> None:
    assert StaticTokenProvider("dapi-x").headers() == {"Authorization": "Bearer dapi-x"}


# -- OAuth M2M: the request ----------------------------------------------------------------------


def test_token_request_shape() -> None:
    endpoint = TokenEndpoint()
    provider = make_provider(endpoint)
    assert provider.headers() == {"Authorization": "Bearer access-1"}
    request = endpoint.requests[0]
    assert request.method == "POST"
    assert str(request.url) == f"{HOST}/oidc/v1/token"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["client_credentials"], "scope": ["all-apis"]}
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {basic}"


# -- OAuth M2M: caching --------------------------------------------------------------------------


def test_token_cached_until_shortly_before_expiry() -> None:
    clock = FakeClock()
    endpoint = TokenEndpoint(expires_in=3600)
    provider = make_provider(endpoint, clock)
    assert provider.headers()["Authorization"] == "Bearer access-1"
    clock.now += 3600 - 61
    assert provider.headers()["Authorization"] == "Bearer access-1"
    assert endpoint.calls == 1
    clock.now += 2  # now within 60 s of expiry
    assert provider.headers()["Authorization"] == "Bearer access-2"
    assert endpoint.calls == 2


def test_short_lived_token_refreshed_at_ten_percent_of_lifetime() -> None:
    clock = FakeClock()
    endpoint = TokenEndpoint(expires_in=100)
    provider = make_provider(endpoint, clock)
    provider.headers()
    clock.now += 89
    provider.headers()
    assert endpoint.calls == 1
    clock.now += 2  # 91 s: past 90% of the 100 s lifetime
    provider.headers()
    assert endpoint.calls == 2


def test_missing_expires_in_defaults_to_an_hour() -> None:
    clock = FakeClock()
    endpoint = TokenEndpoint(body={"access_token": "tok"})
    provider = make_provider(endpoint, clock)
    provider.headers()
    clock.now += 3000
    provider.headers()
    assert endpoint.calls == 1


def test_token_fetched_once_across_threads() -> None:
    endpoint = TokenEndpoint(delay=0.05)
    provider = make_provider(endpoint)
    barrier = threading.Barrier(20)

    def get() -> str:
        barrier.wait()
        return provider.headers()["Authorization"]

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: get(), range(20)))
    assert endpoint.calls == 1
    assert set(results) == {"Bearer access-1"}


def test_token_fetched_once_across_tasks() -> None:
    endpoint = TokenEndpoint(delay=0.05)
    provider = make_provider(endpoint)

    async def main() -> list[dict[str, str]]:
        return await asyncio.gather(*(provider.aheaders() for _ in range(20)))

    results = asyncio.run(main())
    assert endpoint.calls == 1
    assert all(r == {"Authorization": "Bearer access-1"} for r in results)


def test_token_shared_between_threads_and_tasks_and_loops() -> None:
    endpoint = TokenEndpoint(delay=0.02)
    provider = make_provider(endpoint)

    async def burst() -> None:
        await asyncio.gather(*(provider.aheaders() for _ in range(10)))

    with ThreadPoolExecutor(4) as pool:
        futures: list[Future[Any]] = [pool.submit(asyncio.run, burst()) for _ in range(4)]
        futures += [pool.submit(provider.headers) for _ in range(4)]
        for future in futures:
            future.result()
    assert endpoint.calls == 1


def test_invalidate_forces_a_new_token() -> None:
    endpoint = TokenEndpoint()
    provider = make_provider(endpoint)
    assert provider.can_refresh is True
    provider.headers()
    provider.invalidate()
    assert provider.headers()["Authorization"] == "Bearer access-2"
    assert endpoint.calls == 2


# -- OAuth M2M: failures, without the secret ----------------------------------------------------


def _no_secret(error: BaseException) -> None:
    for text in (str(error), repr(error), str(error.args)):
        assert SECRET not in text


def test_token_endpoint_refusal_names_client_id_not_secret() -> None:
    endpoint = TokenEndpoint(status=401, body={"error": "invalid_client",
                                               "error_description": "Client authentication failed"})
    provider = make_provider(endpoint)
    with pytest.raises(OAuthTokenError) as info:
        provider.headers()
    error = info.value
    assert isinstance(error, AuthenticationError)
    assert error.status == 401
    assert error.error_code == "invalid_client"
    assert CLIENT_ID in str(error)
    assert "Client authentication failed" in str(error)
    assert error.retryable is False
    _no_secret(error)


def test_token_endpoint_server_error_is_retryable() -> None:
    provider = make_provider(TokenEndpoint(status=503, body={"error": "temporarily_unavailable"}))
    with pytest.raises(OAuthTokenError) as info:
        provider.headers()
    assert info.value.retryable is True
    assert info.value.status == 503


def test_token_endpoint_answer_without_token() -> None:
    provider = make_provider(TokenEndpoint(body={"token_type": "Bearer"}))
    with pytest.raises(OAuthTokenError, match="no access_token"):
        provider.headers()


def test_token_endpoint_not_json() -> None:
    provider = make_provider(lambda request: httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(OAuthTokenError, match="HTTP 502"):
        provider.headers()


def test_token_endpoint_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    provider = make_provider(refuse)
    with pytest.raises(APIConnectionError) as info:
        provider.headers()
    assert CLIENT_ID in str(info.value)
    _no_secret(info.value)
    assert info.value.__cause__ is None  # the httpx request (with Basic auth) is not chained


def test_oauth_repr_never_shows_secret() -> None:
    provider = make_provider(TokenEndpoint())
    provider.headers()
    text = repr(provider) + str(provider) + repr(provider._token)
    assert SECRET not in text
    assert "access-1" not in text
    assert CLIENT_ID in text


def test_provider_closes_only_its_own_client() -> None:
    provider = OAuthM2MProvider(HOST, CLIENT_ID, SECRET)
    provider.close()  # nothing created yet
    http = httpx.Client(transport=httpx.MockTransport(TokenEndpoint()))
    provider = OAuthM2MProvider(HOST, CLIENT_ID, SECRET, http_client=http)
    provider.headers()
    provider.close()
    assert not http.is_closed


# -- databricks-sdk bridge ----------------------------------------------------------------------


class FakeSdkConfig:
    """The part of databricks.sdk.core.Config the provider uses."""

    host = HOST
    auth_type = "oauth-m2m"

    def __init__(self) -> None:
        self.generation = 1
        self.threads: list[str] = []

    def authenticate(self) -> dict[str, str]:
        self.threads.append(threading.current_thread().name)
        return {"Authorization": f"Bearer sdk-{self.generation}"}

    def init_auth(self) -> None:
        self.generation += 1


def test_sdk_provider_headers_and_refresh() -> None:
    config = FakeSdkConfig()
    provider = SdkProvider(config)  # type: ignore[arg-type]
    assert provider.headers() == {"Authorization": "Bearer sdk-1"}
    assert provider.can_refresh is True
    provider.invalidate()
    assert provider.headers() == {"Authorization": "Bearer sdk-2"}
    assert "sdk-" not in repr(provider)
    assert "oauth-m2m" in repr(provider)


def test_sdk_provider_async_runs_in_a_thread() -> None:
    config = FakeSdkConfig()
    provider = SdkProvider(config)  # type: ignore[arg-type]
    main_thread = threading.current_thread().name
    assert asyncio.run(provider.aheaders()) == {"Authorization": "Bearer sdk-1"}
    assert config.threads[-1] != main_thread


def test_sdk_provider_failure_is_typed() -> None:
    class Broken(FakeSdkConfig):
        def authenticate(self) -> dict[str, str]:
            raise ValueError("cannot refresh token")

    with pytest.raises(AuthenticationError, match="cannot refresh token"):
        SdkProvider(Broken()).headers()  # type: ignore[arg-type]


def test_async_locks_of_closed_loops_are_dropped() -> None:
    provider = make_provider(TokenEndpoint())
    for _ in range(3):
        provider.invalidate()
        asyncio.run(provider.aheaders())
    assert len(provider._async_locks) == 1
