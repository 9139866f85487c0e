"""Section 5: a thinking + tools agent loop of 10 rounds, end to end.

The prompt asks the emulator's deterministic model for `rounds=10`: it reasons, calls the tool,
gets its result, and does so ten times before answering, so every request replays all the
earlier signed reasoning blocks (which the strict emulator verifies). 11 requests per loop.
The floor is raw httpx with the assistant messages replayed by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from _harness import Result, Settings, measure, row
from _server import Target

SECTION = "agent loop, 10 rounds"
ROUNDS = 10
PROMPT = f"What is the weather in Paris? Check it again each time. rounds={ROUNDS}"
MAX_TOKENS = 4096
BUDGET = 1024
TOOL_NAME = "get_weather"
TOOL_DESCRIPTION = "The current weather in a city."
TOOL_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "The city name."}},
    "required": ["city"],
}


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny, 21 C in {city}."


def _check(tool_rounds: int) -> None:
    if tool_rounds != ROUNDS:
        raise RuntimeError(f"the loop made {tool_rounds} tool rounds, expected {ROUNDS}")


def raw_httpx_loop(target: Target) -> Callable[[], None]:
    """The floor: payloads and the reasoning replay written by hand."""
    import httpx

    client = httpx.Client(timeout=300)
    headers = {"Authorization": f"Bearer {target.token}"}
    tool = {"type": "function", "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION,
                                             "parameters": TOOL_SCHEMA}}

    def loop() -> None:
        messages: list[dict[str, Any]] = [{"role": "user", "content": PROMPT}]
        for _ in range(ROUNDS + 2):
            response = client.post(target.url, headers=headers, json={
                "model": target.endpoint, "messages": messages, "max_tokens": MAX_TOKENS,
                "thinking": {"type": "enabled", "budget_tokens": BUDGET}, "tools": [tool]})
            response.raise_for_status()
            message = response.json()["choices"][0]["message"]
            calls = message.get("tool_calls") or []
            if not calls:
                break
            messages.append({"role": "assistant", "content": message["content"],
                             "tool_calls": calls})
            messages.extend({"role": "tool", "tool_call_id": c["id"],
                             "content": get_weather("Paris")} for c in calls)
        _check(sum(1 for m in messages if m["role"] == "tool"))

    return loop


def core_loop(target: Target) -> Callable[[], None]:
    """This project's core client."""
    from databricks_claude import DatabricksClaudeClient
    from databricks_claude.messages import Message, RequestOptions
    from databricks_claude.schema import make_tool_spec

    client = DatabricksClaudeClient(target.endpoint, host=target.host, token=target.token)
    options = RequestOptions(max_tokens=MAX_TOKENS, thinking=BUDGET,
                             tools=[make_tool_spec(TOOL_NAME, TOOL_DESCRIPTION, TOOL_SCHEMA)])

    def loop() -> None:
        messages = [Message.user(PROMPT)]
        rounds = 0
        for _ in range(ROUNDS + 2):
            completion = client.complete(messages, options)
            if not completion.tool_calls:
                break
            rounds += 1
            messages.append(completion.to_message())
            messages.extend(Message.tool(c.id, get_weather("Paris"))
                            for c in completion.tool_calls)
        _check(rounds)

    return loop


def langchain_loop(target: Target) -> Callable[[], None]:
    """`ChatDatabricksClaude.bind_tools`, the messages kept as LangChain returns them."""
    from langchain_core.messages import HumanMessage, ToolMessage

    from langchain_databricks_claude import ChatDatabricksClaude

    model = ChatDatabricksClaude(endpoint=target.endpoint, host=target.host, token=target.token,
                                 max_tokens=MAX_TOKENS, thinking=BUDGET).bind_tools([get_weather])

    def loop() -> None:
        messages: list[Any] = [HumanMessage(PROMPT)]
        rounds = 0
        for _ in range(ROUNDS + 2):
            answer = model.invoke(messages)
            if not answer.tool_calls:
                break
            rounds += 1
            messages.append(answer)
            messages.extend(ToolMessage(get_weather(**c["args"]), tool_call_id=c["id"])
                            for c in answer.tool_calls)
        _check(rounds)

    return loop


def llama_index_loop(target: Target) -> Callable[[], None]:
    """`DatabricksClaude.chat_with_tools`, the history kept as LlamaIndex returns it."""
    from llama_index.core.llms import ChatMessage
    from llama_index.core.tools import FunctionTool

    from llama_index_databricks_claude import DatabricksClaude

    llm = DatabricksClaude(endpoint=target.endpoint, host=target.host, token=target.token,
                           max_tokens=MAX_TOKENS, thinking=BUDGET)
    tool = FunctionTool.from_defaults(fn=get_weather)

    def loop() -> None:
        history = [ChatMessage(role="user", content=PROMPT)]
        rounds = 0
        for _ in range(ROUNDS + 2):
            response = llm.chat_with_tools([tool], chat_history=history)
            calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
            if not calls:
                break
            rounds += 1
            history.append(response.message)
            history.extend(ChatMessage(role="tool", content=get_weather(**c.tool_kwargs),
                                       additional_kwargs={"tool_call_id": c.tool_id})
                           for c in calls)
        _check(rounds)

    return loop


LOOPS: dict[str, Callable[[Target], Callable[[], None]]] = {
    "raw httpx": raw_httpx_loop,
    "core client": core_loop,
    "ChatDatabricksClaude": langchain_loop,
    "DatabricksClaude (llama-index)": llama_index_loop,
}


def run(settings: Settings, target: Target) -> list[Result]:
    """Each loop's median end-to-end time."""
    rounds = settings.n(settings.rounds, 2)
    results = []
    for name, build in LOOPS.items():

        def samples(b: Callable[[Target], Callable[[], None]] = build) -> list[float]:
            target.reset()
            loop = b(target)

            def one_round() -> float:
                start = time.perf_counter()
                loop()
                return time.perf_counter() - start

            return measure(one_round, rounds)

        floor = None if name == "raw httpx" else "raw httpx"
        results.append(row(settings, SECTION, name, samples, floor=floor))
    return [r for r in results if r is not None]
