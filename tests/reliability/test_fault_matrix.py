"""The fault matrix: every surface, every mode, against every fault the emulator can inject.

For each fault: is it retried, how often, how long the client waits (bounded), which typed
error is raised otherwise, and whether the partial output of a broken stream comes back intact
(never lost, never duplicated). Sleeping is recorded instead of done (see `sleeps`), except in
`test_real_waits_are_bounded`, which waits for real.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from databricks_claude import errors
from databricks_claude.emulator import Emulator, ScriptedReply

from ._drivers import DRIVERS, MODES, Driver, Outcome
from ._support import count

TEXT = "alpha beta gamma delta epsilon"
STREAMS = ("stream", "astream")
BASE = 0.5  # the first backoff step (seconds) of the core's full-jitter backoff


@dataclass(frozen=True)
class Row:
    """One fault and what every mode must do about it.

    `recovers`: modes that must end with the full answer. Other modes must raise `error` (or
    `stream_error` for stream modes, when set). `partial`: a stream error carries the text
    streamed so far. `requests`: requests the emulator must see when the call recovers / fails.
    """

    name: str
    faults: tuple[tuple[str, int, dict[str, Any]], ...]
    recovers: tuple[str, ...] = MODES
    error: type[Exception] | None = None
    stream_error: type[Exception] | None = None
    partial: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    exact_delays: tuple[float, ...] | None = None
    harmless: bool = False  # the fault does not fail the request (nothing to retry)


def _status(status: int, times: int = 1, **params: Any) -> tuple[tuple[str, int, dict[str, Any]]]:
    return (("status", times, {"status": status, **params}),)


ROWS = [
    Row("429 with Retry-After", _status(429, retry_after=1), exact_delays=(1.0,)),
    Row("429 without Retry-After", _status(429)),
    Row("503 with Retry-After", _status(503, retry_after=1), exact_delays=(1.0,)),
    Row("500", _status(500)),
    Row("502", _status(502)),
    Row("503", _status(503)),
    Row("504", _status(504)),
    Row("503 every time", _status(503, times=3), recovers=(), error=errors.ServerError),
    Row("429 every time", _status(429, times=3, retry_after=0), recovers=(),
        error=errors.RateLimitError, exact_delays=(0.0, 0.0)),
    Row("400", _status(400), recovers=(), error=errors.BadRequestError),
    Row("401 with a token", _status(401), recovers=(), error=errors.AuthenticationError),
    Row("403", _status(403), recovers=(), error=errors.PermissionDeniedError),
    Row("404", _status(404), recovers=(), error=errors.EndpointNotFoundError),
    Row("reset before the response", (("reset", 1, {}),)),
    Row("reset every time", (("reset", 3, {}),), recovers=(), error=errors.APIConnectionError),
    Row("reset after 2 chunks", (("drop_after", 1, {"chunks": 2}),), recovers=("invoke", "ainvoke"),
        error=errors.StreamInterruptedError, partial="alpha beta "),
    Row("reset before the first chunk", (("drop_after", 1, {"chunks": 0}),)),
    Row("truncated after 2 chunks, no [DONE]", (("truncate", 1, {"chunks": 2}),), recovers=(),
        error=errors.MalformedResponseError, stream_error=errors.StreamInterruptedError,
        partial="alpha beta "),
    Row("truncated before the first chunk", (("truncate", 1, {"chunks": 0}),),
        recovers=STREAMS, error=errors.MalformedResponseError),
    Row("malformed chunk after 2 chunks", (("malformed", 1, {"after": 2}),), recovers=(),
        error=errors.MalformedResponseError, stream_error=errors.StreamInterruptedError,
        partial="alpha beta "),
    Row("malformed first chunk", (("malformed", 1, {"after": 0}),), recovers=STREAMS,
        error=errors.MalformedResponseError),
    # Read timeouts are generous where a spurious timeout on a loaded CI machine would change
    # the outcome, short where it would not.
    Row("stall before the first byte", (("stall", 1, {"seconds": 5.0}),),
        settings={"timeout": 1.0}),
    Row("stall every time", (("stall", 2, {"seconds": 5.0}),), recovers=(),
        error=errors.APITimeoutError, settings={"timeout": 0.3, "max_retries": 1}),
    Row("stall after 2 chunks", (("stall", 1, {"seconds": 5.0, "after": 2}),),
        recovers=("invoke", "ainvoke"), error=errors.StreamInterruptedError,
        partial="alpha beta ", settings={"timeout": 1.0}),
    Row("oversized response (2 MB)", (("oversize", 1, {"bytes": 2_000_000}),), harmless=True),
]


@pytest.fixture
def make(driver: Driver, emulator: Emulator) -> Iterator[Any]:
    """Builds objects of the current surface on the emulator and closes them afterwards."""
    built: list[Any] = []

    def build(host: str | None = None, **settings: Any) -> Any:
        settings.setdefault("token", emulator.token)
        obj = driver.build(host or emulator.host, **settings)
        built.append(obj)
        return obj

    yield build
    for obj in built:
        driver.close(obj)


def _expected_requests(row: Row, mode: str) -> int:
    """Requests the emulator sees: one per fault application, plus the one that succeeds."""
    applied = sum(times for _, times, _ in row.faults)
    retries = row.settings.get("max_retries", 2)
    if row.harmless:
        return 1
    if mode in row.recovers:
        return applied + 1
    if row.partial is not None and mode in STREAMS:
        return 1  # output was produced: never silently retried
    error = row.stream_error if mode in STREAMS and row.stream_error else row.error
    if error is not None and not _retried(error):
        return 1
    return min(applied, retries + 1)


def _retried(error: type[Exception]) -> bool:
    return issubclass(error, (errors.ServerError, errors.RateLimitError,
                              errors.APIConnectionError))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_fault(row: Row, mode: str, driver: Driver, make: Any, emulator: Emulator,
               sleeps: list[float]) -> None:
    """One fault, one surface, one mode: recovered with the whole answer, or a typed error."""
    obj = make(**row.settings)
    emulator.script(*[ScriptedReply(text=TEXT)] * 4)
    for kind, times, params in row.faults:
        emulator.fault(kind, times=times, **params)
    count("fault matrix: faults injected", sum(times for _, times, _ in row.faults))

    outcome = driver.run(obj, mode)

    chat = [r for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert len(chat) == _expected_requests(row, mode), [r.path for r in chat]
    # Every retry sends the same request again (nothing added, nothing lost).
    assert all(r.json == chat[0].json for r in chat), "a retry changed the request"
    retries = len(chat) - 1
    assert len(sleeps) == retries, (sleeps, retries)
    _check_waits(row, sleeps)
    if mode in row.recovers:
        _check_recovered(row, outcome, mode)
        count("fault matrix: faults survived", sum(times for _, times, _ in row.faults))
    else:
        _check_failed(row, outcome, mode)
        count("fault matrix: typed errors raised")
    count("fault matrix: retries made", retries)
    count("fault matrix: cases")


def _check_waits(row: Row, sleeps: list[float]) -> None:
    """Retry-After is honoured exactly; otherwise full-jitter backoff within its bound."""
    if row.exact_delays is not None:
        assert tuple(sleeps) == row.exact_delays[: len(sleeps)], sleeps
        return
    for attempt, delay in enumerate(sleeps):
        assert 0.0 <= delay <= BASE * 2**attempt, (attempt, delay)


def _check_recovered(row: Row, outcome: Outcome, mode: str) -> None:
    assert outcome.error is None, f"{type(outcome.error).__name__}: {outcome.error}"
    if row.name.startswith("oversized"):
        assert outcome.text.startswith(TEXT) and len(outcome.text) > 1_900_000
        assert set(outcome.text[len(TEXT):]) == {"x"}
    else:
        assert outcome.text == TEXT, outcome.text
    if mode in STREAMS and outcome.final_text is not None:
        assert outcome.final_text == outcome.text


def _check_failed(row: Row, outcome: Outcome, mode: str) -> None:
    expected = row.stream_error if mode in STREAMS and row.stream_error else row.error
    assert expected is not None
    error = outcome.error
    assert isinstance(error, expected), f"expected {expected.__name__}, got {error!r}"
    assert isinstance(error, errors.DatabricksClaudeError)
    assert str(error).strip()
    if isinstance(error, errors.APIStatusError):
        status = row.faults[0][2].get("status")
        assert error.status == status
    if isinstance(error, errors.RateLimitError):
        assert error.retry_after == row.faults[0][2].get("retry_after")
    if isinstance(error, errors.StreamInterruptedError):
        # The partial answer is handed back: exactly what was streamed, nothing lost or doubled.
        assert row.partial is not None
        assert outcome.text == row.partial, outcome.text
        assert error.partial.text == row.partial, error.partial.text
        assert error.cause is not None
        count("fault matrix: partial outputs handed back intact")
    elif mode in STREAMS:
        assert outcome.text == "", "output was streamed before an error that is not an interrupt"


PLAIN_HTTPX_ROWS = [row for row in ROWS if row.name in (
    "503", "429 every time", "reset before the response", "reset after 2 chunks",
    "truncated after 2 chunks, no [DONE]", "malformed chunk after 2 chunks",
    "stall before the first byte", "stall every time", "stall after 2 chunks")]


@pytest.mark.parametrize("mode", ("ainvoke", "astream"))
@pytest.mark.parametrize("row", PLAIN_HTTPX_ROWS, ids=[row.name for row in PLAIN_HTTPX_ROWS])
def test_fault_on_the_plain_httpx_async_transport(
        row: Row, mode: str, emulator: Emulator, sleeps: list[float],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The async rows again on plain httpx (no httpx-aiohttp): errors map the same way."""
    monkeypatch.setenv("DATABRICKS_CLAUDE_HTTP_BACKEND", "httpx")
    driver = DRIVERS["core"]()
    obj = driver.build(emulator.host, token=emulator.token, **row.settings)
    try:
        test_fault(row, mode, driver, lambda **settings: obj, emulator, sleeps)
    finally:
        driver.close(obj)


