"""Typed errors for every way a call can fail, parsed from the real Databricks error bodies.

Configuration errors are raised before any request. API errors carry `status`, `error_code`,
`message` and `request_id`. No message or repr ever contains a credential: messages are built
from the service's text only, never from request headers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks_claude.messages import Completion

_REQ_ID = re.compile(r"\[ReqId:\s*([^\]\s]+)\s*\]")
_REQUEST_ID_HEADERS = ("x-databricks-request-id", "x-request-id", "request-id")


class DatabricksClaudeError(Exception):
    """Base class of every error this package raises."""


class ConfigurationError(DatabricksClaudeError, ValueError):
    """Bad or missing settings or input, found before any request was sent."""


class ImageFetchError(ConfigurationError):
    """A remote image URL could not be inlined: a refused scheme or address, a failed or slow
    fetch, a body too big or not an image. Raised before any request to the service."""


class MalformedResponseError(DatabricksClaudeError):
    """The service answered with something that is not a valid chat completion or chunk.

    `applied` holds the stream deltas a chunk produced before the malformed part was found:
    they are already in the accumulator's snapshot, so the transport hands them out before
    raising, and nothing is kept that the caller never saw.
    """

    applied: Sequence[Any] = ()


class InvalidToolArgumentsError(DatabricksClaudeError, ValueError):
    """A finished answer holds a tool call whose arguments are not a JSON object (for instance
    cut off by `max_tokens`): the call is not run with guessed arguments."""


class APIConnectionError(DatabricksClaudeError):
    """The service could not be reached, or the connection broke before an answer."""


class APITimeoutError(APIConnectionError):
    """The service did not answer within the timeout."""


class StreamInterruptedError(DatabricksClaudeError):
    """A stream broke after output was produced. `partial` holds everything received so far."""

    def __init__(self, message: str, partial: Completion, cause: BaseException | None = None):
        super().__init__(message)
        self.partial = partial
        self.cause = cause

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions unpickle as cls(*args): pass `partial` and `cause` too (and keep the state).
        return (type(self), (*self.args[:1], self.partial, self.cause), self.__dict__)


class APIStatusError(DatabricksClaudeError):
    """The service answered with an error status.

    `retry_after` is the wait the service asked for (seconds, from `Retry-After` or the body),
    or None; 429s and 5xx carry it when the service sent one.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_code: str | int | None = None,
        request_id: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ):
        self.retry_after = retry_after
        self.status = status
        self.error_code = error_code
        self.message = message
        self.request_id = request_id
        self.body = body
        super().__init__(self._describe())

    def _describe(self) -> str:
        # Databricks often sends the status itself as `error_code` ({"error_code": 403, ...}):
        # say the status once, and a code only when it adds something.
        shown = self.error_code is not None and str(self.error_code) != str(self.status)
        code = f" {self.error_code}" if shown else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.status}{code}: {self.message}{rid}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, error_code={self.error_code!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_status_error, (type(self), self.message, self.status, self.error_code,
                                        self.request_id, self.body, self.retry_after))


def _rebuild_status_error(cls: type[APIStatusError], message: str, status: int,
                          error_code: str | int | None, request_id: str | None,
                          body: Any, retry_after: float | None = None) -> APIStatusError:
    return cls(message, status=status, error_code=error_code, request_id=request_id, body=body,
               retry_after=retry_after)


class BadRequestError(APIStatusError):
    """400: the service refused the request as invalid."""


class ContextWindowExceededError(BadRequestError):
    """400: the prompt is longer than the model's context window."""


class AuthenticationError(APIStatusError):
    """401: no credential, or one the service does not accept."""


class PermissionDeniedError(APIStatusError):
    """403: the credential is valid but not allowed (token revoked, IP ACL, endpoint ACL)."""


class EndpointNotFoundError(APIStatusError):
    """404: no serving endpoint with this name in the workspace."""


class RateLimitError(APIStatusError):
    """429: a rate limit was hit. `retry_after` is the wait the service asked for, in seconds."""

    retryable = True


class ServerError(APIStatusError):
    """5xx: the service failed."""

    retryable = True


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: EndpointNotFoundError,
    429: RateLimitError,
}

_HINTS: dict[type[APIStatusError], str] = {
    AuthenticationError: "check DATABRICKS_TOKEN or the OAuth client id and secret",
    PermissionDeniedError: "the credential was refused: check the token is valid, the endpoint's "
    "permissions and the workspace IP access list",
    EndpointNotFoundError: "check the endpoint name in the workspace's Serving page",
}


def _unwrap_message(raw: str) -> str:
    """The upstream error is sometimes JSON inside `message`: take its own message out."""
    text = raw.strip()
    if text.startswith("{"):
        try:
            inner = json.loads(text)
        except ValueError:
            return raw
        if isinstance(inner, dict):
            nested = inner.get("message") or (inner.get("error") or {}).get("message")
            if isinstance(nested, str):
                return nested
    return raw


def _parse_body(body: Any) -> tuple[str | int | None, str, float | None]:
    """(error_code, message, retry_after) from any of the known Databricks error body shapes."""
    if isinstance(body, Mapping):
        if isinstance(body.get("error"), Mapping):  # docs-style {"error": {...}}
            err = body["error"]
            return err.get("type") or err.get("code"), str(err.get("message", "")), _num(
                err.get("retry_after"))
        code = body.get("error_code")
        message = body.get("message") or body.get("error") or ""
        return code, _unwrap_message(str(message)), _num(body.get("retry_after"))
    text = str(body or "").strip()
    match = re.match(r"^([A-Z][A-Z_]+):\s*(.*)$", text, re.S)
    if match:
        return match.group(1), match.group(2), None
    return None, text[:500], None


def _num(value: Any) -> float | None:
    try:
        number = None if value is None else float(value)
    except (TypeError, ValueError):
        return None
    return number if number is None or math.isfinite(number) else None  # "nan" is no wait


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (seconds); None when absent, an HTTP date or not a
    finite number."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if not math.isfinite(seconds):  # "nan" / "inf" parse as floats but are no wait
        return None
    return max(seconds, 0.0)


def error_from_response(status: int, body: Any, headers: Mapping[str, str]) -> APIStatusError:
    """The typed error for an error response: `body` is the parsed JSON, or the text if not JSON."""
    error_code, message, body_retry_after = _parse_body(body)
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else APIStatusError)
    if cls is BadRequestError and "too long" in message.lower():
        cls = ContextWindowExceededError
    request_id = _request_id(message, headers)
    hint = _HINTS.get(cls)
    if hint:
        message = f"{message} ({hint})" if message else hint
    retry_after = parse_retry_after(_header(headers, "retry-after"))
    if retry_after is None:  # "Retry-After: 0" is an answer, not a missing header
        retry_after = body_retry_after
    error = cls(message, status=status, error_code=error_code, request_id=request_id, body=body,
                retry_after=retry_after)
    if status == 408 or status >= 500:
        error.retryable = True
    return error


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    return value


def _request_id(message: str, headers: Mapping[str, str]) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = _header(headers, name)
        if value:
            return value
    match = _REQ_ID.search(message)
    return match.group(1) if match else None
