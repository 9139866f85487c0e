"""LangChain messages <-> neutral messages: replay exactness, content blocks, images, caching,
and stream chunks whose sum equals the non-streaming message."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from wire_helpers import load_fixture, stream_from_response

from databricks_claude.codecs.chat.history import message_to_wire
from databricks_claude.codecs.chat.response import parse_completion
from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.messages import (
    Completion,
    FinishDelta,
    ImagePart,
    Message,
    ReasoningPart,
    RedactedReasoningPart,
    SignatureDelta,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    UnknownPart,
    Usage,
)
from langchain_databricks_claude.blocks import translate_content, translate_content_chunk
from langchain_databricks_claude.inbound import image_url, to_neutral_messages
from langchain_databricks_claude.layout import PROVIDER
from langchain_databricks_claude.outbound import to_ai_message, usage_to_metadata
from langchain_databricks_claude.replay import ai_to_neutral
from langchain_databricks_claude.stream import StreamChunkBuilder, V1StreamChunkBuilder

PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5Er"
       "kJggg==")
ENDPOINT = "databricks-claude-3-7-sonnet"


def _redacted_response() -> dict[str, Any]:
    """The thinking+tools capture with a redacted block first and spaced argument JSON."""
    body = copy.deepcopy(load_fixture("seed_response_thinking_tools.json"))
    message = body["choices"][0]["message"]
    message["content"].insert(0, {"type": "reasoning", "summary": [
        {"type": "summary_encrypted_text", "data": "EnCrYpTeD=="}]})
    message["tool_calls"][0]["function"]["arguments"] = '{"location": "東京",  "unit": "celsius"}'
    body["usage"].update(cache_read_input_tokens=600, cache_creation_input_tokens=3)
    return body


RESPONSES = {
    "thinking_tools": lambda: load_fixture("seed_response_thinking_tools.json"),
    "thinking_notools": lambda: load_fixture("response_thinking_notools.json"),
    "redacted_spaced_args": _redacted_response,
}


def _stream_message(body: dict[str, Any],
                    builder_cls: type[StreamChunkBuilder] = StreamChunkBuilder,
                    **kwargs: Any) -> tuple[list[AIMessageChunk], AIMessageChunk]:
    """The chunks for the stream the service would send for `body`, and their sum."""
    accumulator = StreamAccumulator()
    builder = builder_cls(ENDPOINT, **kwargs)
    chunks = []
    for data in stream_from_response(body):
        for delta in accumulator.feed_data(data):
            chunk = builder.feed(delta)
            if chunk is not None:
                chunks.append(chunk.message)
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return chunks, total


# ---- LangChain -> neutral ----------------------------------------------------------------------


def test_roles_and_plain_content() -> None:
    messages = to_neutral_messages([
        SystemMessage("be brief"), HumanMessage("hi"), AIMessage("hello"),
        HumanMessage("bye", name="someone"),
    ])
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert [m.text for m in messages] == ["be brief", "hi", "hello", "bye"]


def test_chat_message_roles() -> None:
    messages = to_neutral_messages([ChatMessage(role="developer", content="rules"),
                                    ChatMessage(role="human", content="q"),
                                    ChatMessage(role="assistant", content="a")])
    assert [m.role for m in messages] == ["system", "user", "assistant"]
    with pytest.raises(ValueError, match="role"):
        to_neutral_messages([ChatMessage(role="wizard", content="x")])
    with pytest.raises(ValueError, match="FunctionMessage"):
        to_neutral_messages([FunctionMessage(name="f", content="x")])


@pytest.mark.parametrize("block", [
    {"type": "image", "base64": PNG, "mime_type": "image/png"},
    {"type": "image", "base64": PNG},  # mime type sniffed
    {"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/png"},
    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    {"type": "image_url", "image_url": f"data:image/png;base64,{PNG}"},
    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
])
def test_base64_image_forms(block: dict[str, Any]) -> None:
    assert image_url(block) == f"data:image/png;base64,{PNG}"


@pytest.mark.parametrize("block", [
    {"type": "image", "url": "https://example.com/cat.png"},
    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
])
def test_url_image_forms(block: dict[str, Any]) -> None:
    assert image_url(block) == "https://example.com/cat.png"


def test_bad_images_and_unsupported_blocks() -> None:
    with pytest.raises(ValueError, match="file ids"):
        image_url({"type": "image", "file_id": "f-1"})
    with pytest.raises(ValueError, match="mime_type"):
        image_url({"type": "image", "base64": "AAAA"})
    with pytest.raises(ValueError, match="'file'"):
        to_neutral_messages([HumanMessage([{"type": "file", "base64": "x",
                                            "mime_type": "application/pdf"}])])


def test_content_blocks_with_cache_control() -> None:
    cache = {"type": "ephemeral"}
    [message] = to_neutral_messages([HumanMessage([
        {"type": "text", "text": "look", "cache_control": cache},
        {"type": "image", "base64": PNG, "mime_type": "image/png",
         "extras": {"cache_control": cache}},
        "plain",
        {"type": "custom_thing", "x": 1},
    ])])
    assert message.parts == [TextPart("look", cache),
                             ImagePart(f"data:image/png;base64,{PNG}", cache),
                             TextPart("plain"), UnknownPart({"type": "custom_thing", "x": 1})]


def test_cache_system_prompt_marks_last_system_text() -> None:
    messages = to_neutral_messages(
        [SystemMessage("a"), SystemMessage([{"type": "text", "text": "b"}]), HumanMessage("q")],
        cache_system_prompt=True)
    assert messages[0].parts[0].cache_control is None  # type: ignore[union-attr]
    assert messages[1].parts[0].cache_control == {"type": "ephemeral"}  # type: ignore[union-attr]
    wire = to_neutral_messages([SystemMessage("a")], cache_system_prompt=False)
    assert wire[0].parts[0].cache_control is None  # type: ignore[union-attr]


def test_tool_messages() -> None:
    messages = to_neutral_messages([
        ToolMessage("42", tool_call_id="c1"),
        ToolMessage("boom", tool_call_id="c2", status="error"),
        ToolMessage([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                    tool_call_id="c3"),
        ToolMessage([{"type": "image", "base64": PNG, "mime_type": "image/png"}],
                    tool_call_id="c4"),
        ToolMessage([{"type": "json", "json": {"k": 1}}], tool_call_id="c5"),
    ])
    results = [m.parts[0] for m in messages]
    assert all(m.role == "tool" for m in messages)
    assert results[0] == ToolResultPart("c1", "42")
    assert results[1] == ToolResultPart("c2", "boom", is_error=True)
    # Several text parts stay several blocks (the core's `tool_result` rule, as in LlamaIndex).
    assert results[2] == ToolResultPart("c3", [TextPart("a"), TextPart("b")])
    assert results[3] == ToolResultPart("c4", [ImagePart(f"data:image/png;base64,{PNG}")])
    assert json.loads(results[4].content) == {"type": "json", "json": {"k": 1}}  # type: ignore[union-attr,arg-type]


def test_anthropic_tool_results_in_a_human_turn() -> None:
    messages = to_neutral_messages([HumanMessage([
        {"type": "tool_result", "tool_use_id": "foo", "is_error": False,
         "content": [{"type": "text", "text": "green is great"}]},
        {"type": "text", "text": "what's my sister's favourite colour"},
    ])])
    assert messages == [
        Message("tool", [ToolResultPart("foo", "green is great")]),
        Message("user", [TextPart("what's my sister's favourite colour")]),
    ]


# ---- assistant replay --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_invoke_message_replays_exactly(name: str) -> None:
    body = RESPONSES[name]()
    completion = parse_completion(body)
    message = to_ai_message(completion, model_name=ENDPOINT)
    replayed = ai_to_neutral(message)
    assert replayed.parts == completion.parts
    service_message = body["choices"][0]["message"]
    wire = message_to_wire(replayed)
    assert wire["content"] == service_message["content"]
    assert wire.get("tool_calls") == service_message.get("tool_calls")


def test_replay_is_byte_exact_for_arguments() -> None:
    body = _redacted_response()
    message = to_ai_message(parse_completion(body), model_name=ENDPOINT)
    [call] = ai_to_neutral(message).tool_calls
    assert call.arguments == '{"location": "東京",  "unit": "celsius"}'
    edited = message.model_copy(deep=True)
    edited.tool_calls[0]["args"]["location"] = "大阪"
    [call] = ai_to_neutral(edited).tool_calls
    assert json.loads(call.arguments) == {"location": "大阪", "unit": "celsius"}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_v1_content_replays_exactly(name: str) -> None:
    completion = parse_completion(RESPONSES[name]())
    message = to_ai_message(completion, model_name=ENDPOINT)
    v1 = AIMessage(content=message.content_blocks,  # type: ignore[arg-type]
                   tool_calls=message.tool_calls,
                   response_metadata={**message.response_metadata, "output_version": "v1"})
    assert ai_to_neutral(v1).parts == [
        p if not isinstance(p, ToolCallPart) else
        ToolCallPart(p.id, p.name, json.dumps(json.loads(p.arguments), ensure_ascii=False,
                                              separators=(",", ":")))
        for p in completion.parts]


def test_anthropic_thinking_blocks_replay() -> None:
    message = AIMessage([
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "text", "text": "Hello"},
        {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}},
    ])
    assert ai_to_neutral(message).parts == [
        RedactedReasoningPart("opaque"), ReasoningPart("hmm", "sig"), TextPart("Hello"),
        ToolCallPart("t1", "f", '{"a":1}')]


def test_foreign_unsigned_reasoning_is_not_replayed() -> None:
    foreign = AIMessage([{"type": "reasoning", "reasoning": "x"}, {"type": "text", "text": "y"}],
                        response_metadata={"model_provider": "openai"})
    assert ai_to_neutral(foreign).parts == [TextPart("y")]
    ours = AIMessage([{"type": "reasoning", "reasoning": "x"}, {"type": "text", "text": "y"}],
                     response_metadata={"model_provider": PROVIDER})
    assert ai_to_neutral(ours).parts == [ReasoningPart("x", None), TextPart("y")]


def test_pure_tool_call_turn_has_no_text_part() -> None:
    message = AIMessage("", tool_calls=[{"id": "c", "name": "f", "args": {}}])
    assert ai_to_neutral(message).parts == [ToolCallPart("c", "f", "{}")]
    with pytest.raises(ValueError, match="no id"):
        ai_to_neutral(AIMessage("", tool_calls=[{"id": None, "name": "f", "args": {}}]))


# ---- neutral -> LangChain ----------------------------------------------------------------------


def test_invoke_message_layout() -> None:
    completion = parse_completion(load_fixture("seed_response_thinking_tools.json"))
    message = to_ai_message(completion, model_name=ENDPOINT)
    assert message.content == "東京の現在の天気情報を取得します。"
    assert message.additional_kwargs["reasoning_content"] == completion.reasoning_text
    [block] = message.additional_kwargs["reasoning_blocks"]
    assert block["summary"][0]["signature"].startswith("ErcBCkgIAxAB")
    assert message.tool_calls == [{"name": "get_weather", "args": {"location": "東京"},
                                   "id": "toolu_bdrk_01LMiseooSF8SyS9cUgheyUy",
                                   "type": "tool_call"}]
    assert message.response_metadata == {
        "finish_reason": "tool_calls", "model_name": ENDPOINT, "model_provider": PROVIDER,
        "id": "msg_bdrk_01LYsYW3RFFdEPVAUedC8u9Z",
        "model": "us.anthropic.claude-3-7-sonnet-20250219-v1:0"}
    assert message.usage_metadata == {"input_tokens": 703, "output_tokens": 231,
                                      "total_tokens": 934}
    assert message.id == "msg_bdrk_01LYsYW3RFFdEPVAUedC8u9Z"


def test_content_blocks_show_standard_reasoning() -> None:
    message = to_ai_message(parse_completion(_redacted_response()), model_name=ENDPOINT)
    blocks = message.content_blocks
    assert [b["type"] for b in blocks] == ["reasoning", "reasoning", "text", "tool_call"]
    assert blocks[0] == {"type": "reasoning", "extras": {"redacted_content": "EnCrYpTeD=="}}
    assert blocks[1]["extras"]["signature"].startswith("ErcBCkgIAxAB")  # type: ignore[typeddict-item]
    assert blocks[1]["reasoning"] == message.additional_kwargs["reasoning_content"]  # type: ignore[typeddict-item]
    assert blocks[3] == {"type": "tool_call", "id": "toolu_bdrk_01LMiseooSF8SyS9cUgheyUy",
                         "name": "get_weather", "args": {"location": "東京", "unit": "celsius"}}


def test_usage_details() -> None:
    usage = Usage(100, 20, 120, cache_read_tokens=80, cache_write_tokens=5, reasoning_tokens=7)
    assert usage_to_metadata(usage) == {
        "input_tokens": 100, "output_tokens": 20, "total_tokens": 120,
        "input_token_details": {"cache_read": 80, "cache_creation": 5},
        "output_token_details": {"reasoning": 7}}
    assert usage_to_metadata(Usage(3, 4)) == {"input_tokens": 3, "output_tokens": 4,
                                               "total_tokens": 7}
    body = load_fixture("response_prompt_caching_usage.json")
    assert body  # the capture parses; its details map through parse_usage in the core tests


def test_invalid_tool_arguments_are_kept_as_invalid_calls() -> None:
    completion = Completion([ToolCallPart("c1", "f", '{"a": ')], "tool_calls")
    message = to_ai_message(completion, model_name=ENDPOINT)
    assert message.tool_calls == []
    assert message.invalid_tool_calls[0]["args"] == '{"a": '


# ---- streams -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_stream_sum_equals_invoke(name: str) -> None:
    body = RESPONSES[name]()
    invoked = to_ai_message(parse_completion(body), model_name=ENDPOINT)
    chunks, total = _stream_message(body)
    assert total.content == invoked.content
    assert total.additional_kwargs == invoked.additional_kwargs
    assert total.tool_calls == invoked.tool_calls
    assert total.usage_metadata == invoked.usage_metadata
    assert total.response_metadata == invoked.response_metadata
    assert total.id == invoked.id
    assert ai_to_neutral(total).parts == ai_to_neutral(invoked).parts
    assert [c for c in chunks if c.usage_metadata] == [chunks[-1]]
    assert chunks[-1].chunk_position == "last"
    assert total.content_blocks == invoked.content_blocks


def test_stream_without_usage() -> None:
    _, total = _stream_message(RESPONSES["thinking_tools"](), include_usage=False)
    assert total.usage_metadata is None


def test_reasoning_and_tool_chunks() -> None:
    chunks, _ = _stream_message(RESPONSES["thinking_tools"]())
    reasoning = [c for c in chunks if "reasoning_content" in c.additional_kwargs]
    assert reasoning and all(c.content == "" for c in reasoning)
    tool_chunks = [tc for c in chunks for tc in c.tool_call_chunks]
    assert {tc["index"] for tc in tool_chunks} == {0}
    assert tool_chunks[0]["id"] == "toolu_bdrk_01LMiseooSF8SyS9cUgheyUy"


def test_chunk_content_blocks_never_repeat_reasoning() -> None:
    """Each chunk's blocks are a delta: the last chunk adds the signature, not the text again."""
    chunks, total = _stream_message(RESPONSES["thinking_notools"]())
    shown = "".join(b.get("reasoning", "") for c in chunks for b in c.content_blocks  # type: ignore[misc]
                    if b["type"] == "reasoning")
    assert shown == total.additional_kwargs["reasoning_content"]
    last = chunks[-1].content_blocks
    assert last[0]["type"] == "reasoning" and last[0]["reasoning"] == ""  # type: ignore[typeddict-item]
    assert last[0]["extras"]["signature"]  # type: ignore[typeddict-item]


