"""The CLI's chat loop, once per integration: the core client, LangChain and LlamaIndex.

Each runner asks, shows the streamed answer, runs any demo tool the model called, and asks
again until the model answers without calling a tool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from databricks_claude_cli.demo_tools import DEMO_TOOLS, DemoTool

if TYPE_CHECKING:
    from databricks_claude.messages import Completion, Message
    from databricks_claude_cli.view import ChatView

MAX_TOOL_ROUNDS = 8
_TOOLS_BY_NAME = {tool.name: tool for tool in DEMO_TOOLS}


@dataclass(frozen=True)
class ChatRun:
    """What the user asked for on the command line."""

    prompt: str
    endpoint: str
    thinking: bool | int | None
    effort: str | None
    max_tokens: int | None
    tools: bool
    stream: bool
    api: str = "chat"


Runner = Callable[[ChatRun, "str | None", "str | None", "ChatView"], None]


def run_tool(name: str, arguments: dict[str, Any], view: ChatView) -> str:
    """Run one demo tool the model called and show its result."""
    tool: DemoTool | None = _TOOLS_BY_NAME.get(name)
    result = tool.run(arguments) if tool else f'{{"error": "no tool named {name}"}}'
    view.tool_result(name, result)
    return result


def run_core(run: ChatRun, host: str | None, token: str | None, view: ChatView) -> None:
    """The loop on the framework-free core client."""
    from databricks_claude.client import DatabricksClaudeClient
    from databricks_claude.kit.tools import make_tool_spec
    from databricks_claude.messages import Message, RequestOptions

    specs = [make_tool_spec(t.name, t.description, t.parameters) for t in DEMO_TOOLS]
    options = RequestOptions(thinking=run.thinking, effort=run.effort, max_tokens=run.max_tokens,
                             tools=specs if run.tools else None)
    messages: list[Message] = [Message.user(run.prompt)]
    with DatabricksClaudeClient(run.endpoint, host=host, token=token, api=run.api) as client:
        for _ in range(MAX_TOOL_ROUNDS):
            completion = _core_turn(client, messages, options, run.stream, view)
            messages.append(completion.to_message())
            if not completion.tool_calls:
                return
            for call in completion.tool_calls:
                view.tool_call(call.name, call.arguments)
                messages.append(Message.tool(call.id, run_tool(call.name, call.parsed_arguments(),
                                                               view)))


def _core_turn(client: Any, messages: list[Message], options: Any, stream: bool,
               view: ChatView) -> Completion:
    from databricks_claude.messages import FinishDelta, ReasoningDelta, TextDelta

    if not stream:
        completion: Completion = client.complete(messages, options)
        view.reasoning(completion.reasoning_text)
        view.answer(completion.text)
        return completion
    for delta in client.stream(messages, options):
        if isinstance(delta, ReasoningDelta):
            view.reasoning(delta.text)
        elif isinstance(delta, TextDelta):
            view.answer(delta.text)
        elif isinstance(delta, FinishDelta):
            return delta.completion
    raise RuntimeError("the stream ended without a final answer")


def run_langchain(run: ChatRun, host: str | None, token: str | None, view: ChatView) -> None:
    """The loop on `ChatDatabricksClaude` (langchain-core)."""
    from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage

    from langchain_databricks_claude import ChatDatabricksClaude

    model = ChatDatabricksClaude(endpoint=run.endpoint, host=host, token=token, api=run.api,
                                 thinking=run.thinking, effort=run.effort,
                                 max_tokens=run.max_tokens)
    tools = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                "parameters": t.parameters}} for t in DEMO_TOOLS]
    runnable: Any = model.bind_tools(tools) if run.tools else model
    history: list[BaseMessage] = [HumanMessage(run.prompt)]
    for _ in range(MAX_TOOL_ROUNDS):
        reply = _langchain_turn(runnable, history, run.stream, view)
        history.append(reply)
        if not reply.tool_calls:
            return
        for call in reply.tool_calls:
            view.tool_call(call["name"], _compact(call["args"]))
            result = run_tool(call["name"], call["args"], view)
            history.append(ToolMessage(result, tool_call_id=call["id"], name=call["name"]))


def _langchain_turn(runnable: Any, history: list[Any], stream: bool, view: ChatView) -> Any:
    if not stream:
        reply = runnable.invoke(history)
        view.reasoning(reply.additional_kwargs.get("reasoning_content", ""))
        view.answer(reply.text)
        return reply
    total = None
    for chunk in runnable.stream(history):
        view.reasoning(chunk.additional_kwargs.get("reasoning_content", ""))
        view.answer(chunk.content if isinstance(chunk.content, str) else chunk.text)
        total = chunk if total is None else total + chunk
    return total


def run_llama_index(run: ChatRun, host: str | None, token: str | None, view: ChatView) -> None:
    """The loop on `DatabricksClaude` (llama-index-core)."""
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.tools import FunctionTool

    from llama_index_databricks_claude import DatabricksClaude

    llm = DatabricksClaude(endpoint=run.endpoint, host=host, token=token, api=run.api,
                           thinking=run.thinking, effort=run.effort, max_tokens=run.max_tokens)
    tools = [FunctionTool.from_defaults(fn=t.function, name=t.name, description=t.description)
             for t in DEMO_TOOLS] if run.tools else []
    history = [ChatMessage(role="user", content=run.prompt)]
    for _ in range(MAX_TOOL_ROUNDS):
        response = _llama_turn(llm, tools, history, run.stream, view)
        history.append(response.message)
        calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
        if not calls:
            return
        for call in calls:
            view.tool_call(call.tool_name, _compact(call.tool_kwargs))
            result = run_tool(call.tool_name, call.tool_kwargs, view)
            history.append(ChatMessage(role="tool", content=result,
                                       additional_kwargs={"tool_call_id": call.tool_id,
                                                          "name": call.tool_name}))


def _llama_turn(llm: Any, tools: list[Any], history: list[Any], stream: bool,
                view: ChatView) -> Any:
    if not stream:
        # Every call the model made is run, as in the streamed branch (which LlamaIndex never
        # trims): the default would keep only the first one.
        response = llm.chat_with_tools(tools, chat_history=history, allow_parallel_tool_calls=True)
        view.reasoning("".join(b.content or "" for b in response.message.blocks
                               if type(b).__name__ == "ThinkingBlock"))
        view.answer(response.message.content or "")
        return response
    response = None
    for response in llm.stream_chat_with_tools(tools, chat_history=history):
        view.reasoning(response.additional_kwargs.get("thinking_delta") or "")
        view.answer(response.delta or "")
    if response is None:
        raise RuntimeError("the stream ended without a final answer")
    return response


def _compact(arguments: dict[str, Any]) -> str:
    import json

    return json.dumps(arguments, ensure_ascii=False)


RUNNERS: dict[str, Runner] = {
    "core": run_core,
    "langchain": run_langchain,
    "llama-index": run_llama_index,
}
