"""LangChain messages <-> the core's neutral messages, completions and stream deltas.

Pure functions (and one small per-stream builder), no I/O. The conventions they implement:

* An answer is an `AIMessage` whose `content` is the answer text (a string). Reasoning rides in
  `additional_kwargs`: `reasoning_content` (all reasoning text joined) and `reasoning_blocks`
  (the reasoning blocks as the service sent them, wire dicts, in order). Content blocks of a type
  this version does not know are kept in `additional_kwargs["unknown_blocks"]`, each with its
  position in the answer text. The tool calls' argument JSON, exactly as received, is kept in
  `additional_kwargs["tool_call_arguments"]` (id -> text) so that replaying the message is
  byte-exact.
* `response_metadata["model_provider"] == "databricks_claude"` selects this package's content
  block translator (`blocks`), which shows reasoning as standard `reasoning` blocks with the
  signature in `extras`.
* Replaying any earlier assistant message (from `invoke`, an aggregated stream, `v1` output, or
  an Anthropic-style content list) reproduces the assistant turn the service produced: reasoning
  parts, then the text (with any unknown blocks where they were), then the tool calls: the same
  assistant turn the core replays for the `Completion` itself.
* Streams: one `AIMessageChunk` per delta, with minimal work. Usage, finish reason, model name,
  id and the final `reasoning_blocks` are carried by the last chunk only, so that summing the
  chunks gives the same message as `invoke` and usage is counted once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import InvalidToolCall, ToolCall
from langchain_core.outputs import ChatGenerationChunk

from databricks_claude.blocks import content_parts as parse_content
from databricks_claude.blocks import part_to_block as part_to_wire
from databricks_claude.errors import MalformedResponseError
from databricks_claude.kit.images import data_url
from databricks_claude.kit.placement import interleave, text_offsets
from databricks_claude.kit.roles import neutral_role
from databricks_claude.messages import (
    EPHEMERAL,
    CacheControl,
    Completion,
    Delta,
    FinishDelta,
    ImagePart,
    Message,
    Part,
    ReasoningDelta,
    ReasoningPart,
    RedactedReasoningDelta,
    RedactedReasoningPart,
    SignatureDelta,
    TextDelta,
    TextPart,
    ToolCallArgsDelta,
    ToolCallPart,
    ToolCallStartDelta,
    ToolResultPart,
    UnknownPart,
    Usage,
    tool_result,
)
from langchain_databricks_claude import _fast

__all__ = [
    "PROVIDER",
    "REASONING_BLOCKS",
    "REASONING_CONTENT",
    "TOOL_CALL_ARGUMENTS",
    "UNKNOWN_BLOCKS",
    "StreamChunkBuilder",
    "V1StreamChunkBuilder",
    "ai_to_neutral",
    "completion_to_message",
    "content_reasoning",
    "parse_wire_reasoning",
    "to_neutral_messages",
    "usage_to_metadata",
]

PROVIDER = "databricks_claude"
"""`response_metadata["model_provider"]` of every message this package produces."""
REASONING_CONTENT = _fast.REASONING_CONTENT
REASONING_BLOCKS = "reasoning_blocks"
TOOL_CALL_ARGUMENTS = "tool_call_arguments"
UNKNOWN_BLOCKS = "unknown_blocks"
"""`additional_kwargs` key: `[{"text_offset": n, "block": {...}}]`, the answer's content blocks of
unknown types, in order, each after the first `n` characters of the answer text."""

_CACHE_CONTROL = "cache_control"
REDACTED = "redacted_content"
_UNSUPPORTED_INPUTS = {"audio", "video", "file", "input_audio", "document"}

# ==============================================================================================
# LangChain -> neutral
# ==============================================================================================


def to_neutral_messages(
    messages: Sequence[BaseMessage], *, cache_system_prompt: bool = False
) -> list[Message]:
    """Convert a LangChain conversation to neutral messages, ready for the request builder.

    `cache_system_prompt` adds an ephemeral `cache_control` to the last system text part.
    Raises `ValueError` for message or content types the service cannot take.
    """
    out: list[Message] = []
    for message in messages:
        out.extend(_to_neutral(message))
    if cache_system_prompt:
        _mark_last_system_text(out)
    return out


def _to_neutral(message: BaseMessage) -> list[Message]:
    """One LangChain message as neutral messages (a human turn with tool results gives several)."""
    if isinstance(message, AIMessage):
        return [ai_to_neutral(message)]
    if isinstance(message, HumanMessage):
        return _human_to_neutral(message.content)
    if isinstance(message, SystemMessage):
        return [Message("system", content_to_parts(message.content))]
    if isinstance(message, ToolMessage):
        return [Message("tool", [_tool_result(message)])]
    if isinstance(message, ChatMessage):
        return _chat_message_to_neutral(message)
    raise ValueError(
        f"{type(message).__name__} is not supported: use SystemMessage, HumanMessage, "
        "AIMessage or ToolMessage"
    )


def _chat_message_to_neutral(message: ChatMessage) -> list[Message]:
    """A generic `ChatMessage`, by its role."""
    role = neutral_role(message.role)
    if role == "system":
        return [Message("system", content_to_parts(message.content))]
    if role == "user":
        return _human_to_neutral(message.content)
    if role == "assistant":
        return [ai_to_neutral(AIMessage(content=message.content))]
    raise ValueError(f"a ChatMessage with role {message.role!r} cannot carry a tool result: "
                     "use ToolMessage")


def _human_to_neutral(content: str | list[str | dict[str, Any]]) -> list[Message]:
    """A human turn. Anthropic-style `tool_result` blocks become tool messages, placed first."""
    if isinstance(content, str):
        return [Message("user", [TextPart(content)])]
    results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
    if not results:
        return [Message("user", content_to_parts(content))]
    rest = [b for b in content if not (isinstance(b, dict) and b.get("type") == "tool_result")]
    out = [Message("tool", [_anthropic_tool_result(b)]) for b in results]
    if rest:
        out.append(Message("user", content_to_parts(rest)))
    return out


def content_to_parts(content: str | list[str | dict[str, Any]]) -> list[Part]:
    """User, system or tool content (a string or a list of blocks) as text and image parts."""
    if isinstance(content, str):
        return [TextPart(content)]
    parts: list[Part] = []
    for block in content:
        part = _block_to_part(block)
        if part is not None:
            parts.append(part)
    return parts


def _block_to_part(block: str | dict[str, Any]) -> Part | None:
    """One input content block as a part; None for blocks that carry nothing to send."""
    if isinstance(block, str):
        return TextPart(block)
    kind = block.get("type")
    if kind in ("text", "text-plain"):
        return TextPart(str(block.get("text", "")), _cache_control(block))
    if kind in ("image", "image_url"):
        return ImagePart(image_url(block), _cache_control(block))
    if kind == "non_standard" and isinstance(block.get("value"), dict):
        return _block_to_part(block["value"])
    if kind in _UNSUPPORTED_INPUTS:
        raise ValueError(
            f"content blocks of type {kind!r} are not supported by Claude on Databricks "
            "chat completions: send text and images"
        )
    if kind in ("reasoning", "thinking", "redacted_thinking", "tool_use", "tool_call"):
        return None  # only meaningful in assistant turns
    return UnknownPart(dict(block))


def _cache_control(block: Mapping[str, Any]) -> CacheControl | None:
    """A block's `cache_control`, top level or (v1 blocks) inside `extras`."""
    value = block.get(_CACHE_CONTROL)
    if value is None:
        extras = block.get("extras")
        if isinstance(extras, dict):
            value = extras.get(_CACHE_CONTROL)
    return value if isinstance(value, dict) else None