HOSTILE_BODIES = {
    "deeply nested JSON": b"[" * 100_000 + b"]" * 100_000,
    "invalid UTF-8": b"\xff\xfe{\"choices\": \x00\x81}",
    "a JSON array": b"[1, 2, 3]",
    "empty": b"",
    "an HTML page": b"<html><body>Bad Gateway</body></html>",
    "a JSON error inside 200": b'{"error_code": "INTERNAL_ERROR", "message": "boom"}',
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [200, 500])
@pytest.mark.parametrize("body", sorted(HOSTILE_BODIES))
def test_hostile_bodies_through_the_transport(body: str, status: int, mode: str,
                                              sleeps: list[float]) -> None:
    """Whatever bytes come back, the caller gets a typed error (or an answer), nothing else."""
    import httpx

    content = HOSTILE_BODIES[body]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content)

    driver = DRIVERS["core"]()
    obj = driver.build("https://dbc-hostile.cloud.databricks.com", token="dapi-hostile",
                       max_retries=0, transport=httpx.MockTransport(answer),
                       async_transport=httpx.MockTransport(answer))
    try:
        outcome = driver.run(obj, mode)
    finally:
        driver.close(obj)
    assert isinstance(outcome.error, errors.DatabricksClaudeError), repr(outcome.error)
    assert str(outcome.error).strip()
    count("fault matrix: hostile bodies answered with a typed error")
    count("fault matrix: cases")


