"""Section 6: the Messages route (`api="messages"`), beside its raw floors and the official
`anthropic` SDK as the peer, under the chat route's budgets (invoke, 20,000-delta stream, 500
concurrent) plus the issue's own: the core client's stream at no more than half the SDK's time.
"""

from __future__ import annotations

import json
from typing import Any

from _concurrent import CALLS, warm_samples
from _harness import Budget, Result, Settings, row
from _sequential import DELTAS, LC_BUILT, LI_BUILT, _invoke_rounds, _stream_rounds, _stream_runner
from _server import Target
from _subjects import (
    MAX_TOKENS,
    PROMPT,
    Core,
    Factory,
    LangChainModel,
    LlamaIndexLLM,
    Subject,
)

INVOKE = "messages route: invoke"
STREAM = "messages route: stream"
CONCURRENT = "messages route: 500 concurrent, warm"
RAW = "raw httpx (messages)"
RAW_AIOHTTP = "raw aiohttp (messages)"
SDK = "anthropic SDK"
OURS = ("core client (messages)", "ChatDatabricksClaude (messages)",
        "DatabricksClaude (messages)")


def _url(target: Target) -> str:
    return f"{target.host}/serving-endpoints/anthropic/v1/messages"


def _payload(target: Target, stream: bool = False) -> dict[str, Any]:
    return {"model": target.endpoint, "max_tokens": MAX_TOKENS, "stream": stream,
            "messages": [{"role": "user", "content": PROMPT}]}


def _text(body: dict[str, Any]) -> str:
    return "".join(b.get("text", "") for b in body["content"] if b.get("type") == "text")


_HEADERS = {"anthropic-version": "2023-06-01"}


class RawHttpxMessages(Subject):
    """The floor: httpx, the Anthropic JSON body, events parsed line by line."""

    def __init__(self, target: Target) -> None:
        import httpx

        self.target = target
        self.headers = {"Authorization": f"Bearer {target.token}", **_HEADERS}
        self.client = httpx.Client(timeout=300)
        self.aclient = httpx.AsyncClient(timeout=300)

    def invoke(self) -> str:
        """POST, parse the JSON answer."""
        response = self.client.post(_url(self.target), json=_payload(self.target),
                                    headers=self.headers)
        response.raise_for_status()
        return _text(response.json())

    def stream(self) -> int:
        """Read `data:` lines, parse each event, join the text deltas."""
        parts: list[str] = []
        with self.client.stream("POST", _url(self.target), json=_payload(self.target, True),
                                headers=self.headers) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    if event["type"] == "content_block_delta":
                        parts.append(event["delta"].get("text", ""))
        "".join(parts)
        return len(parts)

    async def ainvoke(self) -> str:
        """The async POST."""
        response = await self.aclient.post(_url(self.target), json=_payload(self.target),
                                           headers=self.headers)
        response.raise_for_status()
        return _text(response.json())

    async def aclose(self) -> None:
        """Close the async pool."""
        await self.aclient.aclose()

    def close(self) -> None:
        """Close the sync pool."""
        self.client.close()


