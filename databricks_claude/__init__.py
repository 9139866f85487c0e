"""databricks-claude: Claude on Databricks Model Serving, with reasoning kept and replayed.

The core is framework-free. `DatabricksClaudeClient` talks to a serving endpoint; the neutral
message model lives in `databricks_claude.messages`; errors in `databricks_claude.errors`; the
local emulator in `databricks_claude.emulator`. Heavy pieces are imported on first use, so that
`import databricks_claude` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from databricks_claude.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DatabricksClaudeError,
    EndpointNotFoundError,
    MalformedResponseError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from databricks_claude.messages import (
    Completion,
    ImagePart,
    Message,
    ReasoningPart,
    RedactedReasoningPart,
    RequestOptions,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
    Usage,
)
from databricks_claude.profiles import ModelProfile, get_profile

if TYPE_CHECKING:
    from databricks_claude.client import DatabricksClaudeClient
    from databricks_claude.notes import DatabricksClaudeWarning

__version__ = "0.1.0"

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "Completion",
    "ConfigurationError",
    "DatabricksClaudeClient",
    "DatabricksClaudeError",
    "DatabricksClaudeWarning",
    "EndpointNotFoundError",
    "ImagePart",
    "MalformedResponseError",
    "Message",
    "ModelProfile",
    "PermissionDeniedError",
    "RateLimitError",
    "ReasoningPart",
    "RedactedReasoningPart",
    "RequestOptions",
    "ServerError",
    "StreamInterruptedError",
    "TextPart",
    "ToolCallPart",
    "ToolResultPart",
    "ToolSpec",
    "Usage",
    "get_profile",
]


def __getattr__(name: str) -> Any:
    # The client pulls in httpx; load it only when asked for.
    if name == "DatabricksClaudeClient":
        from databricks_claude.client import DatabricksClaudeClient

        return DatabricksClaudeClient
    if name == "DatabricksClaudeWarning":
        from databricks_claude.notes import DatabricksClaudeWarning

        return DatabricksClaudeWarning
    raise AttributeError(f"module 'databricks_claude' has no attribute {name!r}")
