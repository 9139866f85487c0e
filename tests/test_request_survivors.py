"""Request building: the behaviours a mutation run of `request.py` showed no test noticed.

Each test pins one rule exactly (the value sent, or the error type and what its message says),
so that changing the rule in the request builder (`codecs/chat/request.py`,
`codecs/chat/history.py`, `schema.py`, `rules/`) fails here (issue 11).
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from typing import Any

import pytest

from databricks_claude.codecs.chat.history import message_to_wire
from databricks_claude.codecs.chat.request import build_payload, build_request
from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import (
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    RequestOptions,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    UnknownPart,
)
from databricks_claude.notes import DatabricksClaudeWarning
from databricks_claude.profiles import ModelProfile, get_profile
from databricks_claude.rules.tool_choice import ToolChoiceDecision, tool_choice_for
from databricks_claude.schema import make_tool_spec, sanitize_schema

SONNET_46 = get_profile("databricks-claude-sonnet-4-6")
SONNET_45 = get_profile("databricks-claude-sonnet-4-5")
OPUS_46 = get_profile("databricks-claude-opus-4-6")
BUDGET = get_profile("databricks-claude-3-7-sonnet")
WEATHER = make_tool_spec("get_weather", "weather", {
    "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]})


def build(messages: list[Message] | None = None, profile: ModelProfile = BUDGET,
          **options: Any) -> dict[str, Any]:
    """build_payload with no warnings allowed (a warning fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatabricksClaudeWarning)
        return build_payload(messages or [Message.user("hi")], RequestOptions(**options),
                             model="ep", profile=profile)


def warned(match: str, messages: list[Message] | None = None, profile: ModelProfile = BUDGET,
           **options: Any) -> dict[str, Any]:
    """build_payload that must warn with a message matching `match`."""
    with pytest.warns(DatabricksClaudeWarning, match=match):
        return build_payload(messages or [Message.user("hi")], RequestOptions(**options),
                             model="ep", profile=profile)


def refused(match: str, messages: list[Message], **options: Any) -> ConfigurationError:
    """build_payload must raise exactly a ConfigurationError whose message matches `match`."""
    with pytest.raises(ConfigurationError, match=match) as caught:
        build(messages, **options)
    assert type(caught.value) is ConfigurationError
    return caught.value


# ----------------------------------------------------------------------------------------------
# Boolean sub-schemas (`true` / `false`) are kept as booleans, never turned into null


def test_additional_properties_false_is_kept_false() -> None:
    schema = sanitize_schema({
        "type": "object", "additionalProperties": False,
        "properties": {"inner": {"type": "object", "additionalProperties": False,
                                 "properties": {"n": {"type": "integer"}}}}})
    assert schema["additionalProperties"] is False
    assert schema["properties"]["inner"]["additionalProperties"] is False
    assert schema == {"type": "object", "additionalProperties": False, "properties": {
        "inner": {"type": "object", "additionalProperties": False,
                  "properties": {"n": {"type": "integer"}}}}}


def test_boolean_schemas_in_every_schema_slot_stay_booleans() -> None:
    schema = sanitize_schema({
        "type": "object",
        "properties": {"anything": True, "nothing": False,
                       "list": {"type": "array", "items": True, "contains": False},
                       "map": {"type": "object", "additionalProperties": True,
                               "propertyNames": True}}})
    properties = schema["properties"]
    assert properties["anything"] is True and properties["nothing"] is False
    assert properties["list"] == {"type": "array", "items": True, "contains": False}
    assert properties["map"] == {"type": "object", "additionalProperties": True,
                                 "propertyNames": True}


