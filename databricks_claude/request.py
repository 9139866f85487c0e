"""Neutral messages and options -> the JSON payload of one Databricks chat request.

This module owns every rule of DESIGN §3: what is sent, what is adjusted (with a
`DatabricksClaudeWarning` saying what changed and why), and what is refused with a
`ConfigurationError` before any network call. The service rejects unknown top-level keys, so the
payload only ever holds keys it accepts.

Decisions worth knowing:

* Tool schemas are sanitized once, in `make_tool_spec`; request building reuses the dict as is.
* `cache_control` on a `ToolSpec` goes on that tool's `function` object (where goose puts it:
  `tools[-1].function.cache_control`); put it on the last tool to cache all tool definitions.
* `extra_body` is the caller's escape hatch and is merged at the root as given, with two
  exceptions that the service always refuses: `parallel_tool_calls` is dropped (with a warning)
  and `strict` is removed from any function definition it carries.
* Sampling rules look at the options, not at `extra_body`: keys there are trusted as given.
* Assistant replay puts reasoning blocks first (the service refuses any other order), then text,
  then `tool_calls`; a pure tool-call turn is sent with `"content": null`.
* Thinking is turned off (with a warning) for a request that continues a tool loop whose
  assistant turn has no reasoning block: the service refuses that combination. Budget thinking
  is left out; adaptive thinking is sent as `{"type": "disabled"}` (adaptive models may think
  by default).
* Blank text (empty or whitespace only, which the service refuses) is dropped from a turn that
  has other content; a user or system turn with nothing else is refused, naming its index.
* Reasoning without a signature cannot be verified by the service and is dropped from the
  replay with a warning; an assistant turn left holding only reasoning is refused.
* Tool-call arguments must be a JSON object; empty arguments are sent as `"{}"`.
* Tool results are checked against the assistant turn right before them; unanswered tool calls
  are allowed only when that assistant turn is the last message. `ToolResultPart.is_error` has
  no field on this wire and is not sent.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from databricks_claude.codecs import Request
from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import (
    CacheControl,
    Decisions,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    RequestOptions,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
    UnknownPart,
)
from databricks_claude.profiles import ModelProfile
from databricks_claude.rules.thinking import EFFORTS, MIN_THINKING_BUDGET, thinking_on

__all__ = [
    "EFFORTS",
    "MAX_TOOLS",
    "DatabricksClaudeWarning",
    "build_payload",
    "build_request",
    "make_tool_spec",
    "message_to_wire",
    "part_to_wire",
    "sanitize_schema",
    "thinking_on",
    "validate_tool_choice",
]

MAX_TOOLS = 32
MAX_DEFAULT_THINKING_BUDGET = 64_000
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")  # whole name: fullmatch (`$` allows "\n")


class DatabricksClaudeWarning(UserWarning):
    """A request was adjusted before sending (a setting dropped or downgraded), and why."""


# The adjustments of the request being built, so that they travel with it (`build_request`).
_NOTES: ContextVar[list[str] | None] = ContextVar("databricks_claude_request_notes", default=None)


def _warn(message: str) -> None:
    notes = _NOTES.get()
    if notes is not None:
        notes.append(message)
    warnings.warn(message, DatabricksClaudeWarning, stacklevel=4)


# ----------------------------------------------------------------------------------------------
# Tool schemas

# Keywords the service refuses (SPEC §2.3 tools row) or that carry no meaning once unions are
# collapsed. `title` is dropped too: pydantic adds one per node and the model does not need it.
_DROPPED_KEYWORDS = frozenset({
    "$schema", "$id", "$comment", "$defs", "definitions", "title", "pattern", "patternProperties",
    "prefixItems", "discriminator", "not", "if", "then", "else",
})
_UNION_KEYWORDS = ("anyOf", "oneOf")
_NUMERIC_TYPES = frozenset({"number", "integer"})
# Keywords whose value is a map of name -> schema: the names are data, never keywords.
_SCHEMA_MAPS = ("properties",)
# Keywords whose value is a single schema.
_SCHEMA_VALUES = ("items", "additionalProperties", "contains", "propertyNames")


def sanitize_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a JSON schema that the service accepts.

    * `$ref` is inlined (any `#/...` pointer, so pydantic's `$defs` and older `definitions` both
      work, nested models included); sibling keys of a `$ref` win over the target's. A recursive
      reference is cut at its second occurrence and replaced by `{"type": "object"}`.
    * `anyOf`/`oneOf` with a `{"type": "null"}` alternative (Optional) collapse to the other
      alternative; `["X", "null"]` type lists collapse to `"X"`.
    * Unions of several real alternatives, which the service refuses, become one schema: objects
      merge (properties united, only the properties required by all stay required); numbers
      widen to `"number"`; otherwise the first alternative is kept (the one the caller listed
      first, usually the preferred type).
    * `allOf` items are merged into one schema (properties and `required` united).
    * Refused or meaningless keywords are dropped: `pattern`, `patternProperties`, `prefixItems`,
      `discriminator`, `not`/`if`/`then`/`else`, `$schema`/`$id`/`$comment`, and `title`.
      `default`, `enum`, `description`, bounds and formats are kept.

    Raises `ConfigurationError` for a schema that is not an object or a `$ref` that points nowhere.
    """
    if not isinstance(schema, dict):
        kind = type(schema).__name__
        raise ConfigurationError(f"a tool schema must be a JSON object, got {kind}")
    return _SchemaSanitizer(schema).node(schema, ())


