"""Where unknown blocks sit in an answer, so that a replay puts them back in place.

An answer's parts are in order; a framework that keeps the answer text as one string (LangChain)
records each unknown block with the length of the text before it, one that keeps a block list
(LlamaIndex) with the index of the block it comes before. Both are computed and undone here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

from databricks_claude.messages import (
    CacheControl,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    ToolCallPart,
    UnknownPart,
)

__all__ = ["BlockPart", "block_positions", "interleave", "put_back", "stored_positions",
           "text_offsets"]

T = TypeVar("T")
BlockPart: TypeAlias = TextPart | ReasoningPart | RedactedReasoningPart | ToolCallPart
"""An answer's part that a block-list framework shows as a block of its own."""
_BLOCK_PARTS = (ReasoningPart, RedactedReasoningPart, ToolCallPart)


def text_offsets(parts: Sequence[Part]) -> list[tuple[int, UnknownPart]]:
    """Each unknown part of an answer with the length of the answer text before it."""
    placed: list[tuple[int, UnknownPart]] = []
    offset = 0
    for part in parts:
        if isinstance(part, TextPart):
            offset += len(part.text)
        elif isinstance(part, UnknownPart):
            placed.append((offset, part))
    return placed


def interleave(text: str, cache: CacheControl | None,
               unknown: Sequence[tuple[int, UnknownPart]]) -> list[Part]:
    """The answer text cut at the unknown parts' offsets, with those parts in between.

    Offsets beyond the (possibly edited) text put the part at its end; the text's
    `cache_control` goes on its last piece.
    """
    parts: list[Part] = []
    texts: list[TextPart] = []
    start = 0
    for offset, part in unknown:
        cut = min(max(offset, start), len(text))
        if cut > start:
            texts.append(TextPart(text[start:cut]))
            parts.append(texts[-1])
        parts.append(part)
        start = cut
    if start < len(text):
        texts.append(TextPart(text[start:]))
        parts.append(texts[-1])
    if texts:
        texts[-1].cache_control = cache
    return parts


def block_positions(parts: Sequence[Part]) -> tuple[list[BlockPart], list[tuple[int, UnknownPart]]]:
    """An answer's parts for a framework that keeps a block list: the parts shown, one per
    block, and each unknown part with the index of the block it comes before.

    Adjacent text parts are joined into one; text on either side of an unknown part is not, so
    that a replay keeps the order received. Parts an answer does not hold (images, tool
    results) are left out.
    """
    shown: list[BlockPart] = []
    unknown: list[tuple[int, UnknownPart]] = []
    joined = False  # whether a text part extends the text part before it
    for part in parts:
        if isinstance(part, TextPart):
            last = shown[-1] if joined else None
            if isinstance(last, TextPart):
                shown[-1] = TextPart(last.text + part.text)
            else:
                shown.append(part)
            joined = True
            continue
        joined = False
        if isinstance(part, _BLOCK_PARTS):
            shown.append(part)
        elif isinstance(part, UnknownPart):
            unknown.append((len(shown), part))
    return shown, unknown


def stored_positions(blocks: Sequence[Mapping[str, Any]], positions: Any,
                     block_count: int) -> list[tuple[int, UnknownPart]]:
    """Stored unknown blocks with the block indices `block_positions` gave them, for
    `put_back`. Positions that are missing, of another length than the blocks, or not ints put
    their block after the last of `block_count` blocks (older or hand-made messages)."""
    if not isinstance(positions, list) or len(positions) != len(blocks):
        positions = [block_count] * len(blocks)
    return [(at if isinstance(at, int) else block_count, UnknownPart(dict(data)))
            for at, data in zip(positions, blocks, strict=True)]


def put_back(groups: Sequence[Sequence[T]],
             unknown: Sequence[tuple[int, UnknownPart]]) -> list[T | UnknownPart]:
    """Undoes `block_positions`: the items of each block's group, in order, with each unknown
    part back before the block at its index (past the last block: at the end). Unknown parts at
    one index keep their order."""
    pending = sorted(unknown, key=lambda entry: entry[0])  # stable
    out: list[T | UnknownPart] = []
    next_unknown = 0
    for index, group in enumerate(groups):
        while next_unknown < len(pending) and pending[next_unknown][0] <= index:
            out.append(pending[next_unknown][1])
            next_unknown += 1
        out.extend(group)
    out.extend(part for _, part in pending[next_unknown:])
    return out
