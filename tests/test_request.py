"""Request building: every rule of docs/design-rules.md, checked against the captured requests."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest
from pydantic import BaseModel, Field
from wire_helpers import canonical, load_fixture

from databricks_claude.blocks import part_to_block as part_to_wire
from databricks_claude.codecs.chat.history import message_to_wire
from databricks_claude.codecs.chat.request import build_payload
from databricks_claude.codecs.chat.response import parse_completion
from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import (
    EPHEMERAL,
    ImagePart,
    Message,
    ReasoningPart,
    RedactedReasoningPart,
    RequestOptions,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    UnknownPart,
    tool_result,
)
from databricks_claude.notes import DatabricksClaudeWarning
from databricks_claude.profiles import ModelProfile, get_profile
from databricks_claude.rules.thinking import EFFORTS, thinking_on
from databricks_claude.rules.tool_choice import validate_tool_choice
from databricks_claude.schema import make_tool_spec, sanitize_schema

SONNET_37 = "databricks-claude-3-7-sonnet"
BUDGET = get_profile(SONNET_37)
ADAPTIVE = get_profile("databricks-claude-opus-4-8")
NO_TEMPERATURE = get_profile("databricks-claude-fable-5")
WEATHER = make_tool_spec("get_weather", "weather", {
    "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]})
CLOCK = make_tool_spec("get_time", "time", None)
HELLO = [Message.user("hi")]


def payload(messages: list[Message] | None = None, profile: ModelProfile = BUDGET,
            **options: Any) -> dict[str, Any]:
    """build_payload with no warnings allowed (a warning fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatabricksClaudeWarning)
        return build_payload(messages or HELLO, RequestOptions(**options), model="ep",
                             profile=profile)


def warned_payload(match: str, messages: list[Message] | None = None,
                   profile: ModelProfile = BUDGET, **options: Any) -> dict[str, Any]:
    """build_payload that must warn with a message matching `match`."""
    with pytest.warns(DatabricksClaudeWarning, match=match):
        return build_payload(messages or HELLO, RequestOptions(**options), model="ep",
                             profile=profile)


def tool_turn(*call_ids: str, text: str = "") -> Message:
    """An assistant turn calling `get_weather` once per id."""
    parts: list[Any] = [TextPart(text)] if text else []
    parts += [ToolCallPart(cid, "get_weather", '{"location":"Paris"}') for cid in call_ids]
    return Message("assistant", parts)


# ----------------------------------------------------------------------------------------------
# The captured requests


def seed_intent(thinking: Any) -> dict[str, Any]:
    seed = load_fixture("seed_request_thinking_tools.json")
    function = seed["tools"][0]["function"]
    tool = make_tool_spec(function["name"], function["description"], function["parameters"])
    messages = [Message.system(seed["messages"][0]["content"]),
                Message.user(seed["messages"][1]["content"])]
    built = build_payload(messages, RequestOptions(max_tokens=20480, thinking=thinking,
                                                   tools=[tool], tool_choice="auto"),
                          model=SONNET_37, profile=BUDGET)
    return {"built": built, "seed": seed}


@pytest.mark.parametrize("thinking", [True, 10240, {"type": "enabled", "budget_tokens": 10240}])
def test_seed_request_is_reproduced_exactly(thinking: Any) -> None:
    result = seed_intent(thinking)
    assert canonical(result["built"]) == canonical(result["seed"])


def test_thinking_request_without_tools_is_reproduced_exactly() -> None:
    captured = load_fixture("request_thinking_notools.json")
    messages = [Message.system(captured["messages"][0]["content"]),
                Message.user(captured["messages"][1]["content"])]
    built = build_payload(messages, RequestOptions(max_tokens=20480, thinking=True),
                          model=SONNET_37, profile=BUDGET)
    assert canonical(built) == canonical(captured)


def test_seed_response_replays_byte_for_byte() -> None:
    seed = load_fixture("seed_response_thinking_tools.json")
    wire = message_to_wire(parse_completion(seed).to_message())
    sent = seed["choices"][0]["message"]
    expected = {key: sent[key] for key in ("role", "content", "tool_calls")}
    assert canonical(wire) == canonical(expected)


def test_reasoning_response_without_tools_replays_byte_for_byte() -> None:
    body = load_fixture("response_thinking_notools.json")
    wire = message_to_wire(parse_completion(body).to_message())
    sent = body["choices"][0]["message"]
    assert canonical(wire) == canonical({"role": "assistant", "content": sent["content"]})


# ----------------------------------------------------------------------------------------------
# Tool schemas


class Address(BaseModel):
    street: str = Field(pattern=r"^\d+ .+$", description="street line")
    city: str | None = None


class Person(BaseModel):
    name: str
    tags: tuple[int, str] | None = None
    home: Address
    others: list[Address] = []


def test_pydantic_schema_is_inlined_and_cleaned() -> None:
    schema = sanitize_schema(Person.model_json_schema())
    address = {"type": "object",
               "properties": {"street": {"type": "string", "description": "street line"},
                              "city": {"type": "string", "default": None}},
               "required": ["street"]}
    assert schema == {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "maxItems": 2, "minItems": 2, "default": None},
            "home": address,
            "others": {"type": "array", "items": address, "default": []},
        },
        "required": ["name", "home"],
    }
    text = canonical(schema)
    for refused in ("$ref", "$defs", "anyOf", "pattern", "prefixItems", "title"):
        assert refused not in text