def image_url(block: Mapping[str, Any]) -> str:
    """The URL (`https:` or a base64 `data:` URL) of any standard image block.

    Accepts v1 (`base64` + `mime_type`, or `url`), v0 (`source_type`), OpenAI (`image_url`)
    and Anthropic (`source`) forms.
    """
    if block.get("type") == "image_url":
        value = block.get("image_url")
        url = value.get("url") if isinstance(value, dict) else value
        if isinstance(url, str) and url:
            return url
        raise ValueError("image_url block without a url")
    source = block.get("source")
    if isinstance(source, dict):  # Anthropic
        if source.get("type") == "base64":
            return data_url(source.get("media_type"), source.get("data"))
        if source.get("type") == "url" and isinstance(source.get("url"), str):
            return str(source["url"])
    if block.get("base64") is not None:  # v1
        return data_url(block.get("mime_type"), block["base64"])
    if block.get("source_type") == "base64":  # v0
        return data_url(block.get("mime_type"), block.get("data"))
    if isinstance(block.get("url"), str):
        return str(block["url"])
    raise ValueError(
        "image blocks must carry base64 data or a URL (file ids are not supported): "
        f"got keys {sorted(block)}"
    )


def _tool_result(message: ToolMessage) -> ToolResultPart:
    """A `ToolMessage` as the result of its tool call."""
    cache = message.additional_kwargs.get(_CACHE_CONTROL)
    return tool_result(message.tool_call_id, _tool_content(message.content),
                       cache_control=cache if isinstance(cache, dict) else None,
                       is_error=message.status == "error")