# ----------------------------------------------------------------------------------------------
# Faults outside the emulator's queue


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("mode", MODES)
def test_connection_refused(mode: str, driver: Driver, make: Any, sleeps: list[float]) -> None:
    """Nothing listens: retried max_retries times with bounded backoff, then a typed error."""
    obj = make(host=f"http://127.0.0.1:{_closed_port()}", token="dapi-refused")
    outcome = driver.run(obj, mode)
    assert isinstance(outcome.error, errors.APIConnectionError), repr(outcome.error)
    assert not isinstance(outcome.error, errors.APITimeoutError)
    assert "127.0.0.1" in str(outcome.error)
    assert len(sleeps) == 2 and all(0 <= d <= BASE * 2**i for i, d in enumerate(sleeps))
    assert outcome.text == ""
    count("fault matrix: faults injected", 3)
    count("fault matrix: typed errors raised")
    count("fault matrix: retries made", 2)
    count("fault matrix: cases")


@pytest.mark.parametrize("mode", MODES)
def test_expired_oauth_token_is_refreshed_once(mode: str, driver: Driver, make: Any,
                                               emulator: Emulator, sleeps: list[float]) -> None:
    """OAuth M2M: a token revoked between calls gets a 401, one refresh, and the call succeeds."""
    obj = make(token=None, client_id=emulator.client_id, client_secret=emulator.client_secret)
    emulator.script(*[ScriptedReply(text=TEXT)] * 3)
    assert driver.run(obj, mode).text == TEXT
    emulator.expire_tokens()
    outcome = driver.run(obj, mode)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text == TEXT
    paths = [r.path for r in emulator.requests]
    assert paths.count("/oidc/v1/token") == 2, paths
    assert paths.count("/serving-endpoints/chat/completions") == 3, paths
    assert sleeps == [0.0]  # the refresh retry does not back off
    count("fault matrix: faults injected")
    count("fault matrix: faults survived")
    count("fault matrix: cases")


