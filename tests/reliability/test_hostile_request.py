"""Hostile input to the request builder: random neutral messages and options.

`build_payload` (and `make_tool_spec`, which every adapter calls on user-supplied tool schemas)
must either return a payload that is valid strict JSON and follows the request rules, or raise the
project's own `ConfigurationError` with a message that says what was wrong. Nothing else.

That oracle alone cannot notice valid input wrongly refused (a refusal always passes it), so
valid requests are generated separately (`_v_request`: alternating turns, tool results right
after their calls, signed reasoning first in a continued tool loop, budgets >= 1024 and below
max_tokens, options the model takes as they are). For those the builder must succeed, warn
about nothing, and send exactly what was given (`test_valid_requests_are_sent_as_given`).
"""

from __future__ import annotations

import json
import math
import random
import warnings
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databricks_claude.codecs.chat.request import build_payload
from databricks_claude.errors import DatabricksClaudeError
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
)
from databricks_claude.notes import DatabricksClaudeWarning
from databricks_claude.profiles import get_profile
from databricks_claude.schema import make_tool_spec

from ._support import (
    count,
    describe_error,
    examples,
    rand_json,
    short_repr,
    small_json,
)

# The keys the service accepts at the top level (anything else is "Extra inputs are not
# permitted"); extra_body keys are the caller's own responsibility and are excluded.
ALLOWED_TOP_LEVEL = {
    "messages", "model", "max_tokens", "temperature", "top_p", "top_k", "stop", "stream",
    "thinking", "output_config", "tools", "tool_choice", "stream_options",
    "max_completion_tokens",
}
ENDPOINTS = ("databricks-claude-sonnet-4-5", "databricks-claude-opus-4-8",
             "databricks-claude-fable-5", "my-custom-endpoint", "databricks-claude-3-7-sonnet")
IDS = ("call_a", "call_b", "toolu_bdrk_1", "")
TOOL_NAMES = ("get_weather", "search", "calc", "bad name!", "", "x" * 70)
URLS = ("data:image/png;base64,iVBORw0KGgo=", "https://example.com/a.png", "", "ftp://x")
ARGUMENTS = ("{}", '{"location": "Paris"}', "", "not json", "[1, 2]", '{"a": {"b": [1]}}')

short_text = st.one_of(st.sampled_from(["", " ", "\n", "hello", "Paris?"]), st.text(max_size=6))
cache = st.one_of(st.none(), st.just(EPHEMERAL), st.dictionaries(st.sampled_from(["type", "ttl"]),
                                                                  small_json, max_size=1))
text_part = st.builds(TextPart, short_text, cache)
image_part = st.builds(ImagePart, st.sampled_from(URLS), cache)
reasoning_part = st.builds(ReasoningPart, short_text,
                           st.one_of(st.none(), st.sampled_from(["", "sig-1"])), cache)
redacted_part = st.builds(RedactedReasoningPart, st.sampled_from(["opaque", ""]))
tool_call_part = st.builds(ToolCallPart, st.sampled_from(IDS), st.sampled_from(TOOL_NAMES),
                           st.sampled_from(ARGUMENTS))
tool_result_part = st.builds(
    ToolResultPart, st.sampled_from(IDS),
    st.one_of(short_text, st.lists(st.one_of(text_part, image_part), max_size=2)),
    cache, st.booleans())
unknown_part = st.builds(UnknownPart, st.dictionaries(st.sampled_from(["type", "text", "source"]),
                                                      small_json, max_size=2))
any_part = st.one_of(text_part, image_part, reasoning_part, redacted_part, tool_call_part,
                     tool_result_part, unknown_part)

# Mostly well-typed turns, sometimes any part in any role.
role_parts = {
    "system": st.lists(text_part, min_size=1, max_size=2),
    "user": st.lists(st.one_of(text_part, image_part, tool_result_part), max_size=3),
    "assistant": st.lists(st.one_of(reasoning_part, redacted_part, text_part, tool_call_part),
                          max_size=4),
    "tool": st.lists(tool_result_part, min_size=1, max_size=1),
}
typed_message = st.sampled_from(sorted(role_parts)).flatmap(
    lambda role: st.builds(Message, st.just(role), role_parts[role]))
wild_message = st.builds(Message, st.sampled_from(["system", "user", "assistant", "tool"]),
                         st.lists(any_part, max_size=3))
random_conversation = st.lists(st.one_of(typed_message, typed_message, wild_message),
                               min_size=0, max_size=5)


