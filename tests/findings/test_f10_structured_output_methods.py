"""Finding 10: each `with_structured_output` method sends what docs/structured-output.md says,
and arguments bound first (`llm.bind(thinking=True)`) are kept."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from langchain_core.exceptions import OutputParserException
from pydantic import BaseModel

from databricks_claude.emulator.script import ScriptedReply, ScriptedToolCall

NATIVE = "databricks-claude-sonnet-4-5"
NO_NATIVE = "databricks-claude-opus-5-5"  # refuses response_format on the chat route


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def _sent(emulator: Any) -> dict[str, Any]:
    return emulator.requests[-1].json


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
@pytest.mark.parametrize("thinking", [None, True])
def test_json_methods_send_native_json_schema(make_lc: Any, emulator: Any, method: str,
                                              thinking: bool | None) -> None:
    structured = make_lc(NATIVE, thinking=thinking).with_structured_output(Person, method=method)
    assert structured.invoke("Ada, 36") == Person(name="Ada", age=36)
    sent = _sent(emulator)
    assert sent["response_format"]["type"] == "json_schema"  # never json_object
    assert sent["response_format"]["json_schema"]["name"] == "Person"
    assert set(sent["response_format"]["json_schema"]["schema"]["properties"]) == {"name", "age"}
    assert "tools" not in sent and "tool_choice" not in sent
    assert list(structured.stream("Ada, 36"))[-1] == Person(name="Ada", age=36)


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
@pytest.mark.parametrize("thinking", [None, True])
def test_json_methods_use_a_tool_where_native_is_refused(make_lc: Any, emulator: Any,
                                                         method: str,
                                                         thinking: bool | None) -> None:
    structured = make_lc(NO_NATIVE, thinking=thinking).with_structured_output(
        Person, method=method, include_raw=True)
    out = structured.invoke("Ada, 36")
    assert out["parsed"] == Person(name="Ada", age=36)
    assert out["raw"].tool_calls == []  # the tool's call is the answer text
    assert out["raw"].content == '{"name":"Ada","age":36}'
    sent = _sent(emulator)
    assert "response_format" not in sent
    assert [t["function"]["name"] for t in sent["tools"]] == ["Person"]
    if thinking:
        assert sent.get("tool_choice") in (None, "auto")
        assert "`Person` tool" in sent["messages"][0]["content"]
    else:
        assert sent["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
    chunks = list(make_lc(NO_NATIVE, thinking=thinking).with_structured_output(
        Person, method=method).stream("Ada, 36"))
    assert chunks[-1] == Person(name="Ada", age=36)


def test_function_calling_sends_a_forced_tool(make_lc: Any, emulator: Any) -> None:
    make_lc(NATIVE).with_structured_output(Person).invoke("Ada, 36")
    sent = _sent(emulator)
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
    assert "response_format" not in sent


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_bound_arguments_are_kept(make_lc: Any, emulator: Any, method: str) -> None:
    llm = make_lc(NATIVE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is dropped with a warning either
        result = llm.bind(thinking=True, max_tokens=4096).with_structured_output(
            Person, method=method).invoke("Ada, 36")
    assert result == Person(name="Ada", age=36)
    sent = _sent(emulator)
    assert sent["thinking"]["type"] == "enabled"
    assert sent["max_tokens"] == 4096
    if method == "function_calling":  # forcing is refused with thinking: asked for instead
        assert sent["tool_choice"] == "auto"


def test_bound_arguments_are_kept_through_bind_tools(make_lc: Any, emulator: Any) -> None:
    make_lc(NATIVE).bind(max_tokens=2048).bind_tools([Person]).invoke("Ada, 36")
    assert _sent(emulator)["max_tokens"] == 2048


def test_a_json_answer_that_is_not_json(make_lc: Any, emulator: Any) -> None:
    emulator.script(ScriptedReply(text="Ada is 36."))
    with pytest.raises(OutputParserException, match="not JSON"):
        make_lc(NATIVE).with_structured_output(Person, method="json_schema").invoke("Ada, 36")


def test_structured_output_and_tools_on_a_tool_binding(make_lc: Any, emulator: Any) -> None:
    """Bindings that already hold tools: the new tools (or the schema's tool) replace them."""

    def get_weather(city: str) -> str:
        """The weather in a city."""
        return city

    bound = make_lc(NATIVE).bind(max_tokens=1024).bind_tools([get_weather])
    assert bound.with_structured_output(Person).invoke("Ada, 36") == Person(name="Ada", age=36)
    assert [t["function"]["name"] for t in _sent(emulator)["tools"]] == ["Person"]
    assert _sent(emulator)["max_tokens"] == 1024
    bound.bind_tools([Person]).invoke("Ada, 36")
    assert [t["function"]["name"] for t in _sent(emulator)["tools"]] == ["Person"]


@pytest.mark.parametrize("resume", [False, True])
def test_a_broken_tool_route_stream_restarts(make_lc: Any, emulator: Any, resume: bool) -> None:
    """Held answer text was never given out: a broken stream restarts, it is not resumed from
    text the caller never saw."""
    emulator.script(ScriptedReply(text="Let me fill the form. ", tool_calls=[
        ScriptedToolCall("Person", {"name": "Ada", "age": 36})], chunk_size=2),
        ScriptedReply(tool_calls=[ScriptedToolCall("Person", {"name": "Ada", "age": 36})]))
    emulator.fault("drop_after", chunks=4)
    llm = make_lc(NO_NATIVE, resume_streams=resume)
    chunks = list(llm.with_structured_output(Person, method="json_schema").stream("Ada, 36"))
    assert chunks[-1] == Person(name="Ada", age=36)
    assert len(emulator.requests) == 2
    assert not any(m["role"] == "assistant" for m in emulator.requests[-1].json["messages"])