def test_sanitize_does_not_modify_its_input() -> None:
    original = Person.model_json_schema()
    kept = copy.deepcopy(original)
    sanitize_schema(original)
    assert original == kept


def test_property_names_that_look_like_keywords_are_kept() -> None:
    schema = sanitize_schema({"type": "object", "properties": {
        "title": {"type": "string", "title": "Title"},
        "pattern": {"type": "string"}, "anyOf": {"type": "integer"}}})
    assert schema["properties"] == {"title": {"type": "string"}, "pattern": {"type": "string"},
                                    "anyOf": {"type": "integer"}}


def test_optional_union_collapses_and_keeps_default_and_description() -> None:
    schema = sanitize_schema({"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 1}],
                              "default": None, "description": "count"})
    assert schema == {"type": "integer", "minimum": 1, "default": None, "description": "count"}


def test_type_list_with_null_collapses() -> None:
    assert sanitize_schema({"type": ["string", "null"]}) == {"type": "string"}


def test_union_of_objects_merges_properties_and_keeps_common_required() -> None:
    schema = sanitize_schema({"oneOf": [
        {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
         "required": ["a", "b"]},
        {"type": "object", "properties": {"a": {"type": "string"}, "c": {"type": "integer"}},
         "required": ["a"]},
    ]})
    assert schema == {"type": "object", "properties": {"a": {"type": "string"},
                                                       "b": {"type": "string"},
                                                       "c": {"type": "integer"}},
                      "required": ["a"]}


def test_union_of_numbers_widens_to_number() -> None:
    assert sanitize_schema({"anyOf": [{"type": "integer"}, {"type": "number"}]}) == {
        "type": "number"}


def test_union_of_different_types_becomes_a_type_list() -> None:
    # Finding 12: the union is kept as a type list (it used to keep only the first type).
    schema = sanitize_schema({"anyOf": [{"type": "string"},
                                        {"type": "array", "items": {"type": "string"}},
                                        {"type": "null"}], "description": "one or many"})
    assert schema == {"type": ["string", "array"], "items": {"type": "string"},
                      "description": "one or many"}


def test_all_of_is_merged() -> None:
    schema = sanitize_schema({
        "$defs": {"Base": {"type": "object", "properties": {"x": {"type": "string"}},
                           "required": ["x"]}},
        "allOf": [{"$ref": "#/$defs/Base"},
                  {"properties": {"y": {"type": "integer"}}, "required": ["y"]}],
        "description": "merged"})
    assert schema == {"description": "merged", "type": "object",
                      "properties": {"x": {"type": "string"}, "y": {"type": "integer"}},
                      "required": ["x", "y"]}


def test_single_all_of_with_ref_and_description_is_merged() -> None:
    # pydantic v1 style: a field whose model has a description of its own
    schema = sanitize_schema({
        "definitions": {"Unit": {"title": "Unit", "enum": ["c", "f"], "type": "string"}},
        "type": "object",
        "properties": {"unit": {"allOf": [{"$ref": "#/definitions/Unit"}],
                                "description": "temperature unit", "default": "c"}}})
    assert schema["properties"]["unit"] == {"description": "temperature unit", "default": "c",
                                            "enum": ["c", "f"], "type": "string"}


class Node(BaseModel):
    value: int
    children: list[Node] = []


def test_recursive_model_is_cut_at_the_cycle() -> None:
    schema = sanitize_schema(Node.model_json_schema())
    assert schema["properties"]["children"]["items"] == {"type": "object"}
    assert schema["properties"]["value"] == {"type": "integer"}


