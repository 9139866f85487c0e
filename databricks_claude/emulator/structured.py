"""How the default model follows a system prompt that asks for the answer through a tool.

Claude reads the system prompt: "give your final answer by calling the `X` tool" makes it call
`X` once the tools it needed have run, "answer by calling the `X` tool" makes it call `X` now,
and "answer by calling one of the tools" makes it call a tool rather than answer in text (what
clients ask for when thinking forbids a forced `tool_choice`). This module finds those
requests in the prompt's words, as a model would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import conversation as conv

_FINAL = re.compile(r"\bfinal answer\b[^.]*?\bby calling the `([A-Za-z0-9_-]{1,128})` tool\b",
                    re.IGNORECASE)
_NOW = re.compile(r"\banswer by calling the `([A-Za-z0-9_-]{1,128})` tool\b", re.IGNORECASE)
_ANY = re.compile(r"\banswer by calling one of the tools\b", re.IGNORECASE)


def _system_text(messages: Sequence[dict[str, Any]]) -> str:
    return " ".join(conv.text_of(m.get("content")) for m in messages
                    if m.get("role") == "system")


def answer_tool(messages: Sequence[dict[str, Any]],
                names: Sequence[str]) -> tuple[str | None, bool]:
    """The tool the system prompt asks the answer to go through, if it is one of `names`, and
    whether it asks for it now (True) or for the final answer, once other tools ran (False)."""
    text = _system_text(messages)
    now = _NOW.search(text)
    match = now or _FINAL.search(text)
    if match is None or match.group(1) not in names:
        return None, False
    return match.group(1), now is not None


def asks_for_a_tool(messages: Sequence[dict[str, Any]]) -> bool:
    """Whether the system prompt asks for an answer through some tool (any of them)."""
    return _ANY.search(_system_text(messages)) is not None
