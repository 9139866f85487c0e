"""Neutral messages -> the chat route's `messages` list, with the checks the service makes.

Assistant replay puts reasoning blocks first (the service refuses any other order), then text,
then `tool_calls`; a pure tool-call turn is sent with `"content": null`. Blank text is dropped
from a turn that has other content; a user or system turn with nothing else is refused, naming
its index. Reasoning without a signature cannot be verified by the service and is dropped with
a warning; an assistant turn left holding only reasoning is refused. Tool-call arguments must be
a JSON object (empty arguments are sent as `"{}"`). Tool results are checked against the
assistant turn right before them; unanswered tool calls are allowed only when that assistant
turn is the last message. Wire facts: docs/design-rules.md#messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from databricks_claude.blocks import part_to_block, reasoning_blocks
from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import (
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from databricks_claude.notes import warn
from databricks_claude.rules.content import (
    image_data,
    is_blank,
    tool_call_input,
    trim_prefill,
    without_unsigned,
)

__all__ = ["check_tool_pairing", "message_to_wire", "wire_messages"]


_REASONING_PARTS = (ReasoningPart, RedactedReasoningPart)


def _where(role: str, index: int | None) -> str:
    """How an error names a message: by its index in the caller's list when known."""
    return f"{role} message {index}" if index is not None else f"the {role} message"


def _tool_call_to_wire(call: ToolCallPart, where: str) -> dict[str, Any]:
    """One replayed tool call, its arguments text as received (empty text sent as `"{}"`:
    the service refuses "")."""
    tool_call_input(call, where)
    arguments = call.arguments if call.arguments.strip() else "{}"
    return {"id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": arguments}}


def _content_block(part: Part, role: str) -> dict[str, Any]:
    """One request content block (text, image, reasoning, or an unknown block verbatim)."""
    if isinstance(part, _REASONING_PARTS) and role != "assistant":
        raise ConfigurationError(f"a {role} message cannot hold a {type(part).__name__}")
    if isinstance(part, (ToolCallPart, ToolResultPart)):
        raise ConfigurationError(f"a {role} message cannot hold a {type(part).__name__}")
    if isinstance(part, ImagePart):
        image_data(part.url)  # refuses base64 that does not decode
    return part_to_block(part)


def _is_plain_text(parts: Sequence[Part]) -> bool:
    return all(isinstance(p, TextPart) and p.cache_control is None for p in parts)


def _system_to_wire(messages: Sequence[Message], index: int | None = None) -> dict[str, Any]:
    """All system messages as one: a string joined by blank lines, or parts if any is cached.

    Blank text is dropped; `index` (of the first system message) names it when nothing is left.
    """
    parts = [part for message in messages for part in message.parts if not is_blank(part)]
    if not parts:
        raise ConfigurationError(
            f"the system prompt ({_where('system', index)}) is empty; the service refuses "
            "empty or whitespace-only text: give it some text or remove it")
    if _is_plain_text(parts):
        text = "\n\n".join(part.text for part in parts)  # type: ignore[union-attr]
        return {"role": "system", "content": text}
    return {"role": "system", "content": [_content_block(part, "system") for part in parts]}


def _user_to_wire(parts: Sequence[Part], index: int | None = None) -> dict[str, Any]:
    kept = [part for part in parts if not is_blank(part)]
    if not kept:
        raise ConfigurationError(
            f"{_where('user', index)} is empty; the service refuses empty or whitespace-only "
            "text: give it some content or remove it")
    if len(kept) == 1 and _is_plain_text(kept):
        return {"role": "user", "content": kept[0].text}  # type: ignore[union-attr]
    return {"role": "user", "content": [_content_block(part, "user") for part in kept]}


def _tool_result_to_wire(result: ToolResultPart) -> dict[str, Any]:
    content: str | list[dict[str, Any]]
    if isinstance(result.content, str):
        if not result.content.strip():
            # An empty result is sent as "" (docs/wire-chat.md#tool-results); whitespace would
            # become a blank text block, which the service refuses.
            content = ""
        elif result.cache_control is None:
            content = result.content
        else:
            content = [{"type": "text", "text": result.content,
                        "cache_control": result.cache_control}]
    else:
        # Several text parts stay several text blocks (no join): exactly what the tool returned.
        content = [_content_block(part, "tool") for part in result.content
                   if not is_blank(part)] or ""
        if (result.cache_control is not None and isinstance(content, list)
                and "cache_control" not in content[-1]):
            content[-1] = {**content[-1], "cache_control": result.cache_control}
    return {"role": "tool", "tool_call_id": result.tool_call_id, "content": content}