def _anthropic_tool_result(block: dict[str, Any]) -> ToolResultPart:
    """An Anthropic `tool_result` block from a human turn."""
    return tool_result(str(block.get("tool_use_id", "")), _tool_content(block.get("content", "")),
                       cache_control=_cache_control(block), is_error=bool(block.get("is_error")))


def _tool_content(content: Any) -> str | list[TextPart | ImagePart]:
    """Tool output as a string, or text and image parts (anything else as JSON text); the core's
    `tool_result` decides how they are sent."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return json.dumps(content, ensure_ascii=False, default=str)
    parts: list[TextPart | ImagePart] = []
    for block in content:
        if isinstance(block, str):
            parts.append(TextPart(block))
        elif isinstance(block, dict) and block.get("type") in ("text", "text-plain"):
            parts.append(TextPart(str(block.get("text", "")), _cache_control(block)))
        elif isinstance(block, dict) and block.get("type") in ("image", "image_url"):
            parts.append(ImagePart(image_url(block), _cache_control(block)))
        else:
            parts.append(TextPart(json.dumps(block, ensure_ascii=False, default=str)))
    return parts


def _mark_last_system_text(messages: list[Message]) -> None:
    """Put an ephemeral cache breakpoint on the last system text part (if it has none)."""
    for message in reversed(messages):
        if message.role != "system":
            continue
        for part in reversed(message.parts):
            if isinstance(part, TextPart):
                if part.cache_control is None:
                    part.cache_control = dict(EPHEMERAL)
                return


# ---- assistant replay ------------------------------------------------------------------------


def ai_to_neutral(message: AIMessage) -> Message:
    """An earlier answer as the assistant turn the service produced.

    Order: reasoning parts (from `reasoning_blocks`, else from `reasoning` / `thinking` /
    `redacted_thinking` content blocks), then the text with the `unknown_blocks` back at their
    positions, then the tool calls with their original argument JSON when it is known and still
    matches the parsed arguments.
    """
    parts: list[Part] = list(_replay_reasoning(message))
    text, cache = _assistant_text(message.content)
    calls = _replay_tool_calls(message)
    unknown = _replay_unknown(message)
    if unknown:
        parts.extend(interleave(text, cache, unknown))
    elif text or not (parts or calls):
        parts.append(TextPart(text, cache))
    parts.extend(calls)
    return Message("assistant", parts)


def _replay_reasoning(message: AIMessage) -> list[Part]:
    """The reasoning parts to send back for an assistant message."""
    blocks = message.additional_kwargs.get(REASONING_BLOCKS)
    if isinstance(blocks, list) and blocks:
        return [p for b in blocks if isinstance(b, dict) for p in parse_wire_reasoning(b)]
    if not isinstance(message.content, list):
        return []
    ours = message.response_metadata.get("model_provider") == PROVIDER
    return [p for b in message.content if isinstance(b, dict) for p in content_reasoning(b, ours)]


def _replay_unknown(message: AIMessage) -> list[tuple[int, UnknownPart]]:
    """The `unknown_blocks` of an answer as (text offset, part), in order."""
    entries = message.additional_kwargs.get(UNKNOWN_BLOCKS)
    if not entries:
        return []
    out = []
    for entry in entries if isinstance(entries, list) else [entries]:
        offset = entry.get("text_offset") if isinstance(entry, dict) else None
        block = entry.get("block") if isinstance(entry, dict) else None
        if not (isinstance(offset, int) and isinstance(block, dict)):
            raise ValueError(f"additional_kwargs[{UNKNOWN_BLOCKS!r}] entries must be "
                             f'{{"text_offset": int, "block": dict}}, got {entry!r:.200}')
        out.append((offset, UnknownPart(block)))
    return out


def parse_wire_reasoning(block: Mapping[str, Any]) -> list[Part]:
    """A wire reasoning block (`{"type":"reasoning","summary":[...]}`) as neutral parts.

    The core's parser (`databricks_claude.response.parse_content`): reasoning and redacted
    reasoning parts, an unknown summary entry kept verbatim as an `UnknownPart`. Raises
    `ValueError` for a block the core would call malformed (a non-string signature, ...).
    """
    try:
        return parse_content([dict(block)])
    except MalformedResponseError as error:
        raise ValueError(f"invalid reasoning block {dict(block)!r:.200}: {error}") from None


def content_reasoning(block: Mapping[str, Any], ours: bool) -> list[Part]:
    """Reasoning parts from one content block of an assistant message.

    Unsigned v1 reasoning from another provider is dropped: the service would refuse it. A
    signature that is not a string raises `ValueError`.
    """
    kind = block.get("type")
    if kind == "reasoning":
        if "summary" in block:
            return parse_wire_reasoning(block)
        extras = block.get("extras") or {}
        if extras.get(REDACTED) is not None:
            return [RedactedReasoningPart(str(extras[REDACTED]))]
        signature = extras.get("signature")
        if signature is None and not ours:
            return []
        return [ReasoningPart(str(block.get("reasoning", "")), _signature(signature))]
    if kind == "thinking":
        return [ReasoningPart(str(block.get("thinking", "")), _signature(block.get("signature")))]
    if kind == "redacted_thinking":
        return [RedactedReasoningPart(str(block.get("data", "")))]
    if kind == "non_standard" and isinstance(block.get("value"), dict):
        return content_reasoning(block["value"], ours)
    return []


def _signature(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"a reasoning signature must be a string, got {type(value).__name__}")
    return value


def _assistant_text(content: str | list[str | dict[str, Any]]) -> tuple[str, CacheControl | None]:
    """The answer text of an assistant message and the cache_control of its text block."""
    if isinstance(content, str):
        return content, None
    texts: list[str] = []
    cache: CacheControl | None = None
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            texts.append(str(block.get("text", "")))
            cache = _cache_control(block) or cache
    return "".join(texts), cache


def _replay_tool_calls(message: AIMessage) -> list[ToolCallPart]:
    """The tool calls of an assistant message, with their original argument text if known."""
    raw = message.additional_kwargs.get(TOOL_CALL_ARGUMENTS)
    raw_by_id: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    calls: Iterable[Mapping[str, Any]] = message.tool_calls or _content_tool_calls(message.content)
    parts = []
    for call in calls:
        call_id = call.get("id")
        if not call_id:
            raise ValueError(
                f"tool call {call.get('name')!r} has no id: the service matches tool results "
                "to calls by id"
            )
        args = call.get("args") or {}
        original = raw_by_id.get(call_id)
        if not (isinstance(original, str) and _same_arguments(original, args)):
            original = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
        parts.append(ToolCallPart(call_id, str(call.get("name", "")), original))
    return parts


def _content_tool_calls(content: str | list[str | dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls found only in content: v1 `tool_call` or Anthropic `tool_use` blocks."""
    if isinstance(content, str):
        return []
    calls = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "tool_call":
            calls.append({"id": block.get("id"), "name": block.get("name"),
                          "args": block.get("args") or {}})
        elif block.get("type") == "tool_use":
            calls.append({"id": block.get("id"), "name": block.get("name"),
                          "args": block.get("input") or {}})
    return calls


