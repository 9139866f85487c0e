"""The core's stream deltas to LlamaIndex `ChatResponse` chunks, a few objects per delta."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from llama_index.core.base.llms.types import ChatResponse, ChatResponseAsyncGen, ChatResponseGen

from databricks_claude.messages import (
    Delta,
    FinishDelta,
    ReasoningDelta,
    RedactedReasoningDelta,
    SignatureDelta,
    TextDelta,
    ToolCallArgsDelta,
    ToolCallStartDelta,
)
from llama_index_databricks_claude import _fast
from llama_index_databricks_claude.layout import REDACTED_KEY
from llama_index_databricks_claude.outbound import legacy_tool_call, to_chat_response

__all__ = ["ChatStreamConverter", "achunks", "chunks"]


class ChatStreamConverter:
    """Turns core stream deltas into `ChatResponse` chunks, a few objects per delta.

    Each chunk carries the text delta in `delta`, a reasoning delta in
    `additional_kwargs["thinking_delta"]`, and the message so far in `message` (thinking blocks,
    text, tool calls with their partial arguments). The last chunk, from the `FinishDelta`, is
    the final message exactly as `chat` returns it, with the usage.

    A delta's `part_index` (the index of its part in the final `Completion.parts`) is the index
    of its block here: a part with no block of its own (an unknown block, a later text part)
    leaves a hole that chunks skip. The answer text is one block, at the first text part's
    index, and the blocks so far are the state: a delta replaces its part's block.

    LlamaIndex's convention (what its agents read) is that every chunk's `message` holds each
    block so far, whole: `message.content` is the whole text so far, a `ThinkingBlock` the whole
    reasoning so far, a `ToolCallBlock` the whole arguments so far (agents parse them on every
    chunk). Every chunk therefore needs one new string per growing block, and a copy per chunk
    is forced by that convention (docs/design-rules.md#linear-streams: "no `str +=`" is about
    accumulating; here the string is needed whole at each step). `s + fragment` is that copy,
    one memcpy; keeping fragment lists would add a join over all the fragments at every chunk
    on top of it. The core's accumulator, which needs no per-chunk copy, keeps fragment lists.
    """

    __slots__ = ("_blocks", "_holes", "_text", "_text_at", "_tools")

    def __init__(self) -> None:
        self._blocks: list[Any] = []  # the block of part i at index i; None: no block there
        self._holes = False  # whether `_blocks` holds a None
        self._text = ""
        self._text_at = -1  # index of the text block in _blocks
        self._tools: list[int] = []  # the indices of the tool call blocks, in order

    def feed(self, delta: Delta) -> ChatResponse | None:
        """The chunk for one delta, or None when the delta changes nothing visible."""
        if isinstance(delta, TextDelta):  # by far the most frequent: tested first
            return self._on_text(delta)
        if isinstance(delta, ReasoningDelta):
            return self._on_reasoning(delta)
        if isinstance(delta, ToolCallArgsDelta):
            return self._on_tool_args(delta)
        if isinstance(delta, ToolCallStartDelta):
            return self._on_tool_start(delta)
        if isinstance(delta, SignatureDelta):
            self._on_signature(delta)
            return None
        if isinstance(delta, RedactedReasoningDelta):
            return self._on_redacted(delta)
        if isinstance(delta, FinishDelta):
            return to_chat_response(delta.completion)
        return None

    def _block(self, at: int) -> Any:
        """The block of part `at` so far, or None."""
        blocks = self._blocks
        return blocks[at] if at < len(blocks) else None

    def _put(self, at: int, block: Any) -> None:
        """Make `block` the block of part `at`."""
        blocks = self._blocks
        if at < len(blocks):
            blocks[at] = block
            return
        if at > len(blocks):  # parts without a block of their own came before
            blocks.extend([None] * (at - len(blocks)))
            self._holes = True
        blocks.append(block)

    def _chunk(self, delta: str, additional_kwargs: dict[str, Any]) -> ChatResponse:
        """A chunk with a copy of the blocks so far (earlier chunks never change)."""
        blocks = self._blocks
        shown = [b for b in blocks if b is not None] if self._holes else blocks.copy()
        extra = {"tool_calls": self._legacy_tool_calls()} if self._tools else {}
        return _fast.chat_response(shown, delta, additional_kwargs, extra)

    def _on_text(self, delta: TextDelta) -> ChatResponse | None:
        # The hot path of a long answer.
        fragment = delta.text
        if not fragment:
            return None
        self._text = self._text + fragment  # the whole text so far: see the class docstring
        block = _fast.text_block(self._text)
        if self._text_at < 0:
            self._text_at = delta.part_index if delta.part_index >= 0 else len(self._blocks)
            self._put(self._text_at, block)
        else:
            self._blocks[self._text_at] = block
        return self._chunk(fragment, {})

    def _on_reasoning(self, delta: ReasoningDelta) -> ChatResponse | None:
        fragment = delta.text
        if not fragment:
            return None
        at = delta.part_index
        old = self._block(at)
        if old is None:
            self._put(at, _fast.thinking_block(fragment, {}))
        else:  # the whole reasoning so far: see the class docstring
            info = old.additional_information
            self._blocks[at] = _fast.thinking_block(old.content + fragment, info)
        return self._chunk("", {"thinking_delta": fragment})

    def _on_signature(self, delta: SignatureDelta) -> None:
        old = self._block(delta.part_index)
        text = "" if old is None else old.content
        self._put(delta.part_index, _fast.thinking_block(text, {"signature": delta.signature}))

    def _on_redacted(self, delta: RedactedReasoningDelta) -> ChatResponse:
        info = {REDACTED_KEY: True, "data": delta.data}
        self._put(delta.part_index, _fast.thinking_block(None, info))
        return self._chunk("", {})

    def _on_tool_start(self, delta: ToolCallStartDelta) -> ChatResponse:
        at = delta.part_index
        old = self._block(at)
        if old is None:
            self._tools.append(at)
        arguments = "" if old is None else old.tool_kwargs
        self._put(at, _fast.tool_call_block(delta.id, delta.name, arguments))
        return self._chunk("", {})

    def _on_tool_args(self, delta: ToolCallArgsDelta) -> ChatResponse | None:
        # The hot path of long tool arguments.
        fragment = delta.fragment
        if not fragment:
            return None
        at = delta.part_index
        old = self._block(at)
        if old is None:  # arguments before their start: never from the core's accumulator
            self._tools.append(at)
            self._put(at, _fast.tool_call_block("", "", fragment))
        else:  # the whole arguments so far: see the class docstring
            self._blocks[at] = _fast.tool_call_block(old.tool_call_id, old.tool_name,
                                                     old.tool_kwargs + fragment)
        return self._chunk("", {})

    def _legacy_tool_calls(self) -> list[dict[str, Any]]:
        blocks = self._blocks
        return [legacy_tool_call(b.tool_call_id, b.tool_name, b.tool_kwargs)
                for b in [blocks[at] for at in self._tools]]


def chunks(deltas: Iterator[Delta]) -> ChatResponseGen:
    """The chunks of a stream of deltas."""
    converter = ChatStreamConverter()
    for delta in deltas:
        chunk = converter.feed(delta)
        if chunk is not None:
            yield chunk


async def achunks(deltas: AsyncIterator[Delta]) -> ChatResponseAsyncGen:
    """The chunks of an async stream of deltas."""
    converter = ChatStreamConverter()
    async for delta in deltas:
        chunk = converter.feed(delta)
        if chunk is not None:
            yield chunk
