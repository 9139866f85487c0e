"""Prompt caching: prefixes ending at `cache_control` breakpoints are written, then read."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from .state import EmulatorState


def cache_usage(body: dict[str, Any], state: EmulatorState) -> tuple[int, int] | None:
    """(cache read, cache creation) tokens for this request; None when it has no breakpoint.

    Like the real cache, a request reads the longest prefix written before (at any of its
    breakpoints) and writes the rest up to its last breakpoint.
    """
    breakpoints = list(_breakpoints(body))
    if not breakpoints:
        return None
    read = 0
    for key, tokens in breakpoints:
        if state.cache_lookup(key):
            read = max(read, tokens)
    last = breakpoints[-1][1]
    if last < state.settings.cache_min_tokens:
        return (0, 0)
    return (read, max(0, last - read))


def _breakpoints(body: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """(prefix key, prefix tokens) at each block carrying cache_control, in prompt order."""
    digest = hashlib.sha256(str(body.get("model", "")).encode("utf-8"))
    chars = 0
    for block in _blocks(body):
        text = json.dumps(block, sort_keys=True, ensure_ascii=False)
        digest.update(text.encode("utf-8"))
        chars += len(text)
        if _has_cache_control(block):
            yield digest.hexdigest(), (chars + 3) // 4


def _blocks(body: dict[str, Any]) -> Iterator[Any]:
    """The prompt in the order the model service caches it: tools, then messages' parts."""
    tools = body.get("tools")
    yield from tools if isinstance(tools, list) else ()
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else ():
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        head = {k: v for k, v in message.items() if k != "content"}
        yield head
        yield from content if isinstance(content, list) else (content,)


def _has_cache_control(block: Any) -> bool:
    if not isinstance(block, dict):
        return False
    function = block.get("function")
    return "cache_control" in block or (isinstance(function, dict) and "cache_control" in function)
