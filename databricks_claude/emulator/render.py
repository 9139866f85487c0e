"""Replies rendered in the service's exact shapes: one JSON body, or SSE chunks.

Streams are built from pre-encoded templates (only each fragment is JSON-encoded), so a stream
of 200,000 deltas costs a fraction of a second.
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from .reply import ReasoningBlock, Reply

DONE = "data: [DONE]\n\n"
_WORDS = re.compile(r"\s*\S+\s*|\s+")
_ARG_PIECE = 16


def completion_body(reply: Reply) -> bytes:
    """The non-streaming body, key for key as the seed capture."""
    body = {
        "id": reply.id,
        "choices": [{
            "finish_reason": reply.finish_reason,
            "index": 0,
            "logprobs": None,
            "message": _message(reply),
        }],
        "created": reply.created,
        "model": reply.model,
        "object": "chat.completion",
        "service_tier": None,
        "system_fingerprint": None,
        "usage": _usage(reply),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _message(reply: Reply) -> dict[str, Any]:
    content: Any
    if reply.reasoning:
        content = [_reasoning_block(b, b.signature) for b in reply.reasoning]
        if reply.text:
            content.append({"type": "text", "text": reply.text})
    else:
        content = reply.text if reply.text or not reply.tool_calls else None
    calls = [{"id": c.id, "function": {"arguments": c.arguments, "name": c.name},
              "type": "function"} for c in reply.tool_calls]
    return {"content": content, "refusal": None, "role": "assistant", "annotations": None,
            "audio": None, "function_call": None, "tool_calls": calls or None}


def _reasoning_block(block: ReasoningBlock, signature: str | None) -> dict[str, Any]:
    if block.data is not None:
        entry: dict[str, Any] = {"type": "summary_encrypted_text", "data": block.data}
    else:
        entry = {"type": "summary_text", "text": block.text or "", "signature": signature or ""}
    return {"type": "reasoning", "summary": [entry]}


def _usage(reply: Reply) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "completion_tokens": reply.completion_tokens,
        "prompt_tokens": reply.prompt_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        "completion_tokens_details": None,
        "prompt_tokens_details": None,
    }
    if reply.cache is not None:
        usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"] = reply.cache
    return usage


def stream_events(reply: Reply) -> list[str]:
    """The SSE events of the stream, the finish chunk last (without the `[DONE]` line)."""
    head = ('data: {"model":' + encode_basestring(reply.model)
            + ',"choices":[{"delta":{"role":"assistant","content":')
    tail = ('},"index":0,"finish_reason":null}],"usage":{"prompt_tokens":'
            f'{reply.prompt_tokens},"completion_tokens":null,"total_tokens":null}},'
            f'"object":"chat.completion.chunk","id":{encode_basestring(reply.id)},'
            f'"created":{reply.created}}}\n\n')
    events: list[str] = []
    for block in reply.reasoning:
        events.extend(head + _json(d) + tail for d in _reasoning_deltas(block, reply.chunk_size))
    if reply.text:
        events.extend([head + encode_basestring(f) + tail
                       for f in _fragments(reply.text, reply.chunk_size)])
    first_index = len(reply.reasoning) + (1 if reply.text else 0)
    for offset, call in enumerate(reply.tool_calls):
        for delta in _tool_deltas(first_index + offset, call.id, call.name, call.arguments):
            events.append(head + "null," + '"tool_calls":' + _json([delta]) + tail)
    events.append(_finish_event(reply))
    return events


def _reasoning_deltas(block: ReasoningBlock, size: int | None) -> list[list[dict[str, Any]]]:
    if block.data is not None:
        return [[_reasoning_block(block, None)]]
    pieces = _fragments(block.text or "", size) or [""]
    deltas = [[_reasoning_block(ReasoningBlock(piece), "")] for piece in pieces]
    deltas.append([_reasoning_block(ReasoningBlock(""), block.signature)])
    return deltas


def _tool_deltas(index: int, call_id: str, name: str, arguments: str) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = [{"index": index, "id": call_id, "type": "function",
                                     "function": {"name": name, "arguments": ""}}]
    pieces = [""] + [arguments[i:i + _ARG_PIECE] for i in range(0, len(arguments), _ARG_PIECE)]
    deltas.extend({"index": index, "function": {"arguments": piece}} for piece in pieces)
    return deltas


def _finish_event(reply: Reply) -> str:
    chunk = {
        "model": reply.model,
        "choices": [{"delta": {"role": "assistant", "content": ""}, "index": 0,
                     "finish_reason": reply.finish_reason}],
        "usage": {"prompt_tokens": reply.prompt_tokens,
                  "completion_tokens": reply.completion_tokens,
                  "total_tokens": reply.prompt_tokens + reply.completion_tokens},
        "object": "chat.completion.chunk",
        "id": reply.id,
        "created": reply.created,
    }
    return "data: " + _json(chunk) + "\n\n"


def _fragments(text: str, size: int | None) -> list[str]:
    if size and size > 0:
        return [text[i:i + size] for i in range(0, len(text), size)]
    return _WORDS.findall(text)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
