"""LangChain integration: `ChatDatabricksClaude`, Claude on Databricks Model Serving.

Importing this package registers the content-block translator for provider
`databricks_claude` (what `AIMessage.content_blocks` uses for this package's messages).
"""

from __future__ import annotations

from langchain_databricks_claude import blocks as _blocks  # noqa: F401  (registers the translator)
from langchain_databricks_claude.chat_models import ChatDatabricksClaude

__all__ = ["ChatDatabricksClaude"]