def test_additional_properties_false_reaches_the_payload() -> None:
    tool = make_tool_spec("strict_tool", "", {
        "type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False})
    sent = build(tools=[tool])["tools"][0]["function"]["parameters"]
    assert sent == {"type": "object", "properties": {"a": {"type": "string"}},
                    "additionalProperties": False}


def test_a_ref_to_a_boolean_schema_is_that_boolean() -> None:
    schema = sanitize_schema({"$defs": {"Open": True, "Closed": False}, "type": "object",
                              "properties": {"o": {"$ref": "#/$defs/Open"},
                                             "c": {"$ref": "#/$defs/Closed"}}})
    assert schema["properties"]["o"] is True
    assert schema["properties"]["c"] is False


# ----------------------------------------------------------------------------------------------
# Keywords the service refuses are dropped, each of them (`else` included)


@pytest.mark.parametrize("keyword", [
    "$schema", "$id", "$comment", "title", "pattern", "patternProperties", "prefixItems",
    "discriminator", "not", "if", "then", "else"])
def test_each_refused_keyword_is_dropped(keyword: str) -> None:
    value: Any = {"type": "string"} if keyword not in ("$schema", "$id", "$comment") else "x"
    schema = sanitize_schema({"type": "object", "properties": {"a": {"type": "string",
                                                                     keyword: value}},
                              keyword: value})
    assert schema == {"type": "object", "properties": {"a": {"type": "string"}}}


def test_if_then_else_are_all_dropped_and_their_siblings_kept() -> None:
    schema = sanitize_schema({
        "type": "object", "properties": {"kind": {"type": "string", "enum": ["a", "b"]}},
        "if": {"properties": {"kind": {"const": "a"}}},
        "then": {"required": ["x"]},
        "else": {"required": ["y"]},
        "required": ["kind"]})
    assert schema == {"type": "object",
                      "properties": {"kind": {"type": "string", "enum": ["a", "b"]}},
                      "required": ["kind"]}


def test_defs_and_definitions_are_dropped_after_inlining() -> None:
    schema = sanitize_schema({
        "$defs": {"A": {"type": "string"}}, "definitions": {"B": {"type": "integer"}},
        "type": "object", "properties": {"a": {"$ref": "#/$defs/A"},
                                         "b": {"$ref": "#/definitions/B"}}})
    assert schema == {"type": "object", "properties": {"a": {"type": "string"},
                                                       "b": {"type": "integer"}}}


# ----------------------------------------------------------------------------------------------
# `$ref` pointers: `~1` is `/`, `~0` is `~` (RFC 6901), list items are addressed by index


def test_ref_unescapes_tilde_one_as_a_slash() -> None:
    schema = sanitize_schema({"$defs": {"a/b": {"type": "string"}},
                              "type": "object", "properties": {"x": {"$ref": "#/$defs/a~1b"}}})
    assert schema["properties"]["x"] == {"type": "string"}


def test_ref_unescapes_tilde_zero_as_a_tilde() -> None:
    schema = sanitize_schema({"$defs": {"c~d": {"type": "integer"}},
                              "type": "object", "properties": {"y": {"$ref": "#/$defs/c~0d"}}})
    assert schema["properties"]["y"] == {"type": "integer"}


def test_ref_unescapes_tilde_one_before_tilde_zero() -> None:
    """`~01` is the key `~1` (not `/`): `~1` must be replaced first, as RFC 6901 says."""
    schema = sanitize_schema({"$defs": {"~1": {"type": "boolean"}, "/": {"type": "null"}},
                              "type": "object", "properties": {"z": {"$ref": "#/$defs/~01"}}})
    assert schema["properties"]["z"] == {"type": "boolean"}


def test_an_unescaped_key_with_a_tilde_is_not_found() -> None:
    with pytest.raises(ConfigurationError, match=r"'#/\$defs/a~1b' points to nothing"):
        sanitize_schema({"$defs": {"a~1b": {"type": "string"}},
                         "type": "object", "properties": {"x": {"$ref": "#/$defs/a~1b"}}})


def test_ref_into_an_any_of_list_by_index() -> None:
    schema = sanitize_schema({
        "$defs": {"x": {"anyOf": [{"type": "string", "description": "zero"},
                                  {"type": "integer", "description": "one"}]}},
        "type": "object",
        "properties": {"first": {"$ref": "#/$defs/x/anyOf/0"},
                       "second": {"$ref": "#/$defs/x/anyOf/1"}}})
    assert schema["properties"] == {"first": {"type": "string", "description": "zero"},
                                    "second": {"type": "integer", "description": "one"}}


def test_ref_into_a_root_items_list_by_index() -> None:
    schema = sanitize_schema({
        "type": "object", "items": [{"type": "string"}, {"type": "object", "properties": {
            "n": {"type": "number"}}}],
        "properties": {"a": {"$ref": "#/items/1"}, "b": {"$ref": "#/items/0"}}})
    assert schema["properties"] == {"a": {"type": "object", "properties": {
        "n": {"type": "number"}}}, "b": {"type": "string"}}


@pytest.mark.parametrize("ref", ["#/$defs/x/anyOf/2", "#/$defs/x/anyOf/-1",
                                 "#/$defs/x/anyOf/first", "#/$defs/x/anyOf/0/type/0"])
def test_a_list_index_that_points_nowhere_is_a_configuration_error(ref: str) -> None:
    with pytest.raises(ConfigurationError, match="points to nothing") as caught:
        sanitize_schema({"$defs": {"x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                         "type": "object", "properties": {"a": {"$ref": ref}}})
    assert repr(ref) in str(caught.value)


def test_ref_to_the_root_is_cut_as_a_recursion() -> None:
    schema = sanitize_schema({"type": "object", "description": "tree",
                              "properties": {"child": {"$ref": "#"}, "also": {"$ref": "#/"}}})
    assert schema["properties"]["child"]["properties"]["child"] == {"type": "object"}
    assert schema["properties"]["child"]["description"] == "tree"
    assert schema["properties"]["also"]["description"] == "tree"


@pytest.mark.parametrize("ref", ["https://example.com/s.json", "defs/A", 5, None])
def test_a_ref_that_is_not_local_is_a_configuration_error(ref: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"is not a local '#/\.\.\.' reference") as caught:
        sanitize_schema({"type": "object", "properties": {"a": {"$ref": ref}}})
    assert repr(ref) in str(caught.value)


def test_ref_siblings_win_over_the_target_and_are_sanitized() -> None:
    schema = sanitize_schema({
        "$defs": {"A": {"type": "string", "description": "target", "title": "A"}},
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A", "description": "sibling", "title": "T"}}})
    assert schema["properties"]["a"] == {"type": "string", "description": "sibling"}


def test_a_schema_that_is_not_an_object_names_its_type() -> None:
    with pytest.raises(ConfigurationError, match="must be a JSON object, got list"):
        sanitize_schema([{"type": "object"}])  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Tool-call arguments must be JSON text: a dict (or anything else) is a typed refusal


@pytest.mark.parametrize(("arguments", "kind"), [
    ({"location": "Paris"}, "dict"), ({}, "dict"), (None, "NoneType"), (["x"], "list"),
    (b"{}", "bytes")])
def test_tool_call_arguments_that_are_not_text_are_a_configuration_error(
        arguments: Any, kind: str) -> None:
    turn = Message("assistant", [ToolCallPart("call_9", "get_weather", arguments)])
    refused(f"tool call 'call_9' arguments must be a JSON string, got {kind}",
            [Message.user("hi"), turn, Message.tool("call_9", "sunny")])
    with pytest.raises(ConfigurationError, match=f"must be a JSON string, got {kind}"):
        message_to_wire(turn)


def test_json_text_arguments_are_sent_exactly_as_given() -> None:
    arguments = '{ "location" : "Paris" }'
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", arguments)])
    wire = build([Message.user("hi"), turn, Message.tool("c1", "sunny")])["messages"][1]
    assert wire["tool_calls"] == [{"id": "c1", "type": "function", "function": {
        "name": "get_weather", "arguments": arguments}}]


@pytest.mark.parametrize("arguments", ['  {"a": 1}', '\n{"a": {"b": [1]}}'])
def test_arguments_with_leading_whitespace_are_accepted(arguments: str) -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", arguments)])
    wire = build([Message.user("hi"), turn, Message.tool("c1", "sunny")])["messages"][1]
    assert wire["tool_calls"][0]["function"]["arguments"] == arguments


def test_arguments_too_deep_to_parse_are_a_configuration_error() -> None:
    arguments = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", arguments)])
    refused("'c1' arguments are not a JSON object",
            [Message.user("hi"), turn, Message.tool("c1", "sunny")])


def test_refused_arguments_are_quoted_at_most_200_characters() -> None:
    arguments = "[" + "1," * 300 + "1]"
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", arguments)])
    error = refused("'c1' arguments are not a JSON object",
                    [Message.user("hi"), turn, Message.tool("c1", "sunny")])
    assert repr(arguments[:200]) in str(error)
    assert repr(arguments[:201]) not in str(error)


@pytest.mark.parametrize(("call", "match"), [
    (ToolCallPart(None, "f", "{}"), "has an empty id"),  # type: ignore[arg-type]
    (ToolCallPart("c1", None, "{}"), "'c1' in assistant message 1 has an empty tool name"),  # type: ignore[arg-type]
])
def test_tool_call_id_and_name_must_be_text(call: ToolCallPart, match: str) -> None:
    refused(match, [Message.user("hi"), Message("assistant", [call])])


# ----------------------------------------------------------------------------------------------
# Messages the builder refuses, and the system branch of message_to_wire


def test_a_tool_message_holding_other_parts_is_refused() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    for extra in (TextPart("and also this"), TextPart(" "),
                  ImagePart("data:image/png;base64,AAAA")):
        message = Message("tool", [ToolResultPart("c1", "sunny"), extra])
        refused(r"^a tool message can only hold tool results$",
                [Message.user("hi"), turn, message])


def test_a_tool_message_without_a_tool_result_is_refused() -> None:
    for parts in ([TextPart("sunny")], []):
        with pytest.raises(ConfigurationError,
                           match=r"^a tool message must hold exactly one ToolResultPart$"):
            build([Message.user("hi"), Message("assistant", [ToolCallPart("c1", "f", "{}")]),
                   Message("tool", list(parts))])


@pytest.mark.parametrize("parts", [
    [TextPart("sunny")], [ToolResultPart("c1", "a"), ToolResultPart("c2", "b")],
    [ToolResultPart("c1", "a"), TextPart("b")], []])
def test_message_to_wire_tool_message_needs_exactly_one_result(parts: list[Part]) -> None:
    with pytest.raises(ConfigurationError,
                       match=r"^a tool message must hold exactly one ToolResultPart$"):
        message_to_wire(Message("tool", parts))


def test_message_to_wire_tool_message_with_one_result() -> None:
    assert message_to_wire(Message.tool("c1", "sunny")) == {
        "role": "tool", "tool_call_id": "c1", "content": "sunny"}


@pytest.mark.parametrize("role", ["bot", "developer", "", "System"])
def test_an_unknown_role_is_refused_naming_it(role: str) -> None:
    message = Message(role, [TextPart("hello")])  # type: ignore[arg-type]
    refused(rf"^unknown message role {role!r}$", [Message.user("hi"), message])
    with pytest.raises(ConfigurationError, match=rf"^unknown message role {role!r}$"):
        message_to_wire(message)


def test_an_unknown_role_holding_tool_results_is_refused_naming_it() -> None:
    message = Message("bot", [ToolResultPart("c1", "x")])  # type: ignore[arg-type]
    refused(r"^a bot message cannot hold tool results$",
            [Message.user("hi"), Message("assistant", [ToolCallPart("c1", "f", "{}")]), message])


def test_an_assistant_message_holding_a_tool_result_is_refused() -> None:
    message = Message("assistant", [TextPart("x"), ToolResultPart("c1", "x")])
    refused(r"^a assistant message cannot hold a ToolResultPart$", [Message.user("hi"), message])


def test_a_system_message_holding_a_tool_call_is_refused() -> None:
    system = Message("system", [TextPart("rules", {"type": "ephemeral"}),
                                ToolCallPart("c1", "f", "{}")])
    refused(r"^a system message cannot hold a ToolCallPart$", [system, Message.user("hi")])


def test_message_to_wire_system_message() -> None:
    assert message_to_wire(Message.system("be brief")) == {"role": "system",
                                                           "content": "be brief"}
    cached = Message("system", [TextPart("a"), TextPart("b", {"type": "ephemeral"})])
    assert message_to_wire(cached) == {"role": "system", "content": [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}}]}
    with pytest.raises(ConfigurationError, match=r"system prompt \(the system message\) is empty"):
        message_to_wire(Message.system("  "))


def test_message_to_wire_user_message() -> None:
    assert message_to_wire(Message.user("hi")) == {"role": "user", "content": "hi"}
    with pytest.raises(ConfigurationError, match=r"^the user message is empty"):
        message_to_wire(Message.user(""))
    with pytest.raises(ConfigurationError,
                       match=r"^a user message with tool results needs build_payload$"):
        message_to_wire(Message("user", [TextPart("x"), ToolResultPart("c1", "y")]))


def test_message_to_wire_assistant_message_names_no_index() -> None:
    assert message_to_wire(Message.assistant("yes")) == {"role": "assistant", "content": "yes"}
    with pytest.raises(ConfigurationError, match=r"^the assistant message holds only reasoning"):
        message_to_wire(Message("assistant", [ReasoningPart("hmm", "sig")]))


def test_system_messages_are_joined_by_a_blank_line_in_the_first_message() -> None:
    built = build([Message.system("one"), Message.user("hi"), Message.system("two")])
    assert built["messages"] == [{"role": "system", "content": "one\n\ntwo"},
                                 {"role": "user", "content": "hi"}]


def test_the_system_prompt_error_names_the_first_system_message() -> None:
    refused(r"system prompt \(system message 0\) is empty",
            [Message.system(""), Message.user("hi"), Message.system(" ")])


# ----------------------------------------------------------------------------------------------
# sonnet-4-6 and opus-4-6: budget models that also take adaptive thinking and effort


def test_sonnet_46_is_a_budget_model_that_accepts_adaptive() -> None:
    assert SONNET_46.thinking_style == "budget" and SONNET_46.known
    built = build(profile=SONNET_46, thinking={"type": "adaptive"})
    assert built["thinking"] == {"type": "adaptive"}
    kept = build(profile=SONNET_46, thinking={"type": "adaptive", "display": "summarized"})
    assert kept["thinking"] == {"type": "adaptive", "display": "summarized"}


@pytest.mark.parametrize("profile", [SONNET_46, OPUS_46])
def test_adaptive_thinking_with_effort_on_a_4_6_model(profile: ModelProfile) -> None:
    built = build(profile=profile, thinking={"type": "adaptive"}, effort="low")
    assert built["thinking"] == {"type": "adaptive"}
    assert built["output_config"] == {"effort": "low"}
    assert "effort" not in built and "budget_tokens" not in built["thinking"]


@pytest.mark.parametrize("thinking", [True, 2048, {"type": "enabled", "budget_tokens": 2048}])
def test_budget_thinking_on_sonnet_46_stays_a_budget(thinking: Any) -> None:
    built = build(profile=SONNET_46, thinking=thinking, max_tokens=4096)
    assert built["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_effort_with_budget_thinking_on_sonnet_46_is_sent() -> None:
    # Finding 9: sonnet-4-6 takes effort (docs/models.md#effort); it was dropped before.
    built = build(profile=SONNET_46, thinking=2048, max_tokens=4096, effort="high")
    assert built["output_config"] == {"effort": "high"}
    assert built["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_effort_without_thinking_on_sonnet_46_is_sent() -> None:
    built = build(profile=SONNET_46, effort="max")
    assert built["output_config"] == {"effort": "max"} and "thinking" not in built


def test_adaptive_on_sonnet_45_becomes_a_budget_and_drops_effort() -> None:
    with pytest.warns(DatabricksClaudeWarning) as caught:
        built = build_payload([Message.user("hi")],
                              RequestOptions(thinking={"type": "adaptive"}, max_tokens=4096,
                                             effort="low"),
                              model="ep", profile=SONNET_45)
    assert built["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert "output_config" not in built
    texts = [str(w.message) for w in caught]
    assert any("claude-sonnet-4-5 only supports budget thinking" in t for t in texts)
    assert any("effort 'low' not sent" in t for t in texts)


def test_adaptive_thinking_on_sonnet_46_drops_sampling_like_any_thinking() -> None:
    built = warned("top_k 5 not sent", profile=SONNET_46, thinking={"type": "adaptive"},
                   top_k=5)
    assert "top_k" not in built and built["thinking"] == {"type": "adaptive"}


def test_adaptive_tool_loop_on_sonnet_46_without_reasoning_sends_disabled() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    messages = [Message.user("weather?"), turn, Message.tool("c1", "sunny")]
    built = warned("thinking turned off", messages, profile=SONNET_46, tools=[WEATHER],
                   thinking={"type": "adaptive"})
    assert built["thinking"] == {"type": "disabled"}


def test_adaptive_tool_loop_on_sonnet_46_with_reasoning_keeps_adaptive_and_effort() -> None:
    turn = Message("assistant", [ReasoningPart("think", "sig"),
                                 ToolCallPart("c1", "get_weather", "{}")])
    messages = [Message.user("weather?"), turn, Message.tool("c1", "sunny")]
    built = build(messages, profile=SONNET_46, tools=[WEATHER], thinking={"type": "adaptive"},
                  effort="medium")
    assert built["thinking"] == {"type": "adaptive"}
    assert built["output_config"] == {"effort": "medium"}


# ----------------------------------------------------------------------------------------------
# Schema details: every schema slot is sanitized, data values are not, unions and allOf edges

TITLED = {"type": "string", "title": "T", "pattern": "^x$"}


@pytest.mark.parametrize("slot", ["items", "additionalProperties", "contains", "propertyNames"])
def test_each_single_schema_slot_is_sanitized(slot: str) -> None:
    schema = sanitize_schema({"$defs": {"S": TITLED}, "type": "object",
                              "properties": {"a": {slot: {"$ref": "#/$defs/S"}}}})
    assert schema["properties"]["a"] == {slot: {"type": "string"}}


@pytest.mark.parametrize("keyword", ["default", "const", "examples", "enum"])
def test_data_values_that_look_like_schemas_are_kept_verbatim(keyword: str) -> None:
    value: Any = {"a": {"title": "kept", "pattern": "kept", "$ref": "#/nowhere"}}
    value = [value] if keyword in ("examples", "enum") else value
    schema = sanitize_schema({"type": "object", keyword: value})
    assert schema == {"type": "object", keyword: value}


def test_properties_that_are_not_a_map_are_left_as_given() -> None:
    assert sanitize_schema({"type": "object", "properties": ["a"]}) == {
        "type": "object", "properties": ["a"]}


def test_a_recursive_ref_keeps_its_siblings() -> None:
    schema = sanitize_schema({
        "$defs": {"P": {"type": "object", "properties": {
            "next": {"$ref": "#/$defs/P", "description": "the next one"}}}},
        "$ref": "#/$defs/P"})
    assert schema == {"type": "object", "properties": {
        "next": {"type": "object", "description": "the next one"}}}


def test_a_union_of_only_null_is_null_and_an_empty_union_is_nothing() -> None:
    assert sanitize_schema({"anyOf": [{"type": "null"}]}) == {"type": "null"}
    assert sanitize_schema({"anyOf": [], "description": "d"}) == {"description": "d"}
    assert sanitize_schema({"oneOf": [True, {"type": "null"}]}) == {"type": "null"}


def test_a_type_list_of_only_null_is_null() -> None:
    assert sanitize_schema({"type": ["null"]}) == {"type": "null"}
    assert sanitize_schema({"type": ["null", "integer", "string"]}) == {
        "type": ["integer", "string"]}  # finding 12: several types stay a list


def test_a_union_alternative_without_a_type_is_not_null() -> None:
    schema = sanitize_schema({"anyOf": [{"description": "anything"}, {"type": "null"}]})
    assert schema == {"description": "anything"}


def test_union_of_two_integers_keeps_the_first_bounds_as_a_number() -> None:
    schema = sanitize_schema({"anyOf": [{"type": "integer", "minimum": 1},
                                        {"type": "integer", "maximum": 5}]})
    assert schema == {"type": "number", "minimum": 1}


def test_union_of_a_number_and_a_string_keeps_both() -> None:
    # Finding 12: Union[int, str] used to become `integer`.
    assert sanitize_schema({"anyOf": [{"type": "integer"}, {"type": "string"}]}) == {
        "type": ["integer", "string"]}


def test_union_alternatives_keep_their_own_keys_and_the_outer_ones_win() -> None:
    schema = sanitize_schema({"description": "outer", "anyOf": [
        {"type": "string", "description": "inner", "maxLength": 3}, {"type": "null"}]})
    assert schema == {"description": "outer", "type": "string", "maxLength": 3}


def test_union_of_objects_without_common_required_has_no_required() -> None:
    schema = sanitize_schema({"anyOf": [
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
         "description": "first", "additionalProperties": False},
        {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
         "required": "b", "description": "second"}]})
    assert schema == {"type": "object", "description": "first", "additionalProperties": False,
                      "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}


def test_union_of_objects_keeps_required_in_property_order() -> None:
    schema = sanitize_schema({"oneOf": [
        {"type": "object", "properties": {"z": {}, "a": {}}, "required": ["a", "z", 3]},
        {"type": "object", "properties": {"a": {}, "z": {}}, "required": ["z", "a"]}]})
    assert schema["required"] == ["z", "a"]


def test_all_of_base_keys_win_and_required_is_not_repeated() -> None:
    schema = sanitize_schema({
        "type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"],
        "allOf": [{"properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                   "required": ["x", "y"], "type": "array", "description": "from allOf"},
                  "not a schema"]})
    assert schema == {"type": "object", "description": "from allOf",
                      "properties": {"x": {"type": "string"}, "y": {"type": "integer"}},
                      "required": ["x", "y"]}


def test_a_single_all_of_or_any_of_that_is_not_a_list_is_one_item() -> None:
    defs = {"A": {"type": "object", "properties": {"a": {"type": "string"}}}}
    assert sanitize_schema({"$defs": defs, "allOf": {"$ref": "#/$defs/A"}}) == defs["A"]
    assert sanitize_schema({"$defs": defs, "anyOf": {"$ref": "#/$defs/A"}}) == defs["A"]


def test_make_tool_spec_fills_in_the_object_type_and_properties() -> None:
    spec = make_tool_spec("t", None, {"properties": {"a": {"type": "string"}}})  # type: ignore[arg-type]
    assert spec.parameters == {"properties": {"a": {"type": "string"}}, "type": "object"}
    assert spec.description == ""
    assert make_tool_spec("t", "d", {"type": "object"}).parameters == {
        "type": "object", "properties": {}}
    assert make_tool_spec("t", "d", {}).parameters == {"type": "object", "properties": {}}


@pytest.mark.parametrize("name", ["a", "A-z_0", "x" * 64])
def test_tool_names_that_are_allowed(name: str) -> None:
    assert make_tool_spec(name, "", None).name == name


@pytest.mark.parametrize("name", ["", "x" * 129, "a.b", "a b", "é", 5, None, "ok\n"])
def test_tool_names_that_are_refused(name: Any) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(f"tool name {name!r} is not allowed")):
        make_tool_spec(name, "", None)


def test_a_tool_without_description_sends_none() -> None:
    tool = make_tool_spec("bare", "", None)
    assert build(tools=[tool])["tools"] == [
        {"type": "function", "function": {"name": "bare",
                                          "parameters": {"type": "object", "properties": {}}}}]


def test_exactly_32_tools_are_accepted() -> None:
    tools = [make_tool_spec(f"t{i}", "", None) for i in range(32)]
    assert [t["function"]["name"] for t in build(tools=tools)["tools"]] == [
        f"t{i}" for i in range(32)]


# ----------------------------------------------------------------------------------------------
# Options: exact bounds and types


def test_a_budget_of_exactly_1024_is_accepted() -> None:
    assert build(thinking=1024, max_tokens=1025)["thinking"] == {
        "type": "enabled", "budget_tokens": 1024}
    assert build(thinking=True, max_tokens=2048)["thinking"] == {
        "type": "enabled", "budget_tokens": 1024}
    # Finding 7: below 2048 the budget is raised to the minimum, while room for an answer is left.
    assert build(thinking=True, max_tokens=2047)["thinking"] == {
        "type": "enabled", "budget_tokens": 1024}
    refused("max_tokens=1279 is too small for thinking", [Message.user("hi")], thinking=True,
            max_tokens=1279)


def test_default_budget_below_the_cap_is_half_of_max_tokens() -> None:
    roomy = dataclasses.replace(SONNET_46, max_output_tokens=256_000)  # room above the cap
    assert build(profile=roomy, thinking=True, max_tokens=128_001)["thinking"] == {
        "type": "enabled", "budget_tokens": 64_000}
    assert build(profile=SONNET_46, thinking=True, max_tokens=127_999)["thinking"] == {
        "type": "enabled", "budget_tokens": 63_999}


@pytest.mark.parametrize("budget", [True, False, "2048", 2048.0, None])
def test_a_budget_that_is_not_an_integer_is_refused(budget: Any) -> None:
    refused(f"thinking budget must be an integer, got {budget!r}", [Message.user("hi")],
            thinking={"type": "enabled", "budget_tokens": budget}, max_tokens=4096)


def test_max_tokens_of_one_is_accepted_and_a_bool_is_refused() -> None:
    assert build(max_tokens=1)["max_tokens"] == 1
    for value in (True, False, 1.5, "10"):
        refused(f"max_tokens must be a positive integer, got {value!r}", [Message.user("hi")],
                max_tokens=value)


@pytest.mark.parametrize("thinking", ["on", 2.5, [1024], ("enabled",)])
def test_thinking_of_another_type_is_refused(thinking: Any) -> None:
    refused(re.escape(f"thinking must be a bool, an int or a dict, got {thinking!r}"),
            [Message.user("hi")], thinking=thinking)


def test_thinking_disabled_is_sent_and_turns_nothing_off() -> None:
    built = build(thinking={"type": "disabled"}, temperature=0.5, top_k=3,
                  tools=[WEATHER], tool_choice="required")
    assert built["thinking"] == {"type": "disabled"}
    assert built["temperature"] == 0.5 and built["top_k"] == 3
    assert built["tool_choice"] == "required"


def test_thinking_dict_without_a_type_is_refused() -> None:
    refused("thinking type must be 'enabled', 'adaptive' or 'disabled', got None",
            [Message.user("hi")], thinking={"budget_tokens": 2048})


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_temperature_or_top_p_is_refused(value: bool) -> None:
    refused(rf"temperature must be a number in \[0, 2\], got {value!r}", [Message.user("hi")],
            temperature=value)
    refused(rf"top_p must be a number in \(0, 1\], got {value!r}", [Message.user("hi")],
            top_p=value)


def test_top_p_of_one_with_thinking_is_dropped_silently() -> None:
    built = build(thinking=True, max_tokens=4096, top_p=1, temperature=1)
    assert "top_p" not in built and "temperature" not in built


def test_sampling_on_a_model_without_temperature() -> None:
    fable = get_profile("databricks-claude-fable-5")
    built = build(profile=fable, top_p=0.5, top_k=3)
    assert built["top_p"] == 0.5 and built["top_k"] == 3
    dropped = warned("temperature not sent: claude-fable-5", profile=fable, temperature=1)
    assert "temperature" not in dropped


def test_effort_on_an_adaptive_model_is_sent_without_thinking() -> None:
    opus = get_profile("databricks-claude-opus-4-8")
    for thinking in (None, False, {"type": "disabled"}):
        built = build(profile=opus, effort="xhigh", thinking=thinking)
        assert built["output_config"] == {"effort": "xhigh"}


@pytest.mark.parametrize("effort", ["low", "medium", "high", "xhigh", "max"])
def test_every_effort_is_sent(effort: str) -> None:
    built = build(profile=get_profile("databricks-claude-opus-4-8"), effort=effort)
    assert built["output_config"] == {"effort": effort}


def test_adaptive_model_thinking_dict_passes_through() -> None:
    opus = get_profile("databricks-claude-opus-4-8")
    for setting in ({"type": "adaptive", "display": "summarized"}, {"type": "disabled"}):
        assert build(profile=opus, thinking=setting)["thinking"] == setting
    built = warned("thinking budget 4096 ignored: claude-opus-4-8", profile=opus, thinking=4096)
    assert built["thinking"] == {"type": "adaptive", "display": "summarized"}


def test_stop_as_one_string_is_a_list() -> None:
    assert build(stop="END")["stop"] == ["END"]
    assert build(stop=("a", "b"))["stop"] == ["a", "b"]
    assert "stop" not in build(stop="")


def test_required_tool_choice_in_dict_form() -> None:
    assert build(tools=[WEATHER], tool_choice={"type": "required"})["tool_choice"] == "required"
    assert build(tools=[WEATHER], tool_choice={"type": "none"})["tool_choice"] == "none"
    assert "tool_choice" not in build(tool_choice="none")


@pytest.mark.parametrize("choice", [{"type": "function", "function": {"name": "get_weather"}},
                                    {"type": "tool", "name": "get_weather"}])
def test_a_named_choice_with_thinking_becomes_auto(choice: Any) -> None:
    built = warned("changed to 'auto'", tools=[WEATHER], tool_choice=choice, thinking=True)
    assert built["tool_choice"] == "auto"


@pytest.mark.parametrize(("choice", "match"), [
    ({"type": "function", "function": "get_weather"}, "is not a known form"),
    ({"type": "function", "function": {"name": ""}}, "names no tool"),
    ({"type": "tool", "name": 5}, "names no tool"),
    ({"type": 5}, "is not a known form"),
    ({}, "is not a known form"),
    (1.5, "is not a known form"),
])
def test_malformed_tool_choices_are_refused(choice: Any, match: str) -> None:
    refused(f"tool_choice {choice!r} {match}", [Message.user("hi")], tools=[WEATHER],
            tool_choice=choice)


def test_extra_body_tools_that_are_not_a_list_are_kept_and_strict_is_removed() -> None:
    assert build(extra_body={"tools": "raw"})["tools"] == "raw"
    tools = [{"type": "function", "strict": True, "function": {"name": "x"}}, "odd",
             {"function": "not a dict", "strict": False}]
    assert build(extra_body={"tools": tools})["tools"] == [
        {"type": "function", "function": {"name": "x"}}, "odd", {"function": "not a dict"}]


def test_extra_body_keys_override_and_parallel_tool_calls_is_dropped() -> None:
    built = warned("parallel_tool_calls not sent", extra_body={
        "parallel_tool_calls": True, "max_tokens": 7, "client_request_id": "r"})
    assert built["max_tokens"] == 7 and built["client_request_id"] == "r"
    assert "parallel_tool_calls" not in built


def test_warnings_of_the_request_options_point_at_the_caller() -> None:
    """The option warnings are attributed to the code that called build_payload."""
    cases: list[dict[str, Any]] = [
        {"effort": "low"}, {"thinking": True, "temperature": 0.5},
        {"thinking": True, "tools": [WEATHER], "tool_choice": "required"},
        {"extra_body": {"parallel_tool_calls": True}}]
    for options in cases:
        with pytest.warns(DatabricksClaudeWarning) as caught:
            build_payload([Message.user("hi")], RequestOptions(**options), model="ep",
                          profile=BUDGET)
        assert [w.filename for w in caught] == [__file__], options


# ----------------------------------------------------------------------------------------------
# Messages: shapes at the edges


def test_two_plain_user_texts_are_two_blocks() -> None:
    assert build([Message("user", [TextPart("a"), TextPart("b")])])["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"},
                                     {"type": "text", "text": "b"}]}]


def test_a_blank_tool_result_with_cache_control_is_sent_as_the_empty_result() -> None:
    # Finding 16: a whitespace-only result is the empty result "" (it was sent as "  ").
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    result = Message("tool", [ToolResultPart("c1", "  ", {"type": "ephemeral"})])
    assert build([Message.user("hi"), turn, result])["messages"][-1] == {
        "role": "tool", "tool_call_id": "c1", "content": ""}


def test_tool_result_parts_keep_a_cache_control_already_on_the_last_part() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    own = {"type": "ephemeral", "ttl": "1h"}
    result = ToolResultPart("c1", [TextPart("a"), TextPart("b", own)], {"type": "ephemeral"})
    assert build([Message.user("hi"), turn, Message("tool", [result])])["messages"][-1][
        "content"] == [{"type": "text", "text": "a"},
                       {"type": "text", "text": "b", "cache_control": own}]
    image = ImagePart("https://example.com/a.png")
    with_image = ToolResultPart("c1", [image])
    assert build([Message.user("hi"), turn, Message("tool", [with_image])])["messages"][-1][
        "content"] == [{"type": "image_url", "image_url": {"url": image.url}}]


def test_an_image_in_a_tool_result_to_a_text_only_model_is_refused() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    result = ToolResultPart("c1", [TextPart("see"), ImagePart("https://example.com/a.png")])
    with pytest.raises(ConfigurationError, match="claude-fable-5 does not accept images"):
        build([Message.user("hi"), turn, Message("tool", [result])],
              profile=get_profile("databricks-claude-fable-5"))
    unknown = get_profile("my-endpoint")
    assert build([Message.user("hi"), turn, Message("tool", [result])], profile=unknown)


def test_a_whitespace_assistant_turn_is_refused_unless_last() -> None:
    refused("assistant message 1 is empty",
            [Message.user("hi"), Message.assistant(" "), Message.user("and?")])
    refused("assistant message 1 is empty",
            [Message.user("hi"), Message("assistant", [TextPart(" ", {"type": "ephemeral"})]),
             Message.user("and?")])
    # A final (prefill) turn is trimmed: the service refuses trailing whitespace there.
    assert build([Message.user("hi"), Message.assistant(" ")])["messages"][-1] == {
        "role": "assistant", "content": ""}


def test_assistant_text_parts_are_joined() -> None:
    turn = Message("assistant", [TextPart("a"), TextPart("b"), ToolCallPart("c1", "f", "{}")])
    wire = build([Message.user("hi"), turn])["messages"][-1]
    assert wire["content"] == "ab" and wire["tool_calls"][0]["id"] == "c1"


def test_a_conversation_may_open_with_the_assistant() -> None:
    built = build([Message.assistant("hello"), Message.user("hi")])
    assert built["messages"] == [{"role": "assistant", "content": "hello"},
                                 {"role": "user", "content": "hi"}]


def test_a_tool_loop_opening_the_conversation_still_turns_thinking_off() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    built = warned("thinking turned off", [turn, Message.tool("c1", "sunny")], thinking=True,
                   max_tokens=4096)
    assert "thinking" not in built


def test_a_tool_loop_starting_with_a_native_thinking_block_keeps_thinking() -> None:
    """An Anthropic `thinking` block kept as an UnknownPart counts as the turn's reasoning."""
    for kind in ("thinking", "redacted_thinking"):
        block = {"type": kind, "thinking": "hmm", "signature": "sig"}
        call = ToolCallPart("c1", "get_weather", "{}")
        turn = Message("assistant", [UnknownPart(block), call])
        built = build([Message.user("hi"), turn, Message.tool("c1", "sunny")], thinking=True,
                      max_tokens=4096)
        assert built["thinking"] == {"type": "enabled", "budget_tokens": 2048}
        assert built["messages"][1]["content"] == [block]


def test_a_tool_loop_with_several_results_still_finds_its_turn() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}"),
                                 ToolCallPart("c2", "get_weather", "{}")])
    messages = [Message.user("hi"), turn, Message.tool("c1", "a"), Message.tool("c2", "b")]
    assert "thinking" not in warned("thinking turned off", messages, thinking=True,
                                    max_tokens=4096)


def test_a_tool_loop_continued_by_a_user_text_keeps_thinking() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    results = Message("user", [ToolResultPart("c1", "a"), TextPart("thanks")])
    built = build([Message.user("hi"), turn, results], thinking=True, max_tokens=4096)
    assert built["thinking"]["type"] == "enabled"
    assert [m["role"] for m in built["messages"]] == ["user", "assistant", "tool", "user"]


def test_a_mistake_after_the_first_tool_result_is_still_found() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    refused("tool result for 'ghost' has no matching tool call",
            [Message.user("hi"), turn, Message.tool("c1", "a"), Message.user("ok"),
             Message.tool("ghost", "b")])
    refused("tool call 'c2' has no result before the next user message",
            [Message.user("hi"), turn, Message.tool("c1", "a"),
             Message("assistant", [ToolCallPart("c2", "get_weather", "{}")]),
             Message.user("and?")])


def test_a_result_answers_only_the_turn_right_before_it() -> None:
    first = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    second = Message("assistant", [ToolCallPart("c2", "get_weather", "{}")])
    refused("tool result for 'c1' has no matching tool call",
            [Message.user("hi"), first, Message.tool("c1", "a"), second, Message.tool("c2", "b"),
             Message.tool("c1", "again")])


def test_duplicate_call_ids_in_one_turn_are_refused() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}"),
                                 ToolCallPart("c1", "get_weather", "{}")])
    refused("tool call id 'c1' appears twice in one turn", [Message.user("hi"), turn])


