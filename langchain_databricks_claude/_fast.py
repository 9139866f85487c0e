"""Cheap construction of the `ChatGenerationChunk`s built once per streamed delta.

A 20,000-delta stream builds 20,000 chunks, each an `AIMessageChunk` in a `ChatGenerationChunk`.
Validating them costs about 15-20 µs per delta, as much as all of LangChain's own per-chunk work
(docs/design-rules.md#per-delta-cost), and `model_construct` is slower still (LangChain
overrides it). The values built here are exactly what validation stores, field by field, so
they fill the instances directly (as `databricks_claude._fastmodel.make` does, inlined here).
For tool-call chunks that includes what `AIMessageChunk.init_tool_calls` derives: `tool_calls` /
`invalid_tool_calls` from the (single) tool call chunk, computed with the same LangChain
helpers.

Each fast helper is declared as a `databricks_claude._fastmodel.FastConstructor`, checked once
per process (when a `ChatDatabricksClaude` is built, through `warm_up()`) against validated
construction (identical fields, types, fields set, `==`, `repr`, `model_dump()`, and
`chunk + chunk` merging alike); any helper that differs falls back to validation with a WARNING,
so a future langchain-core or pydantic can cost speed, never correctness. `builders()` hands a
stream the chosen plain functions. The last chunk of a stream is rare and stays validated
(`stream`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, cast

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import InvalidToolCall, ToolCall, ToolCallChunk
from langchain_core.messages.tool import invalid_tool_call as create_invalid_tool_call
from langchain_core.messages.tool import tool_call as create_tool_call
from langchain_core.messages.tool import tool_call_chunk as create_tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.utils.json import parse_partial_json

from databricks_claude._fastmodel import (
    FastConstructor,
    new,
    same,
    set_dict,
    set_extra,
    set_fields_set,
    set_private,
)
from langchain_databricks_claude.layout import PROVIDER, REASONING_CONTENT

__all__ = ["BLOCKS", "CONSTRUCTORS", "REASONING", "TEXT", "TOOL", "VALIDATED", "Builders",
           "builders"]


_MESSAGE_TYPE = "AIMessageChunk"
_GENERATION_TYPE = "ChatGenerationChunk"
# `init_tool_calls` assigns these two whenever there are tool call chunks, marking them as set.
_DERIVED_SET = frozenset({"tool_calls", "invalid_tool_calls"})
_JSON_SPACE = " \t\n\r"  # what `json.loads` skips before a value


class Builders(NamedTuple):
    """The chunk constructors a stream uses, each either the fast one or the validated one."""

    text: Callable[[str], ChatGenerationChunk]
    """`text(t)`: answer text (v0: string content)."""
    reasoning: Callable[[str], ChatGenerationChunk]
    """`reasoning(t)`: reasoning text in `additional_kwargs["reasoning_content"]`."""
    tool: Callable[[str | None, str | None, str, int], ChatGenerationChunk]
    """`tool(id, name, args, index)`: one tool call chunk (start: args ""; args: id/name None)."""
    blocks: Callable[[list[Any], dict[str, Any], dict[str, Any] | None,
                      ToolCallChunk | None], ChatGenerationChunk]
    """`blocks(content, response_metadata, additional_kwargs, tool_call_chunk)`: v1 chunks."""
    fast: bool
    """True when every constructor is the fast one."""


# ---- fast ------------------------------------------------------------------------------------


def _text_type() -> Callable[[str], str]:
    """The type of `message.text` (langchain-core 1.x: `TextAccessor`, a `str` subclass)."""
    return type(AIMessageChunk(content="").text)


_TEXT = _text_type()


def _chunk(content: str | list[Any], additional_kwargs: dict[str, Any],
           response_metadata: dict[str, Any], tool_calls: list[ToolCall],
           invalid_tool_calls: list[InvalidToolCall], tool_call_chunks: list[ToolCallChunk],
           fields_set: set[str], text: str | None) -> ChatGenerationChunk:
    """A chunk holding exactly what validation stores. `text` is the generation's text (what
    `message.text` gives), or None to have it computed from the message (list content)."""
    # `make`, inlined twice: this runs once per delta. Fields in declaration order;
    # `AIMessageChunk` allows extra fields, so validation leaves `{}` as its extra.
    message = new(AIMessageChunk)
    set_dict(message, {
        "content": content, "additional_kwargs": additional_kwargs,
        "response_metadata": response_metadata, "type": _MESSAGE_TYPE, "name": None,
        "id": None, "tool_calls": tool_calls, "invalid_tool_calls": invalid_tool_calls,
        "usage_metadata": None, "tool_call_chunks": tool_call_chunks, "chunk_position": None,
    })
    set_fields_set(message, fields_set)
    set_extra(message, {})
    set_private(message, None)
    # `text` is what the `set_text` validator stores: `message.text`; our content never holds
    # the legacy type-less text blocks it special-cases.
    generation = new(ChatGenerationChunk)
    set_dict(generation, {"text": message.text if text is None else text,
                          "generation_info": None, "type": _GENERATION_TYPE,
                          "message": message})
    set_fields_set(generation, {"text", "message"})
    set_extra(generation, None)
    set_private(generation, None)
    return generation


def _fast_text(text: str) -> ChatGenerationChunk:
    return _chunk(text, {}, {}, [], [], [], {"content"}, _TEXT(text))


def _fast_reasoning(text: str) -> ChatGenerationChunk:
    return _chunk("", {REASONING_CONTENT: text}, {}, [], [], [],
                  {"content", "additional_kwargs"}, _TEXT(""))


def _derived_calls(chunk: ToolCallChunk) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """`tool_calls` and `invalid_tool_calls` as `AIMessageChunk.init_tool_calls` derives them
    from a message whose only tool call chunk is `chunk`."""
    args = chunk["args"]
    if not args:
        parsed: Any = {}
    elif not args.lstrip(_JSON_SPACE).startswith("{"):
        # Only text opening with "{" can parse, even partially, to an object: every candidate
        # `parse_partial_json` tries starts like `args`. Skipping it is exact, and saves its
        # retries (one failed `json.loads` per character) on every mid-arguments fragment.
        parsed = None
    else:
        try:
            parsed = parse_partial_json(args)
        except Exception:  # the validator takes every failure for an invalid call
            parsed = None
    if isinstance(parsed, dict):
        return [create_tool_call(name=chunk["name"] or "", args=parsed, id=chunk["id"])], []
    return [], [create_invalid_tool_call(name=chunk["name"], args=args, id=chunk["id"],
                                         error=None)]


def _fast_tool(call_id: str | None, name: str | None, args: str,
               index: int) -> ChatGenerationChunk:
    chunk = create_tool_call_chunk(name=name, args=args, id=call_id, index=index)
    calls, invalid = _derived_calls(chunk)
    fields = {"content", "tool_call_chunks", "tool_calls", "invalid_tool_calls"}
    return _chunk("", {}, {}, calls, invalid, [chunk], fields, _TEXT(""))


def _fast_blocks(content: list[Any], response_metadata: dict[str, Any],
                 additional_kwargs: dict[str, Any] | None,
                 tool_call_chunk: ToolCallChunk | None) -> ChatGenerationChunk:
    fields = {"content", "response_metadata"}
    if additional_kwargs is None:
        additional_kwargs = {}
    else:
        fields.add("additional_kwargs")
    if tool_call_chunk is None:
        calls: list[ToolCall] = []
        invalid: list[InvalidToolCall] = []
        chunks: list[ToolCallChunk] = []
    else:
        # Validation rebuilds the chunk (key order of `create_tool_call_chunk`).
        chunk = create_tool_call_chunk(name=tool_call_chunk["name"],
                                       args=tool_call_chunk["args"],
                                       id=tool_call_chunk["id"], index=tool_call_chunk["index"])
        calls, invalid = _derived_calls(chunk)
        chunks = [chunk]
        fields.add("tool_call_chunks")
        fields |= _DERIVED_SET
    return _chunk(content, additional_kwargs, response_metadata, calls, invalid, chunks, fields,
                  None)


# ---- validated -------------------------------------------------------------------------------


def _safe_text(text: str) -> ChatGenerationChunk:
    return ChatGenerationChunk(message=AIMessageChunk(content=text))


def _safe_reasoning(text: str) -> ChatGenerationChunk:
    return ChatGenerationChunk(
        message=AIMessageChunk(content="", additional_kwargs={REASONING_CONTENT: text}))


def _safe_tool(call_id: str | None, name: str | None, args: str,
               index: int) -> ChatGenerationChunk:
    chunk = {"type": "tool_call_chunk", "id": call_id, "name": name, "args": args,
             "index": index}
    return ChatGenerationChunk(
        message=AIMessageChunk(content="", tool_call_chunks=[cast("Any", chunk)]))


def _safe_blocks(content: list[Any], response_metadata: dict[str, Any],
                 additional_kwargs: dict[str, Any] | None,
                 tool_call_chunk: ToolCallChunk | None) -> ChatGenerationChunk:
    kwargs: dict[str, Any] = {}
    if additional_kwargs is not None:
        kwargs["additional_kwargs"] = additional_kwargs
    if tool_call_chunk is not None:
        kwargs["tool_call_chunks"] = [tool_call_chunk]
    return ChatGenerationChunk(message=AIMessageChunk(
        content=content, response_metadata=response_metadata, **kwargs))


VALIDATED = Builders(_safe_text, _safe_reasoning, _safe_tool, _safe_blocks, fast=False)
"""The validated constructors: what `builders()` falls back to, one by one."""


# ---- choice ----------------------------------------------------------------------------------


def _merges_alike(fast: ChatGenerationChunk, safe: ChatGenerationChunk) -> bool:
    """Summing chunks (what LangChain does with every stream) gives identical results; the
    generations' sum is built from their messages' sum, so it checks both."""
    return same(fast + fast, safe + safe)


def _tool_chunk(call_id: str | None, name: str | None, args: str, index: int) -> ToolCallChunk:
    return create_tool_call_chunk(name=name, args=args, id=call_id, index=index)


_V1_METADATA = {"model_provider": PROVIDER, "output_version": "v1"}

# Every shape of argument the builders pass, and the ways partial JSON can parse: to a dict, to
# a non-dict (an invalid call), or not at all (also invalid).
_TOOL_SAMPLES: tuple[tuple[Any, ...], ...] = (
    ("call_1", "get_weather", "", 0), (None, None, '{"city": "Par', 1),
    (None, None, ' \n{"a": [1, {"b', 0), (None, None, '{"a": 1}', 0), (None, None, "1", 0),
    (None, None, "}{", 2), (None, None, '"', 0), (None, None, 'is", "n": 1', 0),
    (None, None, ' "a": 1}', 0), (None, None, "{]", 0), (None, None, " ", 0),
)


def _blocks_samples() -> tuple[tuple[Any, ...], ...]:
    """v1 samples; fresh containers on every call, since fast construction stores them."""
    meta = _V1_METADATA
    return (
        ([{"type": "text", "text": "x", "index": 1}], dict(meta), None, None),
        ([{"type": "reasoning", "reasoning": "r", "index": 0}], dict(meta),
         {REASONING_CONTENT: "r"}, None),
        ([{"type": "reasoning", "reasoning": "", "index": 0, "extras": {"signature": "s"}}],
         dict(meta), None, None),
        ([{"type": "reasoning", "index": 0, "extras": {"redacted_content": "d"}}], dict(meta),
         None, None),
        ([{"type": "tool_call_chunk", "id": "c", "name": "n", "args": "", "index": 2}],
         dict(meta), None, _tool_chunk("c", "n", "", 0)),
        ([{"type": "tool_call_chunk", "id": None, "name": None, "args": '{"a', "index": 2}],
         dict(meta), None, _tool_chunk(None, None, '{"a', 0)),
    )


TEXT = FastConstructor("langchain text chunk", _fast_text, _safe_text,
                       lambda: (("x",), ("",)), _merges_alike)
"""`Builders.text`."""
REASONING = FastConstructor("langchain reasoning chunk", _fast_reasoning, _safe_reasoning,
                            lambda: (("r",),), _merges_alike)
"""`Builders.reasoning`."""
TOOL = FastConstructor("langchain tool call chunk", _fast_tool, _safe_tool,
                       lambda: _TOOL_SAMPLES, _merges_alike)
"""`Builders.tool`."""
# Each sample runs twice (fast, then validated) on the same containers: validation copies
# them, and the fast run stores them only in objects that are then discarded.
BLOCKS = FastConstructor("langchain v1 chunk", _fast_blocks, _safe_blocks, _blocks_samples,
                         _merges_alike)
"""`Builders.blocks`."""
CONSTRUCTORS = (TEXT, REASONING, TOOL, BLOCKS)
"""Every per-delta constructor, in the order of `Builders`."""


def builders() -> Builders:
    """The constructors a stream uses, fetched once per stream (each checked once per process:
    normally already, by `warm_up()` when the model was built)."""
    text, reasoning, tool, blocks = (TEXT.choose(), REASONING.choose(), TOOL.choose(),
                                     BLOCKS.choose())
    fast = (text is TEXT.fast and reasoning is REASONING.fast and tool is TOOL.fast
            and blocks is BLOCKS.fast)
    return Builders(text, reasoning, tool, blocks, fast)
