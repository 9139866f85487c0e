"""LlamaIndex messages <-> neutral messages: replay exactness, blocks, caching, images, streams."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from li_support import PNG
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    ChatResponse,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.callbacks.token_counting import get_tokens_from_response
from llama_index.core.tools import FunctionTool

from databricks_claude.codecs.chat.history import message_to_wire
from databricks_claude.codecs.chat.request import build_payload
from databricks_claude.codecs.chat.response import parse_completion
from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.errors import ConfigurationError
from databricks_claude.kit.fetch import ImageFetchPolicy
from databricks_claude.kit.images import inline_images
from databricks_claude.messages import (
    Completion,
    FinishDelta,
    ImagePart,
    Message,
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
)
from databricks_claude.profiles import get_profile
from databricks_claude.sse import iter_sse_data
from llama_index_databricks_claude import _fast
from llama_index_databricks_claude.inbound import to_neutral_messages
from llama_index_databricks_claude.outbound import to_chat_message, to_chat_response, usage_dict
from llama_index_databricks_claude.stream import ChatStreamConverter
from llama_index_databricks_claude.tools import to_tool_specs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def seed_completion() -> Completion:
    return parse_completion(fixture("seed_response_thinking_tools.json"))


def user(text: str) -> ChatMessage:
    return ChatMessage(role="user", content=text)


# ----------------------------------------------------------------------------------------------
# core -> LlamaIndex


def test_response_blocks_thinking_before_text_then_tool_calls() -> None:
    response = to_chat_response(seed_completion())
    blocks = response.message.blocks
    assert [type(b) for b in blocks] == [ThinkingBlock, TextBlock, ToolCallBlock]
    thinking, _, call = blocks
    assert isinstance(thinking, ThinkingBlock) and isinstance(call, ToolCallBlock)
    assert thinking.content and thinking.content.startswith("ユーザーは")
    assert thinking.additional_information["signature"].startswith("ErcBCkgI")
    assert response.message.content == "東京の現在の天気情報を取得します。"
    assert response.message.role == MessageRole.ASSISTANT
    assert call.tool_call_id == "toolu_bdrk_01LMiseooSF8SyS9cUgheyUy"
    assert call.tool_kwargs == '{"location":"東京"}'  # the text as received


def test_response_usage_is_where_token_counting_reads_it() -> None:
    response = to_chat_response(seed_completion())
    assert (response.raw or {})["usage"]["prompt_tokens"] == 703
    assert response.additional_kwargs == {"prompt_tokens": 703, "completion_tokens": 231,
                                          "total_tokens": 934}
    assert get_tokens_from_response(response) == (703, 231)


def test_usage_dict_includes_cache_counts_when_reported() -> None:
    usage = Usage(10, 5, 15, cache_read_tokens=7, cache_write_tokens=0)
    assert usage_dict(usage) == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                                 "cache_read_input_tokens": 7, "cache_creation_input_tokens": 0}
    assert usage_dict(None) == {}


def test_redacted_reasoning_kept_as_thinking_block() -> None:
    message = to_chat_message(Completion([RedactedReasoningPart("opaque"), TextPart("hi")]))
    block = message.blocks[0]
    assert isinstance(block, ThinkingBlock)
    assert block.additional_information == {"redacted": True, "data": "opaque"}
    assert to_neutral_messages([message])[0].parts == [RedactedReasoningPart("opaque"),
                                                   TextPart("hi")]


def test_tool_call_only_answer_has_empty_text_content() -> None:
    message = to_chat_message(Completion([ReasoningPart("r", "s"), ToolCallPart("c", "f", "{}")]))
    assert message.content == ""
    assert isinstance(message.blocks[0], ThinkingBlock)
    wire = message_to_wire(to_neutral_messages([message])[0])
    assert wire["content"] == [{"type": "reasoning",
                                "summary": [{"type": "summary_text", "text": "r",
                                             "signature": "s"}]}]


def test_unknown_parts_are_kept_and_replayed() -> None:
    unknown = {"type": "future_block", "x": 1}
    message = to_chat_message(Completion([TextPart("a"), UnknownPart(unknown)]))
    assert message.additional_kwargs["unknown_blocks"] == [unknown]
    assert UnknownPart(unknown) in to_neutral_messages([message])[0].parts


def test_unknown_blocks_replay_in_their_original_position() -> None:
    citation = {"type": "citation_x", "cites": [1]}
    completion = Completion([ReasoningPart("r", "s"), UnknownPart(citation), TextPart("a"),
                             UnknownPart({"type": "citation_y"}), TextPart("b")])
    message = to_chat_message(completion)
    expected = message_to_wire(completion.to_message())
    assert [b["type"] for b in expected["content"]] == [
        "reasoning", "citation_x", "text", "citation_y", "text"]
    assert message_to_wire(to_neutral_messages([message])[0]) == expected
    restored = ChatMessage.model_validate_json(message.model_dump_json())  # e.g. from memory
    assert message_to_wire(to_neutral_messages([restored])[0]) == expected


def test_unknown_block_position_with_no_text_and_tool_calls() -> None:
    completion = Completion([ReasoningPart("r", "s"), UnknownPart({"type": "citation_x"}),
                             ToolCallPart("c", "f", "{}")])
    message = to_chat_message(completion)
    assert message.content == ""
    assert (message_to_wire(to_neutral_messages([message])[0])
            == message_to_wire(completion.to_message()))


def test_response_message_survives_memory_round_trip() -> None:
    message = to_chat_response(seed_completion()).message
    restored = ChatMessage.model_validate(message.model_dump())
    assert restored == message
    restored = ChatMessage.model_validate_json(message.model_dump_json())
    assert to_neutral_messages([restored]) == to_neutral_messages([message])


# ----------------------------------------------------------------------------------------------
# Replay: LlamaIndex -> core -> wire is exactly what the service sent


def test_assistant_replay_is_byte_exact() -> None:
    raw = fixture("seed_response_thinking_tools.json")["choices"][0]["message"]
    message = to_chat_response(seed_completion()).message
    wire = message_to_wire(to_neutral_messages([message])[0])
    assert wire == {"role": "assistant", "content": raw["content"],
                    "tool_calls": raw["tool_calls"]}


def test_replay_of_dict_arguments_and_anthropic_style_blocks() -> None:
    message = ChatMessage(role="assistant", blocks=[
        ThinkingBlock(content="t", additional_information={"signature": "s", "type": "thinking"}),
        ThinkingBlock(content=None, additional_information={"type": "redacted_thinking",
                                                            "data": "d"}),
        TextBlock(text="calling"),
        ToolCallBlock(tool_call_id="c1", tool_name="f", tool_kwargs={"a": "é"}),
    ])
    parts = to_neutral_messages([message])[0].parts
    assert parts == [ReasoningPart("t", "s"), RedactedReasoningPart("d"), TextPart("calling"),
                     ToolCallPart("c1", "f", '{"a": "é"}')]


def test_signature_absent_means_no_signature_key() -> None:
    message = ChatMessage(role="assistant",
                          blocks=[ThinkingBlock(content="t"), TextBlock(text="x")])
    core = to_neutral_messages([message])[0]
    assert core.parts[0] == ReasoningPart("t", None)
    # Unsigned reasoning cannot be verified by the service: the request builder drops it.
    with pytest.warns(UserWarning, match="reasoning without a signature dropped"):
        assert message_to_wire(core) == {"role": "assistant", "content": "x"}


def test_empty_signed_thinking_block_is_not_dropped() -> None:
    message = ChatMessage(role="assistant", blocks=[
        ThinkingBlock(content="", additional_information={"signature": "sig"}),
        TextBlock(text="x")])
    assert to_neutral_messages([message])[0].parts[0] == ReasoningPart("", "sig")


def test_legacy_additional_kwargs_tool_calls() -> None:
    message = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}}]})
    assert to_neutral_messages([message])[0].parts[-1] == ToolCallPart("c1", "f", '{"x":1}')


def test_assistant_tool_call_id_from_return_direct_is_ignored() -> None:
    message = ChatMessage(role="assistant", content="done", additional_kwargs={"tool_call_id": "c"})
    assert message_to_wire(to_neutral_messages([message])[0]) == {"role": "assistant",
                                                               "content": "done"}


def test_tool_message_from_additional_kwargs_or_tool_call_block() -> None:
    first = ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": "c1"})
    second = ChatMessage(role="tool", blocks=[
        ToolCallBlock(tool_call_id="c2", tool_name="f"), TextBlock(text="7")])
    converted = to_neutral_messages([first, second])
    assert converted[0].parts == [ToolResultPart("c1", "42")]
    assert converted[1].parts == [ToolResultPart("c2", "7")]


def test_tool_message_with_several_text_blocks_keeps_them_apart() -> None:
    message = ChatMessage(role="tool", blocks=[TextBlock(text="a"), TextBlock(text="b")],
                          additional_kwargs={"tool_call_id": "c"})
    (part,) = to_neutral_messages([message])[0].parts
    assert part == ToolResultPart("c", [TextPart("a"), TextPart("b")])
    assert message_to_wire(Message("tool", [part]))["content"] == [
        {"type": "text", "text": "a"}, {"type": "text", "text": "b"}]


def test_tool_message_with_image_and_error_flag() -> None:
    message = ChatMessage(role="tool", blocks=[TextBlock(text="see"), ImageBlock(image=PNG)],
                          additional_kwargs={"tool_call_id": "c", "is_error": True})
    (part,) = to_neutral_messages([message])[0].parts
    assert isinstance(part, ToolResultPart) and part.is_error
    assert isinstance(part.content, list)
    assert part.content[0] == TextPart("see")
    assert isinstance(part.content[1], ImagePart)
    assert part.content[1].url.startswith("data:image/png;base64,")


def test_tool_message_without_id_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="tool_call_id"):
        to_neutral_messages([ChatMessage(role="tool", content="x")])


def test_tool_call_block_without_id_is_refused() -> None:
    message = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_name="f")])
    with pytest.raises(ConfigurationError, match="'f'"):
        to_neutral_messages([message])


def test_roles_are_mapped() -> None:
    converted = to_neutral_messages([
        ChatMessage(role="developer", content="rules"), user("hi"),
        ChatMessage(role="model", content="hello"),
    ])
    assert [m.role for m in converted] == ["system", "user", "assistant"]


def test_unsupported_block_is_a_clear_error() -> None:
    message = ChatMessage(role="user", blocks=[AudioBlock(audio=b"RIFF....", format="wav")])
    with pytest.raises(ConfigurationError, match="AudioBlock"):
        to_neutral_messages([message])


def test_input_messages_are_not_mutated() -> None:
    history = [
        ChatMessage(role="system", blocks=[TextBlock(text="s"), cache_point()]),
        ChatMessage(role="user", blocks=[TextBlock(text="u"), cache_point()]),
        to_chat_response(seed_completion()).message,
    ]
    before = [m.model_dump() for m in history]
    to_neutral_messages(history)
    assert [m.model_dump() for m in history] == before


# ----------------------------------------------------------------------------------------------
# Images and cache points


def cache_point(ttl: str = "5m") -> CachePoint:
    return CachePoint(cache_control=CacheControl(type="ephemeral", ttl=ttl))


def test_image_from_bytes_path_and_data_url(tmp_path: Path) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    message = ChatMessage(role="user", blocks=[
        TextBlock(text="what is it?"), ImageBlock(image=PNG), ImageBlock(path=path),
        ImageBlock(url=data_url)])
    parts = to_neutral_messages([message])[0].parts
    assert parts[1:] == [ImagePart(data_url)] * 3
    wire = message_to_wire(to_neutral_messages([message])[0])
    assert wire["content"][1] == {"type": "image_url", "image_url": {"url": data_url}}


def test_remote_image_url_is_fetched_into_a_data_url() -> None:
    """The service refuses remote image URLs: the image is fetched and sent inline."""
    class PngHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PngHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/pixel.png"
        message = ChatMessage(role="user", blocks=[ImageBlock(url=url)])
        # Fetched by the kit after conversion (loopback only when allowed: docs/images.md).
        policy = ImageFetchPolicy(allow_private_hosts=True)
        (part,) = inline_images(to_neutral_messages([message]), policy)[0].parts
    finally:
        server.shutdown()
    assert part == ImagePart("data:image/png;base64," + base64.b64encode(PNG).decode())


def test_image_without_mimetype_is_guessed(tmp_path: Path) -> None:
    path = tmp_path / "pixel"  # no suffix: the type comes from the bytes
    path.write_bytes(PNG)
    (part,) = to_neutral_messages(
        [ChatMessage(role="user", blocks=[ImageBlock(path=path)])])[0].parts
    assert isinstance(part, ImagePart) and part.url.startswith("data:image/png;base64,")


def test_cache_point_marks_preceding_part_including_system() -> None:
    history = [
        ChatMessage(role="system", blocks=[TextBlock(text="long rules"), cache_point()]),
        ChatMessage(role="user", blocks=[TextBlock(text="a"), TextBlock(text="b"),
                                         cache_point("1h")]),
    ]
    payload = build_payload(to_neutral_messages(history), _options(), model="m",
                            profile=get_profile("databricks-claude-sonnet-4-5"))
    system, first_user = payload["messages"]
    assert system["content"] == [{"type": "text", "text": "long rules",
                                  "cache_control": {"type": "ephemeral"}}]
    assert first_user["content"][0] == {"type": "text", "text": "a"}
    assert first_user["content"][1] == {"type": "text", "text": "b",
                                        "cache_control": {"type": "ephemeral", "ttl": "1h"}}


def test_cache_point_at_start_of_message_marks_previous_message() -> None:
    history = [user("a"), ChatMessage(role="user", blocks=[cache_point(), TextBlock(text="b")])]
    converted = to_neutral_messages(history)
    assert converted[0].parts == [TextPart("a", {"type": "ephemeral"})]
    assert converted[1].parts == [TextPart("b")]


def test_cache_point_in_tool_result() -> None:
    message = ChatMessage(role="tool", blocks=[TextBlock(text="r"), cache_point()],
                          additional_kwargs={"tool_call_id": "c"})
    (part,) = to_neutral_messages([message])[0].parts
    assert isinstance(part, ToolResultPart)
    assert part.content == [TextPart("r", {"type": "ephemeral"})]


def _options() -> Any:
    from databricks_claude.messages import RequestOptions

    return RequestOptions()


# ----------------------------------------------------------------------------------------------
# Tools


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_tool_specs_from_tools_dicts_and_specs() -> None:
    spec = ToolSpec("ready", "d", {"type": "object", "properties": {}})
    openai_style = {"type": "function", "function": {
        "name": "mul", "description": "Multiply.",
        "parameters": {"type": "object", "properties": {"x": {"type": "number"}}}}}
    specs = to_tool_specs([FunctionTool.from_defaults(add), openai_style, spec])
    assert [s.name for s in specs] == ["add", "mul", "ready"]
    assert specs[0].parameters["required"] == ["a", "b"]
    assert "Add two numbers." in specs[0].description
    assert specs[2] is spec


# ----------------------------------------------------------------------------------------------
# Streaming


def stream_fixture_deltas() -> list[Any]:
    accumulator = StreamAccumulator()
    lines = (FIXTURES / "stream_reasoning_then_text.sse").read_text().splitlines()
    deltas = [d for data in iter_sse_data(lines) for d in accumulator.feed_data(data)]
    return deltas + accumulator.end()


def chunks_of(deltas: list[Any]) -> list[ChatResponse]:
    converter = ChatStreamConverter()
    return [c for c in map(converter.feed, deltas) if c is not None]


def test_stream_chunks_reasoning_then_text() -> None:
    deltas = stream_fixture_deltas()
    chunks = chunks_of(deltas)
    assert [c.additional_kwargs.get("thinking_delta") for c in chunks[:2]] == ["17 * 23", " = 391"]
    assert [c.delta for c in chunks] == ["", "", "391", ""]
    text_chunk = chunks[2]
    assert text_chunk.message.content == "391"
    thinking = text_chunk.message.blocks[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.content == "17 * 23 = 391"
    assert thinking.additional_information == {"signature": "sig-1"}
    final = chunks[-1]
    assert isinstance(deltas[-1], FinishDelta)
    assert final == to_chat_response(deltas[-1].completion)
    assert (final.raw or {})["usage"]["completion_tokens"] == 9
    assert get_tokens_from_response(final) == (4, 9)


def test_stream_message_content_is_cumulative() -> None:
    chunks = chunks_of([TextDelta("a", 0), TextDelta("", 0), TextDelta("b", 0), TextDelta("c", 0)])
    assert [c.delta for c in chunks] == ["a", "b", "c"]
    assert [c.message.content for c in chunks] == ["a", "ab", "abc"]


def test_stream_tool_call_arguments_accumulate() -> None:
    chunks = chunks_of([
        ReasoningDelta("think", 0, 0), SignatureDelta("s", 0, 0),
        ToolCallStartDelta(0, 1, "c1", "f", 1), ToolCallArgsDelta(0, 1, '{"a"', 1),
        ToolCallArgsDelta(0, 1, ': 1}', 1), ToolCallStartDelta(1, 3, "c2", "g", 2),
    ])
    calls = [[b for b in c.message.blocks if isinstance(b, ToolCallBlock)] for c in chunks]
    assert [[(b.tool_call_id, b.tool_kwargs) for b in cs] for cs in calls] == [
        [], [("c1", "")], [("c1", '{"a"')], [("c1", '{"a": 1}')],
        [("c1", '{"a": 1}'), ("c2", "")]]
    thinking = chunks[-1].message.blocks[0]
    assert isinstance(thinking, ThinkingBlock) and thinking.additional_information["signature"]


def test_tool_calls_mirrored_in_additional_kwargs() -> None:
    """`additional_kwargs["tool_calls"]` is what LlamaIndex's streaming structured output reads."""
    expected = [{"id": "c1", "type": "function",
                 "function": {"name": "f", "arguments": '{"a": 1}'}}]
    message = to_chat_message(Completion([ToolCallPart("c1", "f", '{"a": 1}')]))
    assert message.additional_kwargs["tool_calls"] == expected
    chunks = chunks_of([ToolCallStartDelta(0, 1, "c1", "f", 0),
                        ToolCallArgsDelta(0, 1, '{"a": 1}', 0), TextDelta("x", 1)])
    assert chunks[0].message.additional_kwargs["tool_calls"][0]["function"]["arguments"] == ""
    assert chunks[1].message.additional_kwargs["tool_calls"] == expected
    assert chunks[2].message.additional_kwargs["tool_calls"] == expected
    # On replay the blocks win over the mirror.
    message.additional_kwargs["tool_calls"] = [{"id": "zz", "function": {"name": "g"}}]
    assert to_neutral_messages([message])[0].tool_calls == [ToolCallPart("c1", "f", '{"a": 1}')]