def test_unanswered_calls_before_a_final_system_message_are_allowed() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    built = build([Message.user("hi"), turn, Message.system("rules")])
    assert [m["role"] for m in built["messages"]] == ["system", "user", "assistant"]


def test_extra_body_tool_items_that_are_not_dicts_are_kept_even_if_they_say_strict() -> None:
    tools = ["strict", ["strict"], {"strict": True, "type": "function"}]
    assert build(extra_body={"tools": tools})["tools"] == [
        "strict", ["strict"], {"type": "function"}]


def test_the_default_budget_is_capped_even_for_a_large_custom_max_tokens() -> None:
    custom = get_profile("my-custom-endpoint")
    assert build(profile=custom, thinking=True, max_tokens=200_000)["thinking"] == {
        "type": "enabled", "budget_tokens": 64_000}


def test_a_blank_cached_assistant_text_is_empty_text_alone_and_null_beside_calls() -> None:
    blank = TextPart(" ", {"type": "ephemeral"})
    alone = build([Message.user("hi"), Message("assistant", [blank])])["messages"][-1]
    assert alone == {"role": "assistant", "content": ""}
    call = ToolCallPart("c1", "get_weather", "{}")
    beside = build([Message.user("hi"), Message("assistant", [blank, call])])["messages"][-1]
    assert beside["content"] is None and beside["tool_calls"][0]["id"] == "c1"


