"""Hostile input to the response parser: random JSON and mutated real responses.

`parse_completion` must return a well-typed `Completion` or raise the project's own
`MalformedResponseError` (a `DatabricksClaudeError`) saying what was wrong. Whatever it accepts
must be replayable: `message_to_wire(completion.to_message())` must not fail.

That oracle passes a valid body wrongly refused, so valid bodies are generated separately
(`rand_valid`: the captures' blocks, tool calls and usage recombined and re-valued, in the
captures' shape) and must give exactly the Completion they say, replayable without error.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databricks_claude.codecs.chat.history import message_to_wire
from databricks_claude.codecs.chat.response import parse_completion
from databricks_claude.errors import ConfigurationError, DatabricksClaudeError
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
from databricks_claude.notes import DatabricksClaudeWarning

from ._support import (
    count,
    describe_error,
    examples,
    json_values,
    load_fixture,
    mutated,
    python_oddities,
    rand_json,
    rand_mutate,
    short_repr,
)

SYNTHETIC = {
    "id": "msg_x",
    "model": "global.anthropic.claude-fable-5",
    "object": "chat.completion",
    "choices": [{
        "index": 0,
        "finish_reason": "tool_calls",
        "message": {
            "role": "assistant",
            "content": [
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "",
                                                   "signature": "CAIS6wEK"}]},
                {"type": "reasoning", "summary": [{"type": "summary_encrypted_text",
                                                   "data": "opaque=="}]},
                {"type": "text", "text": "Calling two tools."},
                {"type": "citation_like", "cited": [1, 2]},
            ],
            "tool_calls": [
                {"id": "toolu_1", "type": "function",
                 "function": {"name": "a", "arguments": '{"x": 1}'}},
                {"id": "toolu_2", "type": "function", "function": {"name": "b", "arguments": ""}},
            ],
        },
    }],
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
              "completion_tokens_details": {"reasoning_tokens": 3},
              "cache_read_input_tokens": 4, "cache_creation_input_tokens": 0},
}
SEEDS: list[Any] = [
    load_fixture("response_thinking_notools.json"),
    load_fixture("seed_response_thinking_tools.json"),
    *load_fixture("response_prompt_caching_usage.json").values(),
    SYNTHETIC,
]
SETTINGS = settings(deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Words an error message may use for a field, when it does not spell the key itself.
SYNONYMS = {
    "choices": ("choice", "response"), "message": ("message", "choice"),
    "content": ("content", "block"), "summary": ("reasoning", "summary"),
    "signature": ("signature", "reasoning"), "data": ("redacted", "data"),
    "text": ("text",), "tool_calls": ("tool",), "function": ("tool", "function"),
    "id": ("tool", "id"), "name": ("tool", "name"), "arguments": ("tool", "argument"),
}


def _check_completion(completion: Completion) -> None:
    """Every field of an accepted completion has the type the model promises."""
    assert isinstance(completion, Completion)
    for part in completion.parts:
        if isinstance(part, TextPart):
            assert isinstance(part.text, str)
        elif isinstance(part, ReasoningPart):
            assert isinstance(part.text, str)
            assert part.signature is None or isinstance(part.signature, str)
        elif isinstance(part, RedactedReasoningPart):
            assert isinstance(part.data, str)
        elif isinstance(part, ToolCallPart):
            assert all(isinstance(v, str) for v in (part.id, part.name, part.arguments)), part
        else:
            assert isinstance(part, UnknownPart) and isinstance(part.data, dict), part
    assert completion.finish_reason is None or isinstance(completion.finish_reason, str)
    assert completion.model is None or isinstance(completion.model, str)
    assert completion.id is None or isinstance(completion.id, str)
    if completion.usage is not None:
        usage = completion.usage
        assert isinstance(usage, Usage)
        assert all(isinstance(v, int) for v in (usage.input_tokens, usage.output_tokens,
                                                usage.total_tokens))
    assert isinstance(completion.text, str) and isinstance(completion.reasoning_text, str)
    # Anything accepted can be sent back in the next turn.
    with contextlib.suppress(DatabricksClaudeError):
        message_to_wire(completion.to_message())


def _parse(body: Any, touched: list[tuple[Any, ...]] | None = None) -> None:
    """parse_completion(body) under the hostile-input rules; counts the outcome."""
    count("response parser: cases")
    try:
        completion = parse_completion(body)
    except DatabricksClaudeError as error:
        count("response parser: typed errors")
        message = str(error)
        assert message.strip(), f"empty message: {describe_error(error)}"
        if touched is not None:
            _check_names_field(message, body, touched)
        return
    except Exception as error:
        raise AssertionError(
            f"parse_completion raised an untyped {describe_error(error)} for {short_repr(body)}"
        ) from error
    count("response parser: accepted")
    _check_completion(completion)


def _check_names_field(message: str, body: Any, touched: list[tuple[Any, ...]]) -> None:
    """The message names one of the mutated fields, one of their parents, or a key of what
    the mutation put there."""
    lowered = message.lower()
    keys: set[str] = {"response"}
    for path in touched:
        keys.update(key for key in path if isinstance(key, str))
        keys.update(_keys_under(body, path))
    words = set(keys) | {w for key in keys for w in SYNONYMS.get(key, ())}
    assert any(word.lower() in lowered for word in words), (message, touched)


def _keys_under(body: Any, path: tuple[Any, ...]) -> set[str]:
    """Every object key inside the node at `path` (empty if the path is gone)."""
    node = body
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return set()
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


@settings(SETTINGS, max_examples=examples(1_000))
@given(case=st.one_of(mutated(SEEDS), st.tuples(json_values, st.just(None)),
                      st.tuples(python_oddities, st.just(None))))
def test_parse_completion_structured(case: tuple[Any, list[Any] | None]) -> None:
    """Hypothesis-shrinkable cases: mutated real responses, random JSON, Python oddities."""
    body, touched = case
    _parse(body, touched)


@settings(SETTINGS, max_examples=examples(10_000))
@given(rnd=st.randoms(use_true_random=True))
def test_parse_completion_bulk(rnd: random.Random) -> None:
    """10,000 seeded cases: mutated real responses (mostly), random JSON, JSON text round trips."""
    pick = rnd.random()
    if pick < 0.75:
        body, touched = rand_mutate(rnd, rnd.choice(SEEDS), times=3)
        _parse(body, touched)
    elif pick < 0.9:
        _parse(rand_json(rnd))
    else:
        # What the transport does: bytes -> json.loads -> parse. Re-parse a mutated JSON text.
        body, _ = rand_mutate(rnd, rnd.choice(SEEDS), times=2, oddities=False)
        _parse(json.loads(json.dumps(body)))


def test_deeply_nested_arguments_do_not_escape_as_recursion_error() -> None:
    """A tool call whose arguments object nests very deeply still gives a typed result."""
    deep: Any = {}
    for _ in range(5_000):
        deep = {"a": deep}
    body = {"choices": [{"message": {"tool_calls": [
        {"id": "t", "function": {"name": "n", "arguments": deep}}]}}]}
    _parse(body)


# ----------------------------------------------------------------------------------------------
# Valid bodies: an answer is required, equal to what the body says


def _pools() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The content blocks, tool calls and usage objects of the seeds (captures + SYNTHETIC)."""
    blocks: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    usages: list[dict[str, Any]] = []
    for seed in SEEDS:
        message = seed["choices"][0]["message"]
        content = message["content"]
        blocks += content if isinstance(content, list) else [{"type": "text", "text": content}]
        calls += message.get("tool_calls") or []
        usages.append(seed["usage"])
    return blocks, calls, usages