def test_dangling_ref_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="#/\\$defs/Missing"):
        sanitize_schema({"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}})


def test_make_tool_spec_validates_the_name() -> None:
    with pytest.raises(ConfigurationError, match="not allowed"):
        make_tool_spec("get weather", "", None)


def test_make_tool_spec_without_parameters_is_an_empty_object() -> None:
    assert CLOCK.parameters == {"type": "object", "properties": {}}


def test_make_tool_spec_refuses_non_object_schemas() -> None:
    with pytest.raises(ConfigurationError, match="object schema"):
        make_tool_spec("t", "", {"type": "string"})


def test_tool_schema_is_reused_not_copied_per_request() -> None:
    built = payload(tools=[WEATHER])
    assert built["tools"][0]["function"]["parameters"] is WEATHER.parameters


# ----------------------------------------------------------------------------------------------
# Thinking


def test_thinking_true_uses_half_of_max_tokens() -> None:
    assert payload(thinking=True, max_tokens=10000)["thinking"] == {
        "type": "enabled", "budget_tokens": 5000}


def test_thinking_true_with_default_max_tokens() -> None:
    built = payload(thinking=True)
    assert built["max_tokens"] == BUDGET.default_max_tokens
    assert built["thinking"]["budget_tokens"] == BUDGET.default_max_tokens // 2


def test_default_budget_is_capped_at_64000() -> None:
    built = payload(profile=get_profile("databricks-claude-sonnet-4-6"), thinking=True,
                    max_tokens=128_000)
    assert built["thinking"] == {"type": "enabled", "budget_tokens": 64_000}


def test_thinking_int_is_the_budget() -> None:
    assert payload(thinking=2048, max_tokens=4096)["thinking"] == {
        "type": "enabled", "budget_tokens": 2048}


def test_thinking_dict_is_passed_through_after_validation() -> None:
    setting = {"type": "enabled", "budget_tokens": 2000, "display": "summarized"}
    assert payload(thinking=setting, max_tokens=4000)["thinking"] == setting


@pytest.mark.parametrize("thinking", [500, {"type": "enabled", "budget_tokens": 1023}])
def test_budget_below_1024_is_refused_naming_both_numbers(thinking: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        payload(thinking=thinking, max_tokens=8000)
    assert "1024" in str(caught.value) and "8000" in str(caught.value)
    assert str(thinking if isinstance(thinking, int) else 1023) in str(caught.value)


@pytest.mark.parametrize("budget", [4096, 5000])
def test_budget_not_below_max_tokens_is_refused_naming_both_numbers(budget: int) -> None:
    with pytest.raises(ConfigurationError, match=f"budget {budget} .*max_tokens 4096"):
        payload(thinking=budget, max_tokens=4096)


def test_default_budget_too_small_for_max_tokens_is_refused() -> None:
    # Finding 7: the error names max_tokens (the caller set no budget); 2000 now fits a budget.
    with pytest.raises(ConfigurationError, match=r"max_tokens=1000 is too small for thinking"):
        payload(thinking=True, max_tokens=1000)


def test_thinking_dict_with_unknown_type_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'on'"):
        payload(thinking={"type": "on"})


@pytest.mark.parametrize("thinking", [False, None])
def test_thinking_off_sends_nothing(thinking: Any) -> None:
    assert "thinking" not in payload(thinking=thinking)


def test_adaptive_model_gets_adaptive_thinking() -> None:
    assert payload(profile=ADAPTIVE, thinking=True)["thinking"] == {"type": "adaptive",
                                                                  "display": "summarized"}


def test_adaptive_model_effort_goes_in_output_config() -> None:
    built = payload(profile=ADAPTIVE, thinking=True, effort="high")
    assert built["output_config"] == {"effort": "high"}
    assert "effort" not in built


def test_adaptive_model_turns_a_budget_into_adaptive_with_a_warning() -> None:
    built = warned_payload("only supports adaptive", profile=ADAPTIVE, thinking=4096)
    assert built["thinking"] == {"type": "adaptive", "display": "summarized"}


def test_adaptive_model_turns_enabled_dict_into_adaptive_keeping_display() -> None:
    built = warned_payload("changed to 'adaptive'", profile=ADAPTIVE, thinking={
        "type": "enabled", "budget_tokens": 4096, "display": "summarized"})
    assert built["thinking"] == {"type": "adaptive", "display": "summarized"}


def test_unknown_effort_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'extreme'"):
        payload(profile=ADAPTIVE, effort="extreme")


def test_effort_on_a_budget_model_is_not_sent() -> None:
    built = warned_payload("effort 'low' not sent", thinking=True, effort="low")
    assert "output_config" not in built


# ----------------------------------------------------------------------------------------------
# Sampling


def test_sampling_sent_without_thinking() -> None:
    built = payload(temperature=0.2, top_p=0.9, top_k=5)
    assert (built["temperature"], built["top_p"], built["top_k"]) == (0.2, 0.9, 5)


def test_temperature_with_thinking_is_dropped_with_a_warning() -> None:
    built = warned_payload("temperature 0.2 not sent.*thinking", thinking=True, temperature=0.2)
    assert "temperature" not in built and "thinking" in built


def test_temperature_one_with_thinking_is_dropped_silently() -> None:
    assert "temperature" not in payload(thinking=True, temperature=1.0)


def test_top_k_with_thinking_is_dropped_with_a_warning() -> None:
    assert "top_k" not in warned_payload("top_k 40 not sent", thinking=True, top_k=40)


def test_top_p_with_thinking_is_dropped_with_a_warning() -> None:
    assert "top_p" not in warned_payload("top_p 0.5 not sent", thinking=True, top_p=0.5)


def test_temperature_on_a_model_that_refuses_it_is_dropped_with_a_warning() -> None:
    built = warned_payload("does not support the temperature", profile=NO_TEMPERATURE,
                           temperature=0.5)
    assert "temperature" not in built


def test_sampling_with_adaptive_thinking_is_dropped() -> None:
    built = warned_payload("top_k", profile=ADAPTIVE, thinking=True, top_k=3)
    assert "top_k" not in built


# ----------------------------------------------------------------------------------------------
# Tools and tool choice


@pytest.mark.parametrize(("choice", "wire"), [
    ("auto", "auto"),
    ("required", "required"),
    ("any", "required"),
    (True, "required"),
    ("none", "none"),
    ({"type": "auto"}, "auto"),
    ({"type": "any"}, "required"),
    ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
    ({"type": "function", "function": {"name": "get_weather"}},
     {"type": "function", "function": {"name": "get_weather"}}),
    ({"type": "tool", "name": "get_weather"},
     {"type": "function", "function": {"name": "get_weather"}}),
])
def test_tool_choice_mapping(choice: Any, wire: Any) -> None:
    assert payload(tools=[WEATHER, CLOCK], tool_choice=choice)["tool_choice"] == wire


@pytest.mark.parametrize("choice", [None, False])
def test_no_tool_choice_sends_none(choice: Any) -> None:
    assert "tool_choice" not in payload(tools=[WEATHER], tool_choice=choice)


def test_unknown_tool_choice_name_lists_the_bound_tools() -> None:
    with pytest.raises(ConfigurationError, match=r"'search'.*get_weather, get_time"):
        payload(tools=[WEATHER, CLOCK], tool_choice="search")


def test_malformed_tool_choice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not a known form"):
        payload(tools=[WEATHER], tool_choice={"type": "function"})


@pytest.mark.parametrize("choice", ["required", "get_weather", True])
def test_forced_tool_choice_with_thinking_becomes_auto(choice: Any) -> None:
    built = warned_payload("changed to 'auto'.*thinking", tools=[WEATHER], tool_choice=choice,
                           thinking=True)
    assert built["tool_choice"] == "auto"


def test_tool_choice_none_with_thinking_is_kept() -> None:
    assert payload(tools=[WEATHER], tool_choice="none", thinking=True)["tool_choice"] == "none"


def test_auto_tool_choice_without_tools_is_not_sent() -> None:
    assert "tool_choice" not in payload(tool_choice="auto")


def test_required_tool_choice_without_tools_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="no tools are bound"):
        payload(tool_choice="required")


def test_more_than_32_tools_is_refused() -> None:
    tools = [make_tool_spec(f"t{i}", "", None) for i in range(33)]
    assert len(payload(tools=tools[:32])["tools"]) == 32
    with pytest.raises(ConfigurationError, match=r"33 tools.*at most 32"):
        payload(tools=tools)


def test_duplicate_tool_names_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="'get_weather'"):
        payload(tools=[WEATHER, WEATHER])


def test_tool_wire_shape_and_cache_control_on_the_function() -> None:
    cached = make_tool_spec("get_time", "time", None, cache_control=EPHEMERAL)
    tools = payload(tools=[WEATHER, cached])["tools"]
    assert tools[0] == {"type": "function", "function": {
        "name": "get_weather", "description": "weather", "parameters": WEATHER.parameters}}
    assert tools[-1]["function"]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in tools[0]["function"]


def test_parallel_tool_calls_and_strict_are_never_sent() -> None:
    extra = {"parallel_tool_calls": False, "tools": [
        {"type": "function", "strict": True,
         "function": {"name": "x", "parameters": {"type": "object"}, "strict": True}}]}
    built = warned_payload("parallel_tool_calls not sent", extra_body=extra)
    text = canonical(built)
    assert "parallel_tool_calls" not in text and "strict" not in text
    assert built["tools"] == [{"type": "function",
                               "function": {"name": "x", "parameters": {"type": "object"}}}]
    assert extra["tools"][0]["function"]["strict"] is True  # the caller's dict is untouched


def test_extra_body_is_merged_at_the_root() -> None:
    built = payload(extra_body={"thinking": {"type": "enabled", "budget_tokens": 1024},
                                "client_request_id": "r99"})
    assert built["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert built["client_request_id"] == "r99"
    assert "extra_body" not in built


# ----------------------------------------------------------------------------------------------
# Other options


def test_n_above_one_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="n=2"):
        payload(n=2)


def test_n_of_one_is_not_sent() -> None:
    assert "n" not in payload(n=1)


def test_empty_stop_is_not_sent_and_a_list_is() -> None:
    assert "stop" not in payload(stop=[])
    assert payload(stop=["END"])["stop"] == ["END"]


def test_stream_flag_without_stream_options() -> None:
    built = build_payload(HELLO, RequestOptions(), model="ep", profile=BUDGET, stream=True)
    assert built["stream"] is True and "stream_options" not in built
    assert "stream" not in payload()


def test_model_none_leaves_out_the_model_key() -> None:
    built = build_payload(HELLO, RequestOptions(), model=None, profile=BUDGET)
    assert "model" not in built and built["max_tokens"] == BUDGET.default_max_tokens


@pytest.mark.parametrize("max_tokens", [0, -5])
def test_bad_max_tokens_is_refused(max_tokens: int) -> None:
    with pytest.raises(ConfigurationError, match="max_tokens"):
        payload(max_tokens=max_tokens)


def test_only_known_top_level_keys_are_sent() -> None:
    built = payload(tools=[WEATHER], tool_choice="auto", stop=["x"], temperature=0.5,
                    top_p=0.5, top_k=3, max_tokens=100)
    assert set(built) == {"messages", "model", "max_tokens", "temperature", "top_p", "top_k",
                          "stop", "tools", "tool_choice"}


# ----------------------------------------------------------------------------------------------
# Messages


def test_several_system_messages_merge_into_the_first_message() -> None:
    built = payload([Message.user("hi"), Message.system("one"), Message.system("two")])
    assert built["messages"] == [{"role": "system", "content": "one\n\ntwo"},
                                 {"role": "user", "content": "hi"}]


def test_system_with_cache_control_is_a_list_of_parts() -> None:
    messages = [Message("system", [TextPart("long", cache_control=EPHEMERAL)]),
                Message.system("short"), Message.user("hi")]
    assert payload(messages)["messages"][0] == {"role": "system", "content": [
        {"type": "text", "text": "long", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "short"}]}


def test_cache_control_is_never_top_level() -> None:
    messages = [Message("system", [TextPart("long", cache_control=EPHEMERAL)]),
                Message.user("hi")]
    built = payload(messages, tools=[make_tool_spec("t", "", None, cache_control=EPHEMERAL)])
    assert "cache_control" not in built


def test_user_text_is_a_string_and_cached_text_a_list() -> None:
    assert message_to_wire(Message.user("hi")) == {"role": "user", "content": "hi"}
    cached = Message("user", [TextPart("hi", cache_control=EPHEMERAL)])
    assert message_to_wire(cached)["content"] == [
        {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]


def test_images_are_image_url_parts_with_cache_control() -> None:
    url = "data:image/png;base64,iVBORw0KGgo="
    message = Message("user", [TextPart("what is it?"), ImagePart(url, cache_control=EPHEMERAL)])
    assert message_to_wire(message)["content"] == [
        {"type": "text", "text": "what is it?"},
        {"type": "image_url", "image_url": {"url": url}, "cache_control": {"type": "ephemeral"}}]


def test_images_to_a_text_only_model_are_refused() -> None:
    message = Message("user", [ImagePart("data:image/png;base64,AAAA")])
    with pytest.raises(ConfigurationError, match="does not accept images"):
        payload([message], profile=NO_TEMPERATURE)


def test_tool_result_with_cache_control_is_a_list_of_text_parts() -> None:
    message = Message("tool", [ToolResultPart("c1", "20C", cache_control=EPHEMERAL)])
    assert message_to_wire(message) == {"role": "tool", "tool_call_id": "c1", "content": [
        {"type": "text", "text": "20C", "cache_control": {"type": "ephemeral"}}]}
    assert message_to_wire(Message.tool("c1", "20C"))["content"] == "20C"


def test_tool_result_parts_carry_cache_control_on_the_last_part() -> None:
    result = ToolResultPart("c1", [TextPart("a"), TextPart("b")], cache_control=EPHEMERAL)
    assert message_to_wire(Message("tool", [result]))["content"] == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}}]