def test_a_text_block_without_text_beside_a_call_is_dropped() -> None:
    turn = Message("assistant", [UnknownPart({"type": "text"}),
                                 ToolCallPart("c1", "get_weather", "{}")])
    assert build([Message.user("hi"), turn])["messages"][-1]["content"] is None


def test_a_final_assistant_turn_is_not_a_continued_tool_loop() -> None:
    """Thinking stays on when the conversation ends with the assistant (no results after it)."""
    for turn in (Message.assistant("Sure, the answer is"),
                 Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])):
        built = build([Message.user("hi"), turn], thinking=True, max_tokens=4096)
        assert built["thinking"] == {"type": "enabled", "budget_tokens": 2048}


@pytest.mark.parametrize("part", [ReasoningPart("r", "s"), ToolCallPart("c9", "f", "{}")])
def test_a_tool_result_holding_a_part_it_cannot_hold_names_the_tool_role(part: Part) -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    result = ToolResultPart("c1", [TextPart("x"), part])  # type: ignore[list-item]
    refused(f"^a tool message cannot hold a {type(part).__name__}$",
            [Message.user("hi"), turn, Message("tool", [result])])


def test_a_ref_without_a_slash_after_the_hash_is_read_from_the_root() -> None:
    """`#$defs/A` is read as `#/$defs/A` (the pointer is split on '/', empty tokens skipped)."""
    schema = sanitize_schema({"$defs": {"A": {"type": "string"}}, "type": "object",
                              "properties": {"a": {"$ref": "#$defs/A"}}})
    assert schema["properties"]["a"] == {"type": "string"}


