"""Finding 16: shapes with no capture, chosen from the evidence (docs/wire-chat.md).

An assistant turn that only calls tools goes with `"content": null`; an empty (or
whitespace-only) tool result with `""`; an image inside a tool message as an `image_url` block;
a later system message merged into the first. The emulator accepts every one of them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from databricks_claude.emulator import Emulator, ScriptedReply

# A 1x1 transparent PNG.
PNG_B64 = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
    "0002000000050001e226059b0000000049454e44ae426082")).decode()


def _sent(emulator: Emulator) -> list[dict[str, Any]]:
    body = [r.json for r in emulator.requests if r.path.endswith("/chat/completions")][-1]
    return list(body["messages"])


def _loop(result: Any) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    call = {"id": "toolu_1", "name": "lookup", "args": {"q": "x"}}
    return [HumanMessage("look it up"), AIMessage(content="", tool_calls=[call]),
            ToolMessage(content=result, tool_call_id="toolu_1")]


@pytest.mark.parametrize("result", ["", "   ", "\n"])
def test_empty_tool_result_and_tool_call_only_turn(
        emulator: Emulator, make_lc: Callable[..., Any], result: str) -> None:
    emulator.script(ScriptedReply(text="Nothing found."))
    make_lc().invoke(_loop(result))
    _user, assistant, tool = _sent(emulator)
    assert assistant["content"] is None and assistant["tool_calls"][0]["id"] == "toolu_1"
    assert tool == {"role": "tool", "tool_call_id": "toolu_1", "content": ""}


def test_an_image_inside_a_tool_message(emulator: Emulator,
                                        make_lc: Callable[..., Any]) -> None:
    emulator.script(ScriptedReply(text="A dot."))
    url = f"data:image/png;base64,{PNG_B64}"
    make_lc().invoke(_loop([{"type": "text", "text": "the chart:"},
                            {"type": "image_url", "image_url": {"url": url}}]))
    tool = _sent(emulator)[-1]
    assert tool["content"] == [{"type": "text", "text": "the chart:"},
                               {"type": "image_url", "image_url": {"url": url}}]


def test_a_later_system_message_is_merged_into_the_first(
        emulator: Emulator, make_lc: Callable[..., Any]) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    emulator.script(ScriptedReply(text="ok"))
    make_lc().invoke([SystemMessage("Be brief."), HumanMessage("hi"),
                      SystemMessage("Answer in French.")])
    sent = _sent(emulator)
    assert sent[0] == {"role": "system", "content": "Be brief.\n\nAnswer in French."}
    assert [m["role"] for m in sent] == ["system", "user"]
    # The form the evidence rules out: the emulator refuses a second system message.
    refused = httpx.post(f"{emulator.host}/serving-endpoints/chat/completions", timeout=30,
                         headers={"Authorization": f"Bearer {emulator.token}"},
                         json={"model": "databricks-claude-sonnet-4-5", "max_tokens": 100,
                               "messages": [*sent, {"role": "system", "content": "again"}]})
    assert refused.status_code == 400


def test_llama_index_sends_the_same_shapes(emulator: Emulator,
                                           make_li: Callable[..., Any]) -> None:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.tools import FunctionTool

    def lookup(q: str) -> str:
        """Looks a thing up."""
        return ""

    llm = make_li()
    tool = FunctionTool.from_defaults(fn=lookup)
    emulator.script(ScriptedReply(text="Nothing found."))
    history = [ChatMessage(role="user", content="look it up")]
    assistant = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [
        {"id": "toolu_1", "type": "function",
         "function": {"name": "lookup", "arguments": '{"q": "x"}'}}]})
    result = ChatMessage(role="tool", content="  ", additional_kwargs={
        "tool_call_id": "toolu_1", "name": "lookup"})
    llm.chat_with_tools([tool], chat_history=[*history, assistant, result])
    sent = _sent(emulator)
    assert sent[1]["content"] is None
    assert sent[2] == {"role": "tool", "tool_call_id": "toolu_1", "content": ""}
