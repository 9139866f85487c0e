"""One way to call each public surface (core client, LangChain, LlamaIndex) in each mode.

A driver builds its object against an emulator and runs one call in a mode: `invoke`,
`ainvoke`, `stream` or `astream` (each async call in its own `asyncio.run`, as a script would;
objects are not closed between calls, so that state such as an OAuth token carries over).
It returns an `Outcome`: the text the caller received (for a stream, the text of every chunk
handed out before any error) and the error, if one was raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from databricks_claude.messages import FinishDelta, Message, TextDelta

MODES = ("invoke", "ainvoke", "stream", "astream")
ENDPOINT = "databricks-claude-sonnet-4-5"


@dataclass
class Outcome:
    """What a caller saw: the answer text (or streamed text so far), chunks, and any error."""

    text: str = ""
    chunks: list[str] = field(default_factory=list)
    error: BaseException | None = None
    final_text: str | None = None  # a stream's final message text, when it finished


class Driver:
    """Base: `build(**settings)` makes the object; `run(obj, mode)` makes one call."""

    name = "base"

    def build(self, host: str, **settings: Any) -> Any:
        """The object under test, connected to `host`."""
        raise NotImplementedError

    def close(self, obj: Any) -> None:
        """Release the object's connections."""
        obj.close()

    def run(self, obj: Any, mode: str, prompt: str = "hi") -> Outcome:
        """One call in `mode`; errors are caught into the outcome."""
        outcome = Outcome()
        try:
            if mode == "invoke":
                outcome.text = self.invoke(obj, prompt)
            elif mode == "ainvoke":
                outcome.text = asyncio.run(self.ainvoke(obj, prompt))
            elif mode == "stream":
                self.stream(obj, prompt, outcome)
            else:
                asyncio.run(self.astream(obj, prompt, outcome))
        except Exception as error:
            outcome.error = error
        if mode in ("stream", "astream"):
            outcome.text = "".join(outcome.chunks)
        return outcome

    def invoke(self, obj: Any, prompt: str) -> str:
        raise NotImplementedError

    async def ainvoke(self, obj: Any, prompt: str) -> str:
        raise NotImplementedError

    def stream(self, obj: Any, prompt: str, out: Outcome) -> None:
        raise NotImplementedError

    async def astream(self, obj: Any, prompt: str, out: Outcome) -> None:
        raise NotImplementedError


class CoreDriver(Driver):
    """`DatabricksClaudeClient`: complete / acomplete / stream / astream."""

    name = "core"

    def build(self, host: str, **settings: Any) -> Any:
        from databricks_claude.client import DatabricksClaudeClient

        return DatabricksClaudeClient(ENDPOINT, host=host, **settings)

    def invoke(self, obj: Any, prompt: str) -> str:
        return str(obj.complete([Message.user(prompt)]).text)

    async def ainvoke(self, obj: Any, prompt: str) -> str:
        return str((await obj.acomplete([Message.user(prompt)])).text)

    def _take(self, delta: Any, out: Outcome) -> None:
        if isinstance(delta, TextDelta):
            out.chunks.append(delta.text)
        elif isinstance(delta, FinishDelta):
            out.final_text = delta.completion.text

    def stream(self, obj: Any, prompt: str, out: Outcome) -> None:
        for delta in obj.stream([Message.user(prompt)]):
            self._take(delta, out)

    async def astream(self, obj: Any, prompt: str, out: Outcome) -> None:
        async for delta in obj.astream([Message.user(prompt)]):
            self._take(delta, out)


class LangChainDriver(Driver):
    """`ChatDatabricksClaude`: invoke / ainvoke / stream / astream."""

    name = "langchain"

    def build(self, host: str, **settings: Any) -> Any:
        from langchain_databricks_claude import ChatDatabricksClaude

        settings.pop("connect_timeout", None)
        return ChatDatabricksClaude(endpoint=ENDPOINT, host=host, **settings)

    def invoke(self, obj: Any, prompt: str) -> str:
        return str(obj.invoke(prompt).text)

    async def ainvoke(self, obj: Any, prompt: str) -> str:
        return str((await obj.ainvoke(prompt)).text)

    def _take(self, chunk: Any, out: Outcome) -> None:
        text = chunk.text
        if text:
            out.chunks.append(text)

    def stream(self, obj: Any, prompt: str, out: Outcome) -> None:
        for chunk in obj.stream(prompt):
            self._take(chunk, out)

    async def astream(self, obj: Any, prompt: str, out: Outcome) -> None:
        async for chunk in obj.astream(prompt):
            self._take(chunk, out)


class LlamaIndexDriver(Driver):
    """`DatabricksClaude`: chat / achat / stream_chat / astream_chat."""

    name = "llama_index"

    def build(self, host: str, **settings: Any) -> Any:
        from llama_index_databricks_claude import DatabricksClaude

        settings.pop("connect_timeout", None)
        return DatabricksClaude(endpoint=ENDPOINT, host=host, **settings)

    @staticmethod
    def _messages(prompt: str) -> list[Any]:
        from llama_index.core.base.llms.types import ChatMessage

        return [ChatMessage(role="user", content=prompt)]

    def invoke(self, obj: Any, prompt: str) -> str:
        return str(obj.chat(self._messages(prompt)).message.content or "")

    async def ainvoke(self, obj: Any, prompt: str) -> str:
        return str((await obj.achat(self._messages(prompt))).message.content or "")

    def _take(self, response: Any, out: Outcome) -> None:
        if response.delta:
            out.chunks.append(response.delta)
        out.final_text = response.message.content

    def stream(self, obj: Any, prompt: str, out: Outcome) -> None:
        for response in obj.stream_chat(self._messages(prompt)):
            self._take(response, out)

    async def astream(self, obj: Any, prompt: str, out: Outcome) -> None:
        async for response in await obj.astream_chat(self._messages(prompt)):
            self._take(response, out)


DRIVERS: dict[str, Callable[[], Driver]] = {
    "core": CoreDriver,
    "langchain": LangChainDriver,
    "llama_index": LlamaIndexDriver,
}
