"""The clients measured: raw HTTP floors, this project's core and adapters, and the existing
integrations, each behind the same four calls (invoke, stream, ainvoke, aclose).

Every subject sends the same short prompt to the same endpoint of the same emulator, with
`max_tokens` set, thinking off and default connection pools.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any

from _server import Target

PROMPT = "Say hello in one short sentence."
MAX_TOKENS = 256


class Subject:
    """One way of calling the endpoint; a fresh object owns fresh clients."""

    def invoke(self) -> str:
        """One request, the answer text."""
        raise NotImplementedError

    def stream(self) -> int:
        """One streamed request; the number of chunks the caller saw."""
        raise NotImplementedError

    async def ainvoke(self) -> str:
        """One async request, the answer text."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release async resources (connection pools)."""

    def close(self) -> None:
        """Release sync resources."""


def _payload(target: Target, stream: bool = False) -> dict[str, Any]:
    return {
        "model": target.endpoint,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": MAX_TOKENS,
        "stream": stream,
    }


def _answer_text(body: dict[str, Any]) -> str:
    content = body["choices"][0]["message"]["content"]
    return content if isinstance(content, str) else ""


class RawHttpx(Subject):
    """The floor: httpx, a JSON body, `response.json()`, and line-by-line SSE parsing."""

    def __init__(self, target: Target, *, aiohttp_transport: bool = False) -> None:
        import httpx

        self.target = target
        self.headers = {"Authorization": f"Bearer {target.token}"}
        self.client = httpx.Client(timeout=300)
        transport = None
        if aiohttp_transport:  # what the core uses when httpx-aiohttp is installed
            from httpx_aiohttp import AiohttpTransport

            transport = AiohttpTransport()
        self.aclient = httpx.AsyncClient(timeout=300, transport=transport)

    def invoke(self) -> str:
        """POST, raise on an error status, parse the JSON body."""
        response = self.client.post(self.target.url, json=_payload(self.target),
                                    headers=self.headers)
        response.raise_for_status()
        return _answer_text(response.json())

    def stream(self) -> int:
        """Read `data:` lines, parse each as JSON, join the text deltas."""
        parts: list[str] = []
        payload = _payload(self.target, stream=True)
        with self.client.stream("POST", self.target.url, json=payload,
                                headers=self.headers) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                _collect_text(json.loads(data), parts)
        "".join(parts)
        return len(parts)

    async def ainvoke(self) -> str:
        """The async POST."""
        response = await self.aclient.post(self.target.url, json=_payload(self.target),
                                           headers=self.headers)
        response.raise_for_status()
        return _answer_text(response.json())

    async def aclose(self) -> None:
        """Close the async pool."""
        await self.aclient.aclose()

    def close(self) -> None:
        """Close the sync pool."""
        self.client.close()


def _collect_text(chunk: dict[str, Any], parts: list[str]) -> None:
    for choice in chunk.get("choices") or ():
        content = (choice.get("delta") or {}).get("content")
        if isinstance(content, str) and content:
            parts.append(content)


class RawAiohttp(Subject):
    """The async floor: one aiohttp session, JSON in and out (created on first use, in-loop)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.headers = {"Authorization": f"Bearer {target.token}"}
        self.session: Any = None

    async def ainvoke(self) -> str:
        """The async POST."""
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession()
        async with self.session.post(self.target.url, json=_payload(self.target),
                                     headers=self.headers) as response:
            response.raise_for_status()
            return _answer_text(await response.json())

    async def aclose(self) -> None:
        """Close the session."""
        if self.session is not None:
            await self.session.close()


class Core(Subject):
    """This project's framework-free client."""

    def __init__(self, target: Target) -> None:
        from databricks_claude import DatabricksClaudeClient
        from databricks_claude.messages import Message, RequestOptions

        self.client = DatabricksClaudeClient(target.endpoint, host=target.host,
                                             token=target.token)
        self.messages = [Message.user(PROMPT)]
        self.options = RequestOptions(max_tokens=MAX_TOKENS)

    def invoke(self) -> str:
        """`complete`."""
        return self.client.complete(self.messages, self.options).text

    def stream(self) -> int:
        """`stream`, every delta counted."""
        return sum(1 for _ in self.client.stream(self.messages, self.options))

    async def ainvoke(self) -> str:
        """`acomplete`."""
        return (await self.client.acomplete(self.messages, self.options)).text

    async def aclose(self) -> None:
        """Close both pools."""
        await self.client.aclose()
        self.client.close()


