"""LlamaIndex integration: `DatabricksClaude`, Claude on Databricks Model Serving as a
llama-index-core `FunctionCallingLLM`, with reasoning surfaced and replayed."""

from __future__ import annotations

from llama_index_databricks_claude.base import DatabricksClaude

__all__ = ["DatabricksClaude"]