def test_stream_redacted_and_signature_only_reasoning() -> None:
    chunks = chunks_of([RedactedReasoningDelta("d", 0, 0), ReasoningDelta("", 1, 1),
                        SignatureDelta("s", 1, 1), TextDelta("x", 2)])
    first, second = chunks[-1].message.blocks[:2]
    assert isinstance(first, ThinkingBlock) and isinstance(second, ThinkingBlock)
    assert first.additional_information == {"redacted": True, "data": "d"}
    assert (second.content, second.additional_information) == ("", {"signature": "s"})


def test_earlier_chunks_are_not_changed_by_later_deltas() -> None:
    chunks = chunks_of([ReasoningDelta("a", 0, 0), TextDelta("x", 1), SignatureDelta("s", 0, 0),
                        TextDelta("y", 1)])
    assert chunks[0].message.blocks[0].additional_information == {}  # type: ignore[union-attr]
    assert chunks[1].message.content == "x"
    assert chunks[2].message.content == "xy"


def _accumulated(*deltas: dict[str, Any]) -> list[Any]:
    """The core's deltas for stream chunks with these `delta`s, the last one finishing."""
    accumulator = StreamAccumulator()
    out = [d for delta in deltas
           for d in accumulator.feed_chunk({"choices": [{"index": 0, "delta": delta}]})]
    return out + accumulator.feed_chunk({"choices": [{"index": 0, "delta": {},
                                                      "finish_reason": "tool_calls"}]})


