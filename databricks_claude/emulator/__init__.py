"""A local stand-in for a Databricks Claude serving endpoint, strict like the real service.

Importing this package does not import starlette or uvicorn; starting an `Emulator` does.
It shares no code with the client: it is written from the wire captures, so the two check
each other.
"""

from .harness import Emulator
from .script import RecordedRequest, ScriptedReply, ScriptedToolCall

__all__ = ["Emulator", "RecordedRequest", "ScriptedReply", "ScriptedToolCall"]
