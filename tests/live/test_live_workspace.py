"""Against a real workspace: skipped unless DATABRICKS_HOST and credentials are set.

The endpoint is DATABRICKS_CLAUDE_ENDPOINT, default databricks-claude-sonnet-4-5.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.live

ENDPOINT = os.environ.get("DATABRICKS_CLAUDE_ENDPOINT", "databricks-claude-sonnet-4-5")


def test_core_thinking_round_trip() -> None:
    from databricks_claude import DatabricksClaudeClient, Message, RequestOptions

    with DatabricksClaudeClient(ENDPOINT) as client:
        first = client.complete([Message.user("What is 17 * 23?")],
                                RequestOptions(thinking=True, max_tokens=4096))
        assert first.reasoning_parts, "thinking on: the answer should carry reasoning"
        follow_up = [Message.user("What is 17 * 23?"), first.to_message(),
                     Message.user("And doubled?")]
        second = client.complete(follow_up, RequestOptions(thinking=True, max_tokens=4096))
        assert "782" in second.text


def test_core_stream_has_reasoning_and_text() -> None:
    from databricks_claude import DatabricksClaudeClient, Message, RequestOptions
    from databricks_claude.messages import FinishDelta

    with DatabricksClaudeClient(ENDPOINT) as client:
        deltas = list(client.stream([Message.user("Why is the sky blue? One sentence.")],
                                    RequestOptions(thinking=True, max_tokens=4096)))
    final = deltas[-1]
    assert isinstance(final, FinishDelta)
    assert final.completion.text
    assert final.completion.usage and final.completion.usage.output_tokens > 0


def test_langchain_thinking_tool_loop() -> None:
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    from langchain_databricks_claude import ChatDatabricksClaude

    @tool
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        return f"18C and raining in {city}"

    model = ChatDatabricksClaude(endpoint=ENDPOINT, thinking=True, max_tokens=4096)
    bound = model.bind_tools([get_weather])
    history: list = [HumanMessage("What's the weather in Paris? Use the tool.")]
    reply = bound.invoke(history)
    assert reply.tool_calls
    history += [reply, ToolMessage(get_weather.invoke(reply.tool_calls[0]["args"]),
                                   tool_call_id=reply.tool_calls[0]["id"])]
    final = bound.invoke(history)
    assert "rain" in final.text.lower()


def test_llama_index_chat() -> None:
    from llama_index.core.base.llms.types import ChatMessage

    from llama_index_databricks_claude import DatabricksClaude

    llm = DatabricksClaude(endpoint=ENDPOINT, thinking=True, max_tokens=4096)
    response = llm.chat([ChatMessage(role="user", content="What is 2 + 2?")])
    assert "4" in (response.message.content or "")
