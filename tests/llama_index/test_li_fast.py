"""The per-delta LlamaIndex objects built without validation (`llama_index_databricks_claude.
_fast`): checked once, when an LLM is built; bound as module names; validated objects, and one
warning, when a check fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatResponse, TextBlock

from databricks_claude import _fastmodel
from databricks_claude._fastmodel import make, same
from databricks_claude.messages import (
    Delta,
    ReasoningDelta,
    RedactedReasoningDelta,
    SignatureDelta,
    TextDelta,
    ToolCallArgsDelta,
    ToolCallStartDelta,
)
from llama_index_databricks_claude import DatabricksClaude, _fast
from llama_index_databricks_claude.stream import ChatStreamConverter

NAMES = ("text_block", "thinking_block", "tool_call_block", "chat_response")
CONSTRUCTORS = (_fast.TEXT_BLOCK, _fast.THINKING_BLOCK, _fast.TOOL_CALL_BLOCK,
                _fast.CHAT_RESPONSE)
DELTAS: list[Delta] = [
    ReasoningDelta("think", 0, 0), SignatureDelta("sig", 0, 0),
    RedactedReasoningDelta("data", 1, 1), TextDelta("hel", 2), TextDelta("lo", 2),
    ToolCallStartDelta(0, 0, "call_1", "lookup", 3), ToolCallArgsDelta(0, 0, '{"q": ', 3),
    ToolCallArgsDelta(0, 0, '"東京"}', 3),
]


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    """Every constructor checked again in each test, and again after it."""
    _fastmodel.reset()
    yield
    _fastmodel.reset()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The fast functions checked from now on, one entry per check."""
    checked: list[Any] = []
    real = _fastmodel.difference

    def counting(fast: Any, safe: Any, samples: Any, check: Any = None) -> str | None:
        checked.append(fast)
        return real(fast, safe, samples, check)

    monkeypatch.setattr(_fastmodel, "difference", counting)
    return checked


def _llm() -> DatabricksClaude:
    return DatabricksClaude(endpoint="e", host="https://example.invalid", token="t")


def _stream() -> list[ChatResponse]:
    converter = ChatStreamConverter()
    return [c for c in map(converter.feed, DELTAS) if c is not None]


def test_building_an_llm_checks_once_and_binds_the_names(checks: list[Any]) -> None:
    assert not set(NAMES) & set(vars(_fast))  # unbound until checked
    _llm()
    assert len(checks) == len(set(checks)) == len(_fastmodel.report())  # each declared, once
    assert [vars(_fast)[name] for name in NAMES] == [c.fast for c in CONSTRUCTORS]
    assert {_fastmodel.report()[c.name] for c in CONSTRUCTORS} == {"fast"}
    _llm()
    assert _stream()
    assert len(checks) == len(_fastmodel.report())  # no second check


def test_first_access_without_a_warm_up_checks_that_name(checks: list[Any]) -> None:
    assert _fast.text_block is _fast._fast_text_block  # through `__getattr__`
    assert checks == [_fast._fast_text_block]
    assert "text_block" in vars(_fast) and "chat_response" not in vars(_fast)
    with pytest.raises(AttributeError, match="no_such_name"):
        _fast.no_such_name  # noqa: B018


def _unset_text_block(text: str) -> TextBlock:
    """Almost right: no field marked as set, which `==` misses."""
    return make(TextBlock, {"block_type": "text", "text": text}, set())


def test_a_broken_fast_constructor_falls_back_with_one_warning(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(_fast.TEXT_BLOCK, "fast", _unset_text_block)
    with caplog.at_level(logging.WARNING, logger="databricks_claude"):
        _llm()
        _llm()
        chunks = _stream()
    reason = "sample 0 ('t',): value.<fields set>: set() != {'text'}"
    assert [(r.name, r.getMessage()) for r in caplog.records] == [(
        "databricks_claude", "fast construction of llama-index TextBlock is off, objects are "
        f"validated (slower): {reason}")]
    assert _fastmodel.report()[_fast.TEXT_BLOCK.name] == f"validated: {reason}"
    assert _fast.text_block is _fast._safe_text_block
    assert _fast.chat_response is _fast._fast_chat_response  # chosen one by one
    block = chunks[-1].message.blocks[2]
    assert same(block, TextBlock(text="hello"))
    assert block.model_fields_set == {"text"}


def test_a_changed_pydantic_falls_back_everywhere(monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """A pydantic without the slots `make` fills: validated objects, identical to fast ones."""
    fast = _stream()
    _fastmodel.reset()
    monkeypatch.setattr(_fastmodel, "set_fields_set", None)
    with caplog.at_level(logging.WARNING, logger="databricks_claude"):
        validated = _stream()
    assert [vars(_fast)[name] for name in NAMES] == [c.safe for c in CONSTRUCTORS]
    warned = sorted(r.getMessage().split(":")[0] for r in caplog.records)
    assert warned == sorted(f"fast construction of {c.name} is off, objects are validated "
                            "(slower)" for c in CONSTRUCTORS)
    assert all("TypeError" in (c.reason or "") for c in CONSTRUCTORS)
    assert len(fast) == len(validated) == 7
    for built, expected in zip(fast, validated, strict=True):
        assert same(built, expected)
    assert validated[-1].message.content == "hello"
