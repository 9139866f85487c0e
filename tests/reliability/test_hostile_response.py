"""Hostile input to the response parser: random JSON and mutated real responses.

`parse_completion` must return a well-typed `Completion` or raise the project's own
`MalformedResponseError` (a `DatabricksClaudeError`) saying what was wrong. Whatever it accepts
must be replayable: `message_to_wire(completion.to_message())` must not fail.
"""

from __future__ import annotations

import contextlib
import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databricks_claude.errors import DatabricksClaudeError
from databricks_claude.messages import (
    Completion,
    ReasoningPart,
    RedactedReasoningPart,
    TextPart,
    ToolCallPart,
    UnknownPart,
    Usage,
)
from databricks_claude.request import message_to_wire
from databricks_claude.response import parse_completion

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
