"""Where each piece of an answer sits in a LlamaIndex message: the conventions this adapter's
modules share (`inbound`, `outbound`, `stream`, `tools`).

* Reasoning is `ThinkingBlock`s before the `TextBlock` in `message.blocks` (signature in
  `additional_information["signature"]`; redacted reasoning as `{"redacted": True, "data": ...}`),
  streamed as `ChatResponse.additional_kwargs["thinking_delta"]`. They are replayed exactly.
* Tool calls are `ToolCallBlock`s whose `tool_kwargs` is the arguments JSON text as received, so
  a replay is byte-exact; they are mirrored in `additional_kwargs["tool_calls"]` (OpenAI form),
  which some LlamaIndex code still reads. On replay the blocks win.
* Content blocks of a type this version does not know are kept in the message's
  `additional_kwargs["unknown_blocks"]`, with the index in `message.blocks` each comes before
  (`unknown_block_positions`), so that a replay puts them back in place.
* A response's `raw` holds the id, model, finish reason and usage, and `raw["thinking"]` whether
  thinking was on for its request, as the request decided it.
"""

from __future__ import annotations

__all__ = ["REDACTED_KEY", "THINKING_KEY", "UNKNOWN_BLOCKS_KEY", "UNKNOWN_POSITIONS_KEY"]

REDACTED_KEY = "redacted"
"""The `ThinkingBlock.additional_information` flag of redacted reasoning (its data is in "data")."""
UNKNOWN_BLOCKS_KEY = "unknown_blocks"
"""Content blocks of a type this version does not know, kept in the message's
`additional_kwargs`."""
UNKNOWN_POSITIONS_KEY = "unknown_block_positions"
"""Where each unknown block sat: the index in `message.blocks` it comes before (a replay puts it
back there). Without it (older or hand-made messages) unknown blocks replay after the others."""
THINKING_KEY = "thinking"
"""The `ChatResponse.raw` key telling whether thinking was on for the request that answered."""
