"""Non-streaming response parsing, on the real captured bodies and on hostile input."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire_helpers import load_fixture

from databricks_claude.blocks import content_parts as parse_content
from databricks_claude.codecs.chat import CHAT
from databricks_claude.codecs.chat.response import parse_completion, parse_usage
from databricks_claude.errors import MalformedResponseError
from databricks_claude.messages import (
    Completion,
    Part,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    ToolCallPart,
    UnknownPart,
    Usage,
)


def body_with(message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A minimal completion body around `message`."""
    return {"id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                                                  "message": {"role": "assistant", **message}}],
            **extra}


def test_thinking_response_without_tools() -> None:
    body = load_fixture("response_thinking_notools.json")
    completion = parse_completion(body)
    blocks = body["choices"][0]["message"]["content"]
    summary = blocks[0]["summary"][0]
    assert completion.parts == [ReasoningPart(summary["text"], summary["signature"]),
                                TextPart(blocks[1]["text"])]
    assert completion.text.startswith("申し訳ありませんが")
    assert completion.finish_reason == "stop"
    assert completion.model == "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    assert completion.id == "msg_bdrk_011G6sGXuygHpvP1Pwq8zwyp"
    assert completion.usage == Usage(67, 421, 488)


def test_seed_response_with_reasoning_text_and_tool_call() -> None:
    completion = parse_completion(load_fixture("seed_response_thinking_tools.json"))
    reasoning, text, call = completion.parts
    assert isinstance(reasoning, ReasoningPart) and reasoning.signature.startswith("ErcBCkgIAx")
    assert reasoning.text.startswith("ユーザーは東京")
    assert text == TextPart("東京の現在の天気情報を取得します。")
    assert call == ToolCallPart("toolu_bdrk_01LMiseooSF8SyS9cUgheyUy", "get_weather",
                                '{"location":"東京"}')
    assert completion.tool_calls[0].parsed_arguments() == {"location": "東京"}
    assert completion.finish_reason == "tool_calls"
    assert completion.usage == Usage(703, 231, 934)


@pytest.mark.parametrize(("name", "read", "write"), [("cold_cache_write", 0, 1552),
                                                     ("warm_cache_read", 1552, 0)])
def test_prompt_caching_usage(name: str, read: int, write: int) -> None:
    completion = parse_completion(load_fixture("response_prompt_caching_usage.json")[name])
    assert completion.parts == [TextPart(completion.text)]
    assert completion.text.startswith("The text you've provided")
    assert completion.usage == Usage(input_tokens=1556, output_tokens=65, total_tokens=1621,
                                     cache_read_tokens=read, cache_write_tokens=write)


def test_reasoning_tokens_are_read_from_completion_details() -> None:
    usage = parse_usage({"prompt_tokens": 3, "completion_tokens": 7,
                         "completion_tokens_details": {"reasoning_tokens": 5}})
    assert usage == Usage(3, 7, 10, reasoning_tokens=5)


def test_usage_absent_or_not_an_object_is_none() -> None:
    assert parse_usage(None) is None
    assert parse_completion(body_with({"content": "x"}, usage="lots")).usage is None


def test_non_integer_counts_are_treated_as_absent() -> None:
    assert parse_usage({"prompt_tokens": "3", "completion_tokens": True}) == Usage(0, 0, 0)


def test_redacted_reasoning_and_several_summary_entries() -> None:
    parts = parse_content([{"type": "reasoning", "summary": [
        {"type": "summary_text", "text": "a", "signature": "s1"},
        {"type": "summary_encrypted_text", "data": "opaque"},
        {"type": "summary_text", "text": "b"}]}])
    assert parts == [ReasoningPart("a", "s1"), RedactedReasoningPart("opaque"),
                     ReasoningPart("b", None)]


def test_signature_only_reasoning_of_newer_models() -> None:
    parts = parse_content([{"type": "reasoning", "summary": [
        {"type": "summary_text", "text": "", "signature": "CAIS6wEK"}]},
        {"type": "text", "text": "hi"}])
    assert parts == [ReasoningPart("", "CAIS6wEK"), TextPart("hi")]


def test_unknown_blocks_and_entries_are_kept_verbatim() -> None:
    image = {"type": "image", "image_url": "data:..."}
    odd_entry = {"type": "summary_future", "blob": 1}
    parts = parse_content([image, {"type": "reasoning", "summary": [odd_entry]},
                           {"type": "reasoning", "summary": []}])
    assert parts == [UnknownPart(image), UnknownPart({"type": "reasoning", "summary": [odd_entry]}),
                     UnknownPart({"type": "reasoning", "summary": []})]


def test_string_and_missing_content() -> None:
    assert parse_content("hello") == [TextPart("hello")]
    assert parse_content("") == []
    assert parse_content(None) == []


