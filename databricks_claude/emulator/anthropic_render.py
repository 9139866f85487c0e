"""Replies in the Messages route's shapes: an Anthropic `message`, or its event stream.

Blocks go out in the order Claude sends them: thinking (or redacted thinking), text, tool
uses. A stream is `message_start`, then per block `content_block_start`, its deltas and
`content_block_stop` (a `ping` after the first start, as the API sends), `message_delta` with
the stop reason and the usage so far, and `message_stop`. Text and thinking deltas are built
from templates, as on the chat route, so long streams stay cheap.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

from .render import Run, fragments
from .reply import ReasoningBlock, Reply

STOP_REASONS = {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"}
_ARG_PIECE = 16


def _usage(reply: Reply) -> dict[str, Any]:
    read, write = reply.cache if reply.cache is not None else (0, 0)
    return {"input_tokens": max(reply.prompt_tokens - read - write, 0),
            "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
            "output_tokens": reply.completion_tokens}


def _thinking(block: ReasoningBlock) -> dict[str, Any]:
    if block.data is not None:
        return {"type": "redacted_thinking", "data": block.data}
    return {"type": "thinking", "thinking": block.text or "", "signature": block.signature or ""}


def content_blocks(reply: Reply) -> list[dict[str, Any]]:
    """The reply's content blocks, in Claude's order."""
    blocks = [_thinking(block) for block in reply.reasoning]
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    for call in reply.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name,
                       "input": json.loads(call.arguments or "{}")})
    return blocks


def message_body(reply: Reply) -> bytes:
    """The non-streaming answer."""
    body = {"id": reply.id, "type": "message", "role": "assistant", "model": reply.model,
            "content": content_blocks(reply),
            "stop_reason": STOP_REASONS.get(reply.finish_reason, reply.finish_reason),
            "stop_sequence": None, "usage": _usage(reply)}
    return _json(body).encode("utf-8")


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {_json({'type': kind, **data})}\n\n"


def _fixed(*events: str) -> Run:
    return Run("", "", list(events))


def _delta_run(index: int, kind: str, field: str, text: str, size: int | None) -> Run:
    """The deltas of one text or thinking block, from a template."""
    head = ('event: content_block_delta\ndata: {"type":"content_block_delta","index":'
            f'{index},"delta":{{"type":"{kind}","{field}":')
    return Run(head, "}}\n\n", [encode_basestring(p) for p in fragments(text, size) or [""]])


def _block_runs(index: int, block: dict[str, Any], size: int | None) -> list[Run]:
    kind = block["type"]
    stop = _event("content_block_stop", {"index": index})
    if kind == "text":
        start = _event("content_block_start", {"index": index,
                                               "content_block": {"type": "text", "text": ""}})
        return [_fixed(start), _delta_run(index, "text_delta", "text", block["text"], size),
                _fixed(stop)]
    if kind == "thinking":
        start = _event("content_block_start", {"index": index, "content_block": {
            "type": "thinking", "thinking": "", "signature": ""}})
        signature = _event("content_block_delta", {"index": index, "delta": {
            "type": "signature_delta", "signature": block["signature"]}})
        return [_fixed(start),
                _delta_run(index, "thinking_delta", "thinking", block["thinking"], size),
                _fixed(signature, stop)]
    if kind == "tool_use":
        start = _event("content_block_start", {"index": index, "content_block": {
            "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}})
        text = _json(block["input"])
        pieces = [text[i:i + _ARG_PIECE] for i in range(0, len(text), _ARG_PIECE)]
        deltas = [_event("content_block_delta", {"index": index, "delta": {
            "type": "input_json_delta", "partial_json": piece}}) for piece in pieces]
        return [_fixed(start, *deltas, stop)]
    start = _event("content_block_start", {"index": index, "content_block": block})
    return [_fixed(start, stop)]


def event_runs(reply: Reply) -> list[Run]:
    """The stream's events as runs; `message_delta` and `message_stop` are the last two."""
    usage = _usage(reply)
    start = _event("message_start", {"message": {
        "id": reply.id, "type": "message", "role": "assistant", "model": reply.model,
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1}}})
    runs = [_fixed(start)]
    for index, block in enumerate(content_blocks(reply)):
        runs.extend(_block_runs(index, block, reply.chunk_size))
        if index == 0:
            runs.append(_fixed(_event("ping", {})))
    stop_reason = STOP_REASONS.get(reply.finish_reason, reply.finish_reason)
    runs.append(_fixed(
        _event("message_delta", {"delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                 "usage": {"output_tokens": reply.completion_tokens}}),
        _event("message_stop", {})))
    return runs


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