class _SchemaSanitizer:
    """Walks one schema, resolving `$ref`s against its root."""

    def __init__(self, root: dict[str, Any]):
        self.root = root

    def node(self, node: Any, refs: tuple[str, ...]) -> Any:
        """The sanitized form of one schema node; `refs` are the references being expanded."""
        if not isinstance(node, dict):
            return node  # `true`/`false` schemas and malformed values are left to the service
        if "$ref" in node:
            return self._inline_ref(node, refs)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED_KEYWORDS or key in _UNION_KEYWORDS or key == "allOf":
                continue
            out[key] = self._keyword(key, value, refs)
        if "allOf" in node:
            out = _merge_all_of([out, *(self.node(item, refs) for item in _as_list(node["allOf"]))])
        for union_key in _UNION_KEYWORDS:
            if union_key in node:
                alternatives = [self.node(item, refs) for item in _as_list(node[union_key])]
                out = _merge_into(out, _collapse_union(alternatives))
        if isinstance(out.get("type"), list):
            out["type"] = _collapse_type_list(out["type"])
        return out

    def _keyword(self, key: str, value: Any, refs: tuple[str, ...]) -> Any:
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            return {name: self.node(sub, refs) for name, sub in value.items()}
        if key in _SCHEMA_VALUES:
            return self.node(value, refs)
        return value

    def _inline_ref(self, node: dict[str, Any], refs: tuple[str, ...]) -> dict[str, Any]:
        ref = node["$ref"]
        siblings = self.node({k: v for k, v in node.items() if k != "$ref"}, refs)
        if ref in refs:
            # A recursive model: expanding again would never end; keep an open object instead.
            return {"type": "object", **siblings}
        target = self.node(self._resolve(ref), (*refs, ref))
        return {**target, **siblings} if isinstance(target, dict) else target

    def _resolve(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise ConfigurationError(f"tool schema $ref {ref!r} is not a local '#/...' reference")
        target: Any = self.root
        for token in filter(None, ref[1:].split("/")):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                raise ConfigurationError(f"tool schema $ref {ref!r} points to nothing")
        return target


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _collapse_union(alternatives: list[Any]) -> dict[str, Any]:
    """One schema for a union: Optional collapsed, objects merged, numbers widened, or the first."""
    real = [alt for alt in alternatives if isinstance(alt, dict) and not _is_null_schema(alt)]
    if not real:
        return {"type": "null"} if alternatives else {}
    if len(real) == 1:
        return real[0]
    types = {alt.get("type") if isinstance(alt.get("type"), str) else None for alt in real}
    if types == {"object"}:
        return _merge_object_alternatives(real)
    if types <= _NUMERIC_TYPES:
        merged = dict(real[0])
        merged["type"] = "number"
        return merged
    return real[0]


def _merge_object_alternatives(objects: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object"}
    properties: dict[str, Any] = {}
    required_by_all: set[str] | None = None
    for obj in objects:
        props = obj.get("properties")
        for name, sub in (props if isinstance(props, dict) else {}).items():
            properties.setdefault(name, sub)
        listed = obj.get("required")
        required = {n for n in listed if isinstance(n, str)} if isinstance(listed, list) else set()
        required_by_all = required if required_by_all is None else required_by_all & required
        for key, value in obj.items():
            if key not in ("properties", "required"):
                merged.setdefault(key, value)
    merged["properties"] = properties
    ordered_required = [n for n in properties if required_by_all and n in required_by_all]
    if ordered_required:
        merged["required"] = ordered_required
    return merged


def _merge_all_of(schemas: list[Any]) -> dict[str, Any]:
    """`allOf` -> one schema: properties and `required` united, other keys first-come."""
    merged: dict[str, Any] = {}
    for schema in schemas:
        if isinstance(schema, dict):
            merged = _merge_into(merged, schema)
    return merged


def _merge_into(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` completed by `extra`: base keys win, properties and required lists are united."""
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = {**value, **merged[key]}
        elif key == "required" and isinstance(merged.get(key), list) and isinstance(value, list):
            merged[key] = merged[key] + [n for n in value if n not in merged[key]]
        else:
            merged.setdefault(key, value)
    return merged


def _collapse_type_list(types: list[Any]) -> Any:
    real = [t for t in types if t != "null"]
    return real[0] if real else "null"


def make_tool_spec(
    name: str,
    description: str,
    parameters: dict[str, Any] | None,
    *,
    cache_control: CacheControl | None = None,
) -> ToolSpec:
    """A `ToolSpec` with a validated name and a sanitized parameters schema (done once, here).

    `parameters=None` means a tool without arguments. The schema must describe an object.
    """
    if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
        raise ConfigurationError(
            f"tool name {name!r} is not allowed: use 1-64 letters, digits, '_' or '-'")
    schema = sanitize_schema(parameters) if parameters is not None else {}
    schema_type = schema.setdefault("type", "object")
    if schema_type != "object":
        raise ConfigurationError(
            f"tool {name!r} parameters must be an object schema, got type {schema_type!r}")
    schema.setdefault("properties", {})
    return ToolSpec(name, description or "", schema, cache_control)


def _tool_to_wire(tool: ToolSpec) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.parameters
    if tool.cache_control is not None:
        function["cache_control"] = tool.cache_control
    return {"type": "function", "function": function}


def _tools_to_wire(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    if len(tools) > MAX_TOOLS:
        raise ConfigurationError(
            f"{len(tools)} tools were bound; the service accepts at most {MAX_TOOLS}")
    seen: set[str] = set()
    for tool in tools:
        if tool.name in seen:
            raise ConfigurationError(f"two tools are named {tool.name!r}; names must be unique")
        seen.add(tool.name)
    return [_tool_to_wire(tool) for tool in tools]


# ----------------------------------------------------------------------------------------------
# Messages


def _with_cache(block: dict[str, Any], cache_control: CacheControl | None) -> dict[str, Any]:
    if cache_control is not None:
        block["cache_control"] = cache_control
    return block


def _is_blank(part: Part) -> bool:
    """Text the service refuses as a block: empty or whitespace only."""
    return isinstance(part, TextPart) and isinstance(part.text, str) and not part.text.strip()


_REASONING_PARTS = (ReasoningPart, RedactedReasoningPart)


def _is_unsigned(part: Part) -> bool:
    return isinstance(part, ReasoningPart) and not part.signature


def _where(role: str, index: int | None) -> str:
    """How an error names a message: by its index in the caller's list when known."""
    return f"{role} message {index}" if index is not None else f"the {role} message"


def _text_block(part: TextPart) -> dict[str, Any]:
    return _with_cache({"type": "text", "text": part.text}, part.cache_control)


def _image_block(part: ImagePart) -> dict[str, Any]:
    return _with_cache({"type": "image_url", "image_url": {"url": part.url}}, part.cache_control)


def _reasoning_block(part: ReasoningPart | RedactedReasoningPart) -> dict[str, Any]:
    if isinstance(part, RedactedReasoningPart):
        return {"type": "reasoning",
                "summary": [{"type": "summary_encrypted_text", "data": part.data}]}
    entry: dict[str, Any] = {"type": "summary_text", "text": part.text}
    if part.signature is not None:
        entry["signature"] = part.signature
    return _with_cache({"type": "reasoning", "summary": [entry]}, part.cache_control)


def _tool_call_to_wire(call: ToolCallPart, where: str) -> dict[str, Any]:
    """One replayed tool call; its arguments must be a JSON object (empty text means `{}`)."""
    if not isinstance(call.id, str) or not call.id:
        raise ConfigurationError(f"a tool call in {where} has an empty id; every tool call needs "
                                 "the id the model gave it")
    if not isinstance(call.name, str) or not call.name:
        raise ConfigurationError(f"tool call {call.id!r} in {where} has an empty tool name")
    arguments = call.arguments
    if not isinstance(arguments, str):
        raise ConfigurationError(f"tool call {call.id!r} arguments must be a JSON string, got "
                                 f"{type(arguments).__name__}")
    if not arguments.strip():
        arguments = "{}"  # what a call without arguments means; the service refuses ""
    elif not (arguments.lstrip().startswith("{") and _is_json_object(arguments)):
        raise ConfigurationError(
            f"tool call {call.id!r} arguments are not a JSON object: {arguments[:200]!r} (the "
            "service only accepts an object; fix or remove this tool call and its result)")
    return {"id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": arguments}}


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def part_to_wire(part: Part) -> dict[str, Any]:
    """One content part as the wire block the service sends and accepts back.

    Reasoning is `{"type": "reasoning", "summary": [{"type": "summary_text", "text": ...,
    "signature": ...}]}` (no `signature` key when it is None), redacted reasoning a
    `summary_encrypted_text` entry with its data, an unknown part its block verbatim (the part's
    own dict, not a copy); text and image parts give their text / `image_url` block.
    `cache_control` is kept on the parts that carry one. Tool calls and tool results are not
    content blocks (they are `tool_calls` and `tool` messages): `ConfigurationError`.
    """
    if isinstance(part, TextPart):
        return _text_block(part)
    if isinstance(part, (ReasoningPart, RedactedReasoningPart)):
        return _reasoning_block(part)
    if isinstance(part, UnknownPart):
        return part.data
    if isinstance(part, ImagePart):
        return _image_block(part)
    raise ConfigurationError(f"a {type(part).__name__} is not a content block")


def _content_block(part: Part, role: str) -> dict[str, Any]:
    """One request content block (text, image, reasoning, or an unknown block verbatim)."""
    if isinstance(part, _REASONING_PARTS) and role != "assistant":
        raise ConfigurationError(f"a {role} message cannot hold a {type(part).__name__}")
    if isinstance(part, (ToolCallPart, ToolResultPart)):
        raise ConfigurationError(f"a {role} message cannot hold a {type(part).__name__}")
    return part_to_wire(part)


def _is_plain_text(parts: Sequence[Part]) -> bool:
    return all(isinstance(p, TextPart) and p.cache_control is None for p in parts)


def _system_to_wire(messages: Sequence[Message], index: int | None = None) -> dict[str, Any]:
    """All system messages as one: a string joined by blank lines, or parts if any is cached.

    Blank text is dropped; `index` (of the first system message) names it when nothing is left.
    """
    parts = [part for message in messages for part in message.parts if not _is_blank(part)]
    if not parts:
        raise ConfigurationError(
            f"the system prompt ({_where('system', index)}) is empty; the service refuses "
            "empty or whitespace-only text: give it some text or remove it")
    if _is_plain_text(parts):
        text = "\n\n".join(part.text for part in parts)  # type: ignore[union-attr]
        return {"role": "system", "content": text}
    return {"role": "system", "content": [_content_block(part, "system") for part in parts]}


def _user_to_wire(parts: Sequence[Part], index: int | None = None) -> dict[str, Any]:
    kept = [part for part in parts if not _is_blank(part)]
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
        if result.cache_control is None or not result.content.strip():
            content = result.content  # an empty result is accepted, an empty text block is not
        else:
            content = [{"type": "text", "text": result.content,
                        "cache_control": result.cache_control}]
    else:
        # Several text parts stay several text blocks (no join): exactly what the tool returned.
        content = [_content_block(part, "tool") for part in result.content
                   if not _is_blank(part)] or ""
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
    reasoning = [part for part in parts if isinstance(part, _REASONING_PARTS)]
    if any(map(_is_unsigned, reasoning)):
        reasoning = [part for part in reasoning if not _is_unsigned(part)]
        _warn(f"reasoning without a signature dropped from {where}: the service "
              "cannot verify unsigned reasoning and refuses it (replay reasoning with the "
              "signature the service gave it)")
    rest = [part for part in parts if not isinstance(part, (ToolCallPart, *_REASONING_PARTS))]
    if reasoning and not calls and all(map(_is_blank, rest)):
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
        content = [_content_block(part, "assistant") for part in others]
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
        if not all(map(_is_blank, rest)):  # blank text beside tool results is dropped
            wire.append(_user_to_wire(rest, index))
    return wire


def _wire_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """All messages, system messages merged into one first message."""
    if not messages:
        raise ConfigurationError("the message list is empty: a request needs at least one "
                                 "user message")
    first_system = next((i for i, m in enumerate(messages) if m.role == "system"), None)
    wire = []
    if first_system is not None:
        systems = [message for message in messages if message.role == "system"]
        wire.append(_system_to_wire(systems, first_system))
    last = len(messages) - 1
    while last >= 0 and messages[last].role == "system":
        last -= 1
    if last < 0:
        raise ConfigurationError("the conversation holds only system messages: a request "
                                 "needs at least one user message")
    for index, message in enumerate(messages):
        if message.role != "system":
            wire.extend(_expand_to_wire(message, index, index == last))
    return wire


def _check_tool_pairing(wire: Sequence[dict[str, Any]]) -> None:
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


def _check_vision(messages: Iterable[Message], profile: ModelProfile) -> None:
    for message in messages:
        for part in message.parts:
            nested = part.content if isinstance(part, ToolResultPart) else ()
            if isinstance(part, ImagePart) or any(isinstance(p, ImagePart) for p in nested):
                raise ConfigurationError(
                    f"model {profile.name} does not accept images; remove the image parts")


# ----------------------------------------------------------------------------------------------
# Options


def _max_tokens(options: RequestOptions, profile: ModelProfile) -> int:
    value = options.max_tokens if options.max_tokens is not None else profile.default_max_tokens
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"max_tokens must be a positive integer, got {value!r}")
    return value


def _check_budget(budget: Any, max_tokens: int) -> int:
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise ConfigurationError(f"thinking budget must be an integer, got {budget!r}")
    if budget < MIN_THINKING_BUDGET:
        raise ConfigurationError(
            f"thinking budget {budget} is below the minimum of {MIN_THINKING_BUDGET} tokens "
            f"(max_tokens is {max_tokens}; the budget must be at least {MIN_THINKING_BUDGET} "
            "and less than max_tokens)")
    if budget >= max_tokens:
        raise ConfigurationError(
            f"thinking budget {budget} must be less than max_tokens {max_tokens}; "
            "raise max_tokens or lower the budget")
    return budget


_THINKING_KEYS = frozenset({"type", "budget_tokens", "display"})


def _thinking_type(setting: dict[str, Any]) -> str:
    unknown = sorted(map(str, set(setting) - _THINKING_KEYS))
    if unknown:
        raise ConfigurationError(
            f"thinking has keys the service does not accept: {', '.join(unknown)} (accepted: "
            "type, budget_tokens, display; use extra_body to send anything else)")
    kind = setting.get("type")
    if kind not in ("enabled", "adaptive", "disabled"):
        raise ConfigurationError(
            f"thinking type must be 'enabled', 'adaptive' or 'disabled', got {kind!r}")
    return str(kind)


# Budget-style models that also accept adaptive thinking (the ones released alongside it).
# TODO(profiles): a `ModelProfile.adaptive_thinking` flag would be the right home for this.
_ADAPTIVE_CAPABLE = frozenset({"claude-sonnet-4-6", "claude-opus-4-6"})


def _default_budget(max_tokens: int) -> int:
    return _check_budget(min(max_tokens // 2, MAX_DEFAULT_THINKING_BUDGET), max_tokens)


def _budget_thinking(setting: Any, profile: ModelProfile, max_tokens: int) -> dict[str, Any]:
    if setting is True:
        return {"type": "enabled", "budget_tokens": _default_budget(max_tokens)}
    if isinstance(setting, int):
        return {"type": "enabled", "budget_tokens": _check_budget(setting, max_tokens)}
    kind = _thinking_type(setting)
    if kind == "enabled":
        _check_budget(setting.get("budget_tokens"), max_tokens)
    elif kind == "adaptive" and profile.known and profile.name not in _ADAPTIVE_CAPABLE:
        budget = _default_budget(max_tokens)
        _warn(f"thinking type 'adaptive' changed to 'enabled' with budget_tokens {budget}: "
              f"{profile.name} only supports budget thinking (set thinking to an int budget "
              "to choose it)")
        return {**setting, "type": "enabled", "budget_tokens": budget}
    return dict(setting)


def _adaptive_thinking(setting: Any, profile: ModelProfile) -> dict[str, Any]:
    if setting is True:
        return {"type": "adaptive"}
    if isinstance(setting, int):
        _warn(f"thinking budget {setting} ignored: {profile.name} only supports adaptive thinking "
              "(sent {'type': 'adaptive'}; use effort to steer it)")
        return {"type": "adaptive"}
    if _thinking_type(setting) != "enabled":
        return dict(setting)
    _warn(f"thinking type 'enabled' changed to 'adaptive': {profile.name} only supports adaptive "
          "thinking (budget_tokens dropped; use effort to steer it)")
    adaptive = {k: v for k, v in setting.items() if k not in ("type", "budget_tokens")}
    return {"type": "adaptive", **adaptive}


def _thinking(options: RequestOptions, profile: ModelProfile,
              max_tokens: int) -> dict[str, Any] | None:
    """The `thinking` object to send, or None when thinking is off."""
    setting = options.thinking
    if setting is None or setting is False:
        return None
    if not isinstance(setting, (bool, int, dict)):
        raise ConfigurationError(f"thinking must be a bool, an int or a dict, got {setting!r}")
    if profile.thinking_style == "adaptive":
        return _adaptive_thinking(setting, profile)
    return _budget_thinking(setting, profile, max_tokens)


_REASONING_BLOCK_TYPES = frozenset({"reasoning", "thinking", "redacted_thinking"})


def _open_tool_turn(wire: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The assistant turn whose tool results end the conversation, if it ends in a tool loop."""
    position = len(wire) - 1
    while position >= 0 and wire[position]["role"] == "tool":
        position -= 1
    if position == len(wire) - 1 or position < 0 or wire[position]["role"] != "assistant":
        return None
    return wire[position]


def _starts_with_reasoning(assistant: dict[str, Any]) -> bool:
    content = assistant.get("content")
    first = content[0] if isinstance(content, list) and content else None
    return isinstance(first, dict) and first.get("type") in _REASONING_BLOCK_TYPES


def _thinking_for_tool_loop(thinking: dict[str, Any],
                            wire: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The thinking to send when thinking is on: itself, or off when a tool loop forbids it.

    With thinking on, the service refuses to continue a tool loop whose assistant turn does not
    start with its reasoning block (for instance a history whose reasoning was not kept).
    Budget thinking is then left out (None); adaptive thinking becomes `{"type": "disabled"}`,
    since adaptive models may think by default.
    """
    turn = _open_tool_turn(wire)
    if turn is None or _starts_with_reasoning(turn):
        return thinking
    _warn("thinking turned off for this request: the tool loop it continues has an assistant "
          "turn without its reasoning block, which Claude refuses while thinking is on (keep "
          "the reasoning of assistant messages to avoid this)")
    return {"type": "disabled"} if thinking.get("type") == "adaptive" else None


def _effort(options: RequestOptions, profile: ModelProfile,
            thinking: dict[str, Any] | None) -> dict[str, Any] | None:
    effort = options.effort
    if effort is None:
        return None
    if effort not in EFFORTS:
        raise ConfigurationError(f"effort must be one of {', '.join(EFFORTS)}, got {effort!r}")
    adaptive = profile.thinking_style == "adaptive" or (thinking or {}).get("type") == "adaptive"
    if not adaptive:
        _warn(f"effort {effort!r} not sent: {profile.name} uses a thinking budget, not effort "
              "(set thinking to an int budget instead)")
        return None
    return {"effort": effort}


def _sampling(options: RequestOptions, profile: ModelProfile, reasoning: bool) -> dict[str, Any]:
    """temperature / top_p / top_k that the model accepts with the current thinking setting."""
    for name, low, high, low_open in (("temperature", 0, 2, False), ("top_p", 0, 1, True)):
        value = getattr(options, name)
        if value is None:
            continue
        # NaN fails every comparison, so it is refused here too (it is not JSON anyway).
        in_range = (isinstance(value, (int, float)) and not isinstance(value, bool)
                    and (low < value if low_open else low <= value) and value <= high)
        if not in_range:
            bounds = f"{'(' if low_open else '['}{low}, {high}]"
            raise ConfigurationError(f"{name} must be a number in {bounds}, got {value!r}")
    sent: dict[str, Any] = {}
    if options.temperature is not None:
        if not profile.temperature_allowed:
            _warn(f"temperature not sent: {profile.name} does not support the temperature "
                  "parameter")
        elif reasoning:
            if options.temperature != 1:
                _warn(f"temperature {options.temperature} not sent: Claude does not accept a "
                      "temperature other than 1 when thinking is on")
        else:
            sent["temperature"] = options.temperature
    if options.top_p is not None:
        if not reasoning:
            sent["top_p"] = options.top_p
        elif options.top_p != 1:
            _warn(f"top_p {options.top_p} not sent: Claude does not accept top_p changes when "
                  "thinking is on")
    if options.top_k is not None:
        if reasoning:
            _warn(f"top_k {options.top_k} not sent: Claude does not accept top_k when thinking "
                  "is on")
        else:
            sent["top_k"] = options.top_k
    return sent


_AUTO, _REQUIRED, _NONE = "auto", "required", "none"
_KEYWORD_CHOICES = {"auto": _AUTO, "required": _REQUIRED, "any": _REQUIRED, "none": _NONE}


def _choice_keyword(choice: Any) -> str | None:
    """"auto" / "required" / "none" for a keyword choice in any accepted form, else None."""
    if choice is True:
        return _REQUIRED
    if isinstance(choice, str):
        return _KEYWORD_CHOICES.get(choice)
    if isinstance(choice, dict):
        kind = choice.get("type")
        return _KEYWORD_CHOICES.get(kind) if isinstance(kind, str) else None
    raise ConfigurationError(f"tool_choice {choice!r} is not a known form")


def _choice_name(choice: Any) -> str:
    """The tool name of a named choice: a bare name, OpenAI or Anthropic style dict."""
    name: Any = choice
    if isinstance(choice, dict):
        if choice.get("type") == "function" and isinstance(choice.get("function"), dict):
            name = choice["function"].get("name")
        elif choice.get("type") == "tool":
            name = choice.get("name")
        else:
            raise ConfigurationError(f"tool_choice {choice!r} is not a known form")
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"tool_choice {choice!r} names no tool")
    return name


def _checked_choice(choice: Any, tool_names: Sequence[str]) -> tuple[str | None, str]:
    """(keyword, tool name) of a tool choice that is not off; raises for a choice it refuses."""
    keyword = _choice_keyword(choice)
    name = ""
    if keyword is None:
        name = _choice_name(choice)
        if name not in tool_names:
            bound = ", ".join(tool_names) or "none"
            raise ConfigurationError(f"tool_choice names {name!r}, which is not a bound tool "
                                     f"(bound tools: {bound})")
    if not tool_names and keyword == _REQUIRED:
        raise ConfigurationError("tool_choice requires a tool call but no tools are bound")
    return keyword, name


def validate_tool_choice(choice: Any, tool_names: Sequence[str]) -> None:
    """Raise the `ConfigurationError` `build_payload` would raise for this tool choice.

    Accepted: None / False (none sent), "auto", "required" / "any" / True, "none", a bound tool's
    name, an OpenAI `{"type": "function", "function": {"name": ...}}` or Anthropic
    `{"type": "tool", "name": ...}` dict, or `{"type": <keyword>}`. Refused: an unknown form, a
    name that is not in `tool_names`, and a required tool call with no tools bound. The thinking
    rule (a forced choice is downgraded to "auto" with a warning) is applied when sending.
    """
    if choice is not None and choice is not False:
        _checked_choice(choice, tool_names)


def _tool_choice(choice: Any, tool_names: Sequence[str], reasoning: bool) -> Any:
    """The wire `tool_choice`, or None to send none."""
    if choice is None or choice is False:
        return None
    keyword, name = _checked_choice(choice, tool_names)
    if not tool_names:
        return None  # auto/none without tools mean nothing; the service refuses them alone
    if reasoning and keyword in (None, _REQUIRED):
        _warn(f"tool_choice {choice!r} changed to 'auto': Claude cannot force tool use while "
              "thinking is on")
        return _AUTO
    if keyword is None:
        return {"type": "function", "function": {"name": name}}
    return keyword


def _check_n(n: int | None) -> None:
    if n is not None and n != 1:
        raise ConfigurationError(f"n={n} is not supported: Claude returns one choice per request")


def _stop(stop: Sequence[str] | str | None) -> list[str] | None:
    if not stop:
        return None
    return [stop] if isinstance(stop, str) else list(stop)


def _without_strict(tools: Any) -> Any:
    """`tools` from extra_body with `strict` removed from every function definition."""
    if not isinstance(tools, list):
        return tools
    cleaned = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and "strict" in function:
            function = {k: v for k, v in function.items() if k != "strict"}
            tool = {**tool, "function": function}
        if isinstance(tool, dict) and "strict" in tool:
            tool = {k: v for k, v in tool.items() if k != "strict"}
        cleaned.append(tool)
    return cleaned


def _merge_extra_body(payload: dict[str, Any], extra_body: Mapping[str, Any]) -> None:
    for key, value in extra_body.items():
        if key == "parallel_tool_calls":
            _warn("parallel_tool_calls not sent: the service rejects it ('Extra inputs are not "
                  "permitted'); Claude may still return several tool calls")
            continue
        payload[key] = _without_strict(value) if key == "tools" else value


def build_payload(
    messages: Sequence[Message],
    options: RequestOptions,
    *,
    model: str | None,
    profile: ModelProfile,
    stream: bool = False,
) -> dict[str, Any]:
    """The JSON body of one chat request, following every rule of DESIGN §3.

    `model=None` leaves out the `model` key (for `/invocations` routes). Raises
    `ConfigurationError` for anything the service would refuse and the caller must fix; emits a
    `DatabricksClaudeWarning` for each setting it drops or downgrades.
    """
    _check_n(options.n)
    wire_messages = _wire_messages(messages)
    _check_tool_pairing(wire_messages)
    if not profile.vision and profile.known:
        _check_vision(messages, profile)
    max_tokens = _max_tokens(options, profile)
    thinking = _thinking(options, profile, max_tokens)
    if thinking is not None and thinking.get("type") in ("enabled", "adaptive"):
        thinking = _thinking_for_tool_loop(thinking, wire_messages)
    reasoning = thinking_on(thinking)

    payload: dict[str, Any] = {"messages": wire_messages}
    if model is not None:
        payload["model"] = model
    payload["max_tokens"] = max_tokens
    if thinking is not None:
        payload["thinking"] = thinking
    output_config = _effort(options, profile, thinking)
    if output_config is not None:
        payload["output_config"] = output_config
    payload.update(_sampling(options, profile, reasoning))
    stop = _stop(options.stop)
    if stop:
        payload["stop"] = stop
    tools = options.tools or ()
    if tools:
        payload["tools"] = _tools_to_wire(tools)
    choice = _tool_choice(options.tool_choice, [t.name for t in tools], reasoning)
    if choice is not None:
        payload["tool_choice"] = choice
    if stream:
        payload["stream"] = True
    if options.extra_body:
        _merge_extra_body(payload, options.extra_body)
    return payload


def build_request(messages: Sequence[Message], options: RequestOptions, *, model: str | None,
                  profile: ModelProfile, stream: bool = False) -> Request:
    """`build_payload`, with what it decided: thinking as sent, tool choice as sent, warnings."""
    token = _NOTES.set([])
    try:
        payload = build_payload(messages, options, model=model, profile=profile, stream=stream)
        notes = tuple(_NOTES.get() or ())
    finally:
        _NOTES.reset(token)
    decisions = Decisions(thinking=thinking_on(payload.get("thinking")),
                          tool_choice=payload.get("tool_choice"), warnings=notes)
    return Request(payload, decisions)
