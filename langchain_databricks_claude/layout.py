"""Where each piece of an answer sits in a LangChain message: the conventions this adapter's
modules share (`inbound`, `replay`, `outbound`, `stream`, `blocks`).

* An answer is an `AIMessage` whose `content` is the answer text (a string). Reasoning rides in
  `additional_kwargs`: `reasoning_content` (all reasoning text joined) and `reasoning_blocks`
  (the reasoning blocks as the service sent them, wire dicts, in order). Content blocks of a type
  this version does not know are kept in `additional_kwargs["unknown_blocks"]`, each with its
  position in the answer text. The tool calls' argument JSON, exactly as received, is kept in
  `additional_kwargs["tool_call_arguments"]` (id -> text) so that replaying the message is
  byte-exact.
* `response_metadata["model_provider"] == "databricks_claude"` selects this package's content
  block translator (`blocks`), which shows reasoning as standard `reasoning` blocks with the
  signature in `extras`.
* Replaying any earlier assistant message (from `invoke`, an aggregated stream, `v1` output, or
  an Anthropic-style content list) reproduces the assistant turn the service produced: reasoning
  parts, then the text (with any unknown blocks where they were), then the tool calls: the same
  assistant turn the core replays for the `Completion` itself (`replay`).
* Streams: one `AIMessageChunk` per delta, with minimal work. Usage, finish reason, model name,
  id and the final `reasoning_blocks` are carried by the last chunk only, so that summing the
  chunks gives the same message as `invoke` and usage is counted once (`stream`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from databricks_claude.messages import CacheControl

__all__ = ["CACHE_CONTROL", "PROVIDER", "REASONING_BLOCKS", "REASONING_CONTENT", "REDACTED",
           "TOOL_CALL_ARGUMENTS", "UNKNOWN_BLOCKS", "cache_control"]

PROVIDER = "databricks_claude"
"""`response_metadata["model_provider"]` of every message this package produces."""
REASONING_CONTENT = "reasoning_content"
"""`additional_kwargs` key: all reasoning text, joined."""
REASONING_BLOCKS = "reasoning_blocks"
"""`additional_kwargs` key: the reasoning blocks as the service sent them, in order."""
TOOL_CALL_ARGUMENTS = "tool_call_arguments"
"""`additional_kwargs` key: each tool call's argument JSON as received (id -> text)."""
UNKNOWN_BLOCKS = "unknown_blocks"
"""`additional_kwargs` key: `[{"text_offset": n, "block": {...}}]`, the answer's content blocks of
unknown types, in order, each after the first `n` characters of the answer text."""
REDACTED = "redacted_content"
"""The `extras` key of a v1 `reasoning` block holding redacted reasoning data."""
CACHE_CONTROL = "cache_control"


def cache_control(block: Mapping[str, Any]) -> CacheControl | None:
    """A block's `cache_control`, top level or (v1 blocks) inside `extras`."""
    value = block.get(CACHE_CONTROL)
    if value is None:
        extras = block.get("extras")
        if isinstance(extras, dict):
            value = extras.get(CACHE_CONTROL)
    return value if isinstance(value, dict) else None
