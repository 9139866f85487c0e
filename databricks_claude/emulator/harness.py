"""`Emulator`: the app served on loopback in a background thread, with the test-facing API."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from .script import RecordedRequest, ScriptedReply
from .state import FAULT_KINDS, EmulatorState, Fault, Settings, fault_rates


def make_settings(*, token: str | None = None, client_id: str | None = None,
                  client_secret: str | None = None, **options: Any) -> Settings:
    """Settings with random credentials where none are given."""
    return Settings(token=token or "dapi" + secrets.token_hex(16),
                    client_id=client_id or "emulator-" + secrets.token_hex(4),
                    client_secret=client_secret or "dose" + secrets.token_hex(16), **options)


class Emulator:
    """A local stand-in for a Databricks Claude serving endpoint.

    `with Emulator() as emu:` serves on `emu.host` (127.0.0.1, a free port unless `port` is
    given) and accepts `emu.token` (or OAuth tokens issued for `emu.client_id` /
    `emu.client_secret`). `strict=False` skips the request rules (auth is always checked).
    `tool_rounds` is how many tool-call rounds the default model makes before answering;
    `oauth_expires_in` the lifetime of issued tokens; `rate_limit_qps` answers 429 beyond that
    many requests in any one-second window; `secret` keys the reasoning signatures;
    `cache_min_tokens` is the smallest prefix the prompt cache stores.

    `fault_rate` makes chat requests fail at random, for soak tests: `{429: 0.1, 503: 0.02}`
    fails each request independently with 429 (the service's REQUEST_LIMIT_EXCEEDED body and
    `Retry-After: 1`) with probability 0.1, else with 503 (TEMPORARILY_UNAVAILABLE) with
    probability 0.02. The probabilities add up to at most 1. `seed` makes the sequence of
    outcomes reproducible (request by request, from the start and after each `reset()`); without
    one it differs per run. Queued `fault()`s and `rate_limit_qps` come first.
    """

    def __init__(self, token: str | None = None, strict: bool = True,
                 rate_limit_qps: float | None = None, port: int = 0, *,
                 client_id: str | None = None, client_secret: str | None = None,
                 tool_rounds: int = 1, oauth_expires_in: int = 3600,
                 secret: bytes | None = None, cache_min_tokens: int = 0,
                 fault_rate: Mapping[int, float] | None = None, seed: int | None = None) -> None:
        settings = make_settings(token=token, client_id=client_id, client_secret=client_secret,
                                 strict=strict, rate_limit_qps=rate_limit_qps,
                                 tool_rounds=tool_rounds, oauth_expires_in=oauth_expires_in,
                                 cache_min_tokens=cache_min_tokens,
                                 fault_rate=fault_rates(fault_rate), seed=seed)
        self._state = EmulatorState(settings, secret)
        self._port = port
        self._app: Any = None
        self._server: Any = None

    @property
    def app(self) -> Any:
        """The Starlette (ASGI) app, usable in-process, e.g. with httpx.ASGITransport."""
        if self._app is None:
            from .app import create_app

            self._app = create_app(self._state)
        return self._app

    def start(self) -> Emulator:
        """Start serving in a background thread (returns once it accepts connections)."""
        if self._server is None:
            from .server import BackgroundServer

            server = BackgroundServer(self.app, self._port)
            server.start()
            self._server = server
        return self

    def stop(self) -> None:
        """Stop serving and join the server thread."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """The base URL, e.g. "http://127.0.0.1:53412" (the emulator must be started)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; use `with Emulator() as emu:`")
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def port(self) -> int:
        """The port served on."""
        return int(self.host.rsplit(":", 1)[1])

    @property
    def token(self) -> str:
        """The personal access token the emulator accepts."""
        return self._state.settings.token

    @property
    def client_id(self) -> str:
        """The OAuth M2M client id accepted at POST /oidc/v1/token."""
        return self._state.settings.client_id

    @property
    def client_secret(self) -> str:
        """The OAuth M2M client secret accepted at POST /oidc/v1/token."""
        return self._state.settings.client_secret

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far (a snapshot), Authorization values redacted."""
        return self._state.requests

    @property
    def verified_reasoning(self) -> int:
        """How many replayed reasoning blocks had a valid signature (or redacted data)."""
        return self._state.verified_reasoning

    def script(self, *replies: ScriptedReply) -> None:
        """Queue replies (FIFO): each request that reaches the model consumes one."""
        self._state.add_scripts(replies)

    def fault(self, kind: str, times: int = 1, **params: Any) -> None:
        """Queue a fault for the next `times` chat requests (FIFO with other faults).

        Kinds and parameters: "status" (status=500, body=None, retry_after=None), "reset",
        "drop_after" (chunks=1), "truncate" (chunks=1), "malformed" (after=0),
        "stall" (seconds=5.0, after=None), "oversize" (bytes=1_000_000).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        self._state.add_fault(Fault(kind, times, dict(params)))

    def expire_tokens(self) -> None:
        """Revoke every OAuth token issued so far: the next call with one gets 401."""
        self._state.expire_tokens()

    def reset(self) -> None:
        """Forget requests, scripts, faults, counters and the prompt cache.

        The random faults of `fault_rate` start again from `seed`.
        """
        self._state.reset()