def _is_blank_text(block: dict[str, Any]) -> bool:
    return block.get("type") == "text" and not str(block.get("text", "")).strip()



def _assistant_to_wire(parts: Sequence[Part], index: int | None = None) -> dict[str, Any]:
    """The assistant turn exactly as the service sent it: reasoning, text, then `tool_calls`.

    Unsigned reasoning is dropped (with a warning): the service cannot verify it. A turn left
    with reasoning but no text and no tool call is refused: the service refuses an assistant
    message that ends with reasoning.
    """
    where = _where("assistant", index)
    calls = [part for part in parts if isinstance(part, ToolCallPart)]
    # The service refuses an assistant turn whose reasoning does not come first.
    reasoning = without_unsigned(
        [part for part in parts if isinstance(part, _REASONING_PARTS)], where)
    rest = [part for part in parts if not isinstance(part, (ToolCallPart, *_REASONING_PARTS))]
    if reasoning and not calls and all(map(is_blank, rest)):
        raise ConfigurationError(
            f"{where} holds only reasoning, and the service refuses an assistant "
            "message whose final block is reasoning: add the text the model answered, or "
            "remove the message")
    others = reasoning + rest
    content: str | list[dict[str, Any]] | None
    if _is_plain_text(others):
        content = "".join(part.text for part in others)  # type: ignore[union-attr]
        if calls and not content.strip():
            content = None  # the service refuses empty text beside tool calls
    else:
        # Reasoning keeps its grouping: one block per block received, all its entries in it.
        content = [*reasoning_blocks(reasoning),
                   *(_content_block(part, "assistant") for part in rest)]
        content = [block for block in content if not _is_blank_text(block)] or (
            None if calls else "")
    wire: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        wire["tool_calls"] = [_tool_call_to_wire(call, where) for call in calls]
    return wire


def message_to_wire(message: Message) -> dict[str, Any]:
    """One message in the wire shape. Assistant turns are replayed exactly as received.

    A `tool` message must hold exactly one `ToolResultPart`; a user message cannot hold tool
    results here (`build_payload` splits those into tool messages).
    """
    role = message.role
    if role == "assistant":
        return _assistant_to_wire(message.parts)
    if role == "system":
        return _system_to_wire([message])
    if role == "user":
        if any(isinstance(part, ToolResultPart) for part in message.parts):
            raise ConfigurationError("a user message with tool results needs build_payload")
        return _user_to_wire(message.parts)
    if role == "tool":
        if len(message.parts) != 1 or not isinstance(message.parts[0], ToolResultPart):
            raise ConfigurationError("a tool message must hold exactly one ToolResultPart")
        return _tool_result_to_wire(message.parts[0])
    raise ConfigurationError(f"unknown message role {role!r}")


def _expand_to_wire(message: Message, index: int, last: bool) -> list[dict[str, Any]]:
    """A message as wire messages: tool results become `tool` messages, placed first."""
    role = message.role
    if role == "assistant":
        turn = _assistant_to_wire(message.parts, index)
        content = turn["content"]
        blank = not content or (isinstance(content, str) and not content.strip())
        if blank and not last and "tool_calls" not in turn:
            raise ConfigurationError(
                f"assistant message {index} is empty; only the last message may be an empty "
                "assistant turn: give it its text or remove it")
        return [turn]
    if role == "user" and not any(isinstance(part, ToolResultPart) for part in message.parts):
        return [_user_to_wire(message.parts, index)]
    results = [part for part in message.parts if isinstance(part, ToolResultPart)]
    if not results:
        return [message_to_wire(message)]
    if role not in ("user", "tool"):
        raise ConfigurationError(f"a {role} message cannot hold tool results")
    wire = [_tool_result_to_wire(result) for result in results]
    rest = [part for part in message.parts if not isinstance(part, ToolResultPart)]
    if rest:
        if role == "tool":
            raise ConfigurationError("a tool message can only hold tool results")
        if not all(map(is_blank, rest)):  # blank text beside tool results is dropped
            wire.append(_user_to_wire(rest, index))
    return wire


