"""The per-delta chunks built without validation (`langchain_databricks_claude._fast`).

They must be indistinguishable from validated ones: same fields, same types (down to
`TextAccessor`), same fields set, same merges; and when the one-time self-check finds any
difference, the validated constructors must be used instead.
"""

from __future__ import annotations

import copy
import logging
import pickle
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from lc_helpers import MakeLLM
from pydantic import BaseModel
from wire_helpers import load_fixture, stream_from_response

from databricks_claude import _fastmodel
from databricks_claude._fastmodel import make, matches, same, verified
from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall
from databricks_claude.messages import (
    Delta,
    FinishDelta,
    ReasoningDelta,
    RedactedReasoningDelta,
    SignatureDelta,
    TextDelta,
    ToolCallArgsDelta,
    ToolCallStartDelta,
)
from langchain_databricks_claude import ChatDatabricksClaude, _fast
from langchain_databricks_claude.layout import PROVIDER, REASONING_CONTENT
from langchain_databricks_claude.stream import StreamChunkBuilder, V1StreamChunkBuilder

V1_META = {"model_provider": PROVIDER, "output_version": "v1"}
# Argument fragments as they come mid-stream, and the ways partial JSON parses: to an object,
# to another value, or not at all.
FRAGMENTS = ['{"', '{"city": "Par', "is", '", "unit": "c', 'elsius"}', "}", "1", "[1, 2",
             '"x', "null", " \n{\"a\": [1, {\"b", '{"a": 1}', "}{", "{]", " ", '{"a": "\\',
             '{"a": "\\u00', "\ufeff{}", '{"a": 1} trailing', "東京"]


@pytest.fixture
def fresh_builders() -> Iterator[None]:
    """Every constructor checked again in this test, and again after it (the choice is made
    once per process)."""
    _fastmodel.reset()
    yield
    _fastmodel.reset()


def _validated(content: str | list[Any] = "", **kwargs: Any) -> ChatGenerationChunk:
    """A chunk built the ordinary way, as the builders did before the fast path."""
    return ChatGenerationChunk(message=AIMessageChunk(content=content, **kwargs))


def _validated_builder(cls: type[StreamChunkBuilder] = StreamChunkBuilder) -> StreamChunkBuilder:
    """A builder on the validated constructors, whatever `builders()` chose."""
    builder = cls("m")
    builder._new_text, builder._new_reasoning, builder._new_tool, builder._new_blocks = (
        _fast.VALIDATED[:4])
    return builder


def _tool_chunk(call_id: str | None, name: str | None, args: str, index: int) -> Any:
    return {"type": "tool_call_chunk", "id": call_id, "name": name, "args": args,
            "index": index}


def _assert_identical(built: ChatGenerationChunk, validated: ChatGenerationChunk) -> None:
    """Field by field, types included, then as a whole."""
    assert type(built) is type(validated)
    for name, value in validated.__dict__.items():
        if name != "message":
            assert type(built.__dict__[name]) is type(value), name
            assert built.__dict__[name] == value, name
    assert list(built.message.__dict__) == list(validated.message.__dict__)  # field order
    for name, value in validated.message.__dict__.items():
        assert type(getattr(built.message, name)) is type(value), name
        assert getattr(built.message, name) == value, name
    assert built.model_fields_set == validated.model_fields_set
    assert built.message.model_fields_set == validated.message.model_fields_set
    assert built.message.__pydantic_extra__ == validated.message.__pydantic_extra__
    assert built.__pydantic_extra__ == validated.__pydantic_extra__
    assert built == validated
    assert repr(built) == repr(validated)
    assert built.model_dump() == validated.model_dump()
    assert same(built, validated)
    assert same(built + built, validated + validated)


def test_the_fast_path_is_in_use() -> None:
    builders = _fast.builders()
    assert builders.fast
    assert builders.text is _fast._fast_text
    assert StreamChunkBuilder("m")._new_text is _fast._fast_text


# ---- each kind of delta, v0 ------------------------------------------------------------------


def test_text_chunk() -> None:
    built = StreamChunkBuilder("m").feed(TextDelta("héllo"))
    assert built is not None
    _assert_identical(built, _validated("héllo"))
    assert type(built.text).__name__ == "TextAccessor"


def test_reasoning_chunk() -> None:
    built = StreamChunkBuilder("m").feed(ReasoningDelta("think", 0))
    assert built is not None
    _assert_identical(built, _validated("", additional_kwargs={REASONING_CONTENT: "think"}))


