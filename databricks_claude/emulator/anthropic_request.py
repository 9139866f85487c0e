"""The Messages route's requests: Anthropic's own checks, then the body in the chat shape.

Written from the Anthropic Messages format: the top-level keys, two roles, content blocks,
tool results opening the user turn after their calls, no trailing whitespace in a final
assistant turn. A request that passes is restated in the chat route's shape, so the emulator's
shared rules (thinking, sampling, signatures) and its model answer it the same way on both
routes. Refusals carry Anthropic's `invalid_request_error` body.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from . import wire_errors as err

ALLOWED_KEYS = frozenset({
    "model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream",
    "temperature", "top_p", "top_k", "tools", "tool_choice", "thinking", "output_config",
    "service_tier",
})
_USER_BLOCKS = frozenset({"text", "image", "document", "tool_result", "search_result"})
_ASSISTANT_BLOCKS = frozenset({"text", "thinking", "redacted_thinking", "tool_use",
                               "server_tool_use", "web_search_tool_result"})


def invalid(message: str) -> err.Refusal:
    """A 400 in Anthropic's error shape."""
    return err.Refusal(400, {"type": "error",
                             "error": {"type": "invalid_request_error", "message": message}})


def check_anthropic(body: dict[str, Any]) -> None:
    """Refuse what the Messages API refuses before any model rule applies."""
    for key in body:
        if key not in ALLOWED_KEYS:
            raise invalid(f"{key}: Extra inputs are not permitted")
    if not isinstance(body.get("max_tokens"), int) or isinstance(body["max_tokens"], bool):
        raise invalid("max_tokens: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages: at least one message is required")
    for index, message in enumerate(messages):
        _check_message(index, message)
    last = messages[-1]
    if last.get("role") == "assistant" and _ends_in_whitespace(last.get("content")):
        raise invalid("messages: final assistant content cannot end with trailing whitespace")


def _check_message(index: int, message: Any) -> None:
    if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
        raise invalid(f"messages.{index}.role: Input should be 'user' or 'assistant'")
    content = message.get("content")
    if isinstance(content, str):
        if not content.strip() and not (index and message["role"] == "assistant"):
            raise invalid(f"messages.{index}: text content blocks must be non-empty")
        return
    if not isinstance(content, list):
        raise invalid(f"messages.{index}.content: Input should be a valid string or list")
    allowed = _USER_BLOCKS if message["role"] == "user" else _ASSISTANT_BLOCKS
    for position, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in allowed:
            raise invalid(f"messages.{index}.content.{position}.type: {kind!r} is not a "
                          f"{message['role']} content block")
        if kind == "text" and not str(block.get("text", "")).strip():
            raise invalid(f"messages.{index}.content.{position}.text: text content blocks "
                          "must contain non-whitespace text")


def _ends_in_whitespace(content: Any) -> bool:
    text = content if isinstance(content, str) else None
    if isinstance(content, list) and content and isinstance(content[-1], dict):
        text = content[-1].get("text") if content[-1].get("type") == "text" else None
    return isinstance(text, str) and text != text.rstrip()


# -- the chat shape ------------------------------------------------------------------------------


def to_chat_body(body: dict[str, Any]) -> dict[str, Any]:
    """The request restated in the chat route's shape (tool results as tool messages)."""
    chat: dict[str, Any] = {k: body[k] for k in ("model", "max_tokens", "temperature", "top_p",
                                                  "top_k", "thinking", "output_config",
                                                  "stream") if k in body}
    messages = _system_messages(body.get("system"))
    listed = body.get("messages")
    if not isinstance(listed, list) or not listed:
        return {**chat, "messages": listed}  # the shared rules refuse it as the chat route does
    for message in listed:
        messages.extend(_chat_messages(message))
    chat["messages"] = messages
    if "stop_sequences" in body:
        chat["stop"] = body["stop_sequences"]
    if isinstance(body.get("tools"), list):
        chat["tools"] = [_chat_tool(tool) for tool in body["tools"]]
    if "tool_choice" in body:
        chat["tool_choice"] = _chat_tool_choice(body["tool_choice"])
    return chat


def _system_messages(system: Any) -> list[dict[str, Any]]:
    if system is None:
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}]
    if isinstance(system, list):
        return [{"role": "system", "content": [dict(block) for block in system]}]
    raise invalid("system: Input should be a valid string or list of text blocks")


def _chat_messages(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message["content"]
    if isinstance(content, str):
        return [{"role": message["role"], "content": content}]
    if message["role"] == "assistant":
        return [_chat_assistant(content)]
    tools = [_chat_tool_result(b) for b in content if b["type"] == "tool_result"]
    rest = [_chat_user_block(b) for b in content if b["type"] != "tool_result"]
    return tools + ([{"role": "user", "content": rest}] if rest else [])


def _chat_assistant(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for block in blocks:
        kind = block["type"]
        if kind == "thinking":
            entry = {"type": "summary_text", "text": block.get("thinking", ""),
                     "signature": block.get("signature", "")}
            content.append({"type": "reasoning", "summary": [entry]})
        elif kind == "redacted_thinking":
            content.append({"type": "reasoning", "summary": [
                {"type": "summary_encrypted_text", "data": block.get("data", "")}]})
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input", {}), ensure_ascii=False)
            calls.append({"id": block.get("id"), "type": "function",
                          "function": {"name": block.get("name"), "arguments": arguments}})
        elif kind == "text":
            content.append({k: v for k, v in block.items() if k != "citations"})
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _chat_user_block(block: dict[str, Any]) -> dict[str, Any]:
    if block["type"] != "image":
        return dict(block)
    source = block.get("source") or {}
    if source.get("type") != "base64":
        raise invalid("Only base64 image sources are supported on this route.")
    url = f"data:{source.get('media_type')};base64,{source.get('data', '')}"
    image: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    if "cache_control" in block:
        image["cache_control"] = block["cache_control"]
    return image


def _chat_tool_result(block: dict[str, Any]) -> dict[str, Any]:
    content = block.get("content", "")
    if isinstance(content, list):
        content = [_chat_user_block(b) for b in content]
    return {"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": content}


def _chat_tool(tool: Any) -> dict[str, Any]:
    if not isinstance(tool, dict):
        raise invalid("tools: each tool must be an object")
    function = {"name": tool.get("name"), "parameters": tool.get("input_schema")}
    if "description" in tool:
        function["description"] = tool["description"]
    if "cache_control" in tool:
        function["cache_control"] = tool["cache_control"]
    return {"type": "function", "function": function}


def _chat_tool_choice(choice: Any) -> Any:
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "tool":
        return {"type": "function", "function": {"name": choice.get("name")}}
    if kind in ("auto", "none"):
        return kind
    if kind == "any":
        return "required"
    raise invalid(f"tool_choice.type: {kind!r} is not one of 'auto', 'any', 'tool', 'none'")


_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error",
                403: "permission_error", 404: "not_found_error", 413: "request_too_large",
                429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}


def as_anthropic(refusal: err.Refusal) -> err.Refusal:
    """A refusal of the shared rules in Anthropic's error shape (the message unwrapped when
    the model service's JSON is nested in it, as on the chat route)."""
    if refusal.body.get("type") == "error":
        return refusal
    message = str(refusal.body.get("message", ""))
    if message.startswith("{"):
        with contextlib.suppress(ValueError, AttributeError):  # not JSON after all: as is
            message = str(json.loads(message).get("message", message))
    kind = _ERROR_TYPES.get(refusal.status, "api_error")
    return err.Refusal(refusal.status, {"type": "error",
                                        "error": {"type": kind, "message": message}},
                       refusal.headers)
