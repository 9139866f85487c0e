"""`bind_tools` and `with_structured_output` against the strict emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.tools import tool
from lc_helpers import MakeLLM
from pydantic import BaseModel, Field
from pydantic import v1 as pydantic_v1
from typing_extensions import TypedDict

import langchain_databricks_claude.tools as lc_tools
from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall
from langchain_databricks_claude.structured import INSTRUCTION


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str = Field(description="The city")


class Person(BaseModel):
    """A person to register."""

    name: str
    age: int | None = None
    address: Address | None = None
    tags: list[str] = Field(default_factory=list)


class PersonDict(TypedDict):
    """A person, as a dict."""

    name: str
    age: int


PERSON_SCHEMA = {"title": "person_schema", "description": "A person.", "type": "object",
                 "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                 "required": ["name", "age"]}


class PersonV1(pydantic_v1.BaseModel):
    """A person (pydantic v1)."""

    name: str
    age: int


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


OPENAI_TOOL = {"type": "function", "function": {
    "name": "lookup", "description": "Look a word up.",
    "parameters": {"type": "object", "properties": {"word": {"type": "string"}},
                   "required": ["word"]}}}
ANTHROPIC_TOOL = {"name": "color_picker", "description": "Pick a colour.",
                  "input_schema": {"type": "object", "properties": {"color": {"type": "string"}}},
                  "cache_control": {"type": "ephemeral"}}


def _payload(emulator: Emulator) -> dict[str, Any]:
    body = emulator.requests[-1].json
    assert isinstance(body, dict)
    return body


def test_every_tool_form_is_accepted(make_llm: MakeLLM, emulator: Emulator) -> None:
    tools = [Person, add, get_weather, OPENAI_TOOL, ANTHROPIC_TOOL, PERSON_SCHEMA]
    bound = make_llm().bind_tools(tools, tool_choice="Person")
    message = bound.invoke("Register Ada Lovelace, 36, of 12 St James's Square in London")
    wire = _payload(emulator)["tools"]
    assert [t["function"]["name"] for t in wire] == [
        "Person", "add", "get_weather", "lookup", "color_picker", "person_schema"]
    person = wire[0]["function"]["parameters"]
    assert "$ref" not in json.dumps(person) and "$defs" not in person
    assert person["properties"]["address"]["properties"]["city"]["type"] == "string"
    assert wire[4]["function"]["cache_control"] == {"type": "ephemeral"}
    [call] = message.tool_calls
    assert call["name"] == "Person"
    Person.model_validate(call["args"])


@pytest.mark.parametrize(("choice", "wire"), [
    ("auto", "auto"), ("any", "required"), ("required", "required"), (True, "required"),
    ("none", "none"), ("add", {"type": "function", "function": {"name": "add"}}),
])
def test_tool_choice(make_llm: MakeLLM, emulator: Emulator, choice: Any, wire: Any) -> None:
    make_llm().bind_tools([add, get_weather], tool_choice=choice).invoke("What is 2 + 3?")
    assert _payload(emulator)["tool_choice"] == wire


def test_unknown_tool_choice_is_refused_at_bind_time(make_llm: MakeLLM) -> None:
    with pytest.raises(ValueError, match="'multiply'"):
        make_llm().bind_tools([add], tool_choice="multiply")


def test_tools_are_converted_once(make_llm: MakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = lc_tools.convert_to_openai_tool

    def counting(tool: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(tool)
        return real(tool, *args, **kwargs)

    monkeypatch.setattr(lc_tools, "convert_to_openai_tool", counting)
    bound = make_llm().bind_tools([add, Person])
    bound.invoke("2 + 3?")
    list(bound.stream("2 + 3?"))
    assert len(calls) == 2


def test_bound_tools_look_like_openai_tools(make_llm: MakeLLM, emulator: Emulator) -> None:
    """LangGraph inspects `bound.kwargs["tools"]` as OpenAI-style dicts."""
    bound = make_llm().bind_tools([add], parallel_tool_calls=False, strict=True)
    assert bound.kwargs["tools"][0]["function"]["name"] == "add"  # type: ignore[attr-defined]
    bound.invoke("2 + 3?")
    body = _payload(emulator)
    assert "parallel_tool_calls" not in body
    assert "strict" not in json.dumps(body["tools"])


def test_tools_given_per_call(make_llm: MakeLLM, emulator: Emulator) -> None:
    message = make_llm().invoke("look up 'serendipity'", tools=[OPENAI_TOOL],
                                tool_choice="lookup")
    assert message.tool_calls[0]["name"] == "lookup"
    assert _payload(emulator)["tools"][0]["function"]["name"] == "lookup"


def test_tool_loop_without_thinking(make_llm: MakeLLM, emulator: Emulator) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    bound = make_llm().bind_tools([get_weather])
    history: list[Any] = [HumanMessage("Weather in Oslo?")]
    answer = bound.invoke(history)
    history += [answer, ToolMessage("sunny", tool_call_id=answer.tool_calls[0]["id"])]
    final = bound.invoke(history)
    assert final.content == "The result is sunny."
    wire = _payload(emulator)["messages"][1]
    assert wire["content"] == "I'll use get_weather to help with that."
    assert wire["tool_calls"][0]["function"]["arguments"] == json.dumps(
        answer.tool_calls[0]["args"], ensure_ascii=False, separators=(",", ":"))


# ---- structured output -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
@pytest.mark.parametrize("schema", [Person, PersonDict, PERSON_SCHEMA, PersonV1])
def test_structured_output(make_llm: MakeLLM, emulator: Emulator, schema: Any,
                           method: str) -> None:
    structured = make_llm().with_structured_output(schema, method=method)  # type: ignore[arg-type]
    result = structured.invoke("Ada, 36")
    if isinstance(schema, type) and issubclass(schema, (BaseModel, pydantic_v1.BaseModel)):
        assert isinstance(result, schema)
    else:
        assert isinstance(result, dict) and "name" in result
    body = _payload(emulator)
    if method == "function_calling":
        assert body["tool_choice"]["function"]["name"] == body["tools"][0]["function"]["name"]
        assert "response_format" not in body
    else:  # the JSON-schema answer, native on this model (docs/structured-output.md)
        assert body["response_format"]["type"] == "json_schema"
        assert "tools" not in body
    streamed = list(structured.stream("Ada, 36"))
    assert streamed and type(streamed[-1]) is type(result)


def test_structured_output_include_raw(make_llm: MakeLLM) -> None:
    out = make_llm().with_structured_output(Person, include_raw=True).invoke("Ada, 36")
    assert isinstance(out, dict)
    assert isinstance(out["parsed"], Person) and out["parsing_error"] is None
    assert out["raw"].tool_calls


def test_structured_output_with_thinking(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(thinking=True, max_tokens=4096)
    result = llm.with_structured_output(Person).invoke("Ada, 36")
    assert isinstance(result, Person)
    body = _payload(emulator)
    assert body["tool_choice"] == "auto"
    assert body["thinking"]["type"] == "enabled"
    assert INSTRUCTION.format(name="Person") in body["messages"][0]["content"]


def test_structured_output_without_the_tool_call(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(thinking=True, max_tokens=4096)
    emulator.script(ScriptedReply(text="I'd rather chat."), ScriptedReply(text="Still chatting."))
    with pytest.raises(OutputParserException, match="without calling the 'Person' tool"):
        llm.with_structured_output(Person).invoke("Ada, 36")
    out = llm.with_structured_output(Person, include_raw=True).invoke("Ada, 36")
    assert out["parsed"] is None  # type: ignore[index]
    assert isinstance(out["parsing_error"], OutputParserException)  # type: ignore[index]


def test_structured_output_with_invalid_arguments(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(ScriptedReply(tool_calls=[ScriptedToolCall("Person", {"age": "old"})]))
    with pytest.raises(OutputParserException, match="do not validate"):
        make_llm().with_structured_output(Person).invoke("Ada")


def test_structured_output_argument_errors(make_llm: MakeLLM) -> None:
    with pytest.raises(ValueError, match="schema"):
        make_llm().with_structured_output(None, method="json_mode")
    with pytest.raises(ValueError, match="method"):
        make_llm().with_structured_output(Person, method="xml")  # type: ignore[arg-type]