@st.composite
def coherent_conversation(draw: st.DrawFn) -> list[Message]:
    """A conversation that follows the tool-loop rules, so that most cases reach the payload."""
    messages: list[Message] = []
    if draw(st.booleans()):
        messages.append(Message("system", draw(role_parts["system"])))
    messages.append(Message.user(draw(short_text)))
    for turn in range(draw(st.integers(0, 2))):
        reasoning = draw(st.lists(st.one_of(reasoning_part, redacted_part), max_size=2))
        calls = [ToolCallPart(f"call_{turn}_{i}", draw(st.sampled_from(TOOL_NAMES[:3])),
                              draw(st.sampled_from(ARGUMENTS)))
                 for i in range(draw(st.integers(0, 2)))]
        text = [TextPart(draw(short_text))] if draw(st.booleans()) else []
        messages.append(Message("assistant", [*reasoning, *text, *calls]))
        messages.extend(Message.tool(call.id, draw(short_text)) for call in calls)
        if not calls:
            messages.append(Message.user(draw(short_text)))
    return messages


GOOD_SCHEMAS = (
    None,
    {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    {"$defs": {"P": {"type": "object", "properties": {"n": {"$ref": "#/$defs/P"}}}},
     "$ref": "#/$defs/P"},
    {"type": "object", "properties": {"x": {"anyOf": [{"type": "string"}, {"type": "null"}]}}},
    {"type": "object", "properties": {"u": {"anyOf": [
        {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
        {"type": "object", "properties": {"b": {"type": "string"}}}]}}},
)
SCHEMA_KEYS = ["type", "properties", "required", "anyOf", "oneOf", "allOf", "$ref", "items",
               "$defs", "enum", "additionalProperties"]
hostile_schema = st.recursive(
    st.dictionaries(st.sampled_from(SCHEMA_KEYS), small_json, max_size=3),
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from(SCHEMA_KEYS), st.one_of(inner, st.lists(inner, max_size=2),
                                                                small_json), max_size=3),
        st.builds(lambda a, b: {"anyOf": [a, b]}, inner, inner),
        st.builds(lambda a: {"type": "object", "properties": {"p": a}}, inner)),
    max_leaves=4,
)
tool_input = st.tuples(
    st.sampled_from(TOOL_NAMES),
    st.one_of(st.none(), short_text),
    st.one_of(st.sampled_from(GOOD_SCHEMAS), hostile_schema),
    st.one_of(st.none(), st.just(EPHEMERAL)),
)

good_thinking = st.one_of(
    st.none(), st.just(True), st.integers(1024, 4000),
    st.sampled_from([{"type": "adaptive"}, {"type": "disabled"},
                     {"type": "adaptive", "display": "summarized"},
                     {"type": "enabled", "budget_tokens": 2048}]))
good_options = st.fixed_dictionaries({
    "max_tokens": st.one_of(st.none(), st.integers(4097, 64_000)),
    "temperature": st.one_of(st.none(), st.floats(0, 1)),
    "top_p": st.one_of(st.none(), st.floats(0.01, 1)),
    "top_k": st.one_of(st.none(), st.integers(1, 100)),
    "stop": st.one_of(st.none(), st.lists(st.sampled_from(["END", "\n\n"]), max_size=2)),
    "thinking": good_thinking,
    "effort": st.one_of(st.none(), st.sampled_from(["low", "high", "max"])),
    "tool_choice": st.one_of(st.none(), st.sampled_from(["auto", "required", "none", True,
                                                         "get_weather"])),
    "n": st.sampled_from([None, 1]),
    "extra_body": st.sampled_from([None, {"client_request_id": "r-1"},
                                   {"parallel_tool_calls": False},
                                   {"tools": [{"type": "function", "function": {
                                       "name": "t", "parameters": {}, "strict": True}}]}]),
})
numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-3, 3))
hostile_options = st.fixed_dictionaries({
    "max_tokens": st.one_of(st.none(), st.integers(-5, 200_000), st.sampled_from([1, 1024, 2048])),
    "temperature": numbers,
    "top_p": numbers,
    "top_k": st.one_of(st.none(), st.integers(-3, 500)),
    "stop": st.one_of(st.none(), st.lists(short_text, max_size=3), short_text),
    "thinking": st.one_of(
        good_thinking, st.booleans(), st.integers(-10, 200_000),
        st.builds(lambda n: {"type": "enabled", "budget_tokens": n}, st.integers(0, 100_000)),
        st.dictionaries(st.sampled_from(["type", "budget_tokens", "display"]), small_json,
                        max_size=3)),
    "effort": st.one_of(st.none(), st.sampled_from(["low", "high", "max", "extreme", ""])),
    "tool_choice": st.one_of(
        st.none(), st.booleans(),
        st.sampled_from(["auto", "required", "any", "none", "get_weather", "nope", "",
                         {"type": "function", "function": {"name": "get_weather"}},
                         {"type": "tool", "name": "search"}]),
        st.dictionaries(st.sampled_from(["type", "function", "name"]), small_json, max_size=3)),
    "n": st.one_of(st.none(), st.integers(-1, 3)),
    "extra_body": st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(["parallel_tool_calls", "tools", "stream_options",
                                         "client_request_id"]), small_json, max_size=2)),
})