# ----------------------------------------------------------------------------------------------
# build_request: the payload and what building it decided


def test_build_request_carries_the_payload_and_its_decisions() -> None:
    turn = Message("assistant", [ToolCallPart("c1", "get_weather", "{}")])
    messages = [Message.user("hi"), turn, Message.tool("c1", "sunny")]
    options = RequestOptions(thinking=True, max_tokens=4096, tools=[WEATHER],
                             tool_choice="required", temperature=0.3)
    with pytest.warns(DatabricksClaudeWarning) as caught:
        request = build_request(messages, options, model="ep", profile=BUDGET)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DatabricksClaudeWarning)
        assert request.payload == build_payload(messages, options, model="ep", profile=BUDGET)
    # The tool loop has no reasoning, so thinking went out off and the forced choice stayed.
    assert request.decisions.thinking is False
    assert request.decisions.tool_choice == "required"
    assert request.decisions.warnings == tuple(str(w.message) for w in caught)
    assert len(request.decisions.warnings) == 1
    assert request.decisions.warnings[0].startswith("thinking turned off for this request")


def test_build_request_with_thinking_on_and_no_adjustment() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatabricksClaudeWarning)
        request = build_request([Message.user("hi")],
                                RequestOptions(thinking=2048, max_tokens=4096, tools=[WEATHER],
                                               tool_choice="auto"),
                                model=None, profile=BUDGET, stream=True)
    assert request.payload["stream"] is True and "model" not in request.payload
    assert request.decisions.thinking is True
    assert request.decisions.tool_choice == "auto"
    assert request.decisions.warnings == ()


