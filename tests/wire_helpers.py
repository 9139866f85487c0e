"""Helpers for the wire tests: fixtures, canonical JSON, and streams built from responses.

The fixtures in tests/fixtures are copies of the wire captures (docs/wire-chat.md#evidence says
where each one comes from).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    """A JSON fixture, parsed."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture_text(name: str) -> str:
    """A text fixture, as is."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def canonical(value: Any) -> str:
    """JSON text that two equal values share byte for byte."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _split(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def chunk(delta: dict[str, Any] | None = None, *, finish_reason: str | None = None,
          usage: dict[str, Any] | None = None, model: str = "m", chunk_id: str = "msg-1",
          choices: bool = True) -> dict[str, Any]:
    """One chat.completion.chunk in the real key order (docs/wire-chat.md#stream-chunks)."""
    body: dict[str, Any] = {"model": model}
    if choices:
        body["choices"] = [{"delta": {"role": "assistant", **(delta or {})}, "index": 0,
                            "finish_reason": finish_reason}]
    else:
        body["choices"] = []
    if usage is not None:
        body["usage"] = usage
    body.update({"object": "chat.completion.chunk", "id": chunk_id, "created": 1})
    return body


def reasoning_delta(text: str = "", signature: str | None = "") -> dict[str, Any]:
    """A delta carrying one reasoning summary_text fragment."""
    entry: dict[str, Any] = {"type": "summary_text", "text": text}
    if signature is not None:
        entry["signature"] = signature
    return {"content": [{"type": "reasoning", "summary": [entry]}]}


def stream_from_response(body: dict[str, Any], *, size: int = 3) -> list[str]:
    """The SSE data payloads of the stream the service would send for a non-streaming `body`.

    Reasoning text comes in list deltas with `signature: ""` and then the signature alone; text in
    string deltas; each tool call as a header then argument fragments, with Anthropic block
    indices (after the content blocks); usage on every chunk, complete only on the last.
    """
    message = body["choices"][0]["message"]
    usage = body.get("usage") or {}
    early_usage = {"prompt_tokens": usage.get("prompt_tokens"), "completion_tokens": None,
                   "total_tokens": None}
    ids = {"model": body["model"], "chunk_id": body["id"]}
    deltas = list(_content_deltas(message.get("content"), size))
    blocks = len(message["content"]) if isinstance(message.get("content"), list) else 1
    for offset, call in enumerate(message.get("tool_calls") or ()):
        deltas.extend(_tool_deltas(call, blocks + offset, size))
    chunks = [chunk(d, usage=early_usage, **ids) for d in deltas]
    chunks.append(chunk({"content": ""}, finish_reason=body["choices"][0]["finish_reason"],
                        usage=usage, **ids))
    return [json.dumps(c, ensure_ascii=False) for c in chunks] + ["[DONE]"]


def _content_deltas(content: Any, size: int) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"content": piece} for piece in _split(content, size)] if content else []
    deltas: list[dict[str, Any]] = []
    for block in content or ():
        if block["type"] == "text":
            deltas.extend({"content": piece} for piece in _split(block["text"], size))
            continue
        for entry in block["summary"]:
            if entry["type"] == "summary_encrypted_text":
                deltas.append({"content": [{"type": "reasoning", "summary": [entry]}]})
                continue
            deltas.extend(reasoning_delta(piece) for piece in _split(entry["text"], size))
            if entry.get("signature"):
                deltas.append(reasoning_delta("", entry["signature"]))
    return deltas


def _tool_deltas(call: dict[str, Any], index: int, size: int) -> list[dict[str, Any]]:
    header = {"index": index, "id": call["id"], "type": "function",
              "function": {"name": call["function"]["name"], "arguments": ""}}
    deltas = [{"content": None, "tool_calls": [header]}]
    for piece in _split(call["function"]["arguments"], size):
        deltas.append({"content": None,
                       "tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    return deltas


def sse_text(payloads: list[str]) -> str:
    """Payloads framed as an SSE body (`data: x` + blank line each)."""
    return "".join(f"data: {p}\n\n" for p in payloads)