def _check_payload(payload: dict[str, Any], options: RequestOptions, model: str | None) -> None:
    """The request-rule properties of a payload the builder accepted."""
    extra = set(options.extra_body or ())
    # httpx encodes with allow_nan=False: a NaN or infinity here fails at send time with a bare
    # ValueError instead of a ConfigurationError before the call.
    json.dumps(payload, allow_nan=False)
    unknown = set(payload) - ALLOWED_TOP_LEVEL - extra
    assert not unknown, f"keys the service refuses: {unknown}"
    assert "parallel_tool_calls" not in payload
    assert ("model" in payload) == (model is not None) or "model" in extra
    assert isinstance(payload["max_tokens"], int) and payload["max_tokens"] >= 1
    think = payload.get("thinking") if "thinking" not in extra else None
    if isinstance(think, dict) and think.get("type") in ("enabled", "adaptive"):
        if "temperature" not in extra:
            assert "temperature" not in payload, "temperature sent with thinking on"
        assert "top_k" not in payload, "top_k sent with thinking on"
        if "tool_choice" not in extra:
            assert payload.get("tool_choice") in (None, "auto", "none"), payload["tool_choice"]
    if isinstance(think, dict) and think.get("type") == "enabled":
        budget = think["budget_tokens"]
        assert 1024 <= budget < payload["max_tokens"], (budget, payload["max_tokens"])
    if "tools" not in extra:
        assert len(payload.get("tools", [])) <= 32
    wire = payload["messages"]
    assert all(m["role"] in ("system", "user", "assistant", "tool") for m in wire)
    assert all(m["role"] != "system" for m in wire[1:]), "a system message after the first"
    for message in wire:
        if message["role"] == "assistant" and message.get("tool_calls"):
            content = message["content"]
            assert content != "", "empty text beside tool calls"
            if isinstance(content, list):
                assert not any(b.get("type") == "text" and not str(b.get("text")).strip()
                               for b in content), "blank text block beside tool calls"