def _same_arguments(text: str, args: Any) -> bool:
    """Whether argument JSON text still parses to `args` (not edited since it was received)."""
    if not text.strip():
        return args == {}
    try:
        return bool(json.loads(text) == args)
    except ValueError:
        return False


# ==============================================================================================
# neutral -> LangChain
# ==============================================================================================


def usage_to_metadata(usage: Usage) -> UsageMetadata:
    """Core usage as LangChain `UsageMetadata` (details only when the service reported them)."""
    total = usage.total_tokens or usage.input_tokens + usage.output_tokens
    meta = UsageMetadata(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                         total_tokens=total)
    details: dict[str, int] = {}
    if usage.cache_read_tokens is not None:
        details["cache_read"] = usage.cache_read_tokens
    if usage.cache_write_tokens is not None:
        details["cache_creation"] = usage.cache_write_tokens
    if details:
        meta["input_token_details"] = cast("Any", details)
    if usage.reasoning_tokens is not None:
        meta["output_token_details"] = {"reasoning": usage.reasoning_tokens}
    return meta


def response_metadata(completion: Completion, model_name: str) -> dict[str, Any]:
    """`response_metadata` of an answer: finish reason, endpoint, provider, id, backing model."""
    meta: dict[str, Any] = {
        "finish_reason": completion.finish_reason,
        "model_name": model_name,
        "model_provider": PROVIDER,
    }
    if completion.id:
        meta["id"] = completion.id
    if completion.model:
        meta["model"] = completion.model
    return meta