def test_tool_start_chunk() -> None:
    built = StreamChunkBuilder("m").feed(ToolCallStartDelta(1, 3, "call_9", "get_weather"))
    assert built is not None
    expected = _validated("", tool_call_chunks=[_tool_chunk("call_9", "get_weather", "", 1)])
    _assert_identical(built, expected)
    assert built.message.tool_calls == [
        {"name": "get_weather", "args": {}, "id": "call_9", "type": "tool_call"}]


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_tool_args_chunk(fragment: str) -> None:
    built = StreamChunkBuilder("m").feed(ToolCallArgsDelta(0, 1, fragment))
    assert built is not None
    _assert_identical(built, _validated("", tool_call_chunks=[_tool_chunk(None, None, fragment,
                                                                         0)]))


def test_empty_deltas_and_reasoning_markers_give_no_chunk() -> None:
    builder = StreamChunkBuilder("m")
    for delta in (TextDelta(""), ReasoningDelta("", 0), ToolCallArgsDelta(0, 1, ""),
                  SignatureDelta("sig", 0), RedactedReasoningDelta("data", 1)):
        assert builder.feed(delta) is None


# ---- each kind of delta, v1 ------------------------------------------------------------------


def _v1(block: dict[str, Any], **kwargs: Any) -> ChatGenerationChunk:
    return _validated([block], response_metadata=dict(V1_META), **kwargs)


def test_v1_chunks() -> None:
    builder = V1StreamChunkBuilder("m")
    cases: list[tuple[Delta, ChatGenerationChunk]] = [
        (ReasoningDelta("r", 0, 0), _v1({"type": "reasoning", "reasoning": "r", "index": 0},
                                        additional_kwargs={REASONING_CONTENT: "r"})),
        (SignatureDelta("sig", 0, 0), _v1({"type": "reasoning", "reasoning": "", "index": 0,
                                           "extras": {"signature": "sig"}})),
        (RedactedReasoningDelta("data", 1, 1), _v1({"type": "reasoning", "index": 1,
                                                    "extras": {"redacted_content": "data"}})),
        (TextDelta("x", 2), _v1({"type": "text", "text": "x", "index": 2})),
        (ToolCallStartDelta(0, 5, "c1", "f", 3),  # block index: the part's, not the wire's
         _v1({"type": "tool_call_chunk", "id": "c1", "name": "f", "args": "", "index": 3},
             tool_call_chunks=[_tool_chunk("c1", "f", "", 0)])),
    ]
    cases += [
        (ToolCallArgsDelta(0, 5, fragment, 3),
         _v1({"type": "tool_call_chunk", "id": None, "name": None, "args": fragment, "index": 3},
             tool_call_chunks=[_tool_chunk(None, None, fragment, 0)]))
        for fragment in FRAGMENTS
    ]
    for delta, expected in cases:
        built = builder.feed(delta)
        assert built is not None
        _assert_identical(built, expected)


# ---- whole streams ---------------------------------------------------------------------------


def _deltas(body: dict[str, Any], size: int) -> list[Delta]:
    accumulator = StreamAccumulator()
    return [d for data in stream_from_response(body, size=size)
            for d in accumulator.feed_data(data)]


def _chunks(builder: StreamChunkBuilder, deltas: list[Delta]) -> list[ChatGenerationChunk]:
    return [c for c in map(builder.feed, deltas) if c is not None]


@pytest.mark.parametrize("builder_cls", [StreamChunkBuilder, V1StreamChunkBuilder])
@pytest.mark.parametrize("size", [1, 3, 1000])
def test_streams_match_validated_ones(builder_cls: type[StreamChunkBuilder], size: int) -> None:
    """Every chunk of a recorded thinking + tools answer, and their sum, as with validation."""
    body = copy.deepcopy(load_fixture("seed_response_thinking_tools.json"))
    body["choices"][0]["message"]["content"].insert(0, {"type": "reasoning", "summary": [
        {"type": "summary_encrypted_text", "data": "EnCrYpTeD=="}]})
    deltas = _deltas(body, size)
    assert {type(d) for d in deltas} == {ReasoningDelta, SignatureDelta, RedactedReasoningDelta,
                                         TextDelta, ToolCallStartDelta, ToolCallArgsDelta,
                                         FinishDelta}
    fast = _chunks(builder_cls("m"), deltas)
    validated = _chunks(_validated_builder(builder_cls), deltas)
    assert len(fast) == len(validated)
    for built, expected in zip(fast, validated, strict=True):
        assert same(built, expected)
    total, expected_total = fast[0], validated[0]
    for built, expected in zip(fast[1:], validated[1:], strict=True):
        total, expected_total = total + built, expected_total + expected
    assert same(total, expected_total)
    assert total.message.tool_calls == expected_total.message.tool_calls
    assert [c["args"] for c in total.message.tool_calls] == [{"location": "東京"}]


