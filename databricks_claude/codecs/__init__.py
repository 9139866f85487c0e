"""Codecs: one per wire, each turning the neutral model into that wire's payload and back.

The transport (`databricks_claude.client`) knows a wire only through its `Codec`: where to send,
how to build a request, how to read a response body and how to fold a stream. Everything above
the codecs (the neutral model, the kit, both adapters, retries, resumption, errors) is shared by
every wire. A new wire is a new subpackage of the same shape as `chat`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic_core import from_json

from databricks_claude.errors import MalformedResponseError
from databricks_claude.messages import Completion, Decisions, Delta, Message, RequestOptions
from databricks_claude.profiles import ModelProfile

__all__ = ["Codec", "Request", "StreamDecoder", "load_body"]


@dataclass(slots=True, frozen=True)
class Request:
    """A built request: the JSON payload to send and what building it decided."""

    payload: dict[str, Any]
    decisions: Decisions


class StreamDecoder(Protocol):
    """One stream's fold: SSE data payloads in, deltas out, the completion so far on demand."""

    complete: bool
    """True once the stream said it finished."""
    has_output: bool
    """True once any text, reasoning or tool call arrived (a retry would repeat it)."""

    def feed_data(self, data: str) -> list[Delta]:
        """The deltas of one SSE data payload (raises `MalformedResponseError`)."""

    def end(self) -> list[Delta]:
        """The last deltas at the end of input; never raises."""

    def snapshot(self) -> Completion:
        """Everything received so far."""


class Codec(Protocol):
    """A wire: its route, its request builder, its response parser, its stream decoder."""

    name: str
    """The wire's name, as `api=` takes it ("chat")."""
    path: str
    """The route below the client's base URL, e.g. "/chat/completions"."""
    headers: Mapping[str, str]
    """Headers every request of this wire carries (e.g. `anthropic-version`)."""

    def build(self, messages: Sequence[Message], options: RequestOptions, *, model: str | None,
              profile: ModelProfile, stream: bool) -> Request:
        """The request for these messages; raises `ConfigurationError` before any I/O."""

    def parse(self, body: bytes) -> Completion:
        """A successful response body (raises `MalformedResponseError`)."""

    def decoder(self, decisions: Decisions) -> StreamDecoder:
        """A fresh stream decoder; its completions carry `decisions`."""

    def with_prefill(self, payload: dict[str, Any], text: str) -> dict[str, Any]:
        """The payload continued from `text` as an assistant prefill (stream resumption)."""


def load_body(body: bytes) -> Any:
    """A response body's JSON (pydantic-core's parser: about twice as fast as `json.loads`);
    `MalformedResponseError` quoting its start when it is not JSON."""
    try:
        return from_json(body)
    except (ValueError, RecursionError):  # RecursionError: hostile, absurdly deep JSON
        snippet = body[:200].decode("utf-8", "replace")
        raise MalformedResponseError(
            f"the service answered with a body that is not JSON: {snippet!r}") from None
