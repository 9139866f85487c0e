"""Finding 6: the emulator's default model continues an assistant prefill, as Claude does.

`resume_streams=True` sends the text received so far as an assistant prefill; the default model
used to answer from scratch, so the resumed stream read "Hello! This is the Databricks Hello!
This is the ...". Now a stream cut mid-answer and resumed gives exactly the uncut text, in
LangChain and LlamaIndex, and a raw prefill is continued, never repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from databricks_claude.emulator import Emulator

CHAT = "/serving-endpoints/chat/completions"
MODEL = "databricks-claude-sonnet-4-5"
QUESTION = "Tell me a short story about a lighthouse keeper"


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.host,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as http:
        yield http


def answer(client: httpx.Client, messages: list[dict[str, Any]], **extra: Any) -> str:
    body = {"model": MODEL, "messages": messages, **extra}
    response = client.post(CHAT, json=body)
    assert response.status_code == 200, response.text
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


def test_a_prefill_is_continued_not_repeated(client: httpx.Client) -> None:
    user = {"role": "user", "content": QUESTION}
    whole = answer(client, [user])
    cut = len(whole) // 2
    prefill = whole[:cut].rstrip()
    rest = answer(client, [user, {"role": "assistant", "content": prefill}])
    assert prefill + rest == whole
    assert not rest.startswith(prefill[:10])


def test_a_prefill_of_the_callers_own_is_followed(client: httpx.Client) -> None:
    user = {"role": "user", "content": "hi"}
    rest = answer(client, [user, {"role": "assistant", "content": "Sure, here goes:"}])
    assert rest.startswith(" ") and "Sure, here goes:" not in rest


def test_a_json_prefill_continues_the_json(client: httpx.Client) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    user = {"role": "user", "content": "Plan a trip to Rome"}
    response_format = {"type": "json_schema", "json_schema": {"name": "trip", "schema": schema}}
    rest = answer(client, [user, {"role": "assistant", "content": "{"}],
                  response_format=response_format)
    assert "{" + rest == '{"city":"Rome"}'


def test_langchain_resumed_stream_is_the_uncut_text(make_lc: Callable[..., Any],
                                                    emulator: Emulator) -> None:
    whole = "".join(str(c.content) for c in make_lc().stream(QUESTION))
    emulator.reset()
    emulator.fault("drop_after", chunks=6)
    pieces = [str(c.content) for c in make_lc(resume_streams=True).stream(QUESTION)]
    assert "".join(pieces) == whole
    bodies = [r.json for r in emulator.requests]
    assert len(bodies) == 2 and bodies[1]["messages"][-1]["role"] == "assistant"


def test_langchain_resumed_invoke_of_a_streaming_model(make_lc: Callable[..., Any],
                                                       emulator: Emulator) -> None:
    whole = make_lc().invoke(QUESTION).content
    emulator.reset()
    emulator.fault("drop_after", chunks=4)
    assert make_lc(resume_streams=True, streaming=True).invoke(QUESTION).content == whole


def test_llama_index_resumed_stream_is_the_uncut_text(make_li: Callable[..., Any],
                                                      emulator: Emulator) -> None:
    from llama_index.core.llms import ChatMessage

    messages = [ChatMessage(role="user", content=QUESTION)]
    whole = make_li().chat(messages).message.content
    emulator.fault("drop_after", chunks=6)
    chunks = list(make_li(resume_streams=True).stream_chat(messages))
    assert "".join(c.delta or "" for c in chunks) == whole
    assert chunks[-1].message.content == whole
    assert len(emulator.requests) == 3  # the uncut answer, the cut stream, its continuation