def test_assistant_replay_of_every_part_kind() -> None:
    message = Message("assistant", [
        ReasoningPart("think", "sig"), RedactedReasoningPart("opaque"),
        ReasoningPart("more", "sig2"),
        TextPart("answer"), ToolCallPart("c1", "get_weather", '{"location": "東京"}')])
    assert message_to_wire(message) == {"role": "assistant", "content": [
        {"type": "reasoning", "summary": [
            {"type": "summary_text", "text": "think", "signature": "sig"}]},
        {"type": "reasoning", "summary": [{"type": "summary_encrypted_text", "data": "opaque"}]},
        {"type": "reasoning", "summary": [
            {"type": "summary_text", "text": "more", "signature": "sig2"}]},
        {"type": "text", "text": "answer"}],
        "tool_calls": [{"id": "c1", "type": "function", "function": {
            "name": "get_weather", "arguments": '{"location": "東京"}'}}]}


def test_assistant_text_only_is_a_plain_string() -> None:
    assert message_to_wire(Message.assistant("ok")) == {"role": "assistant", "content": "ok"}


@pytest.mark.parametrize("text", ["", " \n"])
def test_pure_tool_call_turn_has_null_content(text: str) -> None:
    wire = message_to_wire(tool_turn("c1", text=text or " ") if text else tool_turn("c1"))
    assert wire["content"] is None and len(wire["tool_calls"]) == 1


