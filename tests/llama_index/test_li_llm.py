"""`DatabricksClaude` against the emulator: interface, chat/complete in all four forms, usage,
callbacks and instrumentation, request options, errors and the shared client."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import threading
import warnings
from typing import Any

import pytest
from li_support import ENDPOINT, PNG, MakeLLM, chat_bodies
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
)
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.prompts import PromptTemplate

from databricks_claude.emulator import Emulator, ScriptedReply, ScriptedToolCall
from databricks_claude.errors import ConfigurationError, StreamInterruptedError
from databricks_claude.notes import DatabricksClaudeWarning
from llama_index_databricks_claude import DatabricksClaude

QUESTION = [ChatMessage(role="user", content="What is 17 * 23?")]


def body(emulator: Emulator, index: int = -1) -> dict[str, Any]:
    """The JSON body of a recorded chat request."""
    return chat_bodies(emulator)[index]


# ----------------------------------------------------------------------------------------------
# Interface


def test_llm_class() -> None:
    names_of_base_classes = [b.__name__ for b in DatabricksClaude.__mro__]
    assert BaseLLM.__name__ in names_of_base_classes
    assert issubclass(DatabricksClaude, FunctionCallingLLM)


def test_endpoint_also_accepted_as_model() -> None:
    assert DatabricksClaude(model="databricks-claude-opus-4-5").endpoint == (
        "databricks-claude-opus-4-5")
    assert DatabricksClaude("databricks-claude-opus-4-5").model == "databricks-claude-opus-4-5"
    with pytest.raises(ValueError, match="endpoint"):
        DatabricksClaude()


def test_secrets_never_shown() -> None:
    llm = DatabricksClaude(endpoint=ENDPOINT, token="dapi-very-secret", client_id="cid",
                           client_secret="oauth-very-secret")
    assert llm.token is not None and llm.token.get_secret_value() == "dapi-very-secret"
    shown = [repr(llm), str(llm), str(llm.to_dict()), llm.to_json(), str(llm.to_payload()),
             llm.model_dump_json()]
    for text in shown:
        assert "very-secret" not in text
    assert "token" not in llm.to_dict() and "client_secret" not in llm.to_dict()
    assert DatabricksClaude.from_dict(llm.to_dict()).endpoint == ENDPOINT


def test_metadata_from_profiles() -> None:
    meta = DatabricksClaude(endpoint="databricks-claude-sonnet-4-6").metadata
    assert (meta.is_chat_model, meta.is_function_calling_model) == (True, True)
    assert (meta.context_window, meta.num_output) == (1_000_000, 8192)
    assert meta.model_name == "databricks-claude-sonnet-4-6"
    assert DatabricksClaude(endpoint=ENDPOINT, max_tokens=1234).metadata.num_output == 1234
    unknown = DatabricksClaude(endpoint="my-own-endpoint").metadata  # never an error
    assert unknown.context_window > 0 and unknown.num_output > 0
    assert DatabricksClaude.class_name() == "DatabricksClaude"


def test_adapter_import_is_light() -> None:
    """`import databricks_claude` never imports llama_index; the adapter defers httpx."""
    code = (
        "import sys, time\n"
        "import databricks_claude\n"
        "assert not any(m.startswith('llama_index') for m in sys.modules), 'core pulled llama'\n"
        "t0 = time.perf_counter(); import llama_index.core.llms; t1 = time.perf_counter()\n"
        "import llama_index_databricks_claude\n"
        "t2 = time.perf_counter()\n"
        "assert 'databricks_claude.client' not in sys.modules\n"
        "print(t2 - t1)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert float(result.stdout) < 0.5  # budget 0.1 s; generous for loaded CI machines


def test_client_built_once_and_shared_across_threads(make_llm: MakeLLM) -> None:
    llm = make_llm()
    seen: list[Any] = []
    threads = [threading.Thread(target=lambda: seen.append(llm.client)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in seen}) == 1
    llm.chat(QUESTION)
    llm.chat(QUESTION)
    assert llm.client is seen[0]


def test_copies_build_their_own_client(make_llm: MakeLLM, emulator: Emulator,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    llm = make_llm()
    llm.chat(QUESTION)
    moved = llm.model_copy(update={"token": "dapi-wrong"})
    assert moved.client is not llm.client
    assert moved.client.config.credentials is not llm.client.config.credentials
    deep = copy.deepcopy(llm)
    assert deep.token == llm.token
    # A pickle drops the token (see test_li_secrets.py): it comes back from the environment.
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    unpickled = pickle.loads(pickle.dumps(llm))
    assert unpickled.token is None
    for clone in (deep, unpickled):
        assert clone.endpoint == llm.endpoint and clone.client is not llm.client
        assert clone.chat(QUESTION).message.content
        clone.close()
    moved.close()


# ----------------------------------------------------------------------------------------------
# Chat and complete, with reasoning


def assert_reasoned_answer(message: ChatMessage) -> None:
    thinking, text = message.blocks[0], message.blocks[1]
    assert isinstance(thinking, ThinkingBlock) and isinstance(text, TextBlock)
    assert thinking.content and thinking.additional_information["signature"]
    assert message.content == text.text and "17 * 23" in text.text


def test_chat_with_thinking(make_llm: MakeLLM, emulator: Emulator) -> None:
    response = make_llm(thinking=True).chat(QUESTION)
    assert_reasoned_answer(response.message)
    assert body(emulator)["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    usage = response.raw["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert response.additional_kwargs["prompt_tokens"] == usage["prompt_tokens"]


async def test_achat_with_thinking(amake_llm: MakeLLM, emulator: Emulator) -> None:
    response = await amake_llm(thinking=2048).achat(QUESTION)
    assert_reasoned_answer(response.message)
    assert len(chat_bodies(emulator)) == 1
    sent = body(emulator)
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert sent["max_tokens"] > 2048  # the budget must stay below max_tokens
    assert "stream" not in sent or sent["stream"] is False


def check_stream(chunks: list[Any]) -> None:
    thinking = "".join(c.additional_kwargs.get("thinking_delta") or "" for c in chunks)
    text = "".join(c.delta or "" for c in chunks)
    final = chunks[-1]
    assert_reasoned_answer(final.message)
    assert thinking == final.message.blocks[0].content
    assert text == final.message.content
    assert all("thinking_delta" not in c.additional_kwargs or not c.delta for c in chunks)
    assert final.raw["usage"]["completion_tokens"] > 0


def test_stream_chat_with_thinking(make_llm: MakeLLM) -> None:
    check_stream(list(make_llm(thinking=True).stream_chat(QUESTION)))


async def test_astream_chat_with_thinking(amake_llm: MakeLLM) -> None:
    chunks = [c async for c in await amake_llm(thinking=True).astream_chat(QUESTION)]
    check_stream(chunks)


def test_stream_equals_chat(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(thinking=True)
    whole = llm.chat(QUESTION).message
    streamed = list(llm.stream_chat(QUESTION))[-1].message
    assert streamed.blocks == whole.blocks


def test_predict_and_stream_use_chat(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(system_prompt="Be brief.")
    assert "Say hi" in llm.predict(PromptTemplate("Say {what}"), what="hi")
    assert body(emulator)["messages"][0] == {"role": "system", "content": "Be brief."}
    assert "Say hi" in "".join(llm.stream(PromptTemplate("Say {what}"), what="hi"))


def test_complete_forms(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm()
    assert "hello there" in llm.complete("hello there").text
    assert body(emulator)["messages"] == [{"role": "user", "content": "hello there"}]
    chunks = list(llm.stream_complete("hello there"))
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].text
    assert "hello there" in chunks[-1].text


async def test_async_complete_forms(amake_llm: MakeLLM) -> None:
    llm = amake_llm(thinking=True)
    response = await llm.acomplete("hello there")
    assert "hello there" in response.text and response.raw["usage"]["prompt_tokens"] > 0
    chunks = [c async for c in await llm.astream_complete("hello there")]
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].text
    assert any(c.additional_kwargs.get("thinking_delta") for c in chunks)


def test_redacted_reasoning_kept(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(ScriptedReply(text="ok", redacted=True))
    message = make_llm(thinking=True).chat(QUESTION).message
    first = message.blocks[0]
    assert isinstance(first, ThinkingBlock) and first.additional_information["redacted"] is True
    assert first.additional_information["data"]


def test_multi_turn_replays_reasoning_exactly(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(thinking=True)
    emulator.script(ScriptedReply(text="first", reasoning="plain thought", redacted=True))
    first = llm.chat(QUESTION).message
    history = [*QUESTION, first, ChatMessage(role="user", content="and 2 * 3?")]
    second = list(llm.stream_chat(history))[-1].message
    history += [second, ChatMessage(role="user", content="thanks")]
    llm.chat(history)
    replayed = [b for m in body(emulator)["messages"] if m["role"] == "assistant"
                for b in m["content"] if b["type"] == "reasoning"]
    assert len(replayed) == 3
    assert emulator.verified_reasoning == 2 + 3  # the second request replays 2, the third 3


# ----------------------------------------------------------------------------------------------
# Usage, callbacks, instrumentation


def test_token_counting_handler(make_llm: MakeLLM) -> None:
    counter = TokenCountingHandler()
    llm = make_llm(callback_manager=CallbackManager([counter]))
    usage = llm.chat(QUESTION).raw["usage"]
    streamed = list(llm.stream_chat(QUESTION))[-1].raw["usage"]
    counts = [(c.prompt_token_count, c.completion_token_count) for c in counter.llm_token_counts]
    assert counts == [(usage["prompt_tokens"], usage["completion_tokens"]),
                      (streamed["prompt_tokens"], streamed["completion_tokens"])]


class Recorder(BaseEventHandler):
    """Collects instrumentation event class names."""

    events: list[str] = []

    @classmethod
    def class_name(cls) -> str:
        return "Recorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event.class_name())


@pytest.fixture
def recorder() -> Any:
    dispatcher = get_dispatcher()
    handler = Recorder(events=[])
    dispatcher.add_event_handler(handler)
    yield handler
    dispatcher.event_handlers.remove(handler)


def test_instrumentation_events(make_llm: MakeLLM, recorder: Recorder) -> None:
    llm = make_llm()
    llm.chat(QUESTION)
    assert recorder.events == ["LLMChatStartEvent", "LLMChatEndEvent"]
    recorder.events.clear()
    chunks = list(llm.stream_chat(QUESTION))
    assert recorder.events[0] == "LLMChatStartEvent" and recorder.events[-1] == "LLMChatEndEvent"
    assert recorder.events.count("LLMChatInProgressEvent") == len(chunks)
    recorder.events.clear()
    llm.complete("hi")
    list(llm.stream_complete("hi"))
    assert recorder.events[:2] == ["LLMCompletionStartEvent", "LLMCompletionEndEvent"]
    assert "LLMCompletionInProgressEvent" in recorder.events


async def test_async_instrumentation_events(amake_llm: MakeLLM, recorder: Recorder) -> None:
    llm = amake_llm()
    await llm.achat(QUESTION)
    [c async for c in await llm.astream_chat(QUESTION)]
    assert recorder.events.count("LLMChatStartEvent") == 2
    assert recorder.events.count("LLMChatEndEvent") == 2


# ----------------------------------------------------------------------------------------------
# Request options


def test_sampling_and_extra_options(make_llm: MakeLLM, emulator: Emulator) -> None:
    # An older model: from Claude 4.5 on the service refuses temperature with top_p.
    llm = make_llm("databricks-claude-3-7-sonnet", max_tokens=500, temperature=0.2, top_p=0.9,
                   top_k=5, stop=["END"],
                   extra_body={"stream_options": {"include_usage": True}},
                   additional_kwargs={"client_request_id": "abc"})
    llm.chat(QUESTION)
    sent = body(emulator)
    assert sent["max_tokens"] == 500 and sent["temperature"] == 0.2
    assert (sent["top_p"], sent["top_k"], sent["stop"]) == (0.9, 5, ["END"])
    assert sent["client_request_id"] == "abc"
    llm.chat(QUESTION, max_tokens=100, temperature=0.5, usage_context={"team": "x"})
    sent = body(emulator)
    assert (sent["max_tokens"], sent["temperature"]) == (100, 0.5)
    assert sent["usage_context"] == {"team": "x"}
    assert "parallel_tool_calls" not in sent


def test_temperature_dropped_under_thinking(make_llm: MakeLLM, emulator: Emulator) -> None:
    with pytest.warns(DatabricksClaudeWarning, match="temperature"):
        make_llm(thinking=True, temperature=0.3).chat(QUESTION)
    assert "temperature" not in body(emulator)


def test_effort_on_adaptive_model(make_llm: MakeLLM, emulator: Emulator) -> None:
    response = make_llm("databricks-claude-opus-4-7", thinking=True, effort="high").chat(QUESTION)
    assert body(emulator)["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert body(emulator)["output_config"] == {"effort": "high"}
    assert isinstance(response.message.blocks[0], ThinkingBlock)


def test_thinking_as_dict_and_per_call(make_llm: MakeLLM, emulator: Emulator) -> None:
    llm = make_llm(max_tokens=4000, thinking={"type": "enabled", "budget_tokens": 1500})
    llm.chat(QUESTION)
    assert body(emulator)["thinking"] == {"type": "enabled", "budget_tokens": 1500}
    llm.chat(QUESTION, thinking=False)
    assert "thinking" not in body(emulator)


def test_bad_budget_refused_before_any_request(make_llm: MakeLLM, emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="500"):
        make_llm(thinking=500).chat(QUESTION)
    with pytest.raises(ConfigurationError):
        make_llm(thinking=500).stream_chat(QUESTION)
    assert emulator.requests == []


def test_n_above_one_refused_before_any_request(make_llm: MakeLLM, emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="n=2"):
        make_llm().chat(QUESTION, n=2)
    with pytest.raises(ConfigurationError, match="n=2"):
        make_llm().stream_chat(QUESTION, n=2)
    assert emulator.requests == []
    make_llm().chat(QUESTION, n=1)
    assert "n" not in body(emulator)  # an option, never an unknown body key


def test_image_input_sent_as_data_url(make_llm: MakeLLM, emulator: Emulator) -> None:
    message = ChatMessage(role="user", blocks=[TextBlock(text="what is this?"),
                                               ImageBlock(image=PNG)])
    make_llm().chat([message])
    content = body(emulator)["messages"][0]["content"]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_cache_points_sent_as_cache_control(make_llm: MakeLLM, emulator: Emulator) -> None:
    point = CachePoint(cache_control=CacheControl(type="ephemeral"))
    history = [ChatMessage(role="system", blocks=[TextBlock(text="rules " * 50), point]),
               ChatMessage(role="user", blocks=[TextBlock(text="question"), point])]
    response = make_llm().chat(history)
    system, first_user = body(emulator)["messages"]
    assert system["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert first_user["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert "cache_creation_input_tokens" in response.raw["usage"] or response.raw["usage"]


# ----------------------------------------------------------------------------------------------
# Errors


def test_broken_stream_raises_with_partial(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(ScriptedReply(text="one two three four five six", chunk_size=3))
    emulator.fault("drop_after", chunks=3)
    received: list[str] = []
    with pytest.raises(StreamInterruptedError) as caught:
        for chunk in make_llm(max_retries=0).stream_chat(QUESTION):
            received.append(chunk.delta or "")
    assert caught.value.partial.text == "".join(received)


def test_resume_streams_continues_a_broken_text_stream(
        make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(ScriptedReply(text="one two three", chunk_size=3),
                    ScriptedReply(text=" and the rest.", chunk_size=3))
    emulator.fault("drop_after", chunks=3)
    chunks = list(make_llm(resume_streams=True).stream_chat(QUESTION))
    content = chunks[-1].message.content or ""
    assert "".join(c.delta or "" for c in chunks) == content
    prefill = body(emulator)["messages"][-1]
    assert prefill["role"] == "assistant" and content == prefill["content"] + " and the rest."


def test_resumed_stream_ending_in_a_tool_call_keeps_the_text_block(
        make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script(ScriptedReply(text="one two three", chunk_size=3),
                    ScriptedReply(tool_calls=[ScriptedToolCall("f", {"a": 1}, "c1")]))
    emulator.fault("drop_after", chunks=3)
    chunks = list(make_llm(resume_streams=True).stream_chat(QUESTION))
    last = chunks[-1].message
    assert [type(b).__name__ for b in last.blocks] == ["TextBlock", "ToolCallBlock"]
    assert [type(b).__name__ for b in chunks[-2].message.blocks] == ["TextBlock", "ToolCallBlock"]
    assert chunks[-2].message.content == last.content


def test_retries_and_oauth(emulator: Emulator) -> None:
    llm = DatabricksClaude(endpoint=ENDPOINT, host=emulator.host, client_id=emulator.client_id,
                           client_secret=emulator.client_secret, max_retries=1,
                           default_headers={"X-Team": "li"})
    emulator.fault("status", status=503)
    assert "17 * 23" in (llm.chat(QUESTION).message.content or "")
    chat = [r for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert len(chat) == 2 and chat[-1].headers.get("x-team") == "li"
    llm.close()


def test_no_warning_without_adjustment(make_llm: MakeLLM) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatabricksClaudeWarning)
        make_llm(thinking=True).chat(QUESTION)