@pytest.mark.parametrize("mode", MODES)
def test_oauth_refresh_happens_once_then_fails_typed(mode: str, driver: Driver, make: Any,
                                                     emulator: Emulator,
                                                     sleeps: list[float]) -> None:
    """A 401 that persists after the refresh is not retried again: AuthenticationError."""
    obj = make(token=None, client_id=emulator.client_id, client_secret=emulator.client_secret)
    emulator.fault("status", times=5, status=401)
    outcome = driver.run(obj, mode)
    assert isinstance(outcome.error, errors.AuthenticationError), repr(outcome.error)
    paths = [r.path for r in emulator.requests]
    assert paths.count("/serving-endpoints/chat/completions") == 2, paths
    assert paths.count("/oidc/v1/token") == 2, paths
    count("fault matrix: faults injected", 2)
    count("fault matrix: typed errors raised")
    count("fault matrix: cases")


def test_real_waits_are_bounded(emulator: Emulator) -> None:
    """End to end, real sleeping: Retry-After 0 is quick; Retry-After 30 is capped by
    max_retry_wait (0.3 s) instead of stalling the caller for 30 s."""
    from databricks_claude.client import DatabricksClaudeClient
    from databricks_claude.messages import Message

    with DatabricksClaudeClient("databricks-claude-sonnet-4-5", host=emulator.host,
                                token=emulator.token, max_retry_wait=0.3) as client:
        emulator.script(*[ScriptedReply(text=TEXT)] * 2)
        emulator.fault("status", status=429, retry_after=0)
        assert client.complete([Message.user("hi")]).text == TEXT
        emulator.fault("status", times=2, status=429, retry_after=30)
        started = time.monotonic()
        assert client.complete([Message.user("hi")]).text == TEXT
        waited = time.monotonic() - started
    assert 0.6 <= waited < 10, waited  # two capped waits of 0.3 s, far from 2 x 30 s
    count("fault matrix: faults injected", 3)
    count("fault matrix: faults survived", 3)
    count("fault matrix: cases")
