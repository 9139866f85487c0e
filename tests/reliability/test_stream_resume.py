"""Stream reconnection (`resume_streams=True`), on every surface, sync and async.

A plain-text stream that breaks after output is asked again with the text delivered so far as
an assistant prefill; the service answers with the continuation only, and the caller sees one
seamless stream equal to the uninterrupted answer. The emulator answers the continuation from
the script (it does not continue prefills by itself), exactly as the service would. Where
resuming is not allowed (reasoning or a tool call in the partial answer, or the retry budget is
spent), the partial answer comes back inside `StreamInterruptedError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from databricks_claude import errors
from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall

from ._drivers import Driver
from ._support import count

TEXT = "alpha beta gamma delta epsilon"
STREAM_MODES = ("stream", "astream")


@pytest.fixture
def make(driver: Driver, emulator: Emulator) -> Iterator[Any]:
    """Builds objects of the current surface with `resume_streams=True` by default."""
    built: list[Any] = []

    def build(**settings: Any) -> Any:
        settings.setdefault("token", emulator.token)
        settings.setdefault("resume_streams", True)
        obj = driver.build(emulator.host, **settings)
        built.append(obj)
        return obj

    yield build
    for obj in built:
        driver.close(obj)


def _chat(emulator: Emulator) -> list[Any]:
    return [r for r in emulator.requests if r.path.endswith("/chat/completions")]


@pytest.mark.parametrize("mode", STREAM_MODES)
@pytest.mark.parametrize("fault", [("drop_after", {"chunks": 2}), ("truncate", {"chunks": 2}),
                                   ("malformed", {"after": 2})],
                         ids=["reset", "truncated", "malformed"])
@pytest.mark.parametrize("continuation", [" gamma delta epsilon", "gamma delta epsilon"],
                         ids=["repeats-space", "no-space"])
def test_interrupted_stream_resumes_seamlessly(
        mode: str, fault: tuple[str, dict[str, Any]], continuation: str, driver: Driver,
        make: Any, emulator: Emulator, sleeps: list[float]) -> None:
    """Broken after "alpha beta ": asked again with the prefill "alpha beta"; one stream."""
    obj = make()
    emulator.script(ScriptedReply(text=TEXT), ScriptedReply(text=continuation))
    emulator.fault(fault[0], **fault[1])
    outcome = driver.run(obj, mode)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text == TEXT, outcome.chunks
    if outcome.final_text is not None:
        assert outcome.final_text == TEXT
    first, second = _chat(emulator)
    assert second.json["messages"] == [*first.json["messages"],
                                       {"role": "assistant", "content": "alpha beta"}]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5
    count("stream resume: interrupted streams resumed seamlessly")


@pytest.mark.parametrize("mode", STREAM_MODES)
def test_stream_resumes_twice_within_the_retry_budget(mode: str, driver: Driver, make: Any,
                                                      emulator: Emulator,
                                                      sleeps: list[float]) -> None:
    """Two breaks, two prefills growing with the delivered text, one seamless stream."""
    obj = make(max_retries=2)
    emulator.script(ScriptedReply(text=TEXT), ScriptedReply(text=" gamma delta epsilon"),
                    ScriptedReply(text=" delta epsilon"))
    emulator.fault("drop_after", chunks=2)
    emulator.fault("drop_after", chunks=1)
    outcome = driver.run(obj, mode)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text == TEXT, outcome.chunks
    prefills = [r.json["messages"][-1]["content"] for r in _chat(emulator)[1:]]
    assert prefills == ["alpha beta", "alpha beta gamma"]
    assert len(sleeps) == 2
    count("stream resume: interrupted streams resumed seamlessly")


@pytest.mark.parametrize("mode", STREAM_MODES)
def test_resume_budget_spent_hands_back_everything_delivered(
        mode: str, driver: Driver, make: Any, emulator: Emulator, sleeps: list[float]) -> None:
    """max_retries=1: the second break raises, with the text of both attempts as partial."""
    obj = make(max_retries=1)
    emulator.script(ScriptedReply(text=TEXT), ScriptedReply(text=" gamma delta epsilon"))
    emulator.fault("drop_after", chunks=2)
    emulator.fault("drop_after", chunks=1)
    outcome = driver.run(obj, mode)
    assert isinstance(outcome.error, errors.StreamInterruptedError), repr(outcome.error)
    assert outcome.text == "alpha beta gamma "
    assert outcome.error.partial.text == outcome.text
    assert len(_chat(emulator)) == 2
    count("stream resume: partial results handed back")


@pytest.mark.parametrize("mode", STREAM_MODES)
def test_no_resume_with_reasoning_in_progress(mode: str, driver: Driver, make: Any,
                                              emulator: Emulator, sleeps: list[float]) -> None:
    """Reasoning cannot be prefilled: the partial (reasoning and text) comes back in the error."""
    obj = make()
    emulator.script(ScriptedReply(text=TEXT, reasoning="think first"),
                    ScriptedReply(text="should not be asked"))
    # reasoning text (2 words), signature, then "alpha " "beta ": 5 events.
    emulator.fault("drop_after", chunks=5)
    outcome = driver.run(obj, mode)
    assert isinstance(outcome.error, errors.StreamInterruptedError), repr(outcome.error)
    partial = outcome.error.partial
    assert partial.reasoning_text == "think first"
    assert partial.text == outcome.text == "alpha beta "
    assert len(_chat(emulator)) == 1 and not sleeps
    count("stream resume: partial results handed back")


@pytest.mark.parametrize("mode", STREAM_MODES)
def test_no_resume_with_a_tool_call_in_progress(mode: str, driver: Driver, make: Any,
                                                emulator: Emulator,
                                                sleeps: list[float]) -> None:
    """A tool call cut in its arguments is not resumed: the partial call is in the error."""
    obj = make()
    call = ScriptedToolCall("get_weather", {"location": "Paris, France", "unit": "celsius"})
    emulator.script(ScriptedReply(text="Checking.", tool_calls=[call]),
                    ScriptedReply(text="should not be asked"))
    # "Checking.", the tool call start, "" and two 16-character argument pieces: 5 events.
    emulator.fault("drop_after", chunks=5)
    outcome = driver.run(obj, mode)
    assert isinstance(outcome.error, errors.StreamInterruptedError), repr(outcome.error)
    partial = outcome.error.partial
    assert partial.text == outcome.text == "Checking."
    assert [c.name for c in partial.tool_calls] == ["get_weather"]
    full = '{"location":"Paris, France","unit":"celsius"}'
    assert full.startswith(partial.tool_calls[0].arguments) and (
        partial.tool_calls[0].arguments != full)
    assert len(_chat(emulator)) == 1 and not sleeps
    count("stream resume: partial results handed back")


@pytest.mark.parametrize("mode", ("invoke", "ainvoke"))
def test_resume_setting_leaves_non_streaming_calls_alone(mode: str, driver: Driver, make: Any,
                                                         emulator: Emulator,
                                                         sleeps: list[float]) -> None:
    """A non-streaming call broken mid-body is retried whole: no prefill is ever sent."""
    obj = make()
    emulator.script(ScriptedReply(text=TEXT), ScriptedReply(text=TEXT))
    emulator.fault("drop_after")
    outcome = driver.run(obj, mode)
    assert outcome.error is None and outcome.text == TEXT
    first, second = _chat(emulator)
    assert first.json == second.json
