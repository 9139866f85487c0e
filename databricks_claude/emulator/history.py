"""The service's strictness on the conversation: roles, parts, tool pairing and reasoning replay.

Indices in Anthropic's messages (`messages.K…`) count turns the way the model service sees them:
system removed, consecutive user-side messages (tool results included) merged into one turn.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from . import wire_errors as err
from .signing import Signer

MESSAGE_KEYS = {
    "system": {"role", "content", "name"},
    "user": {"role", "content", "name"},
    "assistant": {"role", "content", "tool_calls", "name"},
    "tool": {"role", "content", "tool_call_id", "name"},
    "function": {"role", "content", "name"},
}
# A response message sent back verbatim carries these, always null (the docs replay it as is).
NULL_ASSISTANT_KEYS = frozenset({"refusal", "annotations", "audio", "function_call"})
PART_KEYS = {
    "text": {"type", "text", "cache_control"},
    "image_url": {"type", "image_url", "cache_control"},
    "reasoning": {"type", "summary", "cache_control"},
}
OPEN_PARTS = ("document", "file")  # request-only types whose fields are not checked here
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_WHITESPACE_ONLY = "messages: text content blocks must contain non-whitespace text"
_TRAILING_WHITESPACE = "messages: final assistant content cannot end with trailing whitespace"
_NON_EMPTY = ("all messages must have non-empty content except for the optional final "
              "assistant message")
_EXPECTED_THINKING = (
    "messages.{k}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
    "`{found}`. When `thinking` is enabled, a final `assistant` message must start with a "
    "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We "
    "recommend you include thinking blocks from previous turns. To avoid this requirement, "
    "disable `thinking`. " f"Please consult our documentation at {err.DOCS_THINKING}")


@dataclass
class _Walk:
    """What the walk over the messages has seen so far."""

    turns: list[int]
    pending: list[str] = field(default_factory=list)  # tool call ids awaiting results
    pending_turn: int = 0
    results_in_turn: int = 0
    reasoning: list[tuple[str, Any]] = field(default_factory=list)  # verified after the rest


def check_messages(messages: list[Any], thinking: bool, signer: Signer) -> int:
    """Refuse a conversation the service refuses; returns the verified reasoning count."""
    roles = [_check_shape(index, message) for index, message in enumerate(messages)]
    if all(role == "system" for role in roles):
        # The system message leaves the message list; the model service then has none.
        raise err.upstream("messages: at least one message is required")
    walk = _Walk(anthropic_turns(roles))
    for index, (role, message) in enumerate(zip(roles, messages, strict=True)):
        if role == "system" and index > 0:
            raise err.bad_request("BAD_REQUEST: A system message can only be used once, as the "
                                  "first message in a conversation.")
        if role == "tool":
            _check_tool_result(walk, index, message)
            continue
        _require_results(walk)
        if role == "assistant":
            _check_assistant(walk, index, message, final=index == len(messages) - 1)
        else:
            _check_content(walk, index, message.get("content"), role)
    _require_results(walk)
    _check_final_turn(messages, roles, walk.turns, thinking)
    _check_prefill_end(messages[-1], roles[-1])
    return sum(_check_reasoning(signer, path, summary) for path, summary in walk.reasoning)


def anthropic_turns(roles: list[str]) -> list[int]:
    """For each message, the index of the Anthropic turn it lands in."""
    turns, turn, side = [], -1, ""
    for role in roles:
        if role != "system":
            current = "assistant" if role == "assistant" else "user"
            if current != side:
                turn, side = turn + 1, current
        turns.append(max(turn, 0))
    return turns


def _check_shape(index: int, message: Any) -> str:
    if not isinstance(message, dict):
        raise err.bad_request(f"messages.{index}: Input should be a valid dictionary")
    role = message.get("role")
    if not isinstance(role, str) or role not in MESSAGE_KEYS:
        raise err.bad_request("BAD_REQUEST: Invalid role in the chat message")
    for key, value in message.items():
        if key not in MESSAGE_KEYS[role] and not (
                role == "assistant" and key in NULL_ASSISTANT_KEYS and value is None):
            raise err.upstream_extra_input(f"messages.{index}.{key}")
    if "content" not in message and not (role == "assistant" and message.get("tool_calls")):
        raise err.bad_request(f"messages.{index}.content: Field required")
    return str(role)


def _check_content(walk: _Walk, index: int, content: Any, role: str,
                   *, empty_ok: bool = False) -> list[str]:
    """Check a content (string, parts or null); returns the Anthropic block types it makes."""
    turn = walk.turns[index]
    if content is None or content == "" or content == []:
        if empty_ok:
            return []
        raise err.upstream(f"messages.{turn}: {_NON_EMPTY}")
    if isinstance(content, str):
        _check_not_blank(content, role)
        return ["text"]
    if not isinstance(content, list):
        raise err.bad_request(f"messages.{index}.content: Input should be a string or a list")
    return [_check_part(walk, index, position, part, role)
            for position, part in enumerate(content)]


def _check_part(walk: _Walk, index: int, position: int, part: Any, role: str) -> str:
    path = f"messages.{index}.content.{position}"
    kind = str(part.get("type")) if isinstance(part, dict) else ""
    if kind in OPEN_PARTS:
        return kind
    if kind not in PART_KEYS or (kind == "reasoning" and role != "assistant"):
        raise err.bad_request(f"{path}.type: Input tag '{kind}' is not a supported content type")
    for key in part:
        if key not in PART_KEYS[kind]:
            raise err.upstream_extra_input(f"{path}.{key}")
    anthropic_path = f"messages.{walk.turns[index]}.content.{position}"
    if kind == "text":
        if not isinstance(part.get("text"), str) or not part["text"]:
            raise err.upstream(f"{anthropic_path}.text: text content blocks must be non-empty")
        _check_not_blank(part["text"], role)
        return "text"
    if kind == "image_url":
        _check_image(path, anthropic_path, part.get("image_url"))
        return "image"
    walk.reasoning.append((anthropic_path, part.get("summary")))
    return "thinking"


def _check_image(path: str, anthropic_path: str, image: Any) -> None:
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str):
        raise err.bad_request(f"{path}.image_url.url: Field required")
    if not url.startswith("data:"):
        return
    if not url.startswith(tuple(f"data:{t};base64," for t in IMAGE_TYPES)):
        raise err.upstream(f"{path}.source.base64.media_type: Input should be 'image/jpeg', "
                           "'image/png', 'image/gif' or 'image/webp'")
    try:
        base64.b64decode(url.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        raise err.upstream(f"{anthropic_path}.image.source.base64: invalid base64 data") from None


def _check_not_blank(text: str, role: str) -> None:
    """Text that is only whitespace is refused (an empty string has its own message).

    Checked on user and assistant turns, where the evidence is; system prompts and tool results
    are left alone (docs/emulator.md#whitespace-only-text).
    """
    if text and role in ("user", "assistant") and not text.strip():
        raise err.upstream(_WHITESPACE_ONLY)


def _check_prefill_end(message: dict[str, Any], role: str) -> None:
    """A final assistant message (a prefill) may not end in whitespace."""
    if role != "assistant":
        return
    content = message.get("content")
    if isinstance(content, list):
        texts = [part.get("text") for part in content
                 if isinstance(part, dict) and part.get("type") == "text"]
        content = texts[-1] if texts else None
    if isinstance(content, str) and content and content != content.rstrip():
        raise err.upstream(_TRAILING_WHITESPACE)


def _check_reasoning(signer: Signer, path: str, summary: Any) -> int:
    """Verify a replayed reasoning block; returns how many entries checked out."""
    if not isinstance(summary, list) or not summary:
        raise err.bad_request(f"{path}.summary: Input should be a non-empty list")
    for entry in summary:
        kind = str(entry.get("type")) if isinstance(entry, dict) else ""
        keys = {"summary_text": {"type", "text", "signature"},
                "summary_encrypted_text": {"type", "data"}}.get(kind)
        if keys is None:
            raise err.bad_request(f"{path}.summary.type: Input tag '{kind}' is not supported")
        for key in entry:
            if key not in keys:
                raise err.upstream_extra_input(f"{path}.summary.{key}")
        if kind == "summary_encrypted_text":
            if not signer.verify_redacted(str(entry.get("data", ""))):
                raise err.upstream(f"{path}: Invalid `data` in `redacted_thinking` block")
            continue
        signature, text = entry.get("signature"), entry.get("text")
        if not signature:
            raise err.upstream(f"{path}.thinking.signature: Field required")
        if not isinstance(text, str) or not signer.verify(text, str(signature)):
            raise err.upstream(f"{path}: Invalid `signature` in `thinking` block")
    return len(summary)


def _check_assistant(walk: _Walk, index: int, message: dict[str, Any], *, final: bool) -> None:
    calls = message.get("tool_calls")
    ids = _check_tool_calls(index, calls) if calls is not None else []
    content = message.get("content")
    turn = walk.turns[index]
    if ids and (content == "" or content == []):
        raise err.upstream(f"messages.{turn}.content.0.text: text content blocks must be "
                           "non-empty")
    blocks = _check_content(walk, index, content, "assistant", empty_ok=bool(ids) or final)
    if "thinking" in blocks and blocks[0] != "thinking":
        raise err.upstream(f"messages.{turn}.content.0: If an assistant message contains any "
                           "thinking blocks, the first block must be thinking or "
                           f"redacted_thinking. Found {blocks[0]}.")
    if blocks and blocks[-1] == "thinking" and not ids:
        raise err.upstream(f"messages.{turn}: The final block in an assistant message cannot "
                           "be `thinking`.")
    walk.pending, walk.pending_turn, walk.results_in_turn = ids, turn, 0


def _check_tool_calls(index: int, calls: Any) -> list[str]:
    if not isinstance(calls, list) or not calls:
        raise err.bad_request(f"messages.{index}.tool_calls: Input should be a non-empty list")
    ids = []
    for position, call in enumerate(calls):
        path = f"messages.{index}.tool_calls.{position}"
        if not isinstance(call, dict) or call.get("type") != "function":
            raise err.bad_request(f"{path}.type: Input should be 'function'")
        for key in call:
            if key not in ("id", "type", "function"):
                raise err.upstream_extra_input(f"{path}.{key}")
        function = call.get("function")
        if not isinstance(call.get("id"), str) or not call["id"] or not isinstance(function, dict):
            raise err.bad_request(f"{path}: `id` and `function` are required")
        for key in function:
            if key not in ("name", "arguments"):
                raise err.upstream_extra_input(f"{path}.function.{key}")
        _check_arguments(f"{path}.function", function)
        ids.append(call["id"])
    if len(set(ids)) != len(ids):
        raise err.upstream(f"messages.{index}: `tool_use` ids must be unique")
    return ids


def _check_arguments(path: str, function: dict[str, Any]) -> None:
    if not isinstance(function.get("name"), str) or not function["name"]:
        raise err.bad_request(f"{path}.name: Field required")
    arguments = function.get("arguments")
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise err.bad_request(f"{path}.arguments: Input should be a JSON object string")


def _check_tool_result(walk: _Walk, index: int, message: dict[str, Any]) -> None:
    call_id = message.get("tool_call_id")
    turn = walk.turns[index]
    if not isinstance(call_id, str) or call_id not in walk.pending:
        raise err.upstream(
            f"messages.{turn}.content.{walk.results_in_turn}: unexpected `tool_use_id` found in "
            f"`tool_result` blocks: {call_id}. Each `tool_result` block must have a "
            "corresponding `tool_use` block in the previous message.")
    walk.pending.remove(call_id)
    walk.results_in_turn += 1
    _check_content(walk, index, message.get("content"), "tool", empty_ok=True)


def _require_results(walk: _Walk) -> None:
    if walk.pending:
        raise err.upstream(
            f"messages.{walk.pending_turn}: `tool_use` ids were found without `tool_result` "
            f"blocks immediately after: {', '.join(walk.pending)}. Each `tool_use` block must "
            "have a corresponding `tool_result` block in the next message.")
    walk.results_in_turn = 0


def _check_final_turn(messages: list[Any], roles: list[str], turns: list[int],
                      thinking: bool) -> None:
    """The rules on the final assistant turn: reasoning first when thinking, none when off."""
    last = len(roles) - 1
    while last >= 0 and roles[last] == "tool":
        last -= 1
    if last < 0 or roles[last] != "assistant":
        return
    first = _first_block(messages[last])
    in_loop = last < len(roles) - 1
    if thinking and in_loop and first != "thinking":
        raise err.upstream(_EXPECTED_THINKING.format(k=turns[last], found=first or "tool_use"))
    if not thinking and not in_loop and first == "thinking":
        raise err.upstream(
            f"messages.{turns[last]}.content.0: When thinking is disabled, an `assistant` "
            "message in the final position cannot contain `thinking`. To use thinking blocks, "
            "enable `thinking` in your request.")


def _first_block(message: dict[str, Any]) -> str | None:
    content = message.get("content")
    if isinstance(content, str):
        return "text" if content else None
    if isinstance(content, list) and content and isinstance(content[0], dict):
        kind = str(content[0].get("type"))
        return {"reasoning": "thinking", "image_url": "image"}.get(kind, kind)
    return None
