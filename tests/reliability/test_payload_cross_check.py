"""The client and the emulator check each other: what the builder sends, the service accepts.

Never send a request that the service will reject for a reason the client can know
(docs/design-rules.md#the-rule).
The emulator is written separately from the client, from the wire captures, and refuses what
the service refuses. So every payload `build_payload` produces from a well-formed conversation
(non-empty turns, tool arguments that are JSON objects, reasoning replayed with the signature
the service gave it, any options a caller may pass) must pass the emulator's strict rules.
A refusal means one of the two is wrong about the service, and the test names the rule.
"""

from __future__ import annotations

import random
import warnings
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databricks_claude.codecs.chat.request import build_payload
from databricks_claude.emulator import wire_errors
from databricks_claude.emulator.catalog import lookup
from databricks_claude.emulator.rules import check_request
from databricks_claude.emulator.signing import Signer
from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import (
    EPHEMERAL,
    Message,
    ReasoningPart,
    RedactedReasoningPart,
    RequestOptions,
    TextPart,
    ToolCallPart,
)
from databricks_claude.profiles import get_profile
from databricks_claude.schema import make_tool_spec

from ._support import count, examples

SIGNER = Signer()
BUDGET_ENDPOINTS = ("databricks-claude-sonnet-4-5", "databricks-claude-3-7-sonnet",
                    "databricks-claude-opus-4-1", "databricks-claude-haiku-4-5")
ADAPTIVE_ENDPOINTS = ("databricks-claude-opus-4-8", "databricks-claude-sonnet-5")
WORDS = ("Paris", "weather?", "42", "é\u4e16", "a longer sentence with spaces", "{}")
TOOLS = [
    make_tool_spec("get_weather", "Weather for a city.",
                   {"type": "object", "properties": {"city": {"type": "string"}},
                    "required": ["city"]}),
    make_tool_spec("search", "Search the web.",
                   {"type": "object", "properties": {"q": {"type": "string"},
                                                     "n": {"anyOf": [{"type": "integer"},
                                                                     {"type": "null"}]}}}),
    make_tool_spec("noargs", "", None),
]


def _text(rnd: random.Random) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 4)))


def _assistant_turn(rnd: random.Random, thinking: bool, turn: int,
                    tool_loop: bool) -> tuple[Message, list[ToolCallPart]]:
    """An assistant turn as the service sends it: signed reasoning first when thinking."""
    parts: list[Any] = []
    if thinking:
        if rnd.random() < 0.2:
            parts.append(RedactedReasoningPart(SIGNER.redacted_data(f"r{turn}")))
        else:
            reasoning = _text(rnd)
            parts.append(ReasoningPart(reasoning, SIGNER.sign(reasoning)))
    if not tool_loop or rnd.random() < 0.6:
        parts.append(TextPart(_text(rnd)))
    calls = []
    if tool_loop:
        for index in range(rnd.randint(1, 2)):
            tool = rnd.choice(TOOLS)
            arguments = '{"city": "Paris"}' if tool.name == "get_weather" else "{}"
            calls.append(ToolCallPart(f"toolu_{turn}_{index}", tool.name, arguments))
    return Message("assistant", [*parts, *calls]), calls


def _conversation(rnd: random.Random, thinking: bool) -> list[Message]:
    """System, user, then finished tool loops and plain turns; sometimes an open tool loop."""
    messages: list[Message] = []
    if rnd.random() < 0.5:
        cache = EPHEMERAL if rnd.random() < 0.3 else None
        messages.append(Message("system", [TextPart(_text(rnd), cache)]))
    messages.append(Message.user(_text(rnd)))
    turns = rnd.randint(0, 3)
    for turn in range(turns):
        tool_loop = rnd.random() < 0.6
        assistant, calls = _assistant_turn(rnd, thinking, turn, tool_loop)
        messages.append(assistant)
        messages.extend(Message.tool(call.id, _text(rnd)) for call in calls)
        if not calls or (turn < turns - 1 or rnd.random() < 0.5):
            messages.append(Message.user(_text(rnd)))
    return messages


def _options(rnd: random.Random, endpoint: str, thinking: bool) -> RequestOptions:
    adaptive = endpoint in ADAPTIVE_ENDPOINTS
    setting: Any = None
    if thinking:
        setting = rnd.choice([True, {"type": "adaptive"}] if adaptive else
                             [True, 2048, {"type": "enabled", "budget_tokens": 1024}])
    return RequestOptions(
        max_tokens=rnd.choice([None, 4096, 16_000]),
        temperature=rnd.choice([None, 0.0, 0.5, 1.0]),
        top_p=rnd.choice([None, 0.5, 1.0]),
        top_k=rnd.choice([None, 10]),
        stop=rnd.choice([None, ["END"]]),
        thinking=setting,
        effort=rnd.choice([None, "low", "high"]) if adaptive else None,
        tools=TOOLS if rnd.random() < 0.6 else None,
        tool_choice=rnd.choice([None, "auto", "required", "get_weather", "none"]),
    )


@settings(max_examples=examples(10_000), deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(rnd=st.randoms(use_true_random=True))
def test_built_payloads_pass_the_emulators_strict_rules(rnd: random.Random) -> None:
    """Well-formed input: the payload is accepted by the independent emulator rules."""
    endpoint = rnd.choice(BUDGET_ENDPOINTS + ADAPTIVE_ENDPOINTS)
    thinking = rnd.random() < 0.5
    messages = _conversation(rnd, thinking)
    options = _options(rnd, endpoint, thinking)
    count("cross-check: cases")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            payload = build_payload(messages, options, model=endpoint,
                                    profile=get_profile(endpoint), stream=rnd.random() < 0.5)
        except ConfigurationError as error:
            # Only refusals the design asks for: a forced tool choice without tools, and
            # both samplers on a model that refuses the pair.
            assert any(reason in str(error) for reason in (
                "no tools are bound", "not a bound tool", "cannot both be set")), error
            count("cross-check: refused by the builder (by design)")
            return
    served = lookup(endpoint)
    assert served is not None
    try:
        check_request(payload, served, SIGNER, strict=True)
    except wire_errors.Refusal as refusal:
        raise AssertionError(
            f"the emulator refuses what the builder sent ({refusal.status} {refusal.body}); "
            f"payload: {payload}") from None
    count("cross-check: payloads accepted by both")
