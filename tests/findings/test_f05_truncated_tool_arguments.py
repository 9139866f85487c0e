"""Finding 5: tool-call arguments cut off by `max_tokens` are treated the same on every path.

The emulator is scripted to stop (`finish_reason` "length") in the middle of a call's
arguments, after a complete call. LangChain keeps the cut call in `invalid_tool_calls` on
`invoke`, on `stream` (the summed message and the last chunk), on `astream` and with
`streaming=True`, in both output versions; LlamaIndex raises `InvalidToolArgumentsError` for a
finished answer instead of returning the call with made-up arguments.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.tools import tool
from llama_index.core.tools import FunctionTool

from databricks_claude.emulator.script import ScriptedReply, ScriptedToolCall
from databricks_claude.errors import InvalidToolArgumentsError

CUT = ['{"city": "Par', '{"city": "Pa\\', '{"cities": ["Paris", "Ro', '{"city": "Paris"} x']


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


LC_TOOL = tool(get_weather)
LI_TOOL = FunctionTool.from_defaults(fn=get_weather)


def _script(emulator: Any, cut: str) -> None:
    emulator.script(ScriptedReply(tool_calls=[
        ScriptedToolCall("get_weather", '{"city": "Rome"}', id="toolu_ok"),
        ScriptedToolCall("get_weather", cut, id="toolu_cut")], finish_reason="length"))


def _check_lc(message: Any, cut: str) -> None:
    assert [c["id"] for c in message.tool_calls] == ["toolu_ok"]
    assert message.tool_calls[0]["args"] == {"city": "Rome"}
    assert [c["id"] for c in message.invalid_tool_calls] == ["toolu_cut"]
    assert message.invalid_tool_calls[0]["args"].startswith(cut)
    # The arguments as received are kept exactly.
    assert message.additional_kwargs["tool_call_arguments"]["toolu_cut"] == cut


@pytest.mark.parametrize("cut", CUT)
def test_langchain_invoke(make_lc: Any, emulator: Any, cut: str) -> None:
    _script(emulator, cut)
    _check_lc(make_lc().bind_tools([LC_TOOL]).invoke("weather?"), cut)


@pytest.mark.parametrize("output_version", ["v0", "v1"])
@pytest.mark.parametrize("cut", CUT)
def test_langchain_stream(make_lc: Any, emulator: Any, cut: str, output_version: str) -> None:
    _script(emulator, cut)
    chunks = list(make_lc(output_version=output_version).bind_tools([LC_TOOL]).stream("w?"))
    total: AIMessageChunk = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    _check_lc(total, cut)
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.tool_calls == []
    assert [c["id"] for c in last.invalid_tool_calls] == ["toolu_cut"]
    if output_version == "v1":
        assert not any(isinstance(b, dict) and b.get("type") == "tool_call"
                       and b.get("id") == "toolu_cut" for b in total.content)


@pytest.mark.parametrize("cut", CUT[:1])
async def test_langchain_astream(make_lc: Any, emulator: Any, cut: str) -> None:
    _script(emulator, cut)
    llm = make_lc().bind_tools([LC_TOOL])
    total = None
    async for chunk in llm.astream("weather?"):
        total = chunk if total is None else total + chunk
    _check_lc(total, cut)


def test_langchain_invoke_streaming(make_lc: Any, emulator: Any) -> None:
    _script(emulator, CUT[0])
    _check_lc(make_lc(streaming=True).bind_tools([LC_TOOL]).invoke("weather?"), CUT[0])


def test_a_complete_stream_has_no_invalid_call(make_lc: Any, emulator: Any) -> None:
    emulator.script(ScriptedReply(tool_calls=[ScriptedToolCall("get_weather", {"city": "Par"})]))
    chunks = list(make_lc().bind_tools([LC_TOOL]).stream("weather?"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.tool_calls[0]["args"] == {"city": "Par"}
    assert total.invalid_tool_calls == []


@pytest.mark.parametrize("cut", CUT)
def test_llama_index_chat_raises(make_li: Any, emulator: Any, cut: str) -> None:
    _script(emulator, cut)
    llm = make_li()
    response = llm.chat_with_tools([LI_TOOL], user_msg="weather?",
                                   allow_parallel_tool_calls=True)
    with pytest.raises(InvalidToolArgumentsError, match="max_tokens") as caught:
        llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    assert "toolu_cut" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_llama_index_stream(make_li: Any, emulator: Any) -> None:
    _script(emulator, CUT[0])
    llm = make_li()
    chunks = list(llm.stream_chat_with_tools([LI_TOOL], user_msg="weather?"))
    # While the stream is under way, partial arguments are shown (agents read them).
    partial = [llm.get_tool_calls_from_response(c, error_on_no_tool_call=False)
               for c in chunks[:-1]]
    assert any(len(calls) == 2 for calls in partial)
    with pytest.raises(InvalidToolArgumentsError):
        llm.get_tool_calls_from_response(chunks[-1], error_on_no_tool_call=False)


async def test_llama_index_achat(amake_li: Any, emulator: Any) -> None:
    _script(emulator, CUT[0])
    llm = amake_li()
    response = await llm.achat_with_tools([LI_TOOL], user_msg="weather?",
                                          allow_parallel_tool_calls=True)
    with pytest.raises(InvalidToolArgumentsError):
        llm.get_tool_calls_from_response(response)


def test_llama_index_complete_call_parses(make_li: Any, emulator: Any) -> None:
    emulator.script(ScriptedReply(tool_calls=[ScriptedToolCall("get_weather", {"city": "Par"})]))
    llm = make_li()
    calls = llm.get_tool_calls_from_response(llm.chat_with_tools([LI_TOOL], user_msg="w?"))
    assert [c.tool_kwargs for c in calls] == [json.loads('{"city": "Par"}')]
