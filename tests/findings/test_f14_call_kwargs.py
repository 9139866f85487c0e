"""Finding 14: OpenAI-style call keywords are mapped to what Claude takes, or refused before
sending; a request never carries two output limits.

One rule in the core (`kit.options`, the chat request builder) for both adapters.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from databricks_claude.errors import ConfigurationError

ADAPTIVE = "databricks-claude-opus-4-8"


def _sent(emulator: Any) -> dict[str, Any]:
    return emulator.requests[-1].json


def test_max_completion_tokens_is_max_tokens(make_lc: Any, make_li: Any, emulator: Any) -> None:
    make_lc().invoke("hi", max_completion_tokens=300)
    assert _sent(emulator)["max_tokens"] == 300
    assert "max_completion_tokens" not in _sent(emulator)
    make_li().complete("hi", max_completion_tokens=300)
    assert _sent(emulator)["max_tokens"] == 300
    assert "max_completion_tokens" not in _sent(emulator)


def test_max_completion_tokens_in_model_kwargs(make_lc: Any, emulator: Any) -> None:
    make_lc(model_kwargs={"max_completion_tokens": 256}).invoke("hi")
    assert _sent(emulator)["max_tokens"] == 256
    assert "max_completion_tokens" not in _sent(emulator)
    # A call's max_tokens wins over the model's alias.
    make_lc(model_kwargs={"max_completion_tokens": 256}).invoke("hi", max_tokens=128)
    assert _sent(emulator)["max_tokens"] == 128


def test_two_different_limits_are_refused(make_lc: Any, emulator: Any) -> None:
    before = len(emulator.requests)
    with pytest.raises(ConfigurationError, match="max_tokens=500 and max_completion_tokens=300"):
        make_lc().invoke("hi", max_tokens=500, max_completion_tokens=300)
    assert len(emulator.requests) == before


@pytest.mark.parametrize(("value", "effort"), [("low", "low"), ("minimal", "low"),
                                              ("high", "high")])
def test_reasoning_effort_is_thinking_and_effort(make_lc: Any, emulator: Any, value: str,
                                                 effort: str) -> None:
    make_lc(ADAPTIVE).invoke("hi", reasoning_effort=value)
    sent = _sent(emulator)
    assert "reasoning_effort" not in sent
    assert sent["thinking"]["type"] == "adaptive"
    assert sent["output_config"] == {"effort": effort}


def test_reasoning_effort_none_turns_thinking_off(make_li: Any, emulator: Any) -> None:
    make_li(ADAPTIVE, thinking=True).complete("hi", reasoning_effort="none")
    sent = _sent(emulator)
    assert "reasoning_effort" not in sent
    assert sent.get("thinking") in (None, {"type": "disabled"})


def test_reasoning_effort_on_a_budget_model(make_lc: Any, emulator: Any) -> None:
    make_lc().invoke("hi", reasoning_effort="medium")
    sent = _sent(emulator)
    assert "reasoning_effort" not in sent
    assert sent["thinking"]["type"] == "enabled"


def test_unknown_reasoning_effort_is_refused(make_lc: Any) -> None:
    with pytest.raises(ConfigurationError, match="reasoning_effort='turbo'"):
        make_lc().invoke("hi", reasoning_effort="turbo")


@pytest.mark.parametrize("key", ["user", "seed", "presence_penalty", "logprobs", "store"])
def test_refused_keys_fail_before_sending(make_lc: Any, make_li: Any, emulator: Any,
                                          key: str) -> None:
    before = len(emulator.requests)
    with pytest.raises(ConfigurationError, match=f"'{key}' is not accepted"):
        make_lc().invoke("hi", **{key: "x"})
    with pytest.raises(ConfigurationError, match=f"'{key}' is not accepted"):
        make_li().complete("hi", **{key: "x"})
    assert len(emulator.requests) == before


def test_json_object_takes_the_json_path(make_lc: Any, make_li: Any, emulator: Any) -> None:
    answer = make_lc().invoke("hi", response_format={"type": "json_object"})
    sent = _sent(emulator)
    assert "response_format" not in sent  # Claude endpoints refuse json_object
    assert [t["function"]["name"] for t in sent["tools"]] == ["json_answer"]
    assert isinstance(json.loads(answer.content), dict)
    assert answer.tool_calls == []
    response = make_li().complete("hi", response_format={"type": "json_object"})
    assert isinstance(json.loads(response.text), dict)


def test_unknown_response_format_is_refused(make_lc: Any) -> None:
    with pytest.raises(ConfigurationError, match="response_format"):
        make_lc().invoke("hi", response_format={"type": "xml"})