@settings(max_examples=examples(1_000), deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(
    messages=st.one_of(random_conversation, coherent_conversation(), coherent_conversation()),
    tools=st.one_of(st.none(), st.lists(tool_input, max_size=3),
                    st.just([("get_weather", "d", None, None)] * 33),
                    st.just([(f"t{i}", "d", None, None) for i in range(33)])),
    options=st.one_of(good_options, hostile_options),
    endpoint=st.sampled_from(ENDPOINTS),
    with_model=st.booleans(),
    stream=st.booleans(),
)
def test_build_payload_accepts_or_refuses_clearly(
    messages: list[Message], tools: list[tuple[Any, ...]] | None, options: dict[str, Any],
    endpoint: str, with_model: bool, stream: bool,
) -> None:
    """Hypothesis-shrinkable cases: a valid strict-JSON payload, or a ConfigurationError."""
    _build(messages, tools, options, endpoint, with_model, stream)


def _build(messages: list[Message], tools: list[tuple[Any, ...]] | None,
           options: dict[str, Any], endpoint: str, with_model: bool, stream: bool) -> None:
    """make_tool_spec + build_payload under the hostile-input rules; counts the outcome."""
    count("request builder: cases")
    profile = get_profile(endpoint)
    model = endpoint if with_model else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            specs = None
            if tools is not None:
                specs = [make_tool_spec(n, d, p, cache_control=c) for n, d, p, c in tools]
            request_options = RequestOptions(tools=specs, **options)
            payload = build_payload(messages, request_options, model=model, profile=profile,
                                    stream=stream)
        except DatabricksClaudeError as error:
            count("request builder: typed refusals")
            message = str(error)
            assert len(message) > 10 and message.strip() != type(error).__name__, (
                describe_error(error))
            return
        except Exception as error:
            raise AssertionError(
                f"build_payload raised an untyped {describe_error(error)} for messages="
                f"{short_repr(messages)} tools={short_repr(tools)} options={options!r}"
            ) from error
    for warning in caught:
        assert issubclass(warning.category, DatabricksClaudeWarning), warning
        assert str(warning.message).strip()
    count("request builder: payloads")
    _check_payload(payload, request_options, model)


# ----------------------------------------------------------------------------------------------
# The same, 10,000 times, from a seeded random.Random (cheap to generate; see _support)


def _r_text(rnd: random.Random) -> str:
    return rnd.choice(["", " ", "\n", "hello", "Paris?", "é\u4e16", "x" * 50, "{", "\x00"])


def _r_cache(rnd: random.Random) -> Any:
    return rnd.choice([None, None, None, None, EPHEMERAL, EPHEMERAL, {"type": "persistent"}, {},
                       {"ttl": "1h"}])


def _r_part(rnd: random.Random, role: str, wild: bool) -> Any:
    kinds = {"system": "t", "user": "tiR", "assistant": "rdtc", "tool": "R"}[role]
    kind = rnd.choice("tirdcRu" if wild else kinds)
    if kind == "t":
        return TextPart(_r_text(rnd), _r_cache(rnd))
    if kind == "i":
        return ImagePart(rnd.choice(URLS), _r_cache(rnd))
    if kind == "r":
        return ReasoningPart(_r_text(rnd), rnd.choice([None, "", "sig-1"]), _r_cache(rnd))
    if kind == "d":
        return RedactedReasoningPart(rnd.choice(["opaque", ""]))
    if kind == "c":
        return ToolCallPart(rnd.choice(IDS), rnd.choice(TOOL_NAMES), rnd.choice(ARGUMENTS))
    if kind == "R":
        content: Any = _r_text(rnd) if rnd.random() < 0.7 else [
            _r_part(rnd, "user", False) for _ in range(rnd.randrange(3))]
        content = [p for p in content if isinstance(p, (TextPart, ImagePart))] if isinstance(
            content, list) else content
        return ToolResultPart(rnd.choice(IDS), content, _r_cache(rnd), rnd.random() < 0.2)
    data = rand_json(rnd)
    if not isinstance(data, dict):  # UnknownPart holds a JSON object by contract
        data = {"type": data}
    return UnknownPart(data if rnd.random() < 0.3 else {"type": "document"})


def _r_conversation(rnd: random.Random) -> list[Message]:
    if rnd.random() < 0.5:  # a coherent tool loop, so that many cases reach the payload
        messages = [Message("system", [TextPart(_r_text(rnd))])] if rnd.random() < 0.5 else []
        messages.append(Message.user(_r_text(rnd)))
        for turn in range(rnd.randrange(3)):
            parts: list[Any] = [_r_part(rnd, "assistant", False) for _ in range(rnd.randrange(3))]
            parts = [p for p in parts if not isinstance(p, ToolCallPart)]
            calls = [ToolCallPart(f"c{turn}{i}", rnd.choice(TOOL_NAMES[:3]), rnd.choice(ARGUMENTS))
                     for i in range(rnd.randrange(3))]
            messages.append(Message("assistant", [*parts, *calls]))
            messages.extend(Message.tool(c.id, _r_text(rnd)) for c in calls)
            if not calls:
                messages.append(Message.user(_r_text(rnd)))
        return messages
    roles = ["system", "user", "assistant", "tool"]
    conversation = []
    for _ in range(rnd.randrange(6)):
        role, wild = rnd.choice(roles), rnd.random() < 0.2
        conversation.append(Message(role, [_r_part(rnd, role, wild)
                                           for _ in range(rnd.randrange(4))]))
    return conversation


def _r_schema(rnd: random.Random, depth: int = 0) -> Any:
    if depth == 0 and rnd.random() < 0.6:
        return rnd.choice(GOOD_SCHEMAS)
    schema: dict[str, Any] = {}
    for _ in range(rnd.randrange(4)):
        key = rnd.choice(SCHEMA_KEYS)
        if depth < 2 and rnd.random() < 0.4:
            value: Any = (_r_schema(rnd, depth + 1) if key not in ("anyOf", "oneOf", "allOf")
                          else [_r_schema(rnd, depth + 1) for _ in range(rnd.randrange(3))])
        else:
            value = rand_json(rnd)
        schema[key] = value
    return schema


def _r_options(rnd: random.Random) -> dict[str, Any]:
    """Options with 0, 1 or a few hostile fields (one bad field at a time finds most bugs)."""
    choices: dict[str, tuple[list[Any], list[Any]]] = {
        "max_tokens": ([None, 4096, 8000, 64_000], [-1, 0, 1, 1024, 10**9, 2048]),
        "temperature": ([None, 0.0, 0.7, 1.0], [math.nan, math.inf, -1.0, 5, 2]),
        "top_p": ([None, 0.9, 1.0], [0.0, -0.5, math.nan, 3]),
        "top_k": ([None, 5, 40], [0, -3, 10**6]),
        "stop": ([None, ["END"], ["\n\n", "###"]], ["", "END", [], ["", " "]]),
        "thinking": ([None, False, True, 2048, {"type": "adaptive"},
                      {"type": "enabled", "budget_tokens": 1024}],
                     [1, 1023, 10**6, {"type": "enabled"}, {"type": "weird"},
                      {"budget_tokens": "x"}, rand_json(rnd), "on"]),
        "effort": ([None, "low", "high", "max"], ["", "extreme", "LOW"]),
        "tool_choice": ([None, "auto", "none", "required", True, "get_weather"],
                        ["nope", "", False, {"type": []}, {"type": "function"},
                         {"type": "tool", "name": 5}, rand_json(rnd)]),
        "n": ([None, 1], [0, 2, -1]),
        "extra_body": ([None, {"client_request_id": "r"}],
                       [{"parallel_tool_calls": True}, {"tools": rand_json(rnd)},
                        {"stream_options": {"include_usage": True}}]),
    }
    hostile = set(rnd.sample(sorted(choices), rnd.choice([0, 0, 1, 1, 2, 4])))
    return {name: rnd.choice(bad if name in hostile else good)
            for name, (good, bad) in choices.items()}


def _r_tools(rnd: random.Random) -> list[tuple[Any, ...]] | None:
    roll = rnd.random()
    if roll < 0.3:
        return None
    if roll < 0.33:
        return [(f"t{i}", "d", None, None) for i in range(33)]
    tools = []
    for index in range(rnd.randrange(4)):
        name = rnd.choice(TOOL_NAMES) if rnd.random() < 0.1 else f"{TOOL_NAMES[index % 3]}"
        tools.append((name, rnd.choice([None, "", "does things"]), _r_schema(rnd),
                      _r_cache(rnd)))
    return tools


@settings(max_examples=examples(10_000), deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(rnd=st.randoms(use_true_random=True))
def test_build_payload_bulk(rnd: random.Random) -> None:
    """10,000 seeded cases of random and coherent conversations, tools and options."""
    _build(_r_conversation(rnd), _r_tools(rnd), _r_options(rnd), rnd.choice(ENDPOINTS),
           rnd.random() < 0.8, rnd.random() < 0.5)


def test_non_finite_sampling_values_are_refused_before_sending() -> None:
    """NaN / infinity cannot be encoded as JSON: refusing them is the builder's job, not httpx's."""
    profile = get_profile("databricks-claude-sonnet-4-5")
    for field in ("temperature", "top_p"):
        for value in (math.nan, math.inf, -math.inf):
            count("request builder: cases")
            options = RequestOptions(**{field: value})
            try:
                payload = build_payload([Message.user("hi")], options, model="m", profile=profile)
            except DatabricksClaudeError as error:
                assert field in str(error), describe_error(error)
                continue
            json.dumps(payload, allow_nan=False)


# ----------------------------------------------------------------------------------------------
# Valid requests: built to follow every rule of the builder (and of the service), together with
# the wire messages and top-level keys they must become. The builder must accept each one, warn
# about nothing and send exactly that: a valid request wrongly refused, adjusted or reshaped
# fails here, which the accept-or-refuse oracle above cannot notice.

VALID_ENDPOINTS = ("databricks-claude-sonnet-4-5", "databricks-claude-sonnet-4-6",
                   "databricks-claude-opus-4-6", "databricks-claude-opus-4-8",
                   "databricks-claude-fable-5", "databricks-claude-3-7-sonnet",
                   "my-custom-endpoint")
VALID_TOOL_NAMES = ("get_weather", "search", "calc")
VALID_ARGUMENTS = ("{}", '{"location": "Paris"}', '{"a": {"b": [1]}}', ' {"q": "\u00e9"}', "")
VALID_TEXTS = ("hello", "Paris?", "\u00e9\u4e16", "x" * 50, "{", "a\nb", "two  words", "0")
VALID_URLS = ("data:image/png;base64,iVBORw0KGgo=", "https://example.com/a.png")
VALID_EFFORTS = ("low", "medium", "high", "xhigh", "max")  # docs/wire-chat.md#effort
# Budget models that also take adaptive thinking (ModelProfile.adaptive_capable).
ADAPTIVE_CAPABLE = ("claude-sonnet-4-6", "claude-opus-4-6")
Wire = dict[str, Any]


def _v_text(rnd: random.Random) -> str:
    return rnd.choice(VALID_TEXTS)


def _v_cache(rnd: random.Random) -> Any:
    return rnd.choice([None, None, None, EPHEMERAL, {"type": "ephemeral", "ttl": "1h"}])


def _cached(block: Wire, cache_control: Any) -> Wire:
    return {**block, "cache_control": cache_control} if cache_control is not None else block


def _v_block(part: Any) -> Wire:
    """The wire block a text, image or reasoning part must become
    (docs/wire-chat.md#content-blocks)."""
    if isinstance(part, TextPart):
        return _cached({"type": "text", "text": part.text}, part.cache_control)
    if isinstance(part, ImagePart):
        return _cached({"type": "image_url", "image_url": {"url": part.url}}, part.cache_control)
    if isinstance(part, RedactedReasoningPart):
        return {"type": "reasoning",
                "summary": [{"type": "summary_encrypted_text", "data": part.data}]}
    entry = {"type": "summary_text", "text": part.text, "signature": part.signature}
    return _cached({"type": "reasoning", "summary": [entry]}, part.cache_control)


def _v_content_parts(rnd: random.Random, vision: bool, most: int) -> list[Any]:
    """1..most text or image parts, with a blank text part now and then (which is dropped)."""
    parts: list[Any] = []
    for _ in range(rnd.randint(1, most)):
        if vision and rnd.random() < 0.3:
            parts.append(ImagePart(rnd.choice(VALID_URLS), _v_cache(rnd)))
        else:
            parts.append(TextPart(_v_text(rnd), _v_cache(rnd)))
    if rnd.random() < 0.2:
        parts.insert(rnd.randrange(len(parts) + 1), TextPart(rnd.choice(["", " ", "\n"])))
    return parts


def _kept(parts: list[Any]) -> list[Any]:
    return [p for p in parts if not (isinstance(p, TextPart) and not p.text.strip())]


def _v_user(rnd: random.Random, vision: bool) -> tuple[Message, Wire]:
    if rnd.random() < 0.5:
        text = _v_text(rnd)
        return Message.user(text), {"role": "user", "content": text}
    parts = _v_content_parts(rnd, vision, 3)
    kept = _kept(parts)
    if len(kept) == 1 and isinstance(kept[0], TextPart) and kept[0].cache_control is None:
        return Message("user", parts), {"role": "user", "content": kept[0].text}
    return Message("user", parts), {"role": "user", "content": [_v_block(p) for p in kept]}


def _v_assistant(rnd: random.Random, turn: int, reasoning: bool,
                 tools: list[str]) -> tuple[Message, Wire, list[ToolCallPart]]:
    """An assistant turn as the service sends it: reasoning, text, then tool calls."""
    thoughts: list[Any] = [
        ReasoningPart(_v_text(rnd), f"sig-{turn}-{i}", _v_cache(rnd)) if rnd.random() < 0.8
        else RedactedReasoningPart(f"opaque-{turn}-{i}")
        for i in range(rnd.randint(1, 2) if reasoning else 0)]
    calls = [ToolCallPart(f"call_{turn}_{i}", rnd.choice(tools), rnd.choice(VALID_ARGUMENTS))
             for i in range(rnd.randint(0, 2) if tools else 0)]
    text = TextPart(_v_text(rnd), _v_cache(rnd)) if not calls or rnd.random() < 0.5 else None
    content: Any
    if not thoughts and (text is None or text.cache_control is None):
        content = text.text if text is not None else None
    else:
        content = [_v_block(p) for p in [*thoughts, *([text] if text else [])]]
    wire: Wire = {"role": "assistant", "content": content}
    if calls:
        wire["tool_calls"] = [
            {"id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": c.arguments if c.arguments else "{}"}}
            for c in calls]
    return Message("assistant", [*thoughts, *([text] if text else []), *calls]), wire, calls


def _v_result(rnd: random.Random, call: ToolCallPart, vision: bool) -> tuple[ToolResultPart, Wire]:
    cache = _v_cache(rnd)
    content: Any
    if rnd.random() < 0.6:
        text = rnd.choice([_v_text(rnd), _v_text(rnd), ""])  # an empty result is accepted
        result = ToolResultPart(call.id, text, cache, rnd.random() < 0.2)
        content = text if cache is None or not text.strip() else [
            {"type": "text", "text": text, "cache_control": cache}]
    else:
        parts = _v_content_parts(rnd, vision, 2)
        result = ToolResultPart(call.id, parts, cache, rnd.random() < 0.2)
        content = [_v_block(p) for p in _kept(parts)] or ""
        if cache is not None and content and "cache_control" not in content[-1]:
            content[-1] = {**content[-1], "cache_control": cache}
    return result, {"role": "tool", "tool_call_id": call.id, "content": content}


def _v_results(rnd: random.Random, calls: list[ToolCallPart],
               vision: bool) -> tuple[list[Message], list[Wire], bool]:
    """The results of `calls` (any order), as tool messages or in one user message; True when
    that user message also carries text (so the next turn must be the assistant's)."""
    order = rnd.sample(calls, len(calls))
    pairs = [_v_result(rnd, call, vision) for call in order]
    wire = [w for _, w in pairs]
    if rnd.random() < 0.5:
        return [Message("tool", [result]) for result, _ in pairs], wire, False
    tail = [TextPart(_v_text(rnd))] if rnd.random() < 0.4 else []
    if tail:
        wire.append({"role": "user", "content": tail[0].text})
    return [Message("user", [*(result for result, _ in pairs), *tail])], wire, bool(tail)


def _v_system(rnd: random.Random) -> tuple[list[Message], Wire]:
    messages = [Message("system", [TextPart(_v_text(rnd), _v_cache(rnd))
                                   for _ in range(rnd.randint(1, 2))])
                for _ in range(rnd.randint(1, 2))]
    parts = [p for m in messages for p in m.parts]
    if all(p.cache_control is None for p in parts):  # type: ignore[union-attr]
        return messages, {"role": "system",
                          "content": "\n\n".join(p.text for p in parts)}  # type: ignore[union-attr]
    return messages, {"role": "system", "content": [_v_block(p) for p in parts]}


def _v_conversation(rnd: random.Random, vision: bool, thinking: bool,
                    tools: list[str]) -> tuple[list[Message], list[Wire]]:
    """A well-formed conversation and the wire messages it must become.

    With thinking on every assistant turn starts with signed reasoning (the service requires it
    of a continued tool loop); with thinking off the last assistant turn has none (the service
    refuses reasoning in the final assistant message when thinking is off).
    """
    messages, wire = [], []
    first, user_wire = _v_user(rnd, vision)
    messages.append(first)
    wire.append(user_wire)
    # What came last: "user", "assistant" (without calls), "results", or "open" (calls that the
    # last message leaves unanswered).
    after = "user"
    turns = rnd.randrange(4)
    for turn in range(turns):
        if after == "assistant":
            message, one = _v_user(rnd, vision)
            messages.append(message)
            wire.append(one)
        last = turn == turns - 1
        reasoning = thinking or (not last and rnd.random() < 0.3)
        assistant, assistant_wire, calls = _v_assistant(rnd, turn, reasoning, tools)
        messages.append(assistant)
        wire.append(assistant_wire)
        after = "assistant"
        if calls and last and rnd.random() < 0.3:
            after = "open"  # unanswered calls are allowed in the last message
        elif calls:
            results, results_wire, with_text = _v_results(rnd, calls, vision)
            messages.extend(results)
            wire.extend(results_wire)
            after = "user" if with_text else "results"
    if after in ("assistant", "results") and rnd.random() < 0.4:
        message, one = _v_user(rnd, vision)
        messages.append(message)
        wire.append(one)
    if rnd.random() < 0.5:
        systems, system_wire = _v_system(rnd)
        at_end = rnd.random() < 0.3 and len(systems) == 2
        messages = [systems[0], *messages, systems[1]] if at_end else [*systems, *messages]
        wire.insert(0, system_wire)
    return messages, wire


def _shown(profile: Any, thinking: Wire | None) -> Wire | None:
    """`thinking` as sent: summarized display asked where the model omits it (finding 13)."""
    if (thinking is not None and profile.display_default == "omitted" and "display" not in thinking
            and thinking["type"] in ("enabled", "adaptive")):
        return {**thinking, "display": "summarized"}
    return thinking


def _v_thinking(rnd: random.Random, profile: Any, max_tokens: int) -> tuple[Any, Wire | None]:
    """A thinking setting the model takes as it is, and the `thinking` object it must send."""
    if profile.thinking_style == "adaptive":
        setting = rnd.choice([None, False, True, {"type": "adaptive"}, {"type": "disabled"},
                              {"type": "adaptive", "display": "summarized"}])
        return setting, _shown(profile, {"type": "adaptive"} if setting is True else (
            dict(setting) if isinstance(setting, dict) else None))
    budget = rnd.randint(1024, max_tokens - 1)
    settings_: list[Any] = [None, False, True, budget, {"type": "disabled"},
                            {"type": "enabled", "budget_tokens": budget},
                            {"type": "enabled", "budget_tokens": budget, "display": "summarized"}]
    if not profile.known or profile.name in ADAPTIVE_CAPABLE:
        settings_ += [{"type": "adaptive"}, {"type": "adaptive", "display": "summarized"}]
    setting = rnd.choice(settings_)
    if setting is True:
        return setting, {"type": "enabled", "budget_tokens": min(max_tokens // 2, 64_000)}
    if isinstance(setting, int) and setting is not False:
        return setting, {"type": "enabled", "budget_tokens": setting}
    return setting, dict(setting) if isinstance(setting, dict) else None


def _v_tool_choice(rnd: random.Random, names: list[str], thinking: bool) -> tuple[Any, Any]:
    """A tool choice the builder sends as it is (forced ones only with thinking off)."""
    if not names:  # auto / none mean nothing without tools and are not sent
        return rnd.choice([None, False, "auto", "none", {"type": "auto"}]), None
    pairs: list[tuple[Any, Any]] = [(None, None), (False, None), ("auto", "auto"),
                                    ("none", "none"), ({"type": "auto"}, "auto"),
                                    ({"type": "none"}, "none")]
    if not thinking:
        name = rnd.choice(names)
        named = {"type": "function", "function": {"name": name}}
        pairs += [("required", "required"), ("any", "required"), (True, "required"),
                  ({"type": "any"}, "required"), (name, named),
                  ({"type": "function", "function": {"name": name}}, named),
                  ({"type": "tool", "name": name}, named)]
    return rnd.choice(pairs)


def _v_options(rnd: random.Random, profile: Any,
               tools: list[Any]) -> tuple[dict[str, Any], Wire]:
    """Options the model takes as they are, and the top-level keys they must become."""
    max_tokens = rnd.choice([None, rnd.randint(2048, profile.max_output_tokens)])
    sent_max = max_tokens if max_tokens is not None else profile.default_max_tokens
    thinking, sent_thinking = _v_thinking(rnd, profile, sent_max)
    on = sent_thinking is not None and sent_thinking["type"] in ("enabled", "adaptive")
    expected: Wire = {"max_tokens": sent_max}
    if sent_thinking is not None:
        expected["thinking"] = sent_thinking
    effort = None
    # Finding 9: a known model takes the efforts of its profile, an unknown one only beside
    # adaptive thinking.
    adaptive = (sent_thinking or {}).get("type") == "adaptive"
    efforts = profile.efforts if profile.known else (VALID_EFFORTS if adaptive else ())
    if efforts:
        effort = rnd.choice([None, *efforts])
        if effort is not None:
            expected["output_config"] = {"effort": effort}
    # With thinking on, only the values thinking implies may be given (and are not sent).
    temperature = None
    if profile.temperature_allowed:
        temperature = rnd.choice([None, 1, 1.0] if on else [None, 0, 0.5, 1, 2,
                                                            rnd.uniform(0, 2)])
    top_p = rnd.choice([None, 1] if on else [None, 1, 0.5, rnd.uniform(1e-6, 1)])
    if profile.one_sampler and temperature is not None and not on:
        top_p = None  # valid requests only: the model refuses both samplers together
    top_k = None if on else rnd.choice([None, 1, 40, 500])
    for key, value in (("temperature", temperature), ("top_p", top_p), ("top_k", top_k)):
        if value is not None and not on:
            expected[key] = value
    stop = rnd.choice([None, [], "END", ["END"], ["\n\n", "###"]])
    if stop:
        expected["stop"] = [stop] if isinstance(stop, str) else list(stop)
    if tools:
        expected["tools"] = [{"type": "function", "function": {
            "name": t.name, **({"description": t.description} if t.description else {}),
            "parameters": t.parameters,
            **({"cache_control": t.cache_control} if t.cache_control else {})}} for t in tools]
    tool_choice, sent_choice = _v_tool_choice(rnd, [t.name for t in tools], on)
    if sent_choice is not None:
        expected["tool_choice"] = sent_choice
    extra_body = rnd.choice([None, {}, {"client_request_id": "r-1"},
                             {"usage_context": {"team": "x"}, "client_request_id": "r-2"}])
    expected.update(extra_body or {})
    options = {"max_tokens": max_tokens, "temperature": temperature, "top_p": top_p,
               "top_k": top_k, "stop": stop, "thinking": thinking, "effort": effort,
               "tool_choice": tool_choice, "n": rnd.choice([None, 1]), "extra_body": extra_body}
    return options, expected


def _v_tools(rnd: random.Random) -> list[Any]:
    names = rnd.sample(VALID_TOOL_NAMES, rnd.randint(0, len(VALID_TOOL_NAMES)))
    return [make_tool_spec(name, rnd.choice(["", "does things"]), rnd.choice(GOOD_SCHEMAS),
                           cache_control=rnd.choice([None, EPHEMERAL]))
            for name in names]


def _v_request(rnd: random.Random) -> tuple[list[Message], RequestOptions, Any, Wire]:
    """A valid request: messages, options, profile and the exact payload (without `model`)."""
    profile = get_profile(rnd.choice(VALID_ENDPOINTS))
    tools = _v_tools(rnd)
    options, expected = _v_options(rnd, profile, tools)
    on = expected.get("thinking", {}).get("type") in ("enabled", "adaptive")
    messages, wire = _v_conversation(rnd, profile.vision, on, [t.name for t in tools])
    expected["messages"] = wire
    return messages, RequestOptions(tools=tools, **options), profile, expected


@settings(max_examples=examples(2_000), deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(rnd=st.randoms(use_true_random=False), with_model=st.booleans(), stream=st.booleans())
def test_valid_requests_are_sent_as_given(rnd: random.Random, with_model: bool,
                                          stream: bool) -> None:
    """A valid request is never refused nor adjusted: the payload is exactly what was given."""
    messages, options, profile, expected = _v_request(rnd)
    model = "ep-model" if with_model else None
    count("request builder: valid cases")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatabricksClaudeWarning)
        try:
            payload = build_payload(messages, options, model=model, profile=profile,
                                    stream=stream)
        except (DatabricksClaudeError, DatabricksClaudeWarning) as error:
            raise AssertionError(
                f"valid request refused or adjusted: {describe_error(error)}\n"
                f"profile={profile.name} messages={messages!r}\noptions={options!r}") from error
    if model is not None:
        expected["model"] = model
    if stream:
        expected["stream"] = True
    assert payload == expected, (payload, expected)
    assert next(iter(payload)) == "messages"
    _check_payload(payload, options, model)
