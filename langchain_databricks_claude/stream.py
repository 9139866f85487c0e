"""The core's stream deltas to LangChain `ChatGenerationChunk`s, one chunk per delta.

This is the hot path: a chunk per delta, built with as little work as possible (see `_fast`).
The last chunk carries what only the finished answer knows (see `layout`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from databricks_claude.messages import (
    Completion,
    Delta,
    FinishDelta,
    ReasoningDelta,
    RedactedReasoningDelta,
    SignatureDelta,
    TextDelta,
    ToolCallArgsDelta,
    ToolCallPart,
    ToolCallStartDelta,
)
from langchain_databricks_claude import _fast
from langchain_databricks_claude.layout import PROVIDER, REASONING_CONTENT, REDACTED
from langchain_databricks_claude.outbound import final_kwargs, response_metadata, usage_to_metadata

__all__ = ["StreamChunkBuilder", "V1StreamChunkBuilder", "invalid_closers"]


def invalid_closers(completion: Completion) -> list[tuple[int, int, str, str]]:
    """(dense position, part index, id, closer) of each tool call whose arguments do not parse.

    A streamed tool call is summed by LangChain from its chunks and parsed leniently
    (`parse_partial_json`), so arguments cut off by `max_tokens` (`{"city": "Par`) would sum to
    a valid-looking call (`{"city": "Par"}`). Once the stream has ended, the last chunk appends
    a closer to each such call that no lenient parse can repair (a closing bracket of the wrong
    kind, with the call's id), so the summed message and the last chunk hold it in
    `invalid_tool_calls`, as
    `invoke` does (docs/design-rules.md#invalid-tool-arguments). The arguments as received stay
    in `additional_kwargs["tool_call_arguments"]`.
    """
    closers: list[tuple[int, int, str, str]] = []
    position = 0
    for part_index, part in enumerate(completion.parts):
        if not isinstance(part, ToolCallPart):
            continue
        try:
            part.parsed_arguments()
        except ValueError:
            closers.append((position, part_index, part.id, _closer(part.arguments)))
        position += 1
    return closers


def _closer(arguments: str) -> str:
    """A suffix after which `arguments` can no longer be read as a JSON object."""
    in_string = escaped = False
    stack: list[str] = []
    for char in arguments:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    # Finish an escape and a string first, so that the bracket counts as a bracket.
    prefix = ("\\" if escaped else "") + ('"' if in_string else "")
    return prefix + ("}" if stack and stack[-1] == "[" else "]")


class StreamChunkBuilder:
    """Turns one stream's deltas into `ChatGenerationChunk`s (v0 layout: string content).

    One chunk per delta, built with as little work as possible (this is the hot path):
    text -> `content`; reasoning text -> `additional_kwargs["reasoning_content"]`; tool calls ->
    `tool_call_chunks` whose `index` is the call's dense position; signatures and redacted
    reasoning -> nothing until the last chunk, which carries `reasoning_blocks`,
    `tool_call_arguments`, usage (once), finish reason, model name, id and
    `chunk_position="last"`.

    The per-delta chunks skip pydantic validation (see `_fast`: identical objects, checked once
    against validated ones); the last chunk, once per stream, is validated.
    """

    def __init__(self, model_name: str, *, include_usage: bool = True) -> None:
        self.model_name = model_name
        self.include_usage = include_usage
        build = _fast.builders()
        self._new_text = build.text
        self._new_reasoning = build.reasoning
        self._new_tool = build.tool
        self._new_blocks = build.blocks
        self._dispatch: dict[type, Callable[[Any], ChatGenerationChunk | None]] = {
            TextDelta: self._text,
            ReasoningDelta: self._reasoning,
            ToolCallStartDelta: self._tool_start,
            ToolCallArgsDelta: self._tool_args,
            SignatureDelta: self._signature,
            RedactedReasoningDelta: self._redacted,
            FinishDelta: self._finish,
        }

    def feed(self, delta: Delta) -> ChatGenerationChunk | None:
        """The chunk for one delta, or None when the delta shows nothing yet."""
        return self._dispatch[type(delta)](delta)

    def _text(self, delta: TextDelta) -> ChatGenerationChunk | None:
        text = delta.text
        return self._new_text(text) if text else None

    def _reasoning(self, delta: ReasoningDelta) -> ChatGenerationChunk | None:
        text = delta.text
        return self._new_reasoning(text) if text else None

    def _tool_start(self, delta: ToolCallStartDelta) -> ChatGenerationChunk | None:
        return self._new_tool(delta.id, delta.name, "", delta.position)

    def _tool_args(self, delta: ToolCallArgsDelta) -> ChatGenerationChunk | None:
        fragment = delta.fragment
        return self._new_tool(None, None, fragment, delta.position) if fragment else None

    def _signature(self, delta: SignatureDelta) -> ChatGenerationChunk | None:
        return None

    def _redacted(self, delta: RedactedReasoningDelta) -> ChatGenerationChunk | None:
        return None

    def _finish(self, delta: FinishDelta) -> ChatGenerationChunk:
        completion = delta.completion
        closers = [{"type": "tool_call_chunk", "id": call_id, "name": None, "args": suffix,
                    "index": position}
                   for position, _, call_id, suffix in invalid_closers(completion)]
        return ChatGenerationChunk(message=self.final_chunk(completion, "", closers))

    def final_chunk(self, completion: Completion, content: str | list[Any],
                    tool_call_chunks: list[dict[str, Any]] | None = None) -> AIMessageChunk:
        """The last chunk: what only the finished answer knows, usage counted here once.

        `tool_call_chunks` are the closers of calls whose arguments did not parse
        (`invalid_closers`)."""
        usage = completion.usage if self.include_usage else None
        return AIMessageChunk(
            content=content,
            additional_kwargs=final_kwargs(completion),
            response_metadata=self._final_metadata(completion),
            usage_metadata=usage_to_metadata(usage) if usage else None,
            id=completion.id,
            chunk_position="last",
            tool_call_chunks=cast("Any", tool_call_chunks or []),
        )

    def _final_metadata(self, completion: Completion) -> dict[str, Any]:
        return response_metadata(completion, self.model_name)


class V1StreamChunkBuilder(StreamChunkBuilder):
    """Chunks whose content is already v1 standard blocks (for `output_version="v1"`).

    Every block's `index` is the `part_index` of its delta, the index of its part in the final
    `Completion.parts`, so that summing chunks merges the fragments of each block and keeps the
    blocks in order: reasoning blocks (signature in `extras`), the text block, tool calls. The
    answer text is one block (as `content` is one string in v0): every text delta goes to the
    block of the first text part. `tool_call_chunks` keep the call's dense position.
    """

    def __init__(self, model_name: str, *, include_usage: bool = True) -> None:
        super().__init__(model_name, include_usage=include_usage)
        self._text_index = -1  # the block index of the answer text, once it started

    def _chunk(self, block: dict[str, Any], additional_kwargs: dict[str, Any] | None = None,
               tool_call_chunk: dict[str, Any] | None = None) -> ChatGenerationChunk:
        return self._new_blocks([block], {"model_provider": PROVIDER, "output_version": "v1"},
                                additional_kwargs, cast("Any", tool_call_chunk))

    def _text(self, delta: TextDelta) -> ChatGenerationChunk | None:
        if not delta.text:
            return None
        index = self._text_index
        if index < 0:
            index = self._text_index = delta.part_index
        return self._chunk({"type": "text", "text": delta.text, "index": index})

    def _reasoning(self, delta: ReasoningDelta) -> ChatGenerationChunk | None:
        if not delta.text:
            return None
        return self._chunk({"type": "reasoning", "reasoning": delta.text,
                            "index": delta.part_index},
                           additional_kwargs={REASONING_CONTENT: delta.text})

    def _signature(self, delta: SignatureDelta) -> ChatGenerationChunk | None:
        block = {"type": "reasoning", "reasoning": "", "index": delta.part_index,
                 "extras": {"signature": delta.signature}}
        return self._chunk(block)

    def _redacted(self, delta: RedactedReasoningDelta) -> ChatGenerationChunk | None:
        block = {"type": "reasoning", "index": delta.part_index,
                 "extras": {REDACTED: delta.data}}
        return self._chunk(block)

    def _tool_start(self, delta: ToolCallStartDelta) -> ChatGenerationChunk | None:
        block = {"type": "tool_call_chunk", "id": delta.id, "name": delta.name, "args": "",
                 "index": delta.part_index}
        call = {**block, "index": delta.position}
        return self._chunk(block, tool_call_chunk=call)

    def _tool_args(self, delta: ToolCallArgsDelta) -> ChatGenerationChunk | None:
        if not delta.fragment:
            return None
        block = {"type": "tool_call_chunk", "id": None, "name": None, "args": delta.fragment,
                 "index": delta.part_index}
        call = {**block, "index": delta.position}
        return self._chunk(block, tool_call_chunk=call)

    def _finish(self, delta: FinishDelta) -> ChatGenerationChunk:
        completion = delta.completion
        blocks: list[Any] = []
        calls: list[dict[str, Any]] = []
        for position, part_index, call_id, suffix in invalid_closers(completion):
            block = {"type": "tool_call_chunk", "id": call_id, "name": None, "args": suffix,
                     "index": part_index}
            blocks.append(block)
            calls.append({**block, "index": position})
        return ChatGenerationChunk(message=self.final_chunk(completion, blocks, calls))

    def _final_metadata(self, completion: Completion) -> dict[str, Any]:
        return {**response_metadata(completion, self.model_name), "output_version": "v1"}
