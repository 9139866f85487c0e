"""LlamaIndex `ChatMessage`s to and from the core's neutral messages, as pure functions.

Inbound, `to_core_messages` maps a LlamaIndex history to `databricks_claude.messages.Message`s,
keeping what the service needs to accept a replayed assistant turn: `ThinkingBlock`s become
reasoning parts with their signatures (or redacted parts with their data), `ToolCallBlock`s become
tool calls with their arguments text unchanged, `role="tool"` messages become tool results and
`CachePoint`s put `cache_control` on the part before them.

Outbound, `to_chat_response` turns a `Completion` into a `ChatResponse` (thinking blocks, then the
text, then tool calls) and `ChatStreamConverter` turns stream deltas into `ChatResponse` chunks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ChatResponse,
    CitationBlock,
    ContentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from databricks_claude.errors import ConfigurationError
from databricks_claude.kit.images import sniff_image_type
from databricks_claude.kit.roles import neutral_role
from databricks_claude.kit.tools import make_tool_spec, spec_from_mapping
from databricks_claude.messages import (
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
    ToolSpec,
    UnknownPart,
    Usage,
    tool_result,
)
from llama_index_databricks_claude import _fast

#: The `ThinkingBlock.additional_information` flag of redacted reasoning (its data is in "data").
REDACTED_KEY = "redacted"
#: Content blocks of a type this version does not know, kept in the message's `additional_kwargs`.
UNKNOWN_BLOCKS_KEY = "unknown_blocks"
#: Where each unknown block sat: the index in `message.blocks` it comes before (a replay puts it
#: back there). Without it (older or hand-made messages) unknown blocks replay after the others.
UNKNOWN_POSITIONS_KEY = "unknown_block_positions"

_Cacheable = TextPart | ImagePart | ReasoningPart | ToolResultPart


# ----------------------------------------------------------------------------------------------
# LlamaIndex -> core


def to_core_messages(messages: Sequence[ChatMessage]) -> list[Message]:
    """The history as neutral messages. Never mutates the input.

    Raises `ConfigurationError` for blocks the service cannot take (audio, video, binary
    documents) and for tool results or tool calls without an id.
    """
    converted: list[Message] = []
    for message in messages:
        role = neutral_role(_role_name(message.role))
        if role == "tool":
            converted.append(_tool_message(message, converted))
        elif role == "assistant":
            converted.append(Message("assistant", _assistant_parts(message, converted)))
        else:
            converted.append(Message(role, _content_parts(message, converted)))
    return converted


def _role_name(role: MessageRole | str) -> str:
    return role.value if isinstance(role, MessageRole) else str(role)


def _content_parts(message: ChatMessage, previous: list[Message]) -> list[Part]:
    """Parts of a system, user or tool message: text, images and cache points."""
    parts: list[Part] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            parts.append(TextPart(block.text))
        elif isinstance(block, ImageBlock):
            parts.append(ImagePart(image_url(block)))
        elif isinstance(block, CachePoint):
            _mark_cache_point(block, parts, previous)
        elif not isinstance(block, (ThinkingBlock, ToolCallBlock, CitationBlock)):
            # Audio, video, documents: the chat-completions route has no part for them.
            raise ConfigurationError(
                f"{type(block).__name__} is not supported in a {_role_name(message.role)} message")
    return parts


def _assistant_parts(message: ChatMessage, previous: list[Message]) -> list[Part]:
    """Parts of an assistant turn, in block order, ready for an exact replay."""
    parts: list[Part] = []
    has_tool_blocks = False
    unknown = _unknown_parts(message)
    for index, block in enumerate(message.blocks):
        while unknown and unknown[-1][0] <= index:
            parts.append(unknown.pop()[1])
        if isinstance(block, ThinkingBlock):
            parts.append(reasoning_part(block))
        elif isinstance(block, TextBlock):
            if block.text or len(message.blocks) == 1:  # "" beside other blocks carries nothing
                parts.append(TextPart(block.text))
        elif isinstance(block, ToolCallBlock):
            has_tool_blocks = True
            parts.append(_tool_call_part(block))
        elif isinstance(block, CachePoint):
            _mark_cache_point(block, parts, previous)
        # Citations and other output-only blocks carry nothing the service takes back.
    parts.extend(part for _, part in reversed(unknown))
    if not has_tool_blocks:
        parts.extend(_legacy_tool_calls(message.additional_kwargs.get("tool_calls")))
    return parts


def _unknown_parts(message: ChatMessage) -> list[tuple[int, UnknownPart]]:
    """The kept unknown blocks with their positions, last first (popped in block order)."""
    blocks = message.additional_kwargs.get(UNKNOWN_BLOCKS_KEY) or ()
    positions = message.additional_kwargs.get(UNKNOWN_POSITIONS_KEY)
    if not isinstance(positions, list) or len(positions) != len(blocks):
        positions = [len(message.blocks)] * len(blocks)
    placed = [(at if isinstance(at, int) else len(message.blocks), UnknownPart(dict(data)))
              for at, data in zip(positions, blocks, strict=True)]
    placed.sort(key=lambda entry: entry[0])  # stable: blocks at one position keep their order
    placed.reverse()
    return placed


def reasoning_part(block: ThinkingBlock) -> ReasoningPart | RedactedReasoningPart:
    """The reasoning part a `ThinkingBlock` replays as.

    Redacted reasoning is ours (`{"redacted": True, "data": ...}`) or Anthropic's
    (`{"type": "redacted_thinking", "data": ...}`); otherwise the signature, if any, is kept.
    """
    info = block.additional_information
    data = info.get("data")
    redacted = info.get(REDACTED_KEY) or info.get("type") == "redacted_thinking"
    if redacted and isinstance(data, str):
        return RedactedReasoningPart(data)
    signature = info.get("signature")
    return ReasoningPart(block.content or "", signature if isinstance(signature, str) else None)


def _tool_call_part(block: ToolCallBlock) -> ToolCallPart:
    if not block.tool_call_id:
        raise ConfigurationError(f"the call of tool {block.tool_name!r} has no tool_call_id")
    return ToolCallPart(block.tool_call_id, block.tool_name, arguments_text(block.tool_kwargs))


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as JSON text: a string is kept byte for byte, anything else dumped."""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)


