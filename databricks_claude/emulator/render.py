"""Replies rendered in the service's exact shapes: one JSON body, or SSE chunks.

Streams are built from pre-encoded templates (only each fragment is JSON-encoded), so a stream
of 200,000 deltas costs a fraction of a second.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import Any, NamedTuple

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


class Run(NamedTuple):
    """Consecutive SSE events that differ in one JSON value: `head + value + tail` each."""

    head: str
    tail: str
    values: list[str]


def stream_runs(reply: Reply) -> list[Run]:
    """The stream's events as runs, the finish chunk and `[DONE]` last."""
    head = ('data: {"model":' + encode_basestring(reply.model)
            + ',"choices":[{"delta":{"role":"assistant","content":')
    tail = ('},"index":0,"finish_reason":null}],"usage":{"prompt_tokens":'
            f'{reply.prompt_tokens},"completion_tokens":null,"total_tokens":null}},'
            f'"object":"chat.completion.chunk","id":{encode_basestring(reply.id)},'
            f'"created":{reply.created}}}\n\n')
    runs: list[Run] = []
    for block in reply.reasoning:
        runs.extend(_reasoning_runs(head, tail, block, reply.chunk_size))
    if reply.text:
        runs.append(_string_run(head, tail, reply.text, reply.chunk_size))
    first_index = len(reply.reasoning) + (1 if reply.text else 0)
    calls_head = head + 'null,"tool_calls":'
    for offset, call in enumerate(reply.tool_calls):
        deltas = _tool_deltas(first_index + offset, call.id, call.name, call.arguments)
        runs.append(Run(calls_head, tail, [_json([delta]) for delta in deltas]))
    runs.append(Run("", "", [_finish_event(reply), DONE]))
    return runs


def event_count(runs: list[Run]) -> int:
    """How many SSE events the runs hold."""
    return sum(len(run.values) for run in runs)


def encode_events(runs: list[Run], start: int = 0, stop: int | None = None,
                  batch: int = 512) -> Iterator[bytes]:
    """Events `start:stop`, encoded a batch at a time (one join per batch, no per-event work)."""
    offset = 0
    stop = event_count(runs) if stop is None else stop
    for run in runs:
        first, last = max(start - offset, 0), min(stop - offset, len(run.values))
        joiner = run.tail + run.head
        for index in range(first, last, batch):
            values = run.values[index:min(index + batch, last)]
            yield (run.head + joiner.join(values) + run.tail).encode("utf-8")
        offset += len(run.values)


def _string_run(head: str, tail: str, text: str, size: int | None) -> Run:
    """Text deltas; quotes go into the template when no fragment needs escaping."""
    pieces = fragments(text, size) or [""]
    if encode_basestring(text)[1:-1] == text:
        return Run(head + '"', '"' + tail, pieces)
    return Run(head, tail, list(map(encode_basestring, pieces)))


def _reasoning_runs(head: str, tail: str, block: ReasoningBlock, size: int | None) -> list[Run]:
    if block.data is not None:
        return [Run(head, tail, [_json([_reasoning_block(block, None)])])]
    signature = _json([_reasoning_block(ReasoningBlock(""), block.signature)])
    if not block.text:  # display omitted: one delta, "" and the signature (docs/emulator-model.md)
        return [Run(head, tail, [signature])]
    prefix = head + '[{"type":"reasoning","summary":[{"type":"summary_text","text":'
    text_run = _string_run(prefix, ',"signature":""}]}]' + tail, block.text or "", size)
    return [text_run, Run(head, tail, [signature])]


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


def fragments(text: str, size: int | None) -> list[str]:
    """Text cut into stream fragments: single characters, `size`-long pieces, or words."""
    if size == 1:
        return list(text)
    if size and size > 0:
        return [text[i:i + size] for i in range(0, len(text), size)]
    return _WORDS.findall(text)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