def test_empty_text_beside_reasoning_and_tool_calls_is_omitted() -> None:
    message = Message("assistant", [ReasoningPart("r", "s"), TextPart(""),
                                    ToolCallPart("c1", "f", "{}")])
    assert message_to_wire(message)["content"] == [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "r", "signature": "s"}]}]


def test_unknown_parts_are_passed_through_verbatim() -> None:
    block = {"type": "citation_thing", "payload": {"x": [1, 2]}}
    assert message_to_wire(Message("assistant", [TextPart("a"), UnknownPart(block)]))[
        "content"] == [{"type": "text", "text": "a"}, block]
    assert message_to_wire(Message("user", [UnknownPart(block)]))["content"] == [block]


def test_a_full_tool_loop_is_accepted() -> None:
    messages = [Message.system("s"), Message.user("weather?"), tool_turn("c1", "c2"),
                Message.tool("c2", "rain"), Message.tool("c1", "sun"), Message.assistant("mixed"),
                Message.user("thanks")]
    roles = [m["role"] for m in payload(messages, tools=[WEATHER])["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "tool", "assistant", "user"]


def test_tool_result_without_its_call_is_refused_naming_the_id() -> None:
    with pytest.raises(ConfigurationError, match="'ghost'"):
        payload([Message.user("hi"), Message.tool("ghost", "x")])


def test_tool_call_without_a_result_is_refused_naming_the_id() -> None:
    with pytest.raises(ConfigurationError, match="'c2' has no result before the next user"):
        payload([Message.user("hi"), tool_turn("c1", "c2"), Message.tool("c1", "x"),
                 Message.user("and?")])


def test_tool_call_answered_too_late_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'c1'"):
        payload([Message.user("hi"), tool_turn("c1"), Message.user("wait"),
                 Message.tool("c1", "x")])


def test_unanswered_tool_calls_are_allowed_as_the_last_message() -> None:
    assert payload([Message.user("hi"), tool_turn("c1")])["messages"][-1]["tool_calls"]


def test_partly_answered_calls_at_the_end_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="'c2' has no result at the end"):
        payload([Message.user("hi"), tool_turn("c1", "c2"), Message.tool("c1", "x")])


def test_a_result_given_twice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'c1' has more than one result"):
        payload([Message.user("hi"), tool_turn("c1"), Message.tool("c1", "x"),
                 Message.tool("c1", "y")])


def test_tool_results_inside_a_user_message_become_consecutive_tool_messages() -> None:
    messages = [Message.user("hi"), tool_turn("c1", "c2"),
                Message("user", [ToolResultPart("c1", "a"), TextPart("also this"),
                                 ToolResultPart("c2", "b")])]
    assert payload(messages)["messages"][2:] == [
        {"role": "tool", "tool_call_id": "c1", "content": "a"},
        {"role": "tool", "tool_call_id": "c2", "content": "b"},
        {"role": "user", "content": "also this"}]


def test_system_messages_between_tool_results_do_not_break_them() -> None:
    messages = [Message.user("hi"), tool_turn("c1", "c2"), Message.tool("c1", "a"),
                Message.system("note"), Message.tool("c2", "b")]
    roles = [m["role"] for m in payload(messages)["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "tool"]


def test_reasoning_in_a_user_message_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="user message cannot hold a ReasoningPart"):
        payload([Message("user", [ReasoningPart("x")])])


def test_reasoning_is_replayed_first_whatever_the_part_order() -> None:
    message = Message("assistant", [TextPart("answer"), ToolCallPart("c1", "f", "{}"),
                                    RedactedReasoningPart("x"), ReasoningPart("r", "s")])
    content = message_to_wire(message)["content"]
    assert [block["type"] for block in content] == ["reasoning", "reasoning", "text"]
    assert content[0]["summary"][0] == {"type": "summary_encrypted_text", "data": "x"}


def test_thinking_dict_with_unknown_keys_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="does not accept: budget"):
        payload(thinking={"type": "enabled", "budget_tokens": 2048, "budget": 3})


# ----------------------------------------------------------------------------------------------
# A continued tool loop with thinking on needs the assistant turn's reasoning


def tool_loop(assistant: Message, *, then_user: bool = False) -> list[Message]:
    messages = [Message.user("weather?"), assistant, Message.tool("c1", "sunny")]
    return [*messages, Message.user("thanks")] if then_user else messages


def test_tool_loop_without_reasoning_turns_budget_thinking_off() -> None:
    built = warned_payload("thinking turned off.*without its reasoning block",
                           tool_loop(tool_turn("c1", text="let me check")), tools=[WEATHER],
                           thinking=True, max_tokens=4096, temperature=0.3)
    assert "thinking" not in built
    assert built["temperature"] == 0.3  # thinking is off, so sampling applies again


def test_tool_loop_with_its_reasoning_keeps_thinking() -> None:
    turn = Message("assistant", [ReasoningPart("think", "sig"),
                                 ToolCallPart("c1", "get_weather", "{}")])
    built = payload(tool_loop(turn), tools=[WEATHER], thinking=True, max_tokens=4096)
    assert built["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_finished_tool_loop_without_reasoning_keeps_thinking() -> None:
    built = payload(tool_loop(tool_turn("c1"), then_user=True), tools=[WEATHER], thinking=True,
                    max_tokens=4096)
    assert built["thinking"]["type"] == "enabled"




# ----------------------------------------------------------------------------------------------
# Payloads the service would refuse are refused (or fixed) before sending


def test_empty_message_list_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="message list is empty"):
        build_payload([], RequestOptions(), model="ep", profile=BUDGET)


def test_only_system_messages_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="only system messages"):
        payload([Message.system("be brief")])