def _legacy_tool_calls(calls: Any) -> list[ToolCallPart]:
    """OpenAI-style `additional_kwargs["tool_calls"]` (dicts or SDK objects), from older code."""
    parts: list[ToolCallPart] = []
    for call in calls or ():
        function = _field(call, "function")
        call_id, name = _field(call, "id"), _field(function, "name")
        if not call_id or not name:
            raise ConfigurationError(f"a tool call in additional_kwargs lacks id or name: {call!r}")
        parts.append(ToolCallPart(str(call_id), str(name),
                                  arguments_text(_field(function, "arguments"))))
    return parts


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _tool_message(message: ChatMessage, previous: list[Message]) -> Message:
    """A `role="tool"` message as one tool result."""
    call_id = message.additional_kwargs.get("tool_call_id") or next(
        (b.tool_call_id for b in message.blocks if isinstance(b, ToolCallBlock)), None)
    if not call_id:
        raise ConfigurationError(
            "a tool message has no tool_call_id (set additional_kwargs['tool_call_id'])")
    inner = [p for p in _content_parts(message, previous) if isinstance(p, (TextPart, ImagePart))]
    is_error = bool(message.additional_kwargs.get("is_error", False))
    return Message("tool", [tool_result(str(call_id), inner, is_error=is_error)])


def _mark_cache_point(block: CachePoint, parts: list[Part], previous: list[Message]) -> None:
    """Caching breakpoint: `cache_control` on the nearest part before it that can carry one."""
    candidates = [parts, *(m.parts for m in reversed(previous))]
    for group in candidates:
        for part in reversed(group):
            if isinstance(part, ToolResultPart) and isinstance(part.content, list) and part.content:
                part.content[-1].cache_control = cache_control(block)
                return
            if isinstance(part, _Cacheable):
                part.cache_control = cache_control(block)
                return
    # A cache point before any content marks nothing.


