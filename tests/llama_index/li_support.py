"""Helpers shared by the LlamaIndex adapter tests (a module, not a package: the test directory
must not be a package called `llama_index`, which would shadow the real one)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from llama_index_databricks_claude import DatabricksClaude

ENDPOINT = "databricks-claude-sonnet-4-5"
MakeLLM = Callable[..., DatabricksClaude]
#: A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def chat_bodies(emulator: Any) -> list[dict[str, Any]]:
    """The JSON bodies of the chat requests the emulator received, in order."""
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]