class LangChainModel(Subject):
    """Any LangChain chat model: invoke, stream, ainvoke with a string prompt."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def invoke(self) -> str:
        """`invoke`."""
        return str(self.model.invoke(PROMPT).content)

    def stream(self) -> int:
        """`stream`, every chunk counted."""
        return sum(1 for _ in self.model.stream(PROMPT))

    async def ainvoke(self) -> str:
        """`ainvoke`."""
        return str((await self.model.ainvoke(PROMPT)).content)

    async def aclose(self) -> None:
        """Close the pools the model opened (each integration keeps them somewhere else)."""
        if hasattr(self.model, "aclose"):  # ChatDatabricksClaude
            await self.model.aclose()
        elif "async_client" in vars(self.model):  # ChatDatabricks: a cached AsyncOpenAI
            await self.model.async_client.close()


class LlamaIndexLLM(Subject):
    """Any LlamaIndex LLM: chat, stream_chat, achat with one user message."""

    def __init__(self, llm: Any) -> None:
        from llama_index.core.llms import ChatMessage

        self.llm = llm
        self.messages = [ChatMessage(role="user", content=PROMPT)]

    def invoke(self) -> str:
        """`chat`."""
        return str(self.llm.chat(self.messages).message.content)

    def stream(self) -> int:
        """`stream_chat`, every response counted."""
        return sum(1 for _ in self.llm.stream_chat(self.messages))

    async def ainvoke(self) -> str:
        """`achat`."""
        return str((await self.llm.achat(self.messages)).message.content)

    async def aclose(self) -> None:
        """Close the pools the LLM opened."""
        if hasattr(self.llm, "aclose"):  # DatabricksClaude
            await self.llm.aclose()
        elif getattr(self.llm, "_aclient", None) is not None:  # OpenAI-based: AsyncOpenAI
            await self.llm._aclient.close()


def raw_httpx_over_aiohttp(target: Target) -> Subject:
    """Raw httpx with the `httpx-aiohttp` transport (default pool limits)."""
    return RawHttpx(target, aiohttp_transport=True)


def our_langchain(target: Target) -> Subject:
    """`ChatDatabricksClaude`."""
    from langchain_databricks_claude import ChatDatabricksClaude

    return LangChainModel(ChatDatabricksClaude(endpoint=target.endpoint, host=target.host,
                                               token=target.token, max_tokens=MAX_TOKENS))


def our_llama_index(target: Target) -> Subject:
    """`DatabricksClaude`."""
    from llama_index_databricks_claude import DatabricksClaude

    return LlamaIndexLLM(DatabricksClaude(endpoint=target.endpoint, host=target.host,
                                          token=target.token, max_tokens=MAX_TOKENS))


def databricks_langchain(target: Target) -> Subject:
    """`databricks_langchain.ChatDatabricks`, on a workspace client pointed at the emulator."""
    from databricks.sdk import WorkspaceClient
    from databricks_langchain import ChatDatabricks

    workspace = WorkspaceClient(host=target.host, token=target.token, auth_type="pat")
    return LangChainModel(ChatDatabricks(endpoint=target.endpoint, workspace_client=workspace,
                                         max_tokens=MAX_TOKENS))


def llama_index_databricks(target: Target) -> Subject:
    """`llama_index.llms.databricks.Databricks`."""
    from llama_index.llms.databricks import Databricks

    return LlamaIndexLLM(Databricks(model=target.endpoint, api_key=target.token,
                                    api_base=target.base_url, max_tokens=MAX_TOKENS))


Factory = Callable[[Target], Subject]

# Row names, in table order, with their factories.
SUBJECTS: dict[str, Factory] = {
    "raw httpx": RawHttpx,
    "raw aiohttp": RawAiohttp,
    "core client": Core,
    "ChatDatabricksClaude": our_langchain,
    "DatabricksClaude (llama-index)": our_llama_index,
    "databricks_langchain.ChatDatabricks": databricks_langchain,
    "llama_index.llms.databricks.Databricks": llama_index_databricks,
}


def quiet_environment() -> None:
    """Keep tracing, telemetry and start-up chatter of the existing integrations off."""
    # databricks-sdk logs a warning when the emulator has no host-metadata route.
    logging.getLogger("databricks.sdk").setLevel(logging.ERROR)
    os.environ.setdefault("LANGCHAIN_TRACING_V2", "false")
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    os.environ.setdefault("MLFLOW_TRACKING_URI", "file:///tmp/benchmark-mlruns")