class RawAiohttpMessages(Subject):
    """The async floor: one aiohttp session, JSON in and out."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.headers = {"Authorization": f"Bearer {target.token}", **_HEADERS}
        self.session: Any = None

    async def ainvoke(self) -> str:
        """The async POST."""
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession()
        async with self.session.post(_url(self.target), json=_payload(self.target),
                                     headers=self.headers) as response:
            response.raise_for_status()
            return _text(await response.json())

    async def aclose(self) -> None:
        """Close the session."""
        if self.session is not None:
            await self.session.close()


class AnthropicSDK(Subject):
    """The peer: the official `anthropic` SDK pointed at the route as the Databricks docs show."""

    def __init__(self, target: Target) -> None:
        import anthropic

        options: dict[str, Any] = {
            "base_url": f"{target.host}/serving-endpoints/anthropic", "api_key": "unused",
            "default_headers": {"Authorization": f"Bearer {target.token}"}}
        self.client = anthropic.Anthropic(**options)
        self.aclient = anthropic.AsyncAnthropic(**options)
        self.request = {"model": target.endpoint, "max_tokens": MAX_TOKENS,
                        "messages": [{"role": "user", "content": PROMPT}]}

    def invoke(self) -> str:
        """`messages.create`."""
        return _text(self.client.messages.create(**self.request).model_dump())

    def stream(self) -> int:
        """`messages.stream`, every text delta counted, then the accumulated message."""
        with self.client.messages.stream(**self.request) as stream:
            seen = sum(1 for _ in stream.text_stream)
            stream.get_final_message()
        return seen

    async def ainvoke(self) -> str:
        """`AsyncAnthropic.messages.create`."""
        return _text((await self.aclient.messages.create(**self.request)).model_dump())

    async def aclose(self) -> None:
        """Close both clients."""
        await self.aclient.close()
        self.client.close()


def _core(target: Target) -> Subject:
    subject = Core(target)
    from databricks_claude import DatabricksClaudeClient

    subject.client.close()
    subject.client = DatabricksClaudeClient(target.endpoint, host=target.host,
                                            token=target.token, api="messages")
    return subject


def _langchain(target: Target) -> Subject:
    from langchain_databricks_claude import ChatDatabricksClaude

    return LangChainModel(ChatDatabricksClaude(endpoint=target.endpoint, host=target.host,
                                               token=target.token, max_tokens=MAX_TOKENS,
                                               api="messages"))


def _llama_index(target: Target) -> Subject:
    from llama_index_databricks_claude import DatabricksClaude

    return LlamaIndexLLM(DatabricksClaude(endpoint=target.endpoint, host=target.host,
                                          token=target.token, max_tokens=MAX_TOKENS,
                                          api="messages"))


SUBJECTS: dict[str, Factory] = {RAW: RawHttpxMessages, SDK: AnthropicSDK,
                                OURS[0]: _core, OURS[1]: _langchain, OURS[2]: _llama_index}


def run(settings: Settings, target: Target) -> list[Result]:
    """The three sections of the Messages route."""
    results: list[Result | None] = []
    calls, rounds = settings.n(200, 40), settings.n(settings.rounds, 3)
    for name, factory in SUBJECTS.items():
        budgets = (Budget(RAW, ratio=1.5),) if name in OURS else ()
        results.append(row(settings, INVOKE, name,
                           lambda f=factory: _invoke_rounds(f(target), calls, rounds),
                           unit="ms", floor=None if name == RAW else RAW, budgets=budgets))
    results += _stream_rows(settings, target, rounds)
    concurrent: dict[str, Factory] = {RAW_AIOHTTP: RawAiohttpMessages, **SUBJECTS}
    for name, factory in concurrent.items():
        budgets = (Budget(RAW_AIOHTTP, ratio=2.0),) if name in OURS else ()
        results.append(row(settings, CONCURRENT, name,
                           lambda f=factory: warm_samples(f, target, CALLS,
                                                          settings.n(settings.rounds, 2)),
                           floor=None if name == RAW_AIOHTTP else RAW_AIOHTTP, budgets=budgets))
    return [r for r in results if r is not None]


def _stream_rows(settings: Settings, target: Target, rounds: int) -> list[Result | None]:
    """20,000-delta streams: the floors (raw HTTP; the frameworks' chunks built per delta,
    the same on either wire), the SDK, and this project under the chat route's budgets."""
    adapter_budgets = {OURS[1]: (Budget(LC_BUILT, ratio=1.3),),
                       OURS[2]: (Budget(LI_BUILT, ratio=1.3),),
                       OURS[0]: (Budget(SDK, ratio=0.5),)}
    results = [row(settings, STREAM, name, _stream_runner(target, name, DELTAS, rounds))
               for name in (LC_BUILT, LI_BUILT)]
    for name, factory in SUBJECTS.items():
        results.append(row(settings, STREAM, name,
                           lambda f=factory: _stream_rounds(target, f(target), DELTAS, rounds),
                           floor=None if name == RAW else RAW,
                           budgets=adapter_budgets.get(name, ())))
    return results