def test_chunks_share_no_containers() -> None:
    """Each chunk has its own dicts, lists and fields set, as validated ones do."""
    builder = StreamChunkBuilder("m")
    first, second = (builder.feed(TextDelta("a")), builder.feed(TextDelta("b")))
    assert first is not None and second is not None
    for name in ("additional_kwargs", "response_metadata", "tool_calls", "invalid_tool_calls",
                 "tool_call_chunks"):
        assert getattr(first.message, name) is not getattr(second.message, name)
    first.message.id = "run-1"  # what `BaseChatModel.stream` does with every chunk
    first.message.additional_kwargs["k"] = 1
    assert first.message.model_fields_set == {"content", "id"}
    assert second.message.model_fields_set == {"content"}
    assert second.message.id is None and second.message.additional_kwargs == {}


@pytest.mark.parametrize("delta", [TextDelta("x"), ReasoningDelta("r", 0),
                                   ToolCallStartDelta(0, 1, "c", "f"),
                                   ToolCallArgsDelta(0, 1, '{"a": 1')], ids=type)
def test_copies_pickles_and_dumps_alike(delta: Delta) -> None:
    built = StreamChunkBuilder("m").feed(delta)
    expected = _validated_builder().feed(delta)
    assert built is not None and expected is not None
    assert same(copy.deepcopy(built), copy.deepcopy(expected))
    assert same(pickle.loads(pickle.dumps(built)), pickle.loads(pickle.dumps(expected)))
    assert same(built.model_copy(update={"text": "t"}), expected.model_copy(update={"text": "t"}))
    assert dumpd(built.message) == dumpd(expected.message)
    assert built.message.content_blocks == expected.message.content_blocks