def cache_control(block: CachePoint) -> CacheControl:
    """The wire `cache_control` of a `CachePoint`; the TTL only when not the default 5 minutes."""
    control: CacheControl = {"type": block.cache_control.type}
    if block.cache_control.ttl and block.cache_control.ttl != "5m":
        control["ttl"] = block.cache_control.ttl
    return control


def image_url(block: ImageBlock) -> str:
    """The image as a `data:` URL (the service refuses remote URLs: they are fetched here)."""
    if block.url is not None and str(block.url).startswith("data:"):
        return str(block.url)
    data = block.resolve_image(as_base64=True).read()
    mimetype = block.image_mimetype or sniff_image_type(data) or "image/png"
    return f"data:{mimetype};base64,{data.decode('ascii')}"


# ----------------------------------------------------------------------------------------------
# Tools


def to_tool_specs(tools: Iterable[Any]) -> list[ToolSpec]:
    """Tool specs from LlamaIndex tools, OpenAI-style tool dicts or ready `ToolSpec`s."""
    specs: list[ToolSpec] = []
    for tool in tools:
        if isinstance(tool, ToolSpec):
            specs.append(tool)
        elif isinstance(tool, Mapping):
            specs.append(spec_from_mapping(tool))
        else:
            metadata = tool.metadata
            specs.append(make_tool_spec(metadata.get_name(), metadata.description,
                                        metadata.get_parameters_dict()))
    return specs


# ----------------------------------------------------------------------------------------------
# core -> LlamaIndex


def to_blocks(
    parts: Sequence[Part],
) -> tuple[list[ContentBlock], list[tuple[int, dict[str, Any]]]]:
    """Content blocks for an answer's parts, in order, adjacent text merged into one block.

    Returns the blocks and the unknown parts (kept in `additional_kwargs`), each with the index
    in the blocks it comes before. Text on either side of an unknown part is not merged, so that
    the replay keeps the order received.
    """
    blocks: list[ContentBlock] = []
    unknown: list[tuple[int, dict[str, Any]]] = []
    merge = False  # whether a text part extends the text block before it
    for part in parts:
        if isinstance(part, TextPart):
            if merge and isinstance(blocks[-1], TextBlock):
                blocks[-1] = TextBlock(text=blocks[-1].text + part.text)
            else:
                blocks.append(TextBlock(text=part.text))
            merge = True
            continue
        merge = False
        if isinstance(part, (ReasoningPart, RedactedReasoningPart)):
            blocks.append(thinking_block(part))
        elif isinstance(part, ToolCallPart):
            blocks.append(ToolCallBlock(tool_call_id=part.id, tool_name=part.name,
                                        tool_kwargs=part.arguments))
        elif isinstance(part, UnknownPart):
            unknown.append((len(blocks), part.data))
    return blocks, unknown


def thinking_block(part: ReasoningPart | RedactedReasoningPart) -> ThinkingBlock:
    """A `ThinkingBlock` that replays as exactly this reasoning part."""
    if isinstance(part, RedactedReasoningPart):
        return ThinkingBlock(content=None,
                             additional_information={REDACTED_KEY: True, "data": part.data})
    info = {} if part.signature is None else {"signature": part.signature}
    return ThinkingBlock(content=part.text, additional_information=info)