BLOCKS, CALLS, USAGES = _pools()
_VALID_CHARS = "ab {}[]\"\\:,\n\u00e9\u4e16\U0001f600\x00\u200b"


def _rand_text(rnd: random.Random, keep: str) -> str:
    """`keep` (a capture's own value) or a random string, "" included."""
    if rnd.random() < 0.4:
        return keep
    return "".join(rnd.choice(_VALID_CHARS) for _ in range(rnd.randrange(8)))


def _vary_block(rnd: random.Random, block: dict[str, Any]) -> dict[str, Any]:
    """A capture's block with new string values (keys and types as the capture has them)."""
    block = copy.deepcopy(block)
    if block["type"] == "text":
        block["text"] = _rand_text(rnd, block["text"])
    elif block["type"] == "reasoning":
        for entry in block["summary"]:
            for key in ("text", "data"):
                if key in entry:
                    entry[key] = _rand_text(rnd, entry[key])
            if "signature" in entry and rnd.random() < 0.2:
                del entry["signature"]  # optional (docs/wire-chat.md#content-blocks)
            elif "signature" in entry:
                entry["signature"] = _rand_text(rnd, entry["signature"])
    return block


def _meaning(block: dict[str, Any]) -> list[Part]:
    """What a well-formed block says (docs/wire-chat.md#content-blocks): text, reasoning
    entries, or an unknown type kept verbatim."""
    if block["type"] == "text":
        return [TextPart(block["text"])]
    if block["type"] == "reasoning":
        return [ReasoningPart(entry["text"], entry.get("signature"))
                if entry["type"] == "summary_text" else RedactedReasoningPart(entry["data"])
                for entry in block["summary"]]
    return [UnknownPart(copy.deepcopy(block))]


