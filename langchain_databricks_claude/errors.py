"""The core's errors, also as the matching `langchain_core.exceptions` types.

Every error the adapter raises for a failed call is an instance of both the core class
(`databricks_claude.errors.RateLimitError`, ...) and LangChain's class for the same condition
(`ModelRateLimitError`, ...), so code catching either works. The adapter classes carry the same
fields as the core error (`status`, `error_code`, `message`, `request_id`, `retry_after`,
`partial`, ...) and `is_retryable`; `StreamInterruptedError` also has `partial_message`, the
partial answer as an `AIMessage`.

Where the installed langchain-core lacks one of these exception types (it added them in 1.x),
a private stand-in deriving from `LangChainException` takes its place.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core import exceptions as _lc
from langchain_core.exceptions import LangChainException
from langchain_core.messages import AIMessage

import databricks_claude.errors as core
from langchain_databricks_claude.outbound import to_ai_message

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ContextWindowExceededError",
    "EndpointNotFoundError",
    "MalformedResponseError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "StreamInterruptedError",
    "to_langchain_error",
]


def _lc_type(name: str) -> type[Exception]:
    """LangChain's exception class `name`, or a stand-in on versions that lack it."""
    found = getattr(_lc, name, None)
    if isinstance(found, type) and issubclass(found, Exception):
        return found
    return type(name, (LangChainException,), {"is_retryable": False})


ModelAuthenticationError = _lc_type("ModelAuthenticationError")
ModelPermissionDeniedError = _lc_type("ModelPermissionDeniedError")
ModelInvalidRequestError = _lc_type("ModelInvalidRequestError")
ModelNotFoundError = _lc_type("ModelNotFoundError")
ModelRateLimitError = _lc_type("ModelRateLimitError")
ModelAPIError = _lc_type("ModelAPIError")
ModelConnectionError = _lc_type("ModelConnectionError")
ModelTimeoutError = _lc_type("ModelTimeoutError")
ContextOverflowError = _lc_type("ContextOverflowError")


# The bases come from `_lc_type`, so mypy cannot check them; they are exception classes.
class BadRequestError(core.BadRequestError, ModelInvalidRequestError):  # type: ignore[misc,valid-type]
    """400: the service refused the request as invalid."""


class ContextWindowExceededError(core.ContextWindowExceededError, ContextOverflowError):  # type: ignore[misc,valid-type]
    """400: the prompt is longer than the model's context window."""


class AuthenticationError(core.AuthenticationError, ModelAuthenticationError):  # type: ignore[misc,valid-type]
    """401: no credential, or one the service does not accept."""


class PermissionDeniedError(core.PermissionDeniedError, ModelPermissionDeniedError):  # type: ignore[misc,valid-type]
    """403: the credential is valid but not allowed."""


class EndpointNotFoundError(core.EndpointNotFoundError, ModelNotFoundError):  # type: ignore[misc,valid-type]
    """404: no serving endpoint with this name."""


class RateLimitError(core.RateLimitError, ModelRateLimitError):  # type: ignore[misc,valid-type]
    """429: a rate limit was hit (`retry_after` in seconds when the service said)."""


class ServerError(core.ServerError, ModelAPIError):  # type: ignore[misc,valid-type]
    """5xx: the service failed."""


class APIStatusError(core.APIStatusError, ModelAPIError):  # type: ignore[misc,valid-type]
    """Any other error status."""


class APITimeoutError(core.APITimeoutError, ModelTimeoutError):  # type: ignore[misc,valid-type]
    """The service did not answer within the timeout."""


class APIConnectionError(core.APIConnectionError, ModelConnectionError):  # type: ignore[misc,valid-type]
    """The service could not be reached."""


class StreamInterruptedError(core.StreamInterruptedError, ModelConnectionError):  # type: ignore[misc,valid-type]
    """A stream broke after output was produced.

    `partial` is what was received as a core `Completion`; `partial_message` is the same as an
    `AIMessage` (the layout `invoke` gives, so it can be shown or replayed like any answer).
    """

    partial_message: AIMessage


class MalformedResponseError(core.MalformedResponseError, ModelAPIError):  # type: ignore[misc,valid-type]
    """The service answered with something that is not a chat completion."""


# Most specific first: the first core class in an error's MRO found here wins.
_ADAPTERS: dict[type[Exception], type[Exception]] = {
    core.ContextWindowExceededError: ContextWindowExceededError,
    core.BadRequestError: BadRequestError,
    core.AuthenticationError: AuthenticationError,
    core.PermissionDeniedError: PermissionDeniedError,
    core.EndpointNotFoundError: EndpointNotFoundError,
    core.RateLimitError: RateLimitError,
    core.ServerError: ServerError,
    core.APIStatusError: APIStatusError,
    core.APITimeoutError: APITimeoutError,
    core.StreamInterruptedError: StreamInterruptedError,
    core.APIConnectionError: APIConnectionError,
    core.MalformedResponseError: MalformedResponseError,
}


def _adapter_class(error: BaseException) -> type[Exception] | None:
    for cls in type(error).__mro__:
        adapter = _ADAPTERS.get(cls)
        if adapter is not None:
            return adapter
    return None


def to_langchain_error(error: core.DatabricksClaudeError, *, model_name: str = "") -> Exception:
    """The same error as an instance of the adapter class (core + LangChain type).

    Errors with no LangChain counterpart (`ConfigurationError`, already a `ValueError`) and
    errors that already are adapter instances are returned unchanged. A stream interruption
    gets `partial_message`, its partial answer as an `AIMessage` (`model_name` is the endpoint
    its metadata names).
    """
    cls = _adapter_class(error)
    if cls is None or isinstance(error, cls):
        return error
    converted: Any = cls.__new__(cls)
    converted.__dict__.update(error.__dict__)
    converted.args = error.args
    default = getattr(cls, "is_retryable", False)
    converted.is_retryable = bool(getattr(error, "retryable", default))
    converted.__cause__ = error.__cause__
    converted.__suppress_context__ = True
    if isinstance(error, core.StreamInterruptedError):
        converted.partial_message = to_ai_message(error.partial, model_name=model_name)
    return cast("Exception", converted)