def test_chunk_translator_for_partial_tool_calls() -> None:
    chunk = AIMessageChunk(content="", tool_call_chunks=[
        {"name": "f", "args": '{"a"', "id": "c", "index": 0, "type": "tool_call_chunk"}],
        response_metadata={"model_provider": PROVIDER})
    assert translate_content_chunk(chunk) == [
        {"type": "tool_call_chunk", "id": "c", "name": "f", "args": '{"a"', "index": 0}]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_v1_stream_sum(name: str) -> None:
    body = RESPONSES[name]()
    invoked = to_ai_message(parse_completion(body), model_name=ENDPOINT)
    chunks, total = _stream_message(body, V1StreamChunkBuilder)
    expected = translate_content(invoked)
    got = [{k: v for k, v in b.items() if k != "index"} for b in total.content]  # type: ignore[union-attr]
    assert got == expected
    assert all(isinstance(c.content, list) for c in chunks)
    assert total.additional_kwargs == invoked.additional_kwargs
    assert total.usage_metadata == invoked.usage_metadata
    assert ai_to_neutral(total).parts == ai_to_neutral(invoked).parts


def test_v1_block_indices_are_the_part_indices() -> None:
    """Each v1 block's index is its part's index in the completion (an unknown block takes one
    without a chunk); the answer text stays one block, at its first part's index."""
    accumulator, builder = StreamAccumulator(), V1StreamChunkBuilder(ENDPOINT)
    call = {"index": 1, "id": "c1", "type": "function", "function": {"name": "f",
                                                                      "arguments": "{}"}}
    chunks = []
    for delta in ({"content": [{"type": "citation", "n": 1}]}, {"content": "a"},
                  {"tool_calls": [call]}, {"content": "b"}):
        for core_delta in accumulator.feed_chunk({"choices": [{"index": 0, "delta": delta}]}):
            chunk = builder.feed(core_delta)
            assert chunk is not None
            chunks.append(chunk.message)
    assert [b["index"] for c in chunks for b in c.content] == [1, 2, 2, 1]  # type: ignore[index]
    total = chunks[0] + chunks[1] + chunks[2] + chunks[3]
    assert [(b["type"], b["index"]) for b in total.content] == [  # type: ignore[index]
        ("text", 1), ("tool_call_chunk", 2)]
    assert total.content[0]["text"] == "ab"  # type: ignore[index]


def test_v1_signature_block_merges_into_its_reasoning_block() -> None:
    builder = V1StreamChunkBuilder(ENDPOINT)
    a = builder.feed(SignatureDelta("sig", 0, 0))
    b = builder.feed(FinishDelta(Completion([ReasoningPart("", "sig"), TextPart("x")], "stop")))
    assert a is not None and b is not None
    total = a.message + b.message
    assert total.content == [{"type": "reasoning", "reasoning": "", "index": 0,
                              "extras": {"signature": "sig"}}]
