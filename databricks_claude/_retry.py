"""Retry decisions, shared by the sync and async transports (pure: no I/O, no sleeping).

Retried: 429, 500, 502, 503, 504, and connection failures and timeouts. Never: 400, 403, 404 and
other statuses. A 401 gets one credential refresh and one more try when the provider can refresh.
Backoff is exponential with full jitter; a `Retry-After` is honoured, capped at `max_retry_wait`.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import NamedTuple

import httpx

from databricks_claude.auth import CredentialProvider, OAuthTokenError
from databricks_claude.errors import (
    APIConnectionError,
    APIStatusError,
    MalformedResponseError,
)

__all__ = [
    "RETRYABLE_STATUSES",
    "Decision",
    "RetryState",
    "backoff_delay",
    "is_retryable",
    "retry_delay",
    "should_refresh_auth",
    "should_retry",
]

# 529 is the Messages route's `overloaded_error`, retried like 503 (docs/wire-messages.md#errors).
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 529})

# Transport failures that are our own fault or permanent: retrying cannot help.
_PERMANENT_TRANSPORT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL)


def _is_retryable_transport(error: BaseException) -> bool:
    """True for httpx transport errors that another attempt may cure."""
    if isinstance(error, _PERMANENT_TRANSPORT):
        return False
    return isinstance(error, httpx.TransportError)


def is_retryable(error_or_status: BaseException | int, *, in_stream: bool = False) -> bool:
    """Whether this failure may succeed if tried again (ignoring how many tries were made).

    `in_stream`: the failure happened while reading a stream that had produced no output yet;
    a malformed chunk there is treated like a broken connection.
    """
    if isinstance(error_or_status, int):
        return error_or_status in RETRYABLE_STATUSES
    if isinstance(error_or_status, APIStatusError):
        return error_or_status.status in RETRYABLE_STATUSES
    if isinstance(error_or_status, APIConnectionError):
        cause = error_or_status.__cause__
        return cause is None or _is_retryable_transport(cause)
    if isinstance(error_or_status, MalformedResponseError):
        return in_stream
    return _is_retryable_transport(error_or_status)


def should_retry(error_or_status: BaseException | int, attempt: int, max_retries: int, *,
                 in_stream: bool = False) -> bool:
    """True when `attempt` (0-based count of retries already made) allows another retry."""
    return attempt < max_retries and is_retryable(error_or_status, in_stream=in_stream)


def should_refresh_auth(error: BaseException, *, can_refresh: bool, refreshed: bool) -> bool:
    """A 401 from the API (not from the token endpoint) earns one refresh, if the provider can."""
    return (can_refresh and not refreshed and isinstance(error, APIStatusError)
            and error.status == 401 and not isinstance(error, OAuthTokenError))


def backoff_delay(attempt: int, retry_after: float | None, *, base: float = 0.5,
                  cap: float = 60.0) -> float:
    """Seconds to wait before retry number `attempt` (0-based).

    `retry_after` from the service wins, capped at `cap`; otherwise exponential backoff with full
    jitter: uniform in [0, min(cap, base * 2**attempt)].
    """
    if retry_after is not None:
        return max(0.0, min(retry_after, cap))
    return random.uniform(0.0, min(cap, base * (2.0 ** attempt)))


def retry_after_of(error: BaseException) -> float | None:
    """The wait the service asked for, when the error carries one (a 429 or 503 may)."""
    return error.retry_after if isinstance(error, APIStatusError) else None


class Decision(NamedTuple):
    """What to do after a failed attempt: retry or not, after how long, refreshing auth first."""

    retry: bool
    delay: float = 0.0
    refresh_auth: bool = False


_GIVE_UP = Decision(False)


@dataclass
class RetryState:
    """The retry budget of one call: counts retries and the single auth refresh."""

    max_retries: int
    max_retry_wait: float = 60.0
    attempt: int = 0
    refreshed: bool = False

    def decide(self, error: BaseException, *, can_refresh: bool,
               in_stream: bool = False) -> Decision:
        """The decision for `error`, updating the budget when it says retry."""
        if should_refresh_auth(error, can_refresh=can_refresh, refreshed=self.refreshed):
            self.refreshed = True
            return Decision(True, 0.0, refresh_auth=True)
        if not should_retry(error, self.attempt, self.max_retries, in_stream=in_stream):
            return _GIVE_UP
        delay = backoff_delay(self.attempt, retry_after_of(error), cap=self.max_retry_wait)
        self.attempt += 1
        return Decision(True, delay)


_logger = logging.getLogger("databricks_claude")


def retry_delay(retry: RetryState, error: BaseException, credentials: CredentialProvider, *,
                url: str, in_stream: bool = False) -> float | None:
    """Seconds to wait before the next attempt, or None to give up (the caller re-raises);
    invalidates the credentials when the decision is to refresh them."""
    decision = retry.decide(error, can_refresh=credentials.can_refresh, in_stream=in_stream)
    if not decision.retry:
        return None
    if decision.refresh_auth:
        credentials.invalidate()
    if _logger.isEnabledFor(logging.DEBUG):
        _logger.debug("retrying POST %s after %s (retry %d, waiting %.2fs)", url,
                      type(error).__name__, retry.attempt, decision.delay)
    return decision.delay