def _holds_only_reasoning(message: Message) -> bool:
    """An assistant turn with reasoning and nothing else: thinking used all of max_tokens."""
    parts = message.parts
    return (message.role == "assistant" and any(isinstance(p, _REASONING_PARTS) for p in parts)
            and all(isinstance(p, _REASONING_PARTS) or is_blank(p) for p in parts))


def _drop_reasoning_only(messages: Sequence[Message]) -> set[int]:
    """The indices of reasoning-only assistant turns, dropped with one warning.

    The service has no form for such a turn: reasoning cannot be an assistant message's last
    block, and an empty assistant turn is refused before the last message
    (docs/wire-chat.md#reasoning-replay); a history may leave reasoning out entirely.
    """
    dropped = {i for i, message in enumerate(messages) if _holds_only_reasoning(message)}
    if dropped:
        names = ", ".join(map(str, sorted(dropped)))
        warn(f"assistant message{'s' if len(dropped) > 1 else ''} {names} dropped from the "
             "request: it holds only reasoning and no answer (thinking used all of max_tokens, "
             "finish_reason 'length'), and the service refuses an assistant message that ends "
             "with reasoning (raise max_tokens to leave room for an answer)")
    return dropped


def wire_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """All messages, system messages merged into one first message.

    Reasoning-only assistant turns are left out, with one warning (`_drop_reasoning_only`).
    """
    if not messages:
        raise ConfigurationError("the message list is empty: a request needs at least one "
                                 "user message")
    first_system = next((i for i, m in enumerate(messages) if m.role == "system"), None)
    wire = []
    if first_system is not None:
        systems = [message for message in messages if message.role == "system"]
        wire.append(_system_to_wire(systems, first_system))
    if all(message.role == "system" for message in messages):
        raise ConfigurationError("the conversation holds only system messages: a request "
                                 "needs at least one user message")
    dropped = _drop_reasoning_only(messages)
    kept = [i for i, m in enumerate(messages) if m.role != "system" and i not in dropped]
    if not kept:
        raise ConfigurationError("the conversation holds no user message once its "
                                 "reasoning-only assistant turns are left out")
    for index in kept:
        wire.extend(_expand_to_wire(messages[index], index, index == kept[-1]))
    if wire[-1]["role"] == "assistant":
        _trim_prefill(wire[-1])
    return wire


def _trim_prefill(turn: dict[str, Any]) -> None:
    """A final assistant turn (a prefill) without the trailing whitespace the service refuses."""
    content = turn["content"]
    if isinstance(content, str):
        turn["content"] = trim_prefill(content)
    elif isinstance(content, list) and content and content[-1].get("type") == "text":
        content[-1] = {**content[-1], "text": trim_prefill(content[-1]["text"])}


def check_tool_pairing(wire: Sequence[dict[str, Any]]) -> None:
    """Every tool call answered before the next turn; every result answering the turn before it.

    An assistant turn with unanswered tool calls is allowed only as the very last message.
    """
    pending: dict[str, None] = {}  # ordered set of calls awaiting a result
    answered: set[str] = set()
    for position, message in enumerate(wire):
        role = message["role"]
        if role == "tool":
            call_id = message["tool_call_id"]
            if call_id in pending:
                del pending[call_id]
                answered.add(call_id)
            elif call_id in answered:
                raise ConfigurationError(f"tool call {call_id!r} has more than one result")
            else:
                raise ConfigurationError(
                    f"tool result for {call_id!r} has no matching tool call in the assistant "
                    "message before it")
            continue
        if pending:
            raise ConfigurationError(
                f"tool call {next(iter(pending))!r} has no result before the next {role} message")
        if role == "assistant":
            pending, answered = _calls_of(message), set()
            if pending and position == len(wire) - 1:
                return
    if pending:
        raise ConfigurationError(
            f"tool call {next(iter(pending))!r} has no result at the end of the conversation")


def _calls_of(message: dict[str, Any]) -> dict[str, None]:
    ids: dict[str, None] = {}
    for call in message.get("tool_calls") or ():
        if call["id"] in ids:
            raise ConfigurationError(f"tool call id {call['id']!r} appears twice in one turn")
        ids[call["id"]] = None
    return ids