def to_chat_message(completion: Completion) -> ChatMessage:
    """The assistant message of an answer: thinking blocks, the text, tool calls.

    Tool calls are `ToolCallBlock`s, mirrored in `additional_kwargs["tool_calls"]` (OpenAI
    form), which some LlamaIndex code still reads; on replay the blocks win.
    """
    blocks, unknown = to_blocks(completion.parts)
    if not any(isinstance(b, TextBlock) for b in blocks):
        # `message.content` is the text; an empty block keeps it "" rather than None (a replay
        # drops it again). Unknown blocks from there on move one place along.
        at = _after_reasoning(blocks)
        blocks.insert(at, TextBlock(text=""))
        unknown = [(position + (position >= at), data) for position, data in unknown]
    extra: dict[str, Any] = {}
    if unknown:
        extra[UNKNOWN_BLOCKS_KEY] = [data for _, data in unknown]
        extra[UNKNOWN_POSITIONS_KEY] = [position for position, _ in unknown]
    calls = completion.tool_calls
    if calls:
        extra["tool_calls"] = [legacy_tool_call(c.id, c.name, c.arguments) for c in calls]
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def legacy_tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A tool call in the OpenAI form of `additional_kwargs["tool_calls"]`."""
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": arguments}}


def _after_reasoning(blocks: list[ContentBlock]) -> int:
    index = 0
    while index < len(blocks) and isinstance(blocks[index], ThinkingBlock):
        index += 1
    return index


def usage_dict(usage: Usage | None) -> dict[str, int]:
    """Usage with the OpenAI key names `TokenCountingHandler` reads, plus the cache counts."""
    if usage is None:
        return {}
    counts = {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
              "total_tokens": usage.total_tokens}
    optional = {"cache_read_input_tokens": usage.cache_read_tokens,
                "cache_creation_input_tokens": usage.cache_write_tokens,
                "reasoning_tokens": usage.reasoning_tokens}
    counts.update({key: value for key, value in optional.items() if value is not None})
    return counts


#: The `ChatResponse.raw` key telling whether thinking was on for the request that answered.
THINKING_KEY = "thinking"


def raw_dict(completion: Completion) -> dict[str, Any]:
    """`ChatResponse.raw`: id, model, finish reason and usage (the key token counting reads),
    and whether thinking was on for the request, as the request decided it (when known)."""
    raw: dict[str, Any] = {"id": completion.id, "model": completion.model,
                           "finish_reason": completion.finish_reason,
                           "usage": usage_dict(completion.usage)}
    if completion.decisions is not None:
        raw[THINKING_KEY] = completion.decisions.thinking
    return raw


def to_chat_response(completion: Completion) -> ChatResponse:
    """The `ChatResponse` for a whole answer, with usage in `raw` and `additional_kwargs`."""
    return ChatResponse(message=to_chat_message(completion), raw=raw_dict(completion),
                        delta="", additional_kwargs=usage_dict(completion.usage))


# ----------------------------------------------------------------------------------------------
# Streaming


class ChatStreamConverter:
    """Turns core stream deltas into `ChatResponse` chunks, a few objects per delta.

    Each chunk carries the text delta in `delta`, a reasoning delta in
    `additional_kwargs["thinking_delta"]`, and the message so far in `message` (thinking blocks,
    text, tool calls with their partial arguments). The last chunk, from the `FinishDelta`, is
    the final message exactly as `chat` returns it, with the usage.

    LlamaIndex's convention (what its agents read) is that every chunk's `message` holds each
    block so far, whole: `message.content` is the whole text so far, a `ThinkingBlock` the whole
    reasoning so far, a `ToolCallBlock` the whole arguments so far (agents parse them on every
    chunk). Every chunk therefore needs one new string per growing block, and a copy per chunk
    is forced by that convention (DESIGN §1's "no `str +=`" is about accumulating; here the
    string is needed whole at each step). `s + fragment` is that copy, one memcpy; keeping
    fragment lists would add a join over all the fragments at every chunk on top of it.
    The core's accumulator, which needs no per-chunk copy, keeps fragment lists.
    """

    __slots__ = ("_blocks", "_reasoning", "_text", "_text_at", "_tools")

    def __init__(self) -> None:
        self._blocks: list[Any] = []  # the blocks so far, in the order they started
        self._text = ""
        self._text_at = -1  # index of the text block in _blocks
        self._reasoning: dict[int, list[Any]] = {}  # part -> [block index, text, info]
        self._tools: dict[int, list[Any]] = {}  # position -> [block index, id, name, arguments]

    def feed(self, delta: Delta) -> ChatResponse | None:
        """The chunk for one delta, or None when the delta changes nothing visible."""
        if isinstance(delta, TextDelta):  # by far the most frequent: tested first
            return self._on_text(delta.text)
        if isinstance(delta, ReasoningDelta):
            return self._on_reasoning(delta)
        if isinstance(delta, ToolCallArgsDelta):
            return self._on_tool_args(delta)
        if isinstance(delta, ToolCallStartDelta):
            return self._on_tool_start(delta)
        if isinstance(delta, SignatureDelta):
            self._on_signature(delta)
            return None
        if isinstance(delta, RedactedReasoningDelta):
            return self._on_redacted(delta)
        if isinstance(delta, FinishDelta):
            return to_chat_response(delta.completion)
        return None

    def _put(self, index: int, block: Any) -> int:
        """Put `block` at `index` (-1: append it) and return its index."""
        if index < 0:
            self._blocks.append(block)
            return len(self._blocks) - 1
        self._blocks[index] = block
        return index

    def _chunk(self, delta: str, additional_kwargs: dict[str, Any]) -> ChatResponse:
        """A chunk with a copy of the blocks so far (earlier chunks never change)."""
        extra = {"tool_calls": self._legacy_tool_calls()} if self._tools else {}
        return _fast.chat_response(self._blocks.copy(), delta, additional_kwargs, extra)

    def _on_text(self, fragment: str) -> ChatResponse | None:
        # The hot path of a long answer: `_put` inlined.
        if not fragment:
            return None
        self._text = self._text + fragment  # the whole text so far: see the class docstring
        block = _fast.text_block(self._text)
        if self._text_at < 0:
            self._text_at = len(self._blocks)
            self._blocks.append(block)
        else:
            self._blocks[self._text_at] = block
        return self._chunk(fragment, {})

    def _on_reasoning(self, delta: ReasoningDelta) -> ChatResponse | None:
        if not delta.text:
            return None
        state = self._reasoning.setdefault(delta.part, [-1, "", {}])
        state[1] = state[1] + delta.text  # the whole reasoning so far: see the class docstring
        state[0] = self._put(state[0], _fast.thinking_block(state[1], state[2]))
        return self._chunk("", {"thinking_delta": delta.text})

    def _on_signature(self, delta: SignatureDelta) -> None:
        state = self._reasoning.setdefault(delta.part, [-1, "", {}])
        state[2] = {"signature": delta.signature}
        state[0] = self._put(state[0], _fast.thinking_block(state[1], state[2]))

    def _on_redacted(self, delta: RedactedReasoningDelta) -> ChatResponse:
        state = self._reasoning.setdefault(delta.part, [-1, None, {}])
        state[2] = {REDACTED_KEY: True, "data": delta.data}
        state[0] = self._put(state[0], _fast.thinking_block(None, state[2]))
        return self._chunk("", {})

    def _on_tool_start(self, delta: ToolCallStartDelta) -> ChatResponse:
        state = self._tools.setdefault(delta.position, [-1, delta.id, delta.name, ""])
        state[1], state[2] = delta.id, delta.name
        return self._tool_chunk(state)

    def _on_tool_args(self, delta: ToolCallArgsDelta) -> ChatResponse | None:
        if not delta.fragment:
            return None
        state = self._tools.setdefault(delta.position, [-1, "", "", ""])
        state[3] = state[3] + delta.fragment  # the whole arguments so far: see the docstring
        return self._tool_chunk(state)

    def _tool_chunk(self, state: list[Any]) -> ChatResponse:
        state[0] = self._put(state[0], _fast.tool_call_block(state[1], state[2], state[3]))
        return self._chunk("", {})

    def _legacy_tool_calls(self) -> list[dict[str, Any]]:
        return [legacy_tool_call(call_id, name, arguments)
                for _, call_id, name, arguments in self._tools.values()]