def _rand_call(rnd: random.Random, index: int) -> tuple[dict[str, Any], ToolCallPart]:
    call = copy.deepcopy(rnd.choice(CALLS))
    call["id"] = f"{call['id']}_{index}"  # ids stay unique in the turn
    function = call["function"]
    if rnd.random() < 0.5:
        arguments = {_rand_text(rnd, "location"): _rand_text(rnd, "東京"),
                     "n": rnd.randint(-5, 5), "ok": rnd.random() < 0.5}
        function["arguments"] = json.dumps(arguments, ensure_ascii=rnd.random() < 0.5)
    return call, ToolCallPart(call["id"], function["name"], function["arguments"])


def _rand_usage(rnd: random.Random) -> tuple[dict[str, Any], Usage]:
    usage = copy.deepcopy(rnd.choice(USAGES))
    prompt, completion = rnd.randint(0, 200_000), rnd.randint(0, 64_000)
    usage |= {"prompt_tokens": prompt, "completion_tokens": completion,
              "total_tokens": prompt + completion}
    for key in ("cache_read_input_tokens", "cache_creation_input_tokens"):
        if key in usage:
            usage[key] = rnd.randint(0, prompt)
    reasoning = None
    if usage.get("completion_tokens_details") is not None or rnd.random() < 0.3:
        reasoning = rnd.randint(0, completion)
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return usage, Usage(prompt, completion, prompt + completion,
                        usage.get("cache_read_input_tokens"),
                        usage.get("cache_creation_input_tokens"), reasoning)


def rand_valid(rnd: random.Random) -> tuple[dict[str, Any], Completion]:
    """A valid body in a capture's shape (its null fields kept) and the Completion it says."""
    body = copy.deepcopy(rnd.choice(SEEDS))
    choice = body["choices"][0]
    message = choice["message"]
    blocks = [_vary_block(rnd, rnd.choice(BLOCKS)) for _ in range(rnd.randrange(5))]
    parts: list[Part]
    if not any(b["type"] == "reasoning" for b in blocks) and rnd.random() < 0.3:
        text = _rand_text(rnd, "The text you've provided")
        message["content"] = text  # a string when there is no reasoning
        parts = [TextPart(text)] if text else []
    else:
        message["content"] = blocks
        parts = [part for block in blocks for part in _meaning(block)]
    drawn = [_rand_call(rnd, index) for index in range(rnd.choice((0, 0, 1, 2, 3)))]
    message["tool_calls"] = [call for call, _ in drawn] or rnd.choice((None, []))
    parts += [part for _, part in drawn]
    choice["finish_reason"] = "tool_calls" if drawn else rnd.choice(("stop", "length"))
    body["usage"], usage = _rand_usage(rnd)
    body["id"] = f"msg_bdrk_{rnd.getrandbits(40):x}"
    body["model"] = rnd.choice([seed["model"] for seed in SEEDS])
    return body, Completion(parts, choice["finish_reason"], usage, body["model"], body["id"])


