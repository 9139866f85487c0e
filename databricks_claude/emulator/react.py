"""The ReAct text format, followed when the system prompt asks for it (LlamaIndex `ReActAgent`).

Such a prompt lists its tools in the text ("> Tool Name: …", "Tool Description: …", "Tool Args:
{json schema}"), asks for "Thought: … / Action: … / Action Input: {json}" and feeds each tool's
output back as a user message "Observation: …". The model acts one tool per turn (the format
has one Action per step), each tool the question asks for once, then gives "Answer: …".
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import conversation as conv
from .plan import call_for
from .toolmatch import ToolText, asked_for

_TOOL = re.compile(r"^> Tool Name: *(?P<name>[^\n]+)\nTool Description: *(?P<description>.*?)\n"
                   r"Tool Args: *(?P<args>[^\n]*)", re.MULTILINE | re.DOTALL)
_ACTION = re.compile(r"^Action: *(\S+)", re.MULTILINE)
_OBSERVATION = "Observation:"
ACT_THOUGHT = ("The current language of the user is: English. I need to use a tool to help me "
               "answer the question.")
DONE_THOUGHT = "I can answer without using any more tools. I'll use the user's language to answer"


def asks_for_react(system: str) -> bool:
    """Whether a system prompt asks for the ReAct format."""
    return all(marker in system for marker in ("Thought:", "Action:", "Action Input:"))


def tools_in(system: str) -> list[ToolText]:
    """The tools a ReAct system prompt lists, with their argument schemas when they parse."""
    found = []
    for match in _TOOL.finditer(system):
        try:
            schema: Any = json.loads(match.group("args"))
        except ValueError:
            schema = {}
        found.append(ToolText(match.group("name").strip(), match.group("description"), schema))
    return found


def _task_index(messages: list[dict[str, Any]]) -> int:
    """The latest user message that is not an observation (-1 when there is none)."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        text = conv.text_of(message.get("content")).lstrip()
        if message.get("role") == "user" and not text.startswith(_OBSERVATION):
            return index
    return -1


def react_turn(messages: list[dict[str, Any]], system: str) -> tuple[str, str, str]:
    """(the reply text, the task it answers, a one-line thought) for a ReAct conversation."""
    start = _task_index(messages)
    task = conv.text_of(messages[start].get("content")) if start >= 0 else ""
    later = messages[start + 1:]
    done = {name for m in later if m.get("role") == "assistant"
            for name in _ACTION.findall(conv.text_of(m.get("content")))}
    observations = [text.split(_OBSERVATION, 1)[1].strip() for m in later
                    if m.get("role") == "user"
                    and _OBSERVATION in (text := conv.text_of(m.get("content")))]
    tools = tools_in(system)
    pending = [tools[i] for i in asked_for(tools, task) if tools[i].name not in done]
    if pending:
        call = call_for(pending[0], task)
        text = f"Thought: {ACT_THOUGHT}\nAction: {call.name}\nAction Input: {call.arguments}"
        return text, task, f"I will call {call.name} in the ReAct format."
    if observations:
        answer = f"The result is {'; '.join(observations)}."
    else:
        answer = f"Hello! This is the Databricks Claude emulator. You said: {snippet(task)}"
    return f"Thought: {DONE_THOUGHT}\nAnswer: {answer}", task, "I can answer now."


def snippet(prompt: str) -> str:
    """The prompt on one line, cut to 200 characters."""
    flat = " ".join(prompt.split())
    return flat if len(flat) <= 200 else flat[:197] + "..."