def test_blocks_follow_the_part_indices_skipping_parts_without_a_block() -> None:
    """An unknown block and a second text part (after a tool call) have no block of their own:
    chunks skip them, the text stays one block and the blocks keep the parts' order."""
    call = {"index": 1, "id": "c1", "type": "function", "function": {"name": "f",
                                                                      "arguments": ""}}
    deltas = _accumulated({"content": "a"}, {"content": [{"type": "citation", "n": 1}]},
                          {"content": "b"}, {"tool_calls": [call]},
                          {"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]},
                          {"content": "c"}, {"tool_calls": [dict(call, index=2, id="c2")]})
    assert [getattr(d, "part_index", None) for d in deltas] == [0, 2, 3, 3, 4, 5, None]
    chunks = chunks_of(deltas)
    shown = [[(type(b).__name__, getattr(b, "text", None) or getattr(b, "tool_kwargs", None))
              for b in c.message.blocks] for c in chunks[:-1]]
    assert shown[-1] == [("TextBlock", "abc"), ("ToolCallBlock", "{}"), ("ToolCallBlock", "")]
    assert shown[3] == [("TextBlock", "ab"), ("ToolCallBlock", "{}")]
    assert [c["id"] for c in chunks[-2].message.additional_kwargs["tool_calls"]] == ["c1", "c2"]
    assert chunks[-1] == to_chat_response(deltas[-1].completion)


def test_fast_chunks_equal_validated_ones() -> None:
    (chunk,) = chunks_of([TextDelta("hello", 0)])
    validated = ChatResponse(message=ChatMessage(role="assistant", content="hello"),
                             delta="hello")
    assert chunk == validated
    assert chunk.model_dump() == validated.model_dump()
    assert ChatResponse.model_validate_json(chunk.model_dump_json()) == validated
    assert _fast.chat_response is _fast._fast_chat_response  # the fast path is in use


def test_empty_text_beside_reasoning_is_not_replayed() -> None:
    message = to_chat_message(Completion([ReasoningPart("r", "s")], finish_reason="length"))
    assert message.content == ""
    assert to_neutral_messages([message])[0].parts == [ReasoningPart("r", "s")]
    assert to_neutral_messages(
        [ChatMessage(role="assistant", content="")])[0].parts == [TextPart("")]