@pytest.mark.parametrize("text", ["", "  \n"])
def test_empty_user_turn_is_refused_naming_its_index(text: str) -> None:
    with pytest.raises(ConfigurationError, match="user message 2 is empty"):
        payload([Message.user("hi"), Message.assistant("yes"), Message.user(text)])


def test_blank_text_parts_are_dropped_where_other_content_remains() -> None:
    image = ImagePart("data:image/png;base64,AAAA")
    built = payload([Message("user", [TextPart(""), TextPart("look"), TextPart(" "), image])])
    assert built["messages"][0]["content"] == [
        {"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": image.url}}]
    assert payload([Message("user", [TextPart(""), TextPart("hi")])])["messages"] == [
        {"role": "user", "content": "hi"}]


def test_empty_system_messages_are_dropped_and_an_empty_system_prompt_refused() -> None:
    built = payload([Message.system(""), Message.user("hi"), Message.system("rules")])
    assert built["messages"][0] == {"role": "system", "content": "rules"}
    with pytest.raises(ConfigurationError, match=r"system prompt \(system message 1\) is empty"):
        payload([Message.user("hi"), Message.system(" "), Message.system("")])


def test_blank_text_beside_tool_results_is_dropped() -> None:
    messages = [Message.user("hi"), tool_turn("c1"),
                Message("user", [ToolResultPart("c1", [TextPart(""), TextPart("sun")]),
                                 TextPart("")])]
    assert payload(messages)["messages"][2:] == [
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "sun"}]}]


def test_empty_assistant_turn_is_refused_unless_last() -> None:
    with pytest.raises(ConfigurationError, match="assistant message 1 is empty"):
        payload([Message.user("hi"), Message.assistant(""), Message.user("and?")])
    assert payload([Message.user("hi"), Message.assistant("")])["messages"][-1] == {
        "role": "assistant", "content": ""}


@pytest.mark.parametrize("arguments", ["", "  "])
def test_empty_tool_arguments_are_sent_as_an_empty_object(arguments: str) -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_time", arguments)])
    wire = payload([Message.user("hi"), turn, Message.tool("c1", "noon")])["messages"][1]
    assert wire["tool_calls"][0]["function"]["arguments"] == "{}"


@pytest.mark.parametrize("arguments", ["{", "[1]", '"x"', "null", "{'a': 1}"])
def test_tool_arguments_that_are_not_a_json_object_are_refused_naming_the_id(
        arguments: str) -> None:
    turn = Message("assistant", [ToolCallPart("call_7", "get_time", arguments)])
    with pytest.raises(ConfigurationError, match="'call_7' arguments are not a JSON object"):
        payload([Message.user("hi"), turn, Message.tool("call_7", "noon")])


