"""Constants and types shared by the LangChain adapter tests."""

from __future__ import annotations

import base64
from collections.abc import Callable

from langchain_databricks_claude import ChatDatabricksClaude

ENDPOINT = "databricks-claude-sonnet-4-5"
PNG_B64 = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAA"
           "BJRU5ErkJggg==")
PNG = base64.b64decode(PNG_B64)
MakeLLM = Callable[..., ChatDatabricksClaude]