def test_long_stream_sums_to_invoke(make_llm: MakeLLM, emulator: Emulator) -> None:
    """One character per delta, reasoning and tool arguments included, through `stream`."""
    reply = ScriptedReply(text="The answer, slowly.", reasoning="Step by step.",
                          tool_calls=[ScriptedToolCall("lookup", {"q": "東京", "n": [1, 2]})],
                          chunk_size=1)
    emulator.script(reply, reply)
    llm = make_llm(thinking=True, max_tokens=4096)
    invoked = llm.invoke("go")
    chunks = list(llm.stream("go"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.content == invoked.content
    assert total.additional_kwargs[REASONING_CONTENT] == invoked.additional_kwargs[
        REASONING_CONTENT]
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [
        (c["name"], c["args"]) for c in invoked.tool_calls]
    assert total.invalid_tool_calls == invoked.invalid_tool_calls == []
    assert len(chunks) > len("The answer, slowly.") + len("Step by step.")


# ---- the fallback ----------------------------------------------------------------------------


def _plain_text_chunk(text: str) -> ChatGenerationChunk:
    """Almost right: `text` a plain `str` instead of a `TextAccessor`, which `==` misses."""
    chunk = _fast._fast_text(text)
    chunk.__dict__["text"] = str(text)
    return chunk


@pytest.mark.usefixtures("fresh_builders")
def test_a_failed_self_check_falls_back_to_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fast.TEXT, "fast", _plain_text_chunk)
    builders = _fast.builders()
    assert builders.text is _fast._safe_text
    assert not builders.fast
    assert builders.reasoning is _fast._fast_reasoning  # chosen one by one
    built = StreamChunkBuilder("m").feed(TextDelta("x"))
    assert built is not None
    _assert_identical(built, _validated("x"))


@pytest.mark.usefixtures("fresh_builders")
def test_a_changed_pydantic_falls_back_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pydantic without the slots `make` fills: every constructor is the validated one."""
    monkeypatch.setattr(_fastmodel, "set_fields_set", None)  # what `make` uses
    monkeypatch.setattr(_fast, "set_fields_set", None)  # `make` inlined
    assert _fast.builders() == _fast.VALIDATED
    builder = V1StreamChunkBuilder("m")
    built = builder.feed(TextDelta("x", 0))
    assert built is not None
    _assert_identical(built, _v1({"type": "text", "text": "x", "index": 0}))


@pytest.mark.usefixtures("fresh_builders")
def test_a_merge_difference_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    for constructor in _fast.CONSTRUCTORS:
        monkeypatch.setattr(constructor, "check", lambda fast, safe: False)
    assert _fast.builders() == _fast.VALIDATED


# ---- the check policy ------------------------------------------------------------------------


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


def _model() -> ChatDatabricksClaude:
    return ChatDatabricksClaude(endpoint="e", host="https://example.invalid", token="t")


@pytest.mark.usefixtures("fresh_builders")
def test_building_a_model_checks_every_constructor_once(checks: list[Any]) -> None:
    assert set(_fastmodel.report().values()) == {"not checked yet"}
    _model()
    assert len(checks) == len(_fastmodel.report())  # every declared one, once
    assert {c.fast for c in _fast.CONSTRUCTORS} <= set(checks)
    assert set(_fastmodel.report().values()) == {"fast"}
    _model()
    assert StreamChunkBuilder("m").feed(TextDelta("x")) is not None
    assert len(checks) == len(_fastmodel.report())  # no second check


@pytest.mark.usefixtures("fresh_builders")
def test_without_a_warm_up_the_first_use_checks(checks: list[Any]) -> None:
    assert StreamChunkBuilder("m")._new_text is _fast._fast_text
    assert checks == [c.fast for c in _fast.CONSTRUCTORS]  # only what was used
    assert {_fastmodel.report()[c.name] for c in _fast.CONSTRUCTORS} == {"fast"}


@pytest.mark.usefixtures("fresh_builders")
def test_concurrent_warm_ups_check_once(checks: list[Any]) -> None:
    barrier = threading.Barrier(8)

    def warm() -> None:
        barrier.wait()
        _fastmodel.warm_up()

    threads = [threading.Thread(target=warm) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) == len(set(checks)) == len(_fastmodel.report())  # each one once


@pytest.mark.usefixtures("fresh_builders")
def test_a_fallback_warns_once_with_the_reason(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: Any) -> ChatGenerationChunk:
        raise RuntimeError("boom")

    monkeypatch.setattr(_fast.TEXT, "fast", _plain_text_chunk)
    monkeypatch.setattr(_fast.TOOL, "fast", broken)
    with caplog.at_level(logging.WARNING, logger="databricks_claude"):
        _model()
        _model()
        assert StreamChunkBuilder("m").feed(TextDelta("x")) is not None
    warned = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    text_reason = "sample 0 ('x',): value.text: str != TextAccessor"
    tool_reason = "sample 0 ('call_1', 'get_weather', '', 0): RuntimeError: boom"
    assert warned == [  # once each, though two models were built and a stream run
        f"fast construction of langchain text chunk is off, objects are validated (slower): "
        f"{text_reason}",
        f"fast construction of langchain tool call chunk is off, objects are validated "
        f"(slower): {tool_reason}"]
    assert {r.name for r in caplog.records} == {"databricks_claude"}
    report = _fastmodel.report()
    assert report[_fast.TEXT.name] == f"validated: {text_reason}"
    assert report[_fast.TOOL.name] == f"validated: {tool_reason}"
    assert report[_fast.REASONING.name] == report[_fast.BLOCKS.name] == "fast"
    assert _fast.TEXT.reason == text_reason and _fast.REASONING.reason is None


# ---- the generic helpers ---------------------------------------------------------------------


class _Model(BaseModel):
    name: str
    tags: list[str] = []


def test_same_is_stricter_than_equality() -> None:
    class Text(str):
        pass

    assert same({"a": [1, ("x",)]}, {"a": [1, ("x",)]})
    assert not same(Text("x"), "x") and Text("x") == "x"
    assert not same([1], (1,))
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not same(1, 1.0) and not same(1, True)
    assert not same(_Model(name="n"), _Model(name="n", tags=[]))  # fields set differs
    assert same(_Model(name="n"), _Model(name="n"))


def test_make_and_verified() -> None:
    def fast(name: str) -> _Model:
        return make(_Model, {"name": name, "tags": []}, {"name"})

    def safe(name: str) -> _Model:
        return _Model(name=name)

    def wrong(name: str) -> _Model:
        return make(_Model, {"tags": [], "name": name}, {"name"})  # field order differs

    def broken(name: str) -> _Model:
        raise RuntimeError(name)

    assert same(fast("n"), safe("n"))
    assert verified(fast, safe, ("n",), ("",)) is fast
    assert verified(wrong, safe, ("n",)) is safe
    assert verified(broken, safe, ("n",)) is safe
    assert verified(fast, safe, ("n",), check=lambda f, s: False) is safe
    assert not matches(fast, safe, ("n",), ("x",), check=lambda f, s: f.name != "x")
