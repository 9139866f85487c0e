"""The transport: `DatabricksClaudeClient` sends chat requests to a Databricks serving endpoint.

Sync and async differ only in their I/O calls. Everything else (payload encoding, status and
error mapping, retry decisions, stream bookkeeping and resumption) is shared code that does no I/O.

- One pooled `httpx.Client` and one `httpx.AsyncClient` per client object (per event loop for
  the async one, since an async pool is bound to its loop), created on first use and reused.
- The async client uses the `httpx-aiohttp` transport (a dependency; used when importable):
  it keeps httpx's interface and avoids httpx's slow pool under bursts of concurrent calls.
  Plain httpx is used when an environment proxy applies to the endpoint, or when
  `DATABRICKS_CLAUDE_HTTP_BACKEND=httpx` is set.
- Redirects are never followed, so a token is never sent to another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
import warnings
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr
from pydantic_core import from_json as loads  # about twice as fast as json.loads

from databricks_claude import __version__
from databricks_claude._retry import RetryState
from databricks_claude.config import ClientConfig, resolve_config
from databricks_claude.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DatabricksClaudeError,
    MalformedResponseError,
    StreamInterruptedError,
    error_from_response,
)
from databricks_claude.messages import (
    Completion,
    Delta,
    FinishDelta,
    Message,
    ReasoningPart,
    RedactedReasoningPart,
    RequestOptions,
    TextDelta,
    TextPart,
    ToolCallPart,
    Usage,
    add_usage,
)
from databricks_claude.profiles import ModelProfile, get_profile
from databricks_claude.request import build_payload, thinking_on
from databricks_claude.response import parse_completion
from databricks_claude.stream import StreamAccumulator, aiter_sse_data, iter_sse_data

__all__ = ["DatabricksClaudeClient"]

logger = logging.getLogger("databricks_claude")

USER_AGENT = f"databricks-claude/{__version__}"
_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=1000, keepalive_expiry=30.0)
_BACKEND_ENV = "DATABRICKS_CLAUDE_HTTP_BACKEND"
_sleep = time.sleep  # module-level so that tests can record the backoff
_asleep = asyncio.sleep


# ------------------------------------------------------------------------------------------------
# Shared, I/O-free pieces


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """The request body: compact JSON, encoded once per call and reused across retries.

    Raises `ConfigurationError` (before any network call) for a payload that is not strict
    JSON: NaN or infinity (which `json` would write as invalid `NaN`/`Infinity` tokens), a
    value JSON cannot hold, or a circular reference, typically from `extra_body`.
    """
    # Imported here so this change stays inside this function (the module imports are shared).
    from databricks_claude.errors import ConfigurationError

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


def completion_from_body(content: bytes) -> Completion:
    """Parse a successful non-streaming response body (one JSON parse, no validation layer)."""
    try:
        data = loads(content)
    except (ValueError, RecursionError):  # RecursionError: hostile, absurdly deep JSON
        snippet = content[:200].decode("utf-8", "replace")
        raise MalformedResponseError(
            f"the service answered with a body that is not JSON: {snippet!r}") from None
    return parse_completion(data)


class IncompleteStreamError(APIConnectionError):
    """The stream ended (EOF) without a finish reason or `[DONE]`."""


def can_resume(partial: Completion, payload: Mapping[str, Any]) -> bool:
    """A broken stream may be resumed by prefill only when it holds plain text: no reasoning,
    no tool call, and thinking not requested."""
    # Prefill is not allowed when the request asks for reasoning.
    if thinking_on(payload.get("thinking")) or not partial.text:
        return False
    return not any(isinstance(p, (ReasoningPart, RedactedReasoningPart, ToolCallPart))
                   for p in partial.parts)


def describe_partial(partial: Completion) -> str:
    """How much a broken stream had delivered, for the error message."""
    return (f"{len(partial.text)} characters of text, {len(partial.reasoning_text)} of reasoning "
            f"and {len(partial.tool_calls)} tool call(s)")


class StreamRun:
    """The state of one streamed call across attempts: accumulator, retry budget, resumption.

    Pure bookkeeping shared by the sync and async transports. After a resume, the text already
    delivered is sent back as an assistant prefill (trailing whitespace stripped, as the service
    requires) and the continuation is joined to it so that the caller sees one stream.
    """

    def __init__(self, payload: dict[str, Any], retry: RetryState, *, resume: bool):
        self.payload = payload
        self.retry = retry
        self.resume = resume
        self.accumulator = StreamAccumulator()
        self.body = encode_payload(payload)
        self._prefix = ""  # text delivered before the current attempt
        self._pending_ws = ""  # whitespace already delivered that the continuation may repeat
        self._dropped = 0  # characters of the continuation swallowed as repeats
        self._resumed = False
        self._earlier_usage: Usage | None = None  # what interrupted attempts already consumed

    def feed(self, data: str) -> list[Delta]:
        """The deltas for one SSE data payload, joined to earlier attempts after a resume."""
        deltas = self.accumulator.feed_data(data)
        if self._resumed and deltas:
            return self._join(deltas)
        return deltas

    def applied(self, error: MalformedResponseError) -> list[Delta]:
        """The deltas a malformed chunk produced before failing (already in the snapshot)."""
        deltas = list(error.applied)
        return self._join(deltas) if self._resumed and deltas else deltas

    def feeder(self) -> Callable[[str], list[Delta]]:
        """`feed` for the current attempt: the accumulator's own method when nothing is joined
        (one call less per chunk on the hot path)."""
        return self.feed if self._resumed else self.accumulator.feed_data

    def end(self) -> list[Delta]:
        """The last deltas at EOF; IncompleteStreamError if the answer never finished."""
        deltas = self.accumulator.end()
        if not self.accumulator.complete:
            raise IncompleteStreamError(
                "the stream ended before the answer was complete (no finish_reason or [DONE])")
        return self._join(deltas) if self._resumed else deltas

    def partial(self) -> Completion:
        """Everything received so far, including text delivered before a resume."""
        snapshot = self.accumulator.snapshot()
        return self._merged(snapshot) if self._resumed else snapshot

    def _join(self, deltas: list[Delta]) -> list[Delta]:
        """Swallow repeated leading whitespace; give the final completion the full text."""
        joined: list[Delta] = []
        for delta in deltas:
            if isinstance(delta, TextDelta) and self._pending_ws:
                delta = self._swallow_repeat(delta)
                if not delta.text:
                    continue
            elif isinstance(delta, FinishDelta):
                delta = FinishDelta(self._merged(delta.completion))
            joined.append(delta)
        return joined

    def _swallow_repeat(self, delta: TextDelta) -> TextDelta:
        """Drop the start of `delta` that repeats whitespace the caller already received."""
        pending, text = self._pending_ws, delta.text
        same = 0
        while same < min(len(pending), len(text)) and pending[same] == text[same]:
            same += 1
        self._dropped += same
        self._pending_ws = pending[same:] if same == len(text) else ""
        return TextDelta(text[same:])

    def _merged(self, continuation: Completion) -> Completion:
        """The continuation with its text replaced by everything delivered across attempts,
        and its usage added to what the interrupted attempts reported (they were billed too)."""
        text = self._prefix + continuation.text[self._dropped:]
        rest = [p for p in continuation.parts if not isinstance(p, TextPart)]
        usage = add_usage(self._earlier_usage, continuation.usage)
        return Completion([TextPart(text), *rest], continuation.finish_reason, usage,
                          continuation.model, continuation.id)

    def prepare_resume(self) -> None:
        """Start a continuation request with the delivered text as an assistant prefill."""
        partial = self.partial()
        delivered = partial.text
        self._earlier_usage = partial.usage
        prefill = delivered.rstrip()
        self._prefix, self._pending_ws = delivered, delivered[len(prefill):]
        self._dropped, self._resumed = 0, True
        messages = list(self.payload["messages"])
        if prefill:
            messages.append({"role": "assistant", "content": prefill})
        self.body = encode_payload({**self.payload, "messages": messages})
        self.accumulator = StreamAccumulator()

    def restart(self) -> None:
        """Start over after a failure before any output (nothing was delivered)."""
        self.accumulator = StreamAccumulator()

    def interrupted(self, error: DatabricksClaudeError) -> StreamInterruptedError:
        """The error raised when the stream cannot be continued after output was produced."""
        partial = self.partial()
        return StreamInterruptedError(
            f"the stream was interrupted after {describe_partial(partial)}: {error}",
            partial=partial, cause=error)


# ------------------------------------------------------------------------------------------------
# The client


class DatabricksClaudeClient:
    """A Claude serving endpoint on Databricks: `complete`, `stream`, and their async twins.

    Credentials and host are resolved by `config.resolve_config` (arguments, environment,
    databricks-sdk). `timeout` is the read/write timeout in seconds (None: no limit);
    `max_retries` counts retries after the first attempt; `resume_streams` lets a plain-text stream
    that breaks after output continue by prefill instead of raising `StreamInterruptedError`.
    `config_profile` names a `~/.databrickscfg` profile (needs databricks-sdk); `config` skips
    resolution altogether. `transport` / `async_transport` replace the network layer under the
    pooled clients (proxies, `httpx.MockTransport` in tests).
    """

    def __init__(self, endpoint: str, *, host: str | None = None,
                 token: str | SecretStr | None = None, client_id: str | None = None,
                 client_secret: str | SecretStr | None = None, base_url: str | None = None,
                 timeout: float | None = 300.0, connect_timeout: float = 10.0,
                 max_retries: int = 2, max_retry_wait: float = 60.0,
                 resume_streams: bool = False, default_headers: Mapping[str, str] | None = None,
                 profile: ModelProfile | None = None, config_profile: str | None = None,
                 config: ClientConfig | None = None,
                 transport: httpx.BaseTransport | None = None,
                 async_transport: httpx.AsyncBaseTransport | None = None):
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.endpoint = endpoint
        self.profile = profile or get_profile(endpoint)
        self._owns_config = config is None
        self.config = config or resolve_config(
            host=host, token=token, client_id=client_id, client_secret=client_secret,
            base_url=base_url, profile=config_profile)
        self.url = f"{self.config.base_url}/chat/completions"
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.resume_streams = resume_streams
        self._timeout = httpx.Timeout(connect=connect_timeout, read=timeout, write=timeout,
                                      pool=None)
        self._headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json",
                         "Accept": "application/json, text/event-stream",
                         **(default_headers or {})}
        self._transport = transport
        self._async_transport = async_transport
        self._sync: httpx.Client | None = None
        # One async pool per event loop (a pool is bound to its loop); dead loops are pruned.
        self._async: dict[asyncio.AbstractEventLoop, _AsyncPool] = {}
        self._lock = threading.Lock()
        # Models are rarely closed explicitly: when this one is collected (or at exit), release
        # the pools of finished loops quietly. The finalizer must not hold `self`.
        weakref.finalize(self, _prune_dead_loops, self._async)

    def __repr__(self) -> str:
        return f"DatabricksClaudeClient(endpoint={self.endpoint!r}, url={self.url!r})"

    # -- requests ---------------------------------------------------------------------------------

    def build_payload(self, messages: Sequence[Message], options: RequestOptions | None = None,
                      *, stream: bool = False) -> dict[str, Any]:
        """The JSON payload for these messages (raises ConfigurationError before any I/O)."""
        return build_payload(messages, options or RequestOptions(), model=self.endpoint,
                             profile=self.profile, stream=stream)

    def complete(self, messages: Sequence[Message],
                 options: RequestOptions | None = None) -> Completion:
        """One completion, retried per the retry policy."""
        body = encode_payload(self.build_payload(messages, options))
        retry = self._retry_state()
        while True:
            try:
                return self._complete_once(body, retry.attempt)
            except DatabricksClaudeError as error:
                delay = self._retry_delay(retry, error)
                if delay is None:
                    raise
                _sleep(delay)

    async def acomplete(self, messages: Sequence[Message],
                        options: RequestOptions | None = None) -> Completion:
        """One completion, retried per the retry policy (async)."""
        body = encode_payload(self.build_payload(messages, options))
        retry = self._retry_state()
        while True:
            try:
                return await self._acomplete_once(body, retry.attempt)
            except DatabricksClaudeError as error:
                delay = self._retry_delay(retry, error)
                if delay is None:
                    raise
                await _asleep(delay)

    def stream(self, messages: Sequence[Message],
               options: RequestOptions | None = None) -> Iterator[Delta]:
        """Stream the answer as deltas; the last one is a FinishDelta with the full completion."""
        run = self._stream_run(self.build_payload(messages, options, stream=True))
        return self._stream(run)

    def astream(self, messages: Sequence[Message],
                options: RequestOptions | None = None) -> AsyncIterator[Delta]:
        """Stream the answer as deltas (async); the last one is a FinishDelta."""
        run = self._stream_run(self.build_payload(messages, options, stream=True))
        return self._astream(run)

    # -- sync I/O ---------------------------------------------------------------------------------

    def _complete_once(self, body: bytes, attempt: int) -> Completion:
        headers = self.config.credentials.headers()
        try:
            response = self._sync_client().post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise transport_error(error, self.url) from error
        return self._completion_of(response, attempt)

    def _open_stream(self, body: bytes, attempt: int) -> httpx.Response:
        headers = self.config.credentials.headers()
        client = self._sync_client()
        request = client.build_request("POST", self.url, content=body, headers=headers)
        try:
            response = client.send(request, stream=True)
            self._log_response(response, attempt)
            if not response.is_success:
                try:
                    response.read()
                finally:
                    response.close()
                raise status_error(response)
        except httpx.HTTPError as error:
            raise transport_error(error, self.url) from error
        return response

    def _stream(self, run: StreamRun) -> Iterator[Delta]:
        while True:
            try:
                yield from self._stream_attempt(run)
                return
            except DatabricksClaudeError as error:
                outcome = self._on_stream_error(run, error)
                if isinstance(outcome, list):
                    yield from outcome
                    return
                _sleep(outcome)

    def _stream_attempt(self, run: StreamRun) -> Iterator[Delta]:
        response = self._open_stream(run.body, run.retry.attempt)
        feed = run.feeder()
        try:
            for data in iter_sse_data(response.iter_lines()):
                yield from feed(data)
        except MalformedResponseError as error:
            yield from run.applied(error)
            raise
        except httpx.HTTPError as error:
            raise transport_error(error, self.url) from error
        finally:
            response.close()
        yield from run.end()

    def _sync_client(self) -> httpx.Client:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = httpx.Client(
                        headers=self._headers, timeout=self._timeout, limits=_LIMITS,
                        follow_redirects=False, transport=self._transport)
                client = self._sync
        return client

    # -- async I/O --------------------------------------------------------------------------------

    async def _acomplete_once(self, body: bytes, attempt: int) -> Completion:
        headers = await self.config.credentials.aheaders()
        try:
            response = await self._async_client().post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise transport_error(error, self.url) from error
        return self._completion_of(response, attempt)

    async def _aopen_stream(self, body: bytes, attempt: int) -> httpx.Response:
        headers = await self.config.credentials.aheaders()
        client = self._async_client()
        request = client.build_request("POST", self.url, content=body, headers=headers)
        try:
            response = await client.send(request, stream=True)
            self._log_response(response, attempt)
            if not response.is_success:
                try:
                    await response.aread()
                finally:
                    await response.aclose()
                raise status_error(response)
        except httpx.HTTPError as error:
            raise transport_error(error, self.url) from error
        return response

    async def _astream(self, run: StreamRun) -> AsyncIterator[Delta]:
        while True:
            try:
                # aclosing: a consumer that stops early closes the attempt (and its response)
                # now, not when the abandoned generator is garbage-collected.
                async with contextlib.aclosing(self._astream_attempt(run)) as attempt:
                    async for delta in attempt:
                        yield delta
                return
            except DatabricksClaudeError as error:
                outcome = self._on_stream_error(run, error)
                if isinstance(outcome, list):
                    for delta in outcome:
                        yield delta
                    return
                await _asleep(outcome)

    async def _astream_attempt(self, run: StreamRun) -> AsyncGenerator[Delta, None]:
        response = await self._aopen_stream(run.body, run.retry.attempt)
        feed = run.feeder()
        try:
            async for data in aiter_sse_data(response.aiter_lines()):
                for delta in feed(data):
                    yield delta
        except MalformedResponseError as error:
            for delta in run.applied(error):
                yield delta
            raise
        except httpx.HTTPError as error:
            raise transport_error(error, self.url) from error
        finally:
            await response.aclose()
        for delta in run.end():
            yield delta

    def _async_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        pool = self._async.get(loop)
        if pool is None:
            with self._lock:
                _prune_dead_loops(self._async)
                transport = self._async_transport or _fast_async_transport(self.url)
                client = httpx.AsyncClient(
                    headers=self._headers, timeout=self._timeout, limits=_LIMITS,
                    follow_redirects=False, transport=transport)
                pool = self._async[loop] = _AsyncPool(client, transport)
        return pool.client

    # -- shared decisions -------------------------------------------------------------------------

    def _retry_state(self) -> RetryState:
        return RetryState(self.max_retries, self.max_retry_wait)

    def _stream_run(self, payload: dict[str, Any]) -> StreamRun:
        return StreamRun(payload, self._retry_state(), resume=self.resume_streams)

    def _retry_delay(self, retry: RetryState, error: DatabricksClaudeError, *,
                     in_stream: bool = False) -> float | None:
        """Seconds to wait before the next attempt, or None to give up (the caller re-raises)."""
        credentials = self.config.credentials
        decision = retry.decide(error, can_refresh=credentials.can_refresh, in_stream=in_stream)
        if not decision.retry:
            return None
        if decision.refresh_auth:
            credentials.invalidate()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("retrying POST %s after %s (retry %d, waiting %.2fs)", self.url,
                         type(error).__name__, retry.attempt, decision.delay)
        return decision.delay

    def _on_stream_error(self, run: StreamRun,
                         error: DatabricksClaudeError) -> list[Delta] | float:
        """What a failed stream attempt leads to, for sync and async alike: the last deltas when
        the answer had finished (only the trailing [DONE] was lost), else the wait before the
        next attempt; raises when there is none."""
        if run.accumulator.complete:
            return run.end()
        delay = self._stream_retry_delay(run, error)
        if delay is None:
            raise error
        return delay

    def _stream_retry_delay(self, run: StreamRun, error: DatabricksClaudeError) -> float | None:
        """Like `_retry_delay` for streams: restart before output, resume or raise after it."""
        if not run.accumulator.has_output:
            delay = self._retry_delay(run.retry, error, in_stream=True)
            if delay is not None:
                run.restart()
            return delay
        if run.resume and can_resume(run.accumulator.snapshot(), run.payload):
            delay = self._retry_delay(run.retry, error, in_stream=True)
            if delay is not None:
                run.prepare_resume()
                return delay
        raise run.interrupted(error) from error

    def _completion_of(self, response: httpx.Response, attempt: int) -> Completion:
        """The completion of a read response, or its typed error (shared by sync and async)."""
        self._log_response(response, attempt)
        if not response.is_success:
            raise status_error(response)
        return completion_from_body(response.content)

    def _log_response(self, response: httpx.Response, attempt: int) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("POST %s -> %d (attempt %d)", self.url, response.status_code,
                         attempt + 1)

    # -- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync HTTP client (and the credential provider's, if this client made it)."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None
        if self._owns_config:
            self.config.credentials.close()

    async def aclose(self) -> None:
        """Close the async HTTP client of the running loop, then the sync one."""
        pool = self._async.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.client.aclose()
        with self._lock:
            _prune_dead_loops(self._async)
        self.close()

    def __deepcopy__(self, memo: dict[int, Any]) -> DatabricksClaudeClient:
        # A client is a shared resource (pools, token cache): copies share it, as frameworks
        # that deep-copy their models expect to keep working.
        return self

    def __enter__(self) -> DatabricksClaudeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> DatabricksClaudeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _AsyncPool(NamedTuple):
    """An event loop's async client and the transport it was built on (None: httpx's own)."""

    client: httpx.AsyncClient
    transport: httpx.AsyncBaseTransport | None

    def abandon(self) -> None:
        """Release a pool whose loop is closed, where nothing can be awaited any more.

        An aiohttp session and connector log "Unclosed ..." errors when collected: detach the
        session and run the connector's `close()` coroutine by hand (on a closed loop it only
        marks the connector closed and never suspends).
        """
        session = getattr(self.transport, "client", None)
        connector = getattr(session, "connector", None)
        if session is None or connector is None:
            return
        session.detach()
        with warnings.catch_warnings(), contextlib.suppress(Exception):
            warnings.simplefilter("ignore")
            _run_to_completion(connector.close())


def _prune_dead_loops(pools: dict[asyncio.AbstractEventLoop, _AsyncPool]) -> None:
    """Forget the pools of closed event loops (e.g. one `asyncio.run` per call)."""
    for loop, pool in list(pools.items()):
        if loop.is_closed():
            pools.pop(loop, None)
            pool.abandon()


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


def _fast_async_transport(url: str) -> httpx.AsyncBaseTransport | None:
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
    return AiohttpTransport(limits=_LIMITS)


def _env_proxy_applies(url: str) -> bool:
    """True when the environment configures a proxy for this URL (and NO_PROXY spares it not)."""
    import urllib.request

    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")
