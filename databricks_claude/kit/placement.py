"""Where unknown blocks sit in an answer, so that a replay puts them back in place.

An answer's parts are in order; a framework that keeps the answer text as one string (LangChain)
records each unknown block with the length of the text before it, one that keeps a block list
(LlamaIndex) with the index of the block it comes before. Both are computed and undone here.
"""

from __future__ import annotations

from collections.abc import Sequence

from databricks_claude.messages import CacheControl, Part, TextPart, UnknownPart

__all__ = ["interleave", "text_offsets"]


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
