"""Finding 2: a model made per request in async code, never closed, leaves stderr clean.

The per-request pattern (`llm = ChatDatabricksClaude(...); await llm.ainvoke(q)` inside
`asyncio.run`, several times) runs in a subprocess with `ResourceWarning` as an error, so that
an "Unclosed client session" / "Unclosed connector" (or an unclosed socket) shows on stderr.
`with` / `async with` close the models and the core client.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.emulator import Emulator
from databricks_claude.messages import Message

ENDPOINT = "databricks-claude-sonnet-4-5"

_PATTERNS = {
    "langchain": """
        from langchain_databricks_claude import ChatDatabricksClaude

        async def one(q):
            llm = ChatDatabricksClaude(endpoint=ENDPOINT, host=HOST, token=TOKEN)
            await llm.ainvoke(q)
            async for _ in llm.astream(q):
                pass
    """,
    "llama_index": """
        from llama_index.core.base.llms.types import ChatMessage
        from llama_index_databricks_claude import DatabricksClaude

        async def one(q):
            llm = DatabricksClaude(endpoint=ENDPOINT, host=HOST, token=TOKEN)
            await llm.achat([ChatMessage(role="user", content=q)])
            gen = await llm.astream_chat([ChatMessage(role="user", content=q)])
            async for _ in gen:
                pass
    """,
    "core": """
        from databricks_claude.client import DatabricksClaudeClient
        from databricks_claude.messages import Message

        async def one(q):
            client = DatabricksClaudeClient(ENDPOINT, host=HOST, token=TOKEN)
            await client.acomplete([Message.user(q)])
    """,
    # One model for the whole program, used by one asyncio.run after another: each loop's pool
    # is closed when that loop shuts down.
    "long_lived": """
        from langchain_databricks_claude import ChatDatabricksClaude

        LLM = ChatDatabricksClaude(endpoint=ENDPOINT, host=HOST, token=TOKEN)

        async def one(q):
            await LLM.ainvoke(q)
    """,
}


def _run(emulator: Emulator, pattern: str, backend: str) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(f"""
        import asyncio, gc
        ENDPOINT, HOST, TOKEN = {ENDPOINT!r}, {emulator.host!r}, {emulator.token!r}
    """) + textwrap.dedent(_PATTERNS[pattern]) + textwrap.dedent("""
        for i in range(3):
            asyncio.run(one(f"question {i}"))
        gc.collect()
        print("done")
    """)
    env = {**os.environ, "DATABRICKS_CLAUDE_HTTP_BACKEND": backend}
    return subprocess.run([sys.executable, "-W", "error::ResourceWarning", "-c", script],
                          capture_output=True, text=True, timeout=120, check=False, env=env)


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
@pytest.mark.parametrize("pattern", sorted(_PATTERNS))
def test_a_model_per_request_leaves_stderr_empty(emulator: Emulator, pattern: str,
                                                 backend: str) -> None:
    result = _run(emulator, pattern, backend)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
    assert result.stderr == ""


def test_models_are_context_managers(make_lc: object, make_li: object) -> None:
    lc = make_lc()  # type: ignore[operator]
    with lc as same:
        assert same is lc
        same.invoke("hi")
        http = lc.client()._sync
    assert http is not None and http.is_closed
    li = make_li()  # type: ignore[operator]
    with li as same_li:
        assert same_li is li
        li.complete("hi")
        li_http = li.client._sync
    assert li_http is not None and li_http.is_closed


async def test_models_are_async_context_managers(make_lc: object, amake_li: object) -> None:
    lc = make_lc()  # type: ignore[operator]
    async with lc as same:
        await same.ainvoke("hi")
        inner = lc.client()._async_client()
    assert inner.is_closed
    li = amake_li()  # type: ignore[operator]
    async with li as same_li:
        await same_li.acomplete("hi")
        li_inner = li.client._async_client()
    assert li_inner.is_closed


async def test_core_client_async_with_closes_the_loop_pool(emulator: Emulator) -> None:
    async with DatabricksClaudeClient(ENDPOINT, host=emulator.host,
                                      token=emulator.token) as client:
        await client.acomplete([Message.user("hi")])
        inner = client._async_client()
    assert inner.is_closed
    assert len(client._async) == 0
