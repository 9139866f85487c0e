"""Left open: a reasoning block with several summary entries replayed as several blocks.

The grouping is kept from the answer to the replay (parts carry `joined`; docs/wire-chat.md):
a response whose one reasoning block has two summary entries, replayed in the next request,
gives the identical block, in both adapters, parsed or streamed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from databricks_claude import Message
from databricks_claude.codecs.chat.request import build_request
from databricks_claude.codecs.chat.stream import StreamAccumulator
from databricks_claude.emulator import Emulator, ScriptedReply
from databricks_claude.messages import Completion, RequestOptions
from databricks_claude.profiles import get_profile

ENDPOINT = "databricks-claude-sonnet-4-5"
THINKING = {"type": "enabled", "budget_tokens": 1024}


def _signed_entries(emulator: Emulator) -> list[dict[str, Any]]:
    """Two summary entries the emulator signed (so that their replay verifies)."""
    entries = []
    for text in ("First, the facts.", "Then, the answer."):
        emulator.script(ScriptedReply(text="x", reasoning=text))
        body = httpx.post(f"{emulator.host}/serving-endpoints/chat/completions", timeout=30,
                          headers={"Authorization": f"Bearer {emulator.token}"},
                          json={"model": ENDPOINT, "max_tokens": 4096, "thinking": THINKING,
                                "messages": [{"role": "user", "content": "q"}]}).json()
        entries.append(body["choices"][0]["message"]["content"][0]["summary"][0])
    return entries


@pytest.fixture
def block(emulator: Emulator) -> dict[str, Any]:
    """One reasoning block with two signed entries, served as the next answer."""
    grouped = {"type": "reasoning", "summary": _signed_entries(emulator)}
    body = {"id": "msg_bdrk_1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": [grouped, {"type": "text", "text": "Done."}]}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}}
    emulator.fault("status", status=200, body=body)
    return grouped


def _replayed(emulator: Emulator) -> dict[str, Any]:
    body = [r.json for r in emulator.requests if r.path.endswith("/chat/completions")][-1]
    return dict(body["messages"][1])


def test_langchain_replays_the_block_whole(emulator: Emulator, make_lc: Callable[..., Any],
                                           block: dict[str, Any]) -> None:
    from langchain_core.messages import HumanMessage

    llm = make_lc(thinking=True)
    first = llm.invoke("q")
    assert first.additional_kwargs["reasoning_blocks"] == [block]
    emulator.script(ScriptedReply(text="ok"))
    llm.invoke([HumanMessage("q"), first, HumanMessage("and?")])
    assert _replayed(emulator)["content"] == [block, {"type": "text", "text": "Done."}]
    assert emulator.verified_reasoning == 2  # both entries, in one block, verified


def test_llama_index_replays_the_block_whole(emulator: Emulator, make_li: Callable[..., Any],
                                             block: dict[str, Any]) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    llm = make_li(thinking=True)
    history = [ChatMessage(role="user", content="q")]
    first = llm.chat(history)
    emulator.script(ScriptedReply(text="ok"))
    llm.chat([*history, first.message, ChatMessage(role="user", content="and?")])
    assert _replayed(emulator)["content"] == [block, {"type": "text", "text": "Done."}]
    assert emulator.verified_reasoning == 2


def _streamed(grouped: dict[str, Any]) -> Completion:
    """A stream whose one delta carries the whole block, then the text and the finish."""
    accumulator = StreamAccumulator()
    for delta in ({"role": "assistant", "content": [grouped]},
                  {"role": "assistant", "content": "Done."}):
        accumulator.feed_data(json.dumps({"model": "m", "object": "chat.completion.chunk",
                                          "id": "msg-1", "created": 1, "choices": [
                                              {"index": 0, "delta": delta,
                                               "finish_reason": None}]}))
    accumulator.feed_data(json.dumps({"model": "m", "object": "chat.completion.chunk",
                                      "id": "msg-1", "created": 1, "choices": [{
                                          "index": 0, "finish_reason": "stop",
                                          "delta": {"role": "assistant", "content": ""}}]}))
    return accumulator.snapshot()


GROUPED = {"type": "reasoning", "summary": [
    {"type": "summary_text", "text": "one", "signature": "s1"},
    {"type": "summary_encrypted_text", "data": "opaque"},
    {"type": "summary_text", "text": "two", "signature": "s2"}]}


def _replay(message: Message) -> list[Any]:
    payload = build_request([Message.user("q"), message, Message.user("and?")], RequestOptions(),
                            model="ep", profile=get_profile(ENDPOINT)).payload
    return list(payload["messages"][1]["content"])


def test_a_streamed_block_replays_whole_in_the_core_and_both_adapters() -> None:
    from langchain_core.messages import AIMessage

    from langchain_databricks_claude.outbound import final_kwargs
    from langchain_databricks_claude.replay import ai_to_neutral
    from llama_index_databricks_claude.inbound import to_neutral_messages
    from llama_index_databricks_claude.outbound import to_chat_message

    completion = _streamed(GROUPED)
    assert _replay(completion.to_message()) == [GROUPED, {"type": "text", "text": "Done."}]
    kwargs = final_kwargs(completion)
    assert kwargs["reasoning_blocks"] == [GROUPED]
    ai = AIMessage(content="Done.", additional_kwargs=kwargs)
    assert _replay(ai_to_neutral(ai))[0] == GROUPED
    (li_message,) = to_neutral_messages([to_chat_message(completion)])
    assert _replay(li_message)[0] == GROUPED


def test_separate_blocks_stay_separate() -> None:
    first = {"type": "reasoning", "summary": [GROUPED["summary"][0]]}
    second = {"type": "reasoning", "summary": [GROUPED["summary"][2]]}
    accumulator = StreamAccumulator()
    for item in (first, second):
        accumulator.feed_data(json.dumps({"choices": [{"index": 0, "finish_reason": None,
                                                       "delta": {"content": [item]}}]}))
    accumulator.feed_data(json.dumps({"choices": [{"index": 0, "finish_reason": "stop",
                                                   "delta": {"content": "ok"}}]}))
    assert _replay(accumulator.snapshot().to_message())[:2] == [first, second]
