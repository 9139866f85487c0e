"""The Databricks chat-completions wire (`POST {base_url}/chat/completions`).

`request` builds the payload, `response` parses a body, `stream` folds the SSE chunks; `CHAT`
is the codec the transport uses. Wire facts: docs/wire-chat.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from databricks_claude.codecs import Request, load_body
from databricks_claude.codecs.chat.json_answer import JsonAnswerAccumulator
from databricks_claude.codecs.chat.request import build_request
from databricks_claude.codecs.chat.response import parse_completion
from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.messages import Completion, Decisions, Message, RequestOptions
from databricks_claude.profiles import ModelProfile

__all__ = ["CHAT", "ChatCodec"]


class ChatCodec:
    """The chat-completions codec."""

    name = "chat"
    path = "/chat/completions"
    headers: Mapping[str, str] = MappingProxyType({})

    def build(self, messages: Sequence[Message], options: RequestOptions, *, model: str | None,
              profile: ModelProfile, stream: bool) -> Request:
        """The payload and decisions of one chat request (see `request.build_request`)."""
        return build_request(messages, options, model=model, profile=profile, stream=stream)

    def parse(self, body: bytes) -> Completion:
        """A successful non-streaming body (one JSON parse, no validation layer)."""
        return parse_completion(load_body(body))

    def decoder(self, decisions: Decisions) -> StreamAccumulator:
        """A fresh accumulator whose completions carry `decisions` (and have the call of a
        `response_format` tool as their answer text)."""
        if decisions.json_tool:
            return JsonAnswerAccumulator(decisions, decisions.json_tool)
        return StreamAccumulator(decisions)

    def with_prefill(self, payload: dict[str, Any], text: str) -> dict[str, Any]:
        """The payload with `text` appended as the assistant turn to continue."""
        return {**payload, "messages": [*payload["messages"], {"role": "assistant",
                                                                "content": text}]}


#: The chat-completions codec.
CHAT = ChatCodec()