def test_tool_call_with_an_empty_id_or_name_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="assistant message 1 has an empty id"):
        payload([Message.user("hi"), Message("assistant", [ToolCallPart("", "f", "{}")])])
    with pytest.raises(ConfigurationError, match="'c1' in assistant message 1 has an empty tool"):
        payload([Message.user("hi"), Message("assistant", [ToolCallPart("c1", "", "{}")])])


def test_adaptive_thinking_on_a_budget_model_becomes_a_budget_with_a_warning() -> None:
    built = warned_payload("'adaptive' changed to 'enabled' with budget_tokens 2048",
                           thinking={"type": "adaptive", "display": "summarized"},
                           max_tokens=4096)
    assert built["thinking"] == {"type": "enabled", "budget_tokens": 2048,
                                 "display": "summarized"}


def test_adaptive_thinking_on_a_budget_model_too_small_for_a_budget_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="too small for thinking"):
        payload(thinking={"type": "adaptive"}, max_tokens=1000)


@pytest.mark.parametrize("endpoint", ["databricks-claude-opus-4-6", "my-own-model"])
def test_adaptive_thinking_passes_through_where_it_may_be_accepted(endpoint: str) -> None:
    """Claude 4.6 models take both styles; for an unknown model the caller knows best."""
    built = payload(profile=get_profile(endpoint), thinking={"type": "adaptive"})
    assert built["thinking"] == {"type": "adaptive"}


def test_assistant_turn_with_only_reasoning_is_dropped_naming_its_index() -> None:
    # Finding 4: such a turn used to be refused; it is now left out with one warning.
    turn = Message("assistant", [ReasoningPart("hmm", "sig"), TextPart(" ")])
    hi = Message.user("hi")
    for messages in ([hi, turn, Message.user("and?")], [hi, turn]):
        built = warned_payload(r"assistant message 1 dropped .*holds only reasoning", messages)
        assert [m["role"] for m in built["messages"]] == ["user"] * (len(messages) - 1)
    built = warned_payload("holds only reasoning", [
        Message.user("hi"), Message("assistant", [RedactedReasoningPart("x")]),
        Message.user("and?")])
    assert all(m["role"] == "user" for m in built["messages"])


@pytest.mark.parametrize("signature", [None, ""])
def test_unsigned_reasoning_is_dropped_from_the_replay_with_a_warning(
        signature: str | None) -> None:
    turn = Message("assistant", [ReasoningPart("hmm", signature), RedactedReasoningPart("x"),
                                 TextPart("answer")])
    built = warned_payload("reasoning without a signature dropped from assistant message 1",
                           [Message.user("hi"), turn, Message.user("and?")])
    assert built["messages"][1]["content"] == [
        {"type": "reasoning", "summary": [{"type": "summary_encrypted_text", "data": "x"}]},
        {"type": "text", "text": "answer"}]
    plain = Message("assistant", [ReasoningPart("hmm", signature), TextPart("answer")])
    assert warned_payload("without a signature", [Message.user("hi"), plain])[
        "messages"][1] == {"role": "assistant", "content": "answer"}


def test_unsigned_reasoning_dropped_in_a_tool_loop_turns_thinking_off() -> None:
    turn = Message("assistant", [ReasoningPart("hmm"), ToolCallPart("c1", "get_weather", "{}")])
    with pytest.warns(DatabricksClaudeWarning) as caught:
        built = build_payload(tool_loop(turn), RequestOptions(thinking=True, max_tokens=4096),
                              model="ep", profile=BUDGET)
    assert "thinking" not in built and built["messages"][1]["content"] is None
    assert {"without a signature" in str(w.message) for w in caught} == {True, False}