def test_build_request_notes_stay_with_their_request() -> None:
    """Each request keeps its own warnings; a plain build_payload afterwards records none."""
    with pytest.warns(DatabricksClaudeWarning):
        first = build_request([Message.user("hi")],
                              RequestOptions(effort="low", top_k=5, thinking=True),
                              model="ep", profile=BUDGET)
    assert [note.split(" ")[0] for note in first.decisions.warnings] == ["effort", "top_k"]
    with pytest.warns(DatabricksClaudeWarning):
        build_payload([Message.user("hi")], RequestOptions(effort="low"), model="ep",
                      profile=BUDGET)
    second = build_request([Message.user("hi")], RequestOptions(), model="ep", profile=BUDGET)
    assert second.decisions.warnings == () and second.decisions.tool_choice is None
    assert len(first.decisions.warnings) == 2


# ----------------------------------------------------------------------------------------------
# The tool choice rule's decision, as the codecs read it


def test_tool_choice_decisions_name_a_tool_only_for_a_named_choice() -> None:
    names = ["get_weather", "get_time"]
    assert tool_choice_for("auto", names, False) == ToolChoiceDecision("auto", "")
    assert tool_choice_for({"type": "any"}, names, False) == ToolChoiceDecision("required", "")
    assert tool_choice_for("get_time", names, False) == ToolChoiceDecision(None, "get_time")
    with pytest.warns(DatabricksClaudeWarning, match="changed to 'auto'"):
        forced = tool_choice_for("get_time", names, True)
    assert forced == ToolChoiceDecision("auto", "") and forced.name == ""
    assert tool_choice_for("auto", [], False) is None
    assert tool_choice_for(False, names, False) is None


def test_a_tool_choice_decision_is_an_immutable_value() -> None:
    decision = ToolChoiceDecision("auto")
    assert hash(decision) == hash(ToolChoiceDecision("auto", ""))
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.keyword = "none"  # type: ignore[misc]
    assert not hasattr(decision, "__dict__")  # slotted, like the message classes