def test_pure_tool_call_response() -> None:
    completion = parse_completion(body_with({"content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}))
    assert completion.parts == [ToolCallPart("c1", "f", "{}")]


def test_arguments_sent_as_an_object_are_serialized() -> None:
    completion = parse_completion(body_with({"content": "", "tool_calls": [
        {"id": "c1", "function": {"name": "f", "arguments": {"city": "東京", "n": 2}}}]}))
    assert completion.tool_calls[0].arguments == '{"city": "東京", "n": 2}'
    assert completion.tool_calls[0].parsed_arguments() == {"city": "東京", "n": 2}


def test_arguments_text_is_kept_verbatim() -> None:
    raw = '{ "a" :1,\n"b":[ ] }'
    completion = parse_completion(body_with({"tool_calls": [
        {"id": "c1", "function": {"name": "f", "arguments": raw}}]}))
    assert completion.tool_calls[0].arguments == raw


def test_parsing_does_not_modify_the_body() -> None:
    body = load_fixture("seed_response_thinking_tools.json")
    kept = copy.deepcopy(body)
    parse_completion(body)
    assert body == kept


@pytest.mark.parametrize(("body", "says"), [
    (None, "NoneType"),
    ([], "list"),
    ("text", "str"),
    ({}, "no 'choices'"),
    ({"error_code": "BAD_REQUEST", "message": "no"}, "keys: error_code, message"),
    ({"choices": {}}, "no 'choices' list"),
    ({"choices": []}, "empty 'choices'"),
    ({"choices": [1]}, "no 'message'"),
    ({"choices": [{"message": "hi"}]}, "no 'message'"),
    (body_with({"content": 5}), "content is a int"),
    (body_with({"content": [5]}), "content block is a int"),
    (body_with({"content": [{"type": "text", "text": 5}]}), "text block is a int"),
    (body_with({"content": [{"type": "reasoning", "summary": ["x"]}]}), "summary entry"),
    (body_with({"content": [{"type": "reasoning", "summary": [
        {"type": "summary_text", "text": "t", "signature": 7}]}]}), "signature is a int"),
    (body_with({"tool_calls": {}}), "tool_calls is a dict"),
    (body_with({"tool_calls": [{"id": "c"}]}), "'function'"),
    (body_with({"tool_calls": [{"function": {"name": "f"}}]}), "no string id"),
])
def test_malformed_bodies_say_what_is_wrong(body: Any, says: str) -> None:
    with pytest.raises(MalformedResponseError, match=f"(?i){says}"):
        parse_completion(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["type", "text", "summary", "content", "choices",
                                       "message", "tool_calls", "function", "id", "name",
                                       "arguments", "usage", "signature", "data"]) | st.text(
                                           max_size=3), children, max_size=5),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json_raises_only_malformed_response_error(value: Any) -> None:
    with contextlib.suppress(MalformedResponseError):
        parse_completion(value)


@settings(max_examples=300, deadline=None)
@given(json_values, json_values)
def test_arbitrary_message_contents_raise_only_malformed_response_error(
        content: Any, tool_calls: Any) -> None:
    body = body_with({"content": content, "tool_calls": tool_calls}, usage=content)
    try:
        completion = parse_completion(body)
    except MalformedResponseError:
        return
    json.dumps([str(part) for part in completion.parts])


# -- valid bodies: an answer is required, and it must be what the body says -------------------
# The oracles above accept a typed error *or* an answer. A well-formed body
# (docs/wire-chat.md#response, the captures in tests/fixtures) refused with MalformedResponseError
# would pass them, so these
# bodies are generated separately, each with the Completion it stands for.

wire_text = st.text(max_size=12)  # any Unicode, "" included
MODELS = ("us.anthropic.claude-3-7-sonnet-20250219-v1:0",
          "us.anthropic.claude-sonnet-4-20250514-v1:0", "global.anthropic.claude-fable-5")
# Null fields the captures carry besides the ones the parser reads
# (docs/wire-chat.md#content-blocks).
NULL_MESSAGE_FIELDS = ("refusal", "annotations", "audio", "function_call")
NULL_BODY_FIELDS = ("service_tier", "system_fingerprint")


@st.composite
def summary_entries(draw: st.DrawFn) -> tuple[dict[str, Any], Part]:
    """One reasoning summary entry: summary_text (signature optional) or summary_encrypted_text."""
    if draw(st.booleans()):
        data = draw(st.text(min_size=1, max_size=16))
        return {"type": "summary_encrypted_text", "data": data}, RedactedReasoningPart(data)
    text = draw(wire_text)
    entry: dict[str, Any] = {"type": "summary_text", "text": text}
    signature = draw(st.none() | st.text(max_size=16))
    if signature is not None:
        entry["signature"] = signature
    return entry, ReasoningPart(text, signature)


@st.composite
def content_blocks(draw: st.DrawFn) -> tuple[dict[str, Any], list[Part]]:
    """One `message.content` block and its parts: text (maybe with a citation), reasoning with
    one or more summary entries, or an image (a type the parser keeps verbatim)."""
    kind = draw(st.sampled_from(["text", "reasoning", "image"]))
    if kind == "text":
        text = draw(wire_text)
        block: dict[str, Any] = {"type": "text", "text": text}
        if draw(st.booleans()):
            block["citation"] = draw(st.none() | st.just(
                {"type": "char_location", "cited_text": "x", "start_char_index": 0}))
        return block, [TextPart(text)]
    if kind == "reasoning":
        entries = draw(st.lists(summary_entries(), min_size=1, max_size=3))
        return ({"type": "reasoning", "summary": [entry for entry, _ in entries]},
                [part for _, part in entries])
    block = {"type": "image", "image_url": "data:image/png;base64,iVBORw0KGgo="}
    return block, [UnknownPart(copy.deepcopy(block))]


json_objects = st.dictionaries(st.text(max_size=6), st.none() | st.booleans() | st.integers()
                               | st.text(max_size=6), max_size=3)


@st.composite
def tool_calls_of(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[Part]]:
    """`message.tool_calls`: OpenAI shape, `arguments` a JSON string (kept verbatim)."""
    calls, parts = [], []
    for index in range(draw(st.integers(0, 3))):
        call_id = f"toolu_bdrk_{draw(st.text('abcXYZ019', min_size=1, max_size=8))}{index}"
        name = draw(st.sampled_from(["get_weather", "search", "get_time", "東京_lookup"]))
        arguments = json.dumps(draw(json_objects), ensure_ascii=draw(st.booleans()))
        calls.append({"id": call_id, "type": "function",
                      "function": {"arguments": arguments, "name": name}})
        parts.append(ToolCallPart(call_id, name, arguments))
    return calls, parts


@st.composite
def usages(draw: st.DrawFn) -> tuple[dict[str, Any], Usage]:
    """A `usage` object (docs/wire-chat.md#usage): cache counts, reasoning details if reported."""
    prompt, completion = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**5))
    raw: dict[str, Any] = {"completion_tokens": completion, "prompt_tokens": prompt,
                           "total_tokens": prompt + completion,
                           "completion_tokens_details": None, "prompt_tokens_details": None}
    read = write = reasoning = None
    if draw(st.booleans()):
        read, write = draw(st.integers(0, prompt)), draw(st.integers(0, prompt))
        raw |= {"cache_read_input_tokens": read, "cache_creation_input_tokens": write}
    if draw(st.booleans()):
        reasoning = draw(st.integers(0, completion))
        raw["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return raw, Usage(prompt, completion, prompt + completion, read, write, reasoning)


@st.composite
def valid_responses(draw: st.DrawFn) -> tuple[dict[str, Any], Completion]:
    """A well-formed non-streaming body and the Completion it says.

    `content` is a string when there is no reasoning (or sometimes absent / null beside tool
    calls), else a list of blocks; tool calls follow; usage, finish reason, model and id are
    read as sent.
    """
    blocks = draw(st.lists(content_blocks(), max_size=4))
    calls, call_parts = draw(tool_calls_of())
    form = draw(st.sampled_from(["blocks", "string", "null", "absent"]))
    message: dict[str, Any] = {"role": "assistant"}
    parts: list[Part]
    if form == "blocks":
        message["content"] = [block for block, _ in blocks]
        parts = [part for _, block_parts in blocks for part in block_parts]
    elif form == "string":
        text = draw(wire_text)
        message["content"] = text
        parts = [TextPart(text)] if text else []
    else:
        if form == "null":
            message["content"] = None
        parts = []
    for name in NULL_MESSAGE_FIELDS:
        if draw(st.booleans()):
            message[name] = None
    if calls or draw(st.booleans()):
        message["tool_calls"] = calls if calls or draw(st.booleans()) else None
    finish = "tool_calls" if calls else draw(st.sampled_from(
        ["stop", "length", "content_filter"]))
    choice: dict[str, Any] = {"finish_reason": finish, "index": 0, "message": message}
    if draw(st.booleans()):
        choice["logprobs"] = None
    response_id = "msg_bdrk_" + draw(st.text("0123456789abcdefXYZ", min_size=1, max_size=12))
    model = draw(st.sampled_from(MODELS))
    body: dict[str, Any] = {"id": response_id, "choices": [choice], "created": 1747060157,
                            "model": model, "object": "chat.completion"}
    for name in NULL_BODY_FIELDS:
        if draw(st.booleans()):
            body[name] = None
    usage = None
    if draw(st.integers(0, 9)):  # usage is (almost) always there
        raw_usage, usage = draw(usages())
        body["usage"] = raw_usage
    return body, Completion(parts + call_parts, finish, usage, model, response_id)


@settings(max_examples=300, deadline=None)
@given(valid_responses())
def test_valid_bodies_give_the_completion_they_say(case: tuple[dict[str, Any], Completion]) -> None:
    body, expected = case
    kept = copy.deepcopy(body)
    completion = parse_completion(body)  # a MalformedResponseError here is a wrong refusal
    assert completion.parts == expected.parts
    assert completion == expected
    assert completion.text == "".join(p.text for p in expected.parts if isinstance(p, TextPart))
    assert completion.tool_calls == [p for p in expected.parts if isinstance(p, ToolCallPart)]
    assert body == kept
    # The transport's path: the bytes of the body, parsed.
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    assert CHAT.parse(raw) == expected
