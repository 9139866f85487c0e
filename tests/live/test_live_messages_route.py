"""The Messages route against a real workspace: skipped unless DATABRICKS_HOST and credentials
are set. Each test checks one line of docs/wire-messages.md on the real service."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.live

ENDPOINT = os.environ.get("DATABRICKS_CLAUDE_ENDPOINT", "databricks-claude-sonnet-4-5")


def test_core_messages_route_thinking_round_trip() -> None:
    from databricks_claude import DatabricksClaudeClient, Message, RequestOptions

    with DatabricksClaudeClient(ENDPOINT, api="messages") as client:
        assert client.url.endswith("/serving-endpoints/anthropic/v1/messages")
        options = RequestOptions(thinking=True, max_tokens=4096)
        first = client.complete([Message.user("What is 17 * 23?")], options)
        assert first.reasoning_parts and "391" in first.text
        second = client.complete([Message.user("What is 17 * 23?"), first.to_message(),
                                  Message.user("And doubled?")], options)
        assert "782" in second.text


def test_core_messages_route_stream_counts_usage_once() -> None:
    from databricks_claude import DatabricksClaudeClient, Message, RequestOptions
    from databricks_claude.messages import FinishDelta

    with DatabricksClaudeClient(ENDPOINT, api="messages") as client:
        deltas = list(client.stream([Message.user("Why is the sky blue? One sentence.")],
                                    RequestOptions(thinking=True, max_tokens=4096)))
        again = client.complete([Message.user("Why is the sky blue? One sentence.")],
                                RequestOptions(thinking=True, max_tokens=4096))
    final = deltas[-1]
    assert isinstance(final, FinishDelta) and final.completion.text
    usage = final.completion.usage
    assert usage is not None and usage.output_tokens > 0
    # The same prompt, not streamed: input counts agree (message_start's count, taken once).
    assert again.usage is not None and usage.input_tokens == again.usage.input_tokens


def test_langchain_tool_loop_on_the_messages_route() -> None:
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    from langchain_databricks_claude import ChatDatabricksClaude

    @tool
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        return f"18C and raining in {city}"

    model = ChatDatabricksClaude(endpoint=ENDPOINT, api="messages", thinking=True,
                                 max_tokens=4096).bind_tools([get_weather])
    history: list = [HumanMessage("What's the weather in Paris? Use the tool.")]
    reply = model.invoke(history)
    assert reply.tool_calls and reply.additional_kwargs.get("reasoning_blocks")
    history += [reply, ToolMessage(get_weather.invoke(reply.tool_calls[0]["args"]),
                                   tool_call_id=reply.tool_calls[0]["id"])]
    assert "18" in model.invoke(history).text


def test_a_chat_route_turn_replays_on_the_messages_route() -> None:
    from databricks_claude import DatabricksClaudeClient, Message, RequestOptions

    options = RequestOptions(thinking=True, max_tokens=4096)
    with DatabricksClaudeClient(ENDPOINT) as chat, \
            DatabricksClaudeClient(ENDPOINT, api="messages") as messages:
        first = chat.complete([Message.user("Name a prime above 100.")], options)
        assert first.reasoning_parts
        second = messages.complete([Message.user("Name a prime above 100."),
                                    first.to_message(), Message.user("And one above 200?")],
                                   options)
        assert second.text


def test_llama_index_chat_on_the_messages_route() -> None:
    from llama_index.core.llms import ChatMessage

    from llama_index_databricks_claude import DatabricksClaude

    llm = DatabricksClaude(endpoint=ENDPOINT, api="messages", thinking=True, max_tokens=4096)
    response = llm.chat([ChatMessage(role="user", content="What is 6 * 7?")])
    assert "42" in str(response.message.content)