@pytest.mark.parametrize(("name", "value", "bounds"), [
    ("temperature", -0.1, r"\[0, 2\]"), ("temperature", 2.5, r"\[0, 2\]"),
    ("temperature", float("nan"), r"\[0, 2\]"), ("temperature", "hot", r"\[0, 2\]"),
    ("top_p", 0, r"\(0, 1\]"), ("top_p", 1.01, r"\(0, 1\]"), ("top_p", float("inf"), r"\(0, 1\]"),
])
def test_sampling_values_out_of_range_are_refused_naming_value_and_range(
        name: str, value: Any, bounds: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{name} must be a number in {bounds}, got "):
        payload(**{name: value})
    with pytest.raises(ConfigurationError, match=name):  # even when thinking would drop it
        payload(thinking=True, max_tokens=4096, **{name: value})


def test_sampling_bounds_are_accepted() -> None:
    assert payload(temperature=0, top_p=1)["temperature"] == 0
    assert payload(temperature=2, top_p=1e-9)["top_p"] == 1e-9


def test_adaptive_tool_loop_without_reasoning_sends_thinking_disabled() -> None:
    built = warned_payload("thinking turned off.*without its reasoning block",
                           tool_loop(tool_turn("c1")), profile=ADAPTIVE, tools=[WEATHER],
                           thinking=True, effort="high")
    assert built["thinking"] == {"type": "disabled"}
    assert built["output_config"] == {"effort": "high"}


def test_adaptive_tool_loop_with_its_reasoning_keeps_adaptive_thinking() -> None:
    turn = Message("assistant", [ReasoningPart("think", "sig"),
                                 ToolCallPart("c1", "get_weather", "{}")])
    built = payload(tool_loop(turn), profile=ADAPTIVE, tools=[WEATHER], thinking=True)
    assert built["thinking"] == {"type": "adaptive", "display": "summarized"}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_encode_payload_refuses_non_finite_numbers(value: float) -> None:
    from databricks_claude._http import encode_payload

    built = payload(extra_body={"client_request_id": "r", "usage_context": {"x": [value]}})
    with pytest.raises(ConfigurationError, match="non-finite number"):
        encode_payload(built)


def test_encode_payload_refuses_values_json_cannot_hold() -> None:
    from databricks_claude._http import encode_payload

    with pytest.raises(ConfigurationError, match="cannot be encoded as JSON"):
        encode_payload({"messages": [], "usage_context": {1, 2}})
    assert encode_payload({"a": 1.5, "b": "é"}) == b'{"a":1.5,"b":"\\u00e9"}'


# ----------------------------------------------------------------------------------------------
# Public helpers shared by the adapters


def test_part_to_wire_reasoning_redacted_unknown_and_text() -> None:
    assert part_to_wire(ReasoningPart("t", "s", EPHEMERAL)) == {
        "type": "reasoning", "summary": [{"type": "summary_text", "text": "t", "signature": "s"}],
        "cache_control": EPHEMERAL}
    assert part_to_wire(ReasoningPart("t")) == {
        "type": "reasoning", "summary": [{"type": "summary_text", "text": "t"}]}
    assert part_to_wire(RedactedReasoningPart("d")) == {
        "type": "reasoning", "summary": [{"type": "summary_encrypted_text", "data": "d"}]}
    assert part_to_wire(UnknownPart({"type": "citation_x", "n": 1})) == {
        "type": "citation_x", "n": 1}
    assert part_to_wire(TextPart("x")) == {"type": "text", "text": "x"}
    with pytest.raises(ConfigurationError, match="not a content block"):
        part_to_wire(ToolCallPart("c", "f", "{}"))


def test_part_to_wire_is_what_the_replay_sends() -> None:
    parts = [ReasoningPart("t", "s"), RedactedReasoningPart("d"), TextPart("x")]
    assert message_to_wire(Message("assistant", list(parts)))["content"] == [
        part_to_wire(p) for p in parts]


@pytest.mark.parametrize(("setting", "expected"), [
    (None, False), (False, False), (True, True), (2048, True),
    ({"type": "enabled", "budget_tokens": 2048}, True), ({"type": "adaptive"}, True),
    ({"type": "disabled"}, False)])
def test_thinking_on(setting: Any, expected: bool) -> None:
    assert thinking_on(setting) is expected
    # The builder agrees: sampling settings are dropped exactly when thinking is on.
    options = {"max_tokens": 4096, "thinking": setting, "top_k": 5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DatabricksClaudeWarning)
        for profile in (BUDGET, ADAPTIVE):
            built = build_payload(HELLO, RequestOptions(**options), model="ep", profile=profile)
            assert ("top_k" not in built) is expected


def test_validate_tool_choice_matches_the_builder() -> None:
    names = ["get_weather", "get_time"]
    for choice in (None, False, "auto", "none", "required", "any", True, "get_time",
                   {"type": "function", "function": {"name": "get_weather"}},
                   {"type": "tool", "name": "get_time"}, {"type": "auto"}):
        validate_tool_choice(choice, names)
    validate_tool_choice("auto", [])
    refused = [("nope", names, "not a bound tool"), ("get_time", [], "bound tools: none"),
               ({"type": "tool"}, names, "names no tool"), (3, names, "not a known form"),
               ("required", [], "no tools are bound")]
    for choice, bound, match in refused:
        with pytest.raises(ConfigurationError, match=match) as checked:
            validate_tool_choice(choice, bound)
        tools = [t for t in (WEATHER, CLOCK) if t.name in bound]
        with pytest.raises(ConfigurationError) as built:
            payload(tools=tools, tool_choice=choice)
        assert str(checked.value) == str(built.value)


def test_efforts_constant() -> None:
    assert EFFORTS == ("low", "medium", "high", "xhigh", "max")
    with pytest.raises(ConfigurationError, match=", ".join(EFFORTS)):
        payload(profile=ADAPTIVE, effort="extreme")


def test_tool_result_keeps_parts_apart() -> None:
    assert tool_result("c", "x") == ToolResultPart("c", "x")
    assert tool_result("c", []) == ToolResultPart("c", "")
    assert tool_result("c", ["x"]) == ToolResultPart("c", "x")
    several = tool_result("c", ["a", TextPart("b")], is_error=True)
    assert several == ToolResultPart("c", [TextPart("a"), TextPart("b")], is_error=True)
    cached = tool_result("c", [TextPart("a", EPHEMERAL)])
    assert cached.content == [TextPart("a", EPHEMERAL)]
    turn = Message("assistant", [ToolCallPart("c", "get_weather", "{}")])
    built = payload([Message.user("hi"), turn, Message("tool", [several])], tools=[WEATHER])
    assert built["messages"][-1] == {"role": "tool", "tool_call_id": "c", "content": [
        {"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}


def test_tool_result_of_only_blank_parts_is_sent_as_empty_text() -> None:
    turn = Message("assistant", [ToolCallPart("c", "get_weather", "{}")])
    result = ToolResultPart("c", [TextPart(" "), TextPart("")])
    built = payload([Message.user("hi"), turn, Message("tool", [result])], tools=[WEATHER])
    assert built["messages"][-1]["content"] == ""
