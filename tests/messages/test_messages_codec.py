"""The Messages codec on its own: payloads from neutral messages, answers and events to parts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from databricks_claude.codecs.messages import MESSAGES
from databricks_claude.errors import ConfigurationError, MalformedResponseError
from databricks_claude.messages import (
    Completion,
    FinishDelta,
    ImagePart,
    Message,
    ReasoningDelta,
    ReasoningPart,
    RedactedReasoningPart,
    RequestOptions,
    SignatureDelta,
    TextDelta,
    TextPart,
    ToolCallArgsDelta,
    ToolCallPart,
    ToolCallStartDelta,
    ToolSpec,
    UnknownPart,
    Usage,
)
from databricks_claude.profiles import get_profile

ENDPOINT = "databricks-claude-sonnet-4-5"
PROFILE = get_profile(ENDPOINT)
WEATHER = ToolSpec("get_weather", "Weather of a city",
                   {"type": "object", "properties": {"city": {"type": "string"}},
                    "required": ["city"]})
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5"
       "ErkJggg==")


def build(messages: list[Message], **options: Any) -> dict[str, Any]:
    return MESSAGES.build(messages, RequestOptions(**options), model=ENDPOINT, profile=PROFILE,
                          stream=False).payload


def tool_turn(reasoning: bool = True) -> list[Message]:
    parts: list[Any] = [ReasoningPart("I need the weather.", "sig-1")] if reasoning else []
    parts += [TextPart("Checking."), ToolCallPart("toolu_1", "get_weather", '{"city": "Paris"}')]
    return [Message.system("Be brief."), Message.user("Weather in Paris?"),
            Message("assistant", parts), Message.tool("toolu_1", "18C, sunny")]


# -- requests -----------------------------------------------------------------------------------


def test_system_is_top_level_and_tool_results_open_a_user_turn() -> None:
    payload = build(tool_turn(), tools=[WEATHER], thinking=2048, max_tokens=4096)
    assert payload["model"] == ENDPOINT and payload["max_tokens"] == 4096
    assert payload["system"] == "Be brief."
    assert [m["role"] for m in payload["messages"]] == ["user", "assistant", "user"]
    assert payload["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "I need the weather.", "signature": "sig-1"},
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]
    assert payload["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C, sunny"}]
    assert payload["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert payload["tools"] == [{"name": "get_weather", "description": "Weather of a city",
                                 "input_schema": WEATHER.parameters}]


def test_results_of_one_round_share_one_user_turn_and_come_before_text() -> None:
    calls = [ToolCallPart("a", "get_weather", '{"city": "A"}'),
             ToolCallPart("b", "get_weather", '{"city": "B"}')]
    messages = [Message.user("two cities"), Message("assistant", calls),
                Message.user("and be quick"), Message.tool("a", "1"), Message.tool("b", "2")]
    turn = build(messages, tools=[WEATHER])["messages"][2]
    assert [block["type"] for block in turn["content"]] == ["tool_result", "tool_result", "text"]


def test_tool_choice_forms_and_parallel_calls_off() -> None:
    def choice(value: Any, **extra: Any) -> Any:
        return build([Message.user("hi")], tools=[WEATHER], tool_choice=value,
                     **extra).get("tool_choice")

    assert choice("auto") == {"type": "auto"}
    assert choice("required") == {"type": "any"}
    assert choice("none") == {"type": "none"}
    assert choice("get_weather") == {"type": "tool", "name": "get_weather"}
    assert choice(None, extra_body={"parallel_tool_calls": False}) == {
        "type": "auto", "disable_parallel_tool_use": True}


def test_stop_sequences_sampling_and_cached_system() -> None:
    messages = [Message("system", [TextPart("rules", {"type": "ephemeral"})]), Message.user("hi")]
    payload = build(messages, stop=["END"], temperature=0.2, top_k=5)
    assert payload["system"] == [{"type": "text", "text": "rules",
                                  "cache_control": {"type": "ephemeral"}}]
    assert payload["stop_sequences"] == ["END"]
    assert payload["temperature"] == 0.2 and payload["top_k"] == 5
    assert "stop" not in payload


def test_images_go_as_base64_sources_and_links_are_refused_before_sending() -> None:
    image = ImagePart(f"data:image/png;base64,{PNG}")
    payload = build([Message("user", [TextPart("what is it?"), image])])
    assert payload["messages"][0]["content"][1] == {
        "type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    with pytest.raises(ConfigurationError, match="base64 images only"):
        build([Message("user", [ImagePart("https://example.com/cat.png")])])


def test_redacted_reasoning_replays_as_redacted_thinking() -> None:
    turn = Message("assistant", [RedactedReasoningPart("opaque"), TextPart("Hi")])
    payload = build([Message.user("a"), turn, Message.user("b")], thinking=True,
                    max_tokens=4096)
    assert payload["messages"][1]["content"][0] == {"type": "redacted_thinking",
                                                    "data": "opaque"}


def test_a_tool_loop_without_its_reasoning_turns_thinking_off_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="thinking turned off"):
        payload = build(tool_turn(reasoning=False), tools=[WEATHER], thinking=True,
                        max_tokens=4096)
    assert "thinking" not in payload


@pytest.mark.parametrize("messages, message", [
    ([], "empty"),
    ([Message.system("only")], "only system"),
    ([Message.user("  ")], "user message 0 is empty"),
    ([Message.user("x"), Message("assistant", [ToolCallPart("t", "f", "{}")]),
      Message.user("no result")], "has no result"),
    ([Message.user("x"), Message.tool("zzz", "r")], "no matching tool call"),
    ([Message.user("x"), Message("assistant", [ToolCallPart("t", "f", "[1]")])],
     "not a JSON object"),
])
def test_conversations_the_service_refuses_are_refused_before_sending(
        messages: list[Message], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build(messages)


def test_forced_tool_choice_with_thinking_follows_the_shared_rule() -> None:
    with pytest.warns(UserWarning):
        payload = build([Message.user("hi")], tools=[WEATHER], tool_choice="get_weather",
                        thinking=True, max_tokens=4096)
    assert payload["tool_choice"] == {"type": "auto"}


def test_prefill_is_an_assistant_text_turn_without_trailing_whitespace() -> None:
    payload = MESSAGES.with_prefill(build([Message.user("hi")]), "Hello, wor ")
    assert payload["messages"][-1] == {"role": "assistant",
                                       "content": [{"type": "text", "text": "Hello, wor"}]}


# -- answers ------------------------------------------------------------------------------------

ANSWER = {
    "id": "msg_bdrk_01", "type": "message", "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [
        {"type": "thinking", "thinking": "Look it up.", "signature": "sig-A"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_bdrk_1", "name": "get_weather",
         "input": {"city": "Zürich"}},
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
    ],
    "stop_reason": "tool_use", "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 7, "cache_read_input_tokens": 100,
              "cache_creation_input_tokens": 20},
}


def test_an_answer_parses_to_parts_in_order_with_usage_counting_cache() -> None:
    completion = MESSAGES.parse(json.dumps(ANSWER).encode())
    assert completion.parts == [
        ReasoningPart("Look it up.", "sig-A"), RedactedReasoningPart("opaque"),
        TextPart("Let me check."),
        ToolCallPart("toolu_bdrk_1", "get_weather", '{"city": "Zürich"}'),
        UnknownPart(ANSWER["content"][4])]
    assert completion.finish_reason == "tool_calls"
    assert completion.usage == Usage(130, 7, 137, cache_read_tokens=100, cache_write_tokens=20)
    assert (completion.id, completion.model) == ("msg_bdrk_01", "claude-sonnet-4-5")


@pytest.mark.parametrize("stop, finish", [("end_turn", "stop"), ("max_tokens", "length"),
                                          ("stop_sequence", "stop"), ("refusal", "content_filter"),
                                          ("pause_turn", "pause_turn")])
def test_stop_reasons_map_to_the_shared_finish_reasons(stop: str, finish: str) -> None:
    body = {**ANSWER, "stop_reason": stop}
    assert MESSAGES.parse(json.dumps(body).encode()).finish_reason == finish


def test_a_replayed_answer_gives_back_the_blocks_it_came_from() -> None:
    completion = MESSAGES.parse(json.dumps(ANSWER).encode())
    sent = build([Message.user("q"), completion.to_message(),
                  Message.tool("toolu_bdrk_1", "4C")], thinking=True, max_tokens=4096)
    assert sent["messages"][1]["content"] == ANSWER["content"]


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"content": "x"}',
                                  b'{"content": [{"type": "text", "text": 5}]}'])
def test_malformed_answers_raise_malformed_response_error(body: bytes) -> None:
    with pytest.raises(MalformedResponseError):
        MESSAGES.parse(body)


# -- streams ------------------------------------------------------------------------------------


def events() -> list[dict[str, Any]]:
    """A thinking + text + tool call stream in the Anthropic event shapes."""
    return [
        {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 1, "cache_read_input_tokens": 3}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        {"type": "ping"},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "thinking_delta", "thinking": "Think "}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "thinking_delta", "thinking": "hard."}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "signature_delta", "signature": "sig-S"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1,
         "delta": {"type": "text_delta", "text": "Checking"}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_start", "index": 2, "content_block": {
            "type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}},
        {"type": "content_block_delta", "index": 2,
         "delta": {"type": "input_json_delta", "partial_json": '{"city": '}},
        {"type": "content_block_delta", "index": 2,
         "delta": {"type": "input_json_delta", "partial_json": '"Paris"}'}},
        {"type": "content_block_stop", "index": 2},
        {"type": "some_future_event", "payload": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": {"output_tokens": 40}},
        {"type": "message_stop"},
    ]


def fold(items: list[dict[str, Any]]) -> tuple[list[Any], Any]:
    decoder = MESSAGES.decoder(None)  # type: ignore[arg-type]
    deltas = [d for event in items for d in decoder.feed_data(json.dumps(event))]
    return deltas + decoder.end(), decoder


def test_a_stream_folds_to_deltas_with_their_part_index_and_one_finish() -> None:
    deltas, decoder = fold(events())
    assert deltas[:-1] == [
        ReasoningDelta("Think ", 0), ReasoningDelta("hard.", 0), SignatureDelta("sig-S", 0),
        TextDelta("Checking"), ToolCallStartDelta(0, 2, "toolu_1", "get_weather"),
        ToolCallArgsDelta(0, 2, '{"city": '), ToolCallArgsDelta(0, 2, '"Paris"}')]
    assert [d.part_index for d in deltas[:-1]] == [0, 0, 0, 1, 2, 2, 2]
    finish = deltas[-1]
    assert isinstance(finish, FinishDelta) and decoder.complete
    assert finish.completion == Completion(
        [ReasoningPart("Think hard.", "sig-S"), TextPart("Checking"),
         ToolCallPart("toolu_1", "get_weather", '{"city": "Paris"}')],
        "tool_calls", Usage(15, 40, 55, cache_read_tokens=3), "claude-x", "msg_1")


def test_a_stream_cut_before_message_stop_is_incomplete_and_keeps_what_came() -> None:
    deltas, decoder = fold(events()[:9])
    assert not decoder.complete and not any(isinstance(d, FinishDelta) for d in deltas)
    assert decoder.snapshot().parts == [ReasoningPart("Think hard.", "sig-S"),
                                        TextPart("Checking")]


def test_a_mid_stream_error_event_raises_with_its_type() -> None:
    items = [*events()[:9], {"type": "error", "error": {"type": "overloaded_error",
                                                         "message": "Overloaded"}}]
    with pytest.raises(MalformedResponseError, match="overloaded_error"):
        fold(items)


def test_unknown_block_types_are_kept_whole_and_never_break_the_stream() -> None:
    block = {"type": "web_search_tool_result", "tool_use_id": "s", "content": []}
    items = [events()[0], {"type": "content_block_start", "index": 0, "content_block": block},
             {"type": "content_block_delta", "index": 0, "delta": {"type": "novel_delta"}},
             {"type": "content_block_stop", "index": 0}, *events()[-2:]]
    deltas, _ = fold(items)
    assert deltas[-1].completion.parts == [UnknownPart(block)]


def test_a_final_assistant_prefill_is_sent_without_trailing_whitespace() -> None:
    payload = build([Message.user("Count"), Message.assistant("One, two, \n")])
    assert payload["messages"][-1]["content"] == [{"type": "text", "text": "One, two,"}]
