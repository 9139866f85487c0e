"""The transport: `DatabricksClaudeClient` sends requests to a Databricks serving endpoint.

Sync and async differ only in their I/O calls. Everything else (payload encoding, status and
error mapping, retry decisions, stream bookkeeping and resumption) is shared code that does no
I/O, and the wire is reached only through its codec (`databricks_claude.codecs`): the client
knows nothing of a payload beyond what the codec hands it.

- One pooled `httpx.Client` and one `httpx.AsyncClient` per client object (per event loop for
  the async one), made on first use, reused, and closed even if nobody closes them (`_pools`;
  `_http` has the typed errors, `_streamrun` the stream bookkeeping).
- Redirects are never followed, so a token is never sent to another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

import httpx
from pydantic import SecretStr

from databricks_claude._http import (
    LIMITS,
    USER_AGENT,
    AsyncPool,
    encode_payload,
    ssl_context,
    status_error,
    transport_error,
)
from databricks_claude._loops import PerLoop
from databricks_claude._pools import LoopPool, Pools
from databricks_claude._retry import RetryState, retry_delay
from databricks_claude._streamrun import StreamRun, can_resume
from databricks_claude.codecs import Codec, Request
from databricks_claude.codecs.registry import codec_for
from databricks_claude.config import ClientConfig, resolve_config
from databricks_claude.errors import DatabricksClaudeError, MalformedResponseError
from databricks_claude.messages import Completion, Delta, Message, RequestOptions
from databricks_claude.profiles import ModelProfile, get_profile
from databricks_claude.rules.output_format import answer_from_json_tool
from databricks_claude.settings import check_client_settings, check_endpoint
from databricks_claude.sse import aiter_sse_text, iter_sse_text

__all__ = ["DatabricksClaudeClient"]

logger = logging.getLogger("databricks_claude")

_sleep = time.sleep  # module-level so that tests can record the backoff
_asleep = asyncio.sleep


# ------------------------------------------------------------------------------------------------
# The client


class DatabricksClaudeClient:
    """A Claude serving endpoint on Databricks: `complete`, `stream`, and their async twins.

    Credentials and host are resolved by `config.resolve_config` (arguments, environment,
    databricks-sdk). `timeout` is the read/write timeout in seconds (None: no limit);
    `max_retries` counts retries after the first attempt; `resume_streams` lets a plain-text stream
    that breaks after output continue by prefill instead of raising `StreamInterruptedError`.
    `config_profile` names a `~/.databrickscfg` profile (needs databricks-sdk); `config` skips
    resolution altogether; `allow_insecure_http` opts in to plain http for a named host.
    `transport` / `async_transport` replace the network layer under the pooled clients.
    Every setting is checked here (`ConfigurationError`); `with` / `async with` close it.
    """

    def __init__(self, endpoint: str, *, host: str | None = None,
                 token: str | SecretStr | None = None, client_id: str | None = None,
                 client_secret: str | SecretStr | None = None, base_url: str | None = None,
                 timeout: float | None = 300.0, connect_timeout: float | None = 10.0,
                 max_retries: int = 2, max_retry_wait: float = 60.0,
                 resume_streams: bool = False, default_headers: Mapping[str, str] | None = None,
                 profile: ModelProfile | None = None, config_profile: str | None = None,
                 config: ClientConfig | None = None,
                 transport: httpx.BaseTransport | None = None,
                 async_transport: httpx.AsyncBaseTransport | None = None,
                 codec: Codec | None = None, allow_insecure_http: bool | None = None,
                 api: str = "chat"):
        # docs/design-rules.md#construction: every setting is refused here, before any I/O.
        check_endpoint(endpoint)
        codec = codec or codec_for(api)
        check_client_settings(timeout=timeout, connect_timeout=connect_timeout,
                              max_retries=max_retries, max_retry_wait=max_retry_wait,
                              default_headers=default_headers)
        self.endpoint = endpoint
        self.profile = profile or get_profile(endpoint)
        self._owns_config = config is None
        self.config = config or resolve_config(
            host=host, token=token, client_id=client_id, client_secret=client_secret,
            base_url=base_url, profile=config_profile, allow_insecure_http=allow_insecure_http)
        self.codec = codec
        self.url = f"{self.config.base_url}{codec.path}"
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.resume_streams = resume_streams
        self._timeout = httpx.Timeout(connect=connect_timeout, read=timeout, write=timeout,
                                      pool=None)
        self._headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json",
                         "Accept": "application/json, text/event-stream",
                         **codec.headers, **(default_headers or {})}
        self._transport = transport
        self._async_transport = async_transport
        self._pools = Pools()
        # Clients are rarely closed explicitly (a model per request): when this one is
        # collected, or at exit, its pools are closed quietly. The finalizer holds only them.
        self._finalizer = weakref.finalize(self, self._pools.release)

    # The sync client (None until made) and the per-loop async pools, as tests look at them.
    @property
    def _sync(self) -> httpx.Client | None:
        return self._pools.sync

    @property
    def _async(self) -> PerLoop[LoopPool]:
        return self._pools.per_loop

    def __repr__(self) -> str:
        return f"DatabricksClaudeClient(endpoint={self.endpoint!r}, url={self.url!r})"

    # -- requests ---------------------------------------------------------------------------------

    def build_request(self, messages: Sequence[Message], options: RequestOptions | None = None,
                      *, stream: bool = False) -> Request:
        """The request for these messages and what building it decided (raises
        `ConfigurationError` before any I/O)."""
        return self.codec.build(messages, options or RequestOptions(), model=self.endpoint,
                                profile=self.profile, stream=stream)

    def complete(self, messages: Sequence[Message],
                 options: RequestOptions | None = None) -> Completion:
        """One completion, retried per the retry policy."""
        request = self.build_request(messages, options)
        body, retry = encode_payload(request.payload), self._retry_state()
        while True:
            try:
                return self._decided(self._complete_once(body, retry.attempt), request)
            except DatabricksClaudeError as error:
                delay = self._retry_delay(retry, error)
                if delay is None:
                    raise
                _sleep(delay)

    async def acomplete(self, messages: Sequence[Message],
                        options: RequestOptions | None = None) -> Completion:
        """One completion, retried per the retry policy (async)."""
        request = self.build_request(messages, options)
        body, retry = encode_payload(request.payload), self._retry_state()
        while True:
            try:
                return self._decided(await self._acomplete_once(body, retry.attempt), request)
            except DatabricksClaudeError as error:
                delay = self._retry_delay(retry, error)
                if delay is None:
                    raise
                await _asleep(delay)

    def stream(self, messages: Sequence[Message],
               options: RequestOptions | None = None) -> Iterator[Delta]:
        """Stream the answer as deltas; the last one is a FinishDelta with the full completion."""
        run = self._stream_run(self.build_request(messages, options, stream=True))
        return self._stream(run)

    def astream(self, messages: Sequence[Message],
                options: RequestOptions | None = None) -> AsyncIterator[Delta]:
        """Stream the answer as deltas (async); the last one is a FinishDelta."""
        run = self._stream_run(self.build_request(messages, options, stream=True))
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
            for data in iter_sse_text(response.iter_text()):
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
        return self._pools.sync_client(self._new_sync)

    def _new_sync(self) -> httpx.Client:
        return httpx.Client(headers=self._headers, timeout=self._timeout, limits=LIMITS,
                            verify=ssl_context(), follow_redirects=False,
                            transport=self._transport)

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
            async for data in aiter_sse_text(response.aiter_text()):
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
        return self._pools.async_client(self._new_pool)

    def _new_pool(self) -> AsyncPool:
        return AsyncPool.open(self.url, self._headers, self._timeout, self._async_transport)

    # -- shared decisions -------------------------------------------------------------------------

    def _retry_state(self) -> RetryState:
        return RetryState(self.max_retries, self.max_retry_wait)

    def _stream_run(self, request: Request) -> StreamRun:
        return StreamRun(self.codec, request, self._retry_state(), resume=self.resume_streams)

    @staticmethod
    def _decided(completion: Completion, request: Request) -> Completion:
        """The completion, carrying what its request decided (the call of a `response_format`
        tool as its answer text: docs/structured-output.md)."""
        completion.decisions = request.decisions
        name = request.decisions.json_tool
        return answer_from_json_tool(completion, name) if name else completion

    def _retry_delay(self, retry: RetryState, error: DatabricksClaudeError, *,
                     in_stream: bool = False) -> float | None:
        """Seconds to wait before the next attempt, or None to give up (the caller re-raises)."""
        return retry_delay(retry, error, self.config.credentials, url=self.url,
                           in_stream=in_stream)

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
        if run.resume and can_resume(run.accumulator.snapshot(), run.request.decisions.thinking):
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
        return self.codec.parse(response.content)

    def _log_response(self, response: httpx.Response, attempt: int) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("POST %s -> %d (attempt %d)", self.url, response.status_code,
                         attempt + 1)

    # -- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync HTTP client (and the credential provider's, if this client made it)."""
        self._pools.close_sync()
        if self._owns_config:
            self.config.credentials.close()

    async def aclose(self) -> None:
        """Close the async HTTP client of the running loop, then the sync one."""
        await self._pools.aclose_running()
        self.close()

    def __deepcopy__(self, memo: dict[int, Any]) -> DatabricksClaudeClient:
        # A client is a shared resource (pools, token cache): copies share it, as frameworks
        # that deep-copy their models expect to keep working.
        return self

    def __enter__(self) -> DatabricksClaudeClient:
        """`with client:` closes its connections at the end of the block."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> DatabricksClaudeClient:
        """`async with client:` closes its connections (the loop's async ones too) at the end."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
