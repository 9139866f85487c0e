"""Finding 4: a reasoning-only assistant turn broke the chat.

When thinking uses all of `max_tokens` the answer is `content=''` with reasoning and
`finish_reason="length"`. The service has no form for such a turn (reasoning cannot end an
assistant message; an empty assistant turn is refused before the last message), so it is left
out of the next request with ONE warning, and a normal chat loop goes on in both adapters.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from databricks_claude import DatabricksClaudeWarning
from databricks_claude.emulator import Emulator, ScriptedReply

CUT = ScriptedReply(text="", reasoning="Thinking about it at length", finish_reason="length")
ANSWER = ScriptedReply(text="Here is the answer.", reasoning="Now briefly.")


def _our_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, DatabricksClaudeWarning)]


def _last_body(emulator: Emulator) -> dict[str, Any]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")][-1]


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_langchain_chat_loop_goes_on(emulator: Emulator, make_lc: Callable[..., Any],
                                     stream: bool) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    llm = make_lc(thinking=True)
    emulator.script(CUT, ANSWER)
    history: list[Any] = [HumanMessage("Explain everything.")]
    if stream:
        first: Any = None
        for chunk in llm.stream(history):
            first = chunk if first is None else first + chunk
        first = AIMessage(content=first.content, additional_kwargs=first.additional_kwargs,
                          response_metadata=first.response_metadata)
    else:
        first = llm.invoke(history)
    assert first.content == "" and first.response_metadata["finish_reason"] == "length"
    history += [first, HumanMessage("Go on, briefly.")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = llm.invoke(history)
    assert second.content == "Here is the answer."
    texts = _our_warnings(caught)
    assert len(texts) == 1 and "assistant message 1 dropped" in texts[0]
    assert "holds only reasoning" in texts[0] and "max_tokens" in texts[0]
    sent = _last_body(emulator)["messages"]
    assert [m["role"] for m in sent] == ["user", "user"]
    assert [m["content"] for m in sent] == ["Explain everything.", "Go on, briefly."]


def test_llama_index_chat_loop_goes_on(emulator: Emulator, make_li: Callable[..., Any]) -> None:
    from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock

    llm = make_li(thinking=True)
    emulator.script(CUT, ANSWER)
    history = [ChatMessage(role="user", content="Explain everything.")]
    first = llm.chat(history)
    assert not first.message.content
    assert any(isinstance(b, ThinkingBlock) for b in first.message.blocks)
    history += [first.message, ChatMessage(role="user", content="Go on, briefly.")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = llm.chat(history)
    assert second.message.content == "Here is the answer."
    texts = _our_warnings(caught)
    assert len(texts) == 1 and "assistant message 1 dropped" in texts[0]
    assert [m["role"] for m in _last_body(emulator)["messages"]] == ["user", "user"]


def test_the_emulator_refuses_the_turn_as_it_was(emulator: Emulator) -> None:
    """The evidence the drop rests on: the service has no form for a reasoning-only turn."""
    import httpx

    emulator.script(CUT)
    url = f"{emulator.host}/serving-endpoints/chat/completions"
    headers = {"Authorization": f"Bearer {emulator.token}"}
    base = {"model": "databricks-claude-sonnet-4-5", "max_tokens": 4096,
            "thinking": {"type": "enabled", "budget_tokens": 2048}}
    first = httpx.post(url, headers=headers, timeout=30, json={
        **base, "messages": [{"role": "user", "content": "Explain everything."}]}).json()
    reasoning_turn = {"role": "assistant", "content": first["choices"][0]["message"]["content"]}
    for turn in (reasoning_turn, {"role": "assistant", "content": ""}):
        response = httpx.post(url, headers=headers, timeout=30, json={**base, "messages": [
            {"role": "user", "content": "Explain everything."}, turn,
            {"role": "user", "content": "Go on."}]})
        assert response.status_code == 400, turn
