"""Reading a (possibly malformed) chat request: prompt text, tool results, tool rounds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

MAGIC_REDACTED = ("ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_"
                  "46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB")


def dig(value: Any, *keys: str) -> Any:
    """`value[k1][k2]…`, or None as soon as a level is not an object or lacks the key."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text_of(content: Any) -> str:
    """The text of a message content: a string, or the text parts of a list joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def messages_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's messages that are objects (anything else is ignored)."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, dict)]


def last_user_index(messages: Sequence[dict[str, Any]]) -> int:
    """Index of the latest user message, -1 when there is none."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return index
    return -1


def prompt_of(messages: Sequence[dict[str, Any]]) -> str:
    """The latest user message's text."""
    index = last_user_index(messages)
    return text_of(messages[index].get("content")) if index >= 0 else ""


def tool_results(messages: Sequence[dict[str, Any]]) -> list[str]:
    """Contents of the tool results that answer the latest user message's tool loop."""
    start = last_user_index(messages) + 1
    return [_result_text(m.get("content")) for m in messages[start:] if m.get("role") == "tool"]


def tool_rounds_done(messages: Sequence[dict[str, Any]]) -> int:
    """How many assistant tool-call turns followed the latest user message."""
    start = last_user_index(messages) + 1
    return sum(1 for m in messages[start:] if m.get("role") == "assistant" and m.get("tool_calls"))


def called_tools(messages: Sequence[dict[str, Any]]) -> set[str]:
    """Names of the tools called since the latest user message."""
    start = last_user_index(messages) + 1
    return {str(dig(call, "function", "name")) for m in messages[start:]
            if m.get("role") == "assistant" and isinstance(m.get("tool_calls"), list)
            for call in m["tool_calls"]}


def prefill_of(messages: Sequence[dict[str, Any]]) -> str | None:
    """The text of a final assistant turn without tool calls (a prefill to continue), or None."""
    if not messages or messages[-1].get("role") != "assistant" or messages[-1].get("tool_calls"):
        return None
    return text_of(messages[-1].get("content"))


def system_text(messages: Sequence[dict[str, Any]]) -> str:
    """The system messages' text, joined."""
    return "\n".join(text_of(m.get("content")) for m in messages if m.get("role") == "system")


def thinking_on(body: dict[str, Any]) -> bool:
    """Whether the request turns thinking on (budget or adaptive)."""
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def display_of(body: dict[str, Any]) -> str | None:
    """The request's `thinking.display` ("summarized", "omitted"), None when not given."""
    display = dig(body, "thinking", "display")
    return display if isinstance(display, str) else None


def _result_text(content: Any) -> str:
    text = text_of(content)
    if text or content is None or isinstance(content, (str, list)):
        return text
    return json.dumps(content, ensure_ascii=False)