def _final_kwargs(completion: Completion) -> dict[str, Any]:
    """`reasoning_blocks`, `unknown_blocks` and `tool_call_arguments` of an answer (absent when
    empty)."""
    kwargs: dict[str, Any] = {}
    reasoning = completion.reasoning_parts
    if reasoning:
        kwargs[REASONING_BLOCKS] = [part_to_wire(p) for p in reasoning]
    unknown = _unknown_blocks(completion.parts)
    if unknown:
        kwargs[UNKNOWN_BLOCKS] = unknown
    calls = completion.tool_calls
    if calls:
        kwargs[TOOL_CALL_ARGUMENTS] = {c.id: c.arguments for c in calls}
    return kwargs


def _unknown_blocks(parts: Sequence[Part]) -> list[dict[str, Any]]:
    """The unknown blocks of an answer, each with the length of the answer text before it."""
    return [{"text_offset": offset, "block": part_to_wire(part)}
            for offset, part in text_offsets(parts)]


def _parse_tool_calls(calls: list[ToolCallPart]) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Tool calls with parsed arguments; those whose JSON does not parse are kept as invalid."""
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in calls:
        try:
            args = call.parsed_arguments()
        except ValueError as error:
            invalid.append(InvalidToolCall(type="invalid_tool_call", id=call.id, name=call.name,
                                           args=call.arguments, error=str(error)))
            continue
        valid.append(ToolCall(type="tool_call", id=call.id, name=call.name, args=args))
    return valid, invalid


def completion_to_message(
    completion: Completion, *, model_name: str, include_usage: bool = True
) -> AIMessage:
    """A non-streaming answer as an `AIMessage` (see the module docstring for the layout)."""
    kwargs = _final_kwargs(completion)
    reasoning_text = completion.reasoning_text
    if reasoning_text:
        kwargs = {REASONING_CONTENT: reasoning_text, **kwargs}
    tool_calls, invalid = _parse_tool_calls(completion.tool_calls)
    usage = usage_to_metadata(completion.usage) if include_usage and completion.usage else None
    return AIMessage(
        content=completion.text,
        additional_kwargs=kwargs,
        response_metadata=response_metadata(completion, model_name),
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage,
        id=completion.id,
    )


# ---- streams ---------------------------------------------------------------------------------


class StreamChunkBuilder:
    """Turns one stream's deltas into `ChatGenerationChunk`s (v0 layout: string content).

    One chunk per delta, built with as little work as possible (this is the hot path):
    text -> `content`; reasoning text -> `additional_kwargs["reasoning_content"]`; tool calls ->
    `tool_call_chunks` whose `index` is the call's dense position; signatures and redacted
    reasoning -> nothing until the last chunk, which carries `reasoning_blocks`,
    `tool_call_arguments`, usage (once), finish reason, model name, id and
    `chunk_position="last"`.

    The per-delta chunks skip pydantic validation (see `_fast`: identical objects, checked once
    against validated ones); the last chunk, once per stream, is validated.
    """

    def __init__(self, model_name: str, *, include_usage: bool = True) -> None:
        self.model_name = model_name
        self.include_usage = include_usage
        build = _fast.builders()
        self._new_text = build.text
        self._new_reasoning = build.reasoning
        self._new_tool = build.tool
        self._new_blocks = build.blocks
        self._dispatch: dict[type, Callable[[Any], ChatGenerationChunk | None]] = {
            TextDelta: self._text,
            ReasoningDelta: self._reasoning,
            ToolCallStartDelta: self._tool_start,
            ToolCallArgsDelta: self._tool_args,
            SignatureDelta: self._signature,
            RedactedReasoningDelta: self._redacted,
            FinishDelta: self._finish,
        }

    def convert(self, delta: Delta) -> ChatGenerationChunk | None:
        """The chunk for one delta, or None when the delta shows nothing yet."""
        return self._dispatch[type(delta)](delta)

    def _text(self, delta: TextDelta) -> ChatGenerationChunk | None:
        text = delta.text
        return self._new_text(text) if text else None

    def _reasoning(self, delta: ReasoningDelta) -> ChatGenerationChunk | None:
        text = delta.text
        return self._new_reasoning(text) if text else None

    def _tool_start(self, delta: ToolCallStartDelta) -> ChatGenerationChunk | None:
        return self._new_tool(delta.id, delta.name, "", delta.position)

    def _tool_args(self, delta: ToolCallArgsDelta) -> ChatGenerationChunk | None:
        fragment = delta.fragment
        return self._new_tool(None, None, fragment, delta.position) if fragment else None

    def _signature(self, delta: SignatureDelta) -> ChatGenerationChunk | None:
        return None

    def _redacted(self, delta: RedactedReasoningDelta) -> ChatGenerationChunk | None:
        return None

    def _finish(self, delta: FinishDelta) -> ChatGenerationChunk:
        return ChatGenerationChunk(message=self.final_chunk(delta.completion, ""))

    def final_chunk(self, completion: Completion, content: str | list[Any]) -> AIMessageChunk:
        """The last chunk: what only the finished answer knows, usage counted here once."""
        usage = completion.usage if self.include_usage else None
        return AIMessageChunk(
            content=content,
            additional_kwargs=_final_kwargs(completion),
            response_metadata=self._final_metadata(completion),
            usage_metadata=usage_to_metadata(usage) if usage else None,
            id=completion.id,
            chunk_position="last",
        )

    def _final_metadata(self, completion: Completion) -> dict[str, Any]:
        return response_metadata(completion, self.model_name)


class V1StreamChunkBuilder(StreamChunkBuilder):
    """Chunks whose content is already v1 standard blocks (for `output_version="v1"`).

    Every block has an explicit `index` (its position in the answer) so that summing chunks
    merges the fragments of each block and keeps the blocks in order: reasoning blocks (signature
    in `extras`), the text block, tool calls.
    """

    def __init__(self, model_name: str, *, include_usage: bool = True) -> None:
        super().__init__(model_name, include_usage=include_usage)
        self._indices: dict[tuple[str, int], int] = {}

    def _index(self, kind: str, number: int) -> int:
        """The block index of reasoning part / text / tool call `number`, assigned on first use."""
        key = (kind, number)
        index = self._indices.get(key)
        if index is None:
            index = self._indices[key] = len(self._indices)
        return index

    def _chunk(self, block: dict[str, Any], additional_kwargs: dict[str, Any] | None = None,
               tool_call_chunk: dict[str, Any] | None = None) -> ChatGenerationChunk:
        return self._new_blocks([block], {"model_provider": PROVIDER, "output_version": "v1"},
                                additional_kwargs, cast("Any", tool_call_chunk))

    def _text(self, delta: TextDelta) -> ChatGenerationChunk | None:
        if not delta.text:
            return None
        return self._chunk({"type": "text", "text": delta.text, "index": self._index("text", 0)})

    def _reasoning(self, delta: ReasoningDelta) -> ChatGenerationChunk | None:
        index = self._index("reasoning", delta.part)
        if not delta.text:
            return None
        return self._chunk({"type": "reasoning", "reasoning": delta.text, "index": index},
                           additional_kwargs={REASONING_CONTENT: delta.text})

    def _signature(self, delta: SignatureDelta) -> ChatGenerationChunk | None:
        index = self._index("reasoning", delta.part)
        block = {"type": "reasoning", "reasoning": "", "index": index,
                 "extras": {"signature": delta.signature}}
        return self._chunk(block)

    def _redacted(self, delta: RedactedReasoningDelta) -> ChatGenerationChunk | None:
        block = {"type": "reasoning", "index": self._index("reasoning", delta.part),
                 "extras": {REDACTED: delta.data}}
        return self._chunk(block)

    def _tool_start(self, delta: ToolCallStartDelta) -> ChatGenerationChunk | None:
        index = self._index("tool", delta.position)
        block = {"type": "tool_call_chunk", "id": delta.id, "name": delta.name, "args": "",
                 "index": index}
        call = {**block, "index": delta.position}
        return self._chunk(block, tool_call_chunk=call)

    def _tool_args(self, delta: ToolCallArgsDelta) -> ChatGenerationChunk | None:
        if not delta.fragment:
            return None
        block = {"type": "tool_call_chunk", "id": None, "name": None, "args": delta.fragment,
                 "index": self._index("tool", delta.position)}
        call = {**block, "index": delta.position}
        return self._chunk(block, tool_call_chunk=call)

    def _finish(self, delta: FinishDelta) -> ChatGenerationChunk:
        return ChatGenerationChunk(message=self.final_chunk(delta.completion, []))

    def _final_metadata(self, completion: Completion) -> dict[str, Any]:
        return {**response_metadata(completion, self.model_name), "output_version": "v1"}
