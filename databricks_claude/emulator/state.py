"""The emulator's mutable state, shared by the server thread and the test thread (one lock)."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .script import RecordedRequest, ScriptedReply
from .signing import Signer

FAULT_KINDS = frozenset({"status", "reset", "drop_after", "truncate", "malformed", "stall",
                         "oversize"})


@dataclass
class Fault:
    """A queued fault: applies to the next `remaining` chat requests."""

    kind: str
    remaining: int
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Options fixed when the emulator is created."""

    token: str
    client_id: str
    client_secret: str
    strict: bool = True
    rate_limit_qps: float | None = None
    tool_rounds: int = 1
    oauth_expires_in: int = 3600
    cache_min_tokens: int = 0
    fault_rate: tuple[tuple[int, float], ...] = ()
    seed: int | None = None


def fault_rates(rates: Mapping[int, float] | None) -> tuple[tuple[int, float], ...]:
    """`fault_rate` checked: HTTP error statuses with probabilities that sum to at most 1."""
    checked: list[tuple[int, float]] = []
    for status, rate in (rates or {}).items():
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"fault_rate keys are HTTP error statuses (400-599), got {status!r}")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"fault_rate[{status}] must be a probability in [0, 1], got "
                             f"{rate!r}")
        checked.append((status, float(rate)))
    if sum(rate for _, rate in checked) > 1:
        raise ValueError("fault_rate probabilities add up to more than 1: each request fails "
                         "with at most one status")
    return tuple(sorted(checked))


class TokenStore:
    """OAuth access tokens issued at /oidc/v1/token, with their expiry times (not thread-safe)."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}

    def issue(self, expires_in: int) -> str:
        """A fresh access token valid for `expires_in` seconds."""
        token = "dkea" + secrets.token_hex(20)
        self._expiry[token] = time.monotonic() + expires_in
        return token

    def status(self, token: str) -> str:
        """"valid", "expired" (issued here, now stale or revoked) or "unknown"."""
        expiry = self._expiry.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if time.monotonic() < expiry else "expired"

    def expire_all(self) -> None:
        """Make every issued token stale: the next call with one gets 401."""
        for token in self._expiry:
            self._expiry[token] = 0.0


class EmulatorState:
    """Everything a request can change or a test can inspect, behind one lock."""

    def __init__(self, settings: Settings, secret: bytes | None = None) -> None:
        self.settings = settings
        self.signer = Signer(secret) if secret else Signer()
        self.lock = threading.Lock()
        self.tokens = TokenStore()
        self._requests: list[RecordedRequest] = []
        self._scripts: deque[ScriptedReply] = deque()
        self._faults: deque[Fault] = deque()
        self._admitted: deque[float] = deque()
        self._cache: set[str] = set()
        self._verified = 0
        self._seq = 0
        self._random = random.Random(settings.seed)

    def record(self, request: RecordedRequest) -> None:
        """Keep a received request."""
        with self.lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the received requests, oldest first."""
        with self.lock:
            return list(self._requests)

    def add_scripts(self, replies: tuple[ScriptedReply, ...]) -> None:
        """Queue scripted replies (FIFO)."""
        with self.lock:
            self._scripts.extend(replies)

    def next_script(self) -> ScriptedReply | None:
        """The next scripted reply, consumed; None when the queue is empty."""
        with self.lock:
            return self._scripts.popleft() if self._scripts else None

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault (FIFO)."""
        with self.lock:
            self._faults.append(fault)

    def next_fault(self) -> Fault | None:
        """The fault for this chat request, if any; counts one use of it."""
        with self.lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.popleft()
            return fault

    def random_fault(self) -> int | None:
        """The status this request fails with under `fault_rate`, or None (one draw each)."""
        rates = self.settings.fault_rate
        if not rates:
            return None
        with self.lock:
            draw = self._random.random()
        for status, rate in rates:
            if draw < rate:
                return status
            draw -= rate
        return None

    def admit(self) -> bool:
        """Rate limit: False when `rate_limit_qps` requests were admitted in the last second."""
        qps = self.settings.rate_limit_qps
        if qps is None:
            return True
        now = time.monotonic()
        with self.lock:
            while self._admitted and now - self._admitted[0] >= 1.0:
                self._admitted.popleft()
            if len(self._admitted) >= qps:
                return False
            self._admitted.append(now)
            return True

    def cache_lookup(self, key: str) -> bool:
        """Whether a cached prefix was written before; writes it now if not."""
        with self.lock:
            if key in self._cache:
                return True
            self._cache.add(key)
            return False

    def add_verified(self, count: int) -> None:
        """Count replayed reasoning blocks whose signature checked out."""
        if count:
            with self.lock:
                self._verified += count

    @property
    def verified_reasoning(self) -> int:
        """Replayed reasoning blocks verified so far."""
        with self.lock:
            return self._verified

    def next_seq(self) -> int:
        """A per-emulator sequence number, used to derive message ids."""
        with self.lock:
            self._seq += 1
            return self._seq

    def token_status(self, token: str) -> str:
        """"static", "valid", "expired" or "unknown" for a bearer token."""
        if secrets.compare_digest(token.encode(), self.settings.token.encode()):
            return "static"
        with self.lock:
            return self.tokens.status(token)

    def issue_token(self) -> str:
        """A new OAuth access token."""
        with self.lock:
            return self.tokens.issue(self.settings.oauth_expires_in)

    def expire_tokens(self) -> None:
        """Revoke every issued OAuth token."""
        with self.lock:
            self.tokens.expire_all()

    def reset(self) -> None:
        """Forget requests, scripts, faults, counters and the prompt cache; reseed the faults."""
        with self.lock:
            self._random = random.Random(self.settings.seed)
            self._requests.clear()
            self._scripts.clear()
            self._faults.clear()
            self._admitted.clear()
            self._cache.clear()
            self._verified = 0
            self._seq = 0
