"""Tool calling and structured output with `DatabricksClaude`, against the strict emulator."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from li_support import MakeLLM, chat_bodies
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from databricks_claude.codecs.chat.extras import ANY_TOOL_INSTRUCTION
from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall
from databricks_claude.notes import DatabricksClaudeWarning


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"10:00 in {city}"


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]
ASK = "What is the weather in Paris?"


def last_body(emulator: Emulator) -> dict[str, Any]:
    return chat_bodies(emulator)[-1]


def tool_calls(response: ChatResponse) -> list[ToolCallBlock]:
    return [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]


# ----------------------------------------------------------------------------------------------
# chat_with_tools and friends


def test_chat_with_tools(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(thinking=True)
    response = llm.chat_with_tools(TOOLS, user_msg=ASK)
    (selection,) = llm.get_tool_calls_from_response(response)
    assert selection.tool_name == "get_weather" and selection.tool_kwargs == {"city": "Paris"}
    (block,) = tool_calls(response)
    assert isinstance(block.tool_kwargs, str)  # the JSON text as received, for exact replay
    assert isinstance(response.message.blocks[0], ThinkingBlock)
    sent = last_body(emulator)
    assert [t["function"]["name"] for t in sent["tools"]] == ["get_weather", "get_time"]
    assert sent["tools"][0]["function"]["parameters"]["required"] == ["city"]
    assert "tool_choice" not in sent and "parallel_tool_calls" not in sent


async def test_achat_with_tools(amake_llm: MakeLLM) -> None:
    llm = amake_llm()
    response = await llm.achat_with_tools(TOOLS, user_msg=ChatMessage(role="user", content=ASK))
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"city": "Paris"}


def test_stream_chat_with_tools(make_llm: MakeLLM) -> None:
    llm = make_llm(thinking=True)
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg=ASK))
    for chunk in chunks:  # agents call this on every chunk: it must never raise
        llm.get_tool_calls_from_response(chunk, error_on_no_tool_call=False)
    (selection,) = llm.get_tool_calls_from_response(chunks[-1])
    assert selection.tool_kwargs == {"city": "Paris"}
    assert any(c.additional_kwargs.get("thinking_delta") for c in chunks)


async def test_astream_chat_with_tools(amake_llm: MakeLLM) -> None:
    llm = amake_llm()
    chunks = [c async for c in await llm.astream_chat_with_tools(TOOLS, user_msg=ASK)]
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_name == "get_weather"


def test_partial_arguments_are_tolerated(make_llm: MakeLLM) -> None:
    llm = make_llm()
    partial = ChatResponse(message=ChatMessage(role="assistant", blocks=[
        ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs='{"city": "Paris", "da'),
        ToolCallBlock(tool_call_id="d", tool_name="g", tool_kwargs=""),
        ToolCallBlock(tool_call_id="e", tool_name="h", tool_kwargs={"x": 1}),
    ]))
    selections = llm.get_tool_calls_from_response(partial)
    assert [s.tool_kwargs for s in selections] == [{"city": "Paris"}, {}, {"x": 1}]


def test_no_tool_call(make_llm: MakeLLM) -> None:
    text_only = ChatResponse(message=ChatMessage(role="assistant", content="just text"))
    assert make_llm().get_tool_calls_from_response(text_only, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="just text"):
        make_llm().get_tool_calls_from_response(text_only)
    with pytest.raises(ValueError, match="thinking"):
        make_llm(thinking=True).get_tool_calls_from_response(text_only)


def test_no_tool_call_hint_follows_the_effective_thinking(make_llm: MakeLLM,
                                                         emulator: Emulator) -> None:
    text_only = ChatResponse(message=ChatMessage(role="assistant", content="just text"))
    disabled = make_llm(thinking={"type": "disabled"})
    with pytest.raises(ValueError) as error:
        disabled.get_tool_calls_from_response(text_only)
    assert "thinking" not in str(error.value)
    # A per-call setting is recorded on the response and wins over the field.
    emulator.script(ScriptedReply(text="No tool."), ScriptedReply(text="No tool."))
    off_for_call = make_llm(thinking=True).chat_with_tools(TOOLS, user_msg=ASK, thinking=False)
    with pytest.raises(ValueError) as error:
        make_llm(thinking=True).get_tool_calls_from_response(off_for_call)
    assert "thinking" not in str(error.value)
    on_for_call = make_llm().chat_with_tools(TOOLS, user_msg=ASK, thinking=True)
    with pytest.raises(ValueError, match="With thinking on"):
        make_llm().get_tool_calls_from_response(on_for_call)


def test_history_is_never_mutated(make_llm: MakeLLM) -> None:
    history = [ChatMessage(role="user", content=ASK)]
    snapshot = [m.model_copy(deep=True) for m in history]
    make_llm().chat_with_tools(TOOLS, user_msg="and in Rome?", chat_history=history)
    assert history == snapshot


# ----------------------------------------------------------------------------------------------
# tool_choice, tool_required, parallel calls


def test_tool_required_and_named_choice(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm()
    llm.chat_with_tools(TOOLS, user_msg=ASK, tool_required=True)
    assert last_body(emulator)["tool_choice"] == "required"
    response = llm.chat_with_tools(TOOLS, user_msg=ASK, tool_choice="get_time")
    assert last_body(emulator)["tool_choice"] == {"type": "function",
                                                  "function": {"name": "get_time"}}
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "get_time"


def test_forced_choice_downgraded_under_thinking(make_llm: MakeLLM, emulator: Emulator) -> None:
    with pytest.warns(DatabricksClaudeWarning, match="auto"):
        response = make_llm(thinking=True).chat_with_tools(TOOLS, user_msg=ASK,
                                                           tool_required=True)
    assert last_body(emulator)["tool_choice"] == "auto"
    assert tool_calls(response)


def two_calls() -> ScriptedReply:
    return ScriptedReply(text="Both.", tool_calls=[
        ScriptedToolCall("get_weather", {"city": "Paris"}),
        ScriptedToolCall("get_time", {"city": "Paris"})])


def test_parallel_calls_trimmed_unless_allowed(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm()
    emulator.script(two_calls(), two_calls(), two_calls())
    trimmed = llm.chat_with_tools(TOOLS, user_msg=ASK)
    assert len(tool_calls(trimmed)) == 1
    legacy = trimmed.message.additional_kwargs["tool_calls"]
    assert [c["id"] for c in legacy] == [tool_calls(trimmed)[0].tool_call_id]
    allowed = llm.chat_with_tools(TOOLS, user_msg=ASK, allow_parallel_tool_calls=True)
    assert [b.tool_name for b in tool_calls(allowed)] == ["get_weather", "get_time"]
    streamed = list(llm.stream_chat_with_tools(TOOLS, user_msg=ASK))[-1]
    assert len(tool_calls(streamed)) == 2  # streams are left whole
    assert all("parallel_tool_calls" not in b for b in chat_bodies(emulator))


def test_predict_and_call(make_llm: MakeLLM) -> None:
    result = make_llm().predict_and_call(TOOLS, user_msg=ASK)
    assert result.response == "Sunny in Paris"


async def test_apredict_and_call(amake_llm: MakeLLM) -> None:
    result = await amake_llm(thinking=True).apredict_and_call(TOOLS, user_msg=ASK)
    assert result.response == "Sunny in Paris"


def test_manual_tool_loop_replays_reasoning(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(thinking=True)
    history = [ChatMessage(role="user", content=ASK)]
    response = llm.chat_with_tools(TOOLS, chat_history=history)
    (call,) = llm.get_tool_calls_from_response(response)
    history += [response.message, ChatMessage(role="tool", content=get_weather("Paris"),
                                              additional_kwargs={"tool_call_id": call.tool_id})]
    final = llm.chat_with_tools(TOOLS, chat_history=history)
    assert final.message.content == "The result is Sunny in Paris."
    replayed = last_body(emulator)["messages"][1]
    assert replayed["tool_calls"][0]["function"]["arguments"] == tool_calls(response)[0].tool_kwargs
    assert emulator.verified_reasoning == 1


# ----------------------------------------------------------------------------------------------
# Structured output


class City(BaseModel):
    """A city and its country."""

    name: str
    country: str


PROMPT = PromptTemplate("Name a city in {country}.")


@pytest.mark.parametrize("thinking", [None, True])
def test_structured_predict(make_llm: MakeLLM, thinking: bool | None) -> None:
    with warnings_allowed():
        city = make_llm(thinking=thinking).structured_predict(City, PROMPT, country="France")
    assert isinstance(city, City) and city.name


@pytest.mark.parametrize("thinking", [None, True])
async def test_astructured_predict(amake_llm: MakeLLM, emulator: Emulator,
                                   thinking: bool | None) -> None:
    emulator.script(ScriptedReply(tool_calls=[
        ScriptedToolCall("City", {"name": "Lyon", "country": "France"})]))
    with warnings_allowed():
        city = await amake_llm(thinking=thinking).astructured_predict(City, PROMPT,
                                                                       country="France")
    assert isinstance(city, City)
    assert city == City(name="Lyon", country="France")  # the values the model answered
    sent = last_body(emulator)
    # With thinking on, the required call is asked for in the system prompt (it cannot be forced).
    asked = [{"role": "system", "content": ANY_TOOL_INSTRUCTION}] if thinking else []
    assert sent["messages"] == [*asked, {"role": "user", "content": "Name a city in France."}]
    assert [tool["function"]["name"] for tool in sent["tools"]] == ["City"]
    assert sent["tool_choice"] == ("auto" if thinking else "required")


@pytest.mark.parametrize("thinking", [None, True])
def test_as_structured_llm(make_llm: MakeLLM, thinking: bool | None) -> None:
    structured = make_llm(thinking=thinking).as_structured_llm(City)
    with warnings_allowed():
        response = structured.chat([ChatMessage(role="user", content="Name a city in France.")])
    assert isinstance(response.raw, City)
    assert City.model_validate_json(response.message.content or "") == response.raw


@pytest.mark.parametrize("thinking", [None, True])
def test_stream_structured_predict(make_llm: MakeLLM, thinking: bool | None) -> None:
    partials = list(make_llm(thinking=thinking).stream_structured_predict(City, PROMPT,
                                                                          country="France"))
    assert isinstance(partials[-1], City) and partials[-1].country


async def test_astream_structured_predict(amake_llm: MakeLLM) -> None:
    stream = await amake_llm().astream_structured_predict(City, PROMPT, country="France")
    partials = [p async for p in stream]
    assert isinstance(partials[-1], City) and partials[-1].country


def test_structured_predict_without_tool_call_is_a_clear_error(
        make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(ScriptedReply(text="I would rather not."))
    with warnings_allowed(), pytest.raises(ValueError, match="thinking"):
        make_llm(thinking=True).structured_predict(City, PROMPT, country="France")


@contextmanager
def warnings_allowed() -> Iterator[None]:
    """Structured output forces a tool choice: under thinking it is downgraded with a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DatabricksClaudeWarning)
        yield


def test_text_block_before_tool_calls(make_llm: MakeLLM) -> None:
    response = make_llm(thinking=True).chat_with_tools(TOOLS, user_msg=ASK)
    kinds = [type(b) for b in response.message.blocks]
    assert kinds == [ThinkingBlock, TextBlock, ToolCallBlock]
