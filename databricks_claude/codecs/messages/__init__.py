"""The Databricks native Anthropic Messages wire (`POST {base_url}/anthropic/v1/messages`).

With the default base URL that is `{host}/serving-endpoints/anthropic/v1/messages`; with
`base_url="/ai-gateway"` it is AI Gateway's `{host}/ai-gateway/anthropic/v1/messages`. The body
is the Anthropic Messages format with the endpoint name as `model`. `request` builds the
payload, `response` parses an answer, `stream` folds the events; `MESSAGES` is the codec the
transport uses. Wire facts: docs/wire-messages.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from databricks_claude.codecs import Request, load_body
from databricks_claude.codecs.messages.request import build_request
from databricks_claude.codecs.messages.response import parse_message
from databricks_claude.codecs.messages.stream import EventAccumulator
from databricks_claude.messages import Completion, Decisions, Message, RequestOptions
from databricks_claude.profiles import ModelProfile

__all__ = ["ANTHROPIC_VERSION", "MESSAGES", "MessagesCodec"]

#: The `anthropic-version` header every request carries (the Messages API's only version).
ANTHROPIC_VERSION = "2023-06-01"


class MessagesCodec:
    """The Anthropic Messages codec."""

    name = "messages"
    path = "/anthropic/v1/messages"
    headers: Mapping[str, str] = MappingProxyType({"anthropic-version": ANTHROPIC_VERSION})

    def build(self, messages: Sequence[Message], options: RequestOptions, *, model: str | None,
              profile: ModelProfile, stream: bool) -> Request:
        """The payload and decisions of one Messages request (see `request.build_request`)."""
        return build_request(messages, options, model=model, profile=profile, stream=stream)

    def parse(self, body: bytes) -> Completion:
        """A successful non-streaming body."""
        return parse_message(load_body(body))

    def decoder(self, decisions: Decisions) -> EventAccumulator:
        """A fresh event accumulator whose completions carry `decisions`."""
        return EventAccumulator(decisions)

    def with_prefill(self, payload: dict[str, Any], text: str) -> dict[str, Any]:
        """The payload with `text` as the assistant turn to continue (trailing whitespace is
        left out: the route refuses a final assistant turn that ends in it)."""
        prefill = {"role": "assistant", "content": [{"type": "text", "text": text.rstrip()}]}
        return {**payload, "messages": [*payload["messages"], prefill]}


#: The Messages codec.
MESSAGES = MessagesCodec()