def _parse_valid(body: Any, expected: Completion) -> None:
    """A valid body: parse_completion must answer (no error at all), with exactly `expected`,
    and the answer must replay, unless it is only (signed) reasoning, the one answer the
    builder refuses by design (the service refuses an assistant turn ending with reasoning)."""
    count("response parser: cases")
    kept = copy.deepcopy(body)
    try:
        completion = parse_completion(body)
    except Exception as error:
        raise AssertionError(
            f"a valid body was refused: {describe_error(error)} for {short_repr(body)}"
        ) from error
    count("response parser: accepted")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DatabricksClaudeWarning)  # unsigned reasoning dropped
        _check_completion(completion)
    assert completion.parts == expected.parts, short_repr(body)
    assert completion == expected, short_repr(body)
    assert body == kept  # parsing never modifies the body
    signed = [p for p in expected.parts if isinstance(p, RedactedReasoningPart)
              or (isinstance(p, ReasoningPart) and p.signature)]
    rest = [p for p in expected.parts
            if not isinstance(p, (ReasoningPart, RedactedReasoningPart, ToolCallPart))]
    only_reasoning = bool(signed) and not expected.tool_calls and all(
        isinstance(p, TextPart) and not p.text.strip() for p in rest)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DatabricksClaudeWarning)  # unsigned reasoning dropped
        if only_reasoning:
            with pytest.raises(ConfigurationError, match="holds only reasoning"):
                message_to_wire(completion.to_message())
            return
        wire = message_to_wire(completion.to_message())  # valid answers replay without error
    assert wire["role"] == "assistant"
    assert [call["id"] for call in wire.get("tool_calls") or []] == [
        call.id for call in expected.tool_calls]


def test_every_seed_is_a_valid_body() -> None:
    """The seeds themselves (captures and SYNTHETIC) are answered, part by part."""
    for seed in SEEDS:
        message = seed["choices"][0]["message"]
        content = message["content"]
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
        calls = [ToolCallPart(c["id"], c["function"]["name"], c["function"]["arguments"])
                 for c in message.get("tool_calls") or []]
        expected = Completion([part for block in blocks for part in _meaning(block)] + calls,
                              seed["choices"][0]["finish_reason"], parse_usage_of(seed),
                              seed["model"], seed["id"])
        _parse_valid(seed, expected)


def parse_usage_of(seed: dict[str, Any]) -> Usage:
    """A seed's usage, read by hand from docs/wire-chat.md#usage."""
    usage = seed["usage"]
    details = usage.get("completion_tokens_details") or {}
    return Usage(usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"],
                 usage.get("cache_read_input_tokens"), usage.get("cache_creation_input_tokens"),
                 details.get("reasoning_tokens"))


@settings(SETTINGS, max_examples=examples(2_000))
@given(rnd=st.randoms(use_true_random=True))
def test_valid_bodies_are_answered_with_what_they_say(rnd: random.Random) -> None:
    """2,000 seeded valid bodies: each is answered, and the answer is exactly the body's."""
    body, expected = rand_valid(rnd)
    _parse_valid(body, expected)
    # What the transport does: bytes -> json.loads -> parse.
    _parse_valid(json.loads(json.dumps(body)), expected)
