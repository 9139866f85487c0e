"""The frameworks' own floors: chat models that stream without network or parsing.

Two variants of each. With `prebuilt=True` the chunks are built before the clock starts: what
is left is what LangChain and LlamaIndex themselves spend per streamed chunk (callbacks, run
managers, instrumentation events, the final merge). With `prebuilt=False` each chunk is also
built in the loop with the framework's ordinary validated constructors, from a prebuilt string:
the least any integration of that framework pays per delta, since it must hand over one
framework object per delta. A streaming integration's budget is 1.3x its framework's floor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.llm import LLM
from pydantic import PrivateAttr

DELTA = "x"


class LangChainFloor(BaseChatModel):
    """A LangChain chat model whose stream yields one chunk per delta (see the module doc)."""

    prebuilt: bool = True
    _count: int = PrivateAttr(default=0)
    _chunks: list[ChatGenerationChunk] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "benchmark-floor"

    def prepare(self, deltas: int) -> None:
        """Set the next stream's length; prebuilt chunks are built now (and once per stream,
        since LangChain mutates them)."""
        self._count = deltas
        self._chunks = [_lc_chunk() for _ in range(deltas)] if self.prebuilt else []

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> ChatResult:
        text = DELTA * self._count
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        if self.prebuilt:
            yield from self._chunks
        else:
            for _ in range(self._count):
                yield _lc_chunk()

    async def _astream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._stream(messages, stop):
            yield chunk


def _lc_chunk() -> ChatGenerationChunk:
    return ChatGenerationChunk(message=AIMessageChunk(content=DELTA))


class LlamaIndexFloor(LLM):
    """A LlamaIndex LLM whose `stream_chat` yields one response per delta.

    A prebuilt response carries only its delta as message content (nothing is built during the
    stream, whatever it holds). Built in the loop, each carries the text so far, as LlamaIndex
    integrations do (`llama-index-llms-openai` among them).
    """

    prebuilt: bool = True
    _count: int = PrivateAttr(default=0)
    _responses: list[ChatResponse] = PrivateAttr(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        """Metadata of a chat model."""
        return LLMMetadata(is_chat_model=True, model_name="benchmark-floor")

    def prepare(self, deltas: int) -> None:
        """Set the next stream's length; prebuilt responses are built now."""
        self._count = deltas
        self._responses = [_li_response(DELTA) for _ in range(deltas)] if self.prebuilt else []

    def _responses_now(self) -> Iterator[ChatResponse]:
        if self.prebuilt:
            yield from self._responses
            return
        text = ""
        for _ in range(self._count):
            text += DELTA
            yield _li_response(text)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """The whole answer at once."""
        text = DELTA * self._count
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """The prebuilt responses, one by one."""
        # The callback decorator wraps only real generators, as every integration returns.
        return self._responses_now()

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """The whole answer at once."""
        return self.chat(messages)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """The prebuilt responses, one by one."""

        async def gen() -> ChatResponseAsyncGen:
            for response in self._responses_now():
                yield response

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Not measured."""
        raise NotImplementedError

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Not measured."""
        raise NotImplementedError

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Not measured."""
        raise NotImplementedError

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Not measured."""
        raise NotImplementedError


def _li_response(text: str) -> ChatResponse:
    return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                        delta=DELTA)
