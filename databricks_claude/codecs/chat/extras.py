"""The payload-root keys beside the options: what is refused before sending, and the
instruction that goes with a `response_format` sent as a tool.

The service refuses unknown top-level keys ("<key>: Extra inputs are not permitted",
docs/wire-chat.md#refused-keys), so the keys it is known to refuse are refused here, before any
request, with what to do instead (docs/design-rules.md#openai-style-keywords).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from databricks_claude.errors import ConfigurationError
from databricks_claude.rules.output_format import INSTRUCTION

__all__ = ["ANY_TOOL_INSTRUCTION", "NAMED_TOOL_INSTRUCTION", "REFUSED_KEYS", "add_instruction",
           "add_system_text", "check_extra_keys"]

#: What a forced tool choice asks for, when thinking forbids forcing it (`tool_choice` "auto").
NAMED_TOOL_INSTRUCTION = "Answer by calling the `{name}` tool, not in plain text."
ANY_TOOL_INSTRUCTION = "Answer by calling one of the tools, not in plain text."

_UNSUPPORTED = "Claude endpoints on Databricks do not support it"
#: Root keys the service refuses, each with what to do instead.
REFUSED_KEYS: dict[str, str] = {
    "user": "the service refuses it ('Extra inputs are not permitted'); leave it out",
    "reasoning_effort": "use thinking=True with effort=... (or thinking=False)",
    "max_completion_tokens": "use max_tokens (one limit per request)",
    "store": _UNSUPPORTED, "metadata": _UNSUPPORTED, "service_tier": _UNSUPPORTED,
    "prompt_cache_key": "use cache_control on a content part (prompt caching)",
    "safety_identifier": _UNSUPPORTED, "logprobs": _UNSUPPORTED, "top_logprobs": _UNSUPPORTED,
    "presence_penalty": _UNSUPPORTED, "frequency_penalty": _UNSUPPORTED, "seed": _UNSUPPORTED,
    "extra_body": "its keys belong at the root: pass them as extra_body=... of the model or call",
    "requestTimeout": "set timeout= on the model instead",
}


def check_extra_keys(extra_body: Mapping[str, Any]) -> None:
    """Raise `ConfigurationError` for a payload-root key the service is known to refuse."""
    for key in extra_body:
        hint = REFUSED_KEYS.get(key)
        if hint is not None:
            raise ConfigurationError(
                f"{key!r} is not accepted at the root of a Claude request on Databricks "
                f"(the service refuses it with '{key}: Extra inputs are not permitted'): {hint}")


def add_instruction(wire: list[dict[str, Any]], tool_name: str) -> None:
    """Ask, in the system prompt, for the answer through tool `tool_name` (in place).

    Needed where the tool cannot be forced (thinking on, or other tools to call first). The
    service takes one system message, first: the instruction joins it, or becomes it.
    """
    add_system_text(wire, INSTRUCTION.format(name=tool_name))


def add_system_text(wire: list[dict[str, Any]], text: str) -> None:
    """`text` joined to the system prompt, which becomes the first message if there is none."""
    if wire and wire[0].get("role") == "system":
        first = dict(wire[0])
        content = first.get("content")
        if isinstance(content, list):
            first["content"] = [*content, {"type": "text", "text": text}]
        else:
            first["content"] = f"{content}\n\n{text}" if content else text
        wire[0] = first
    else:
        wire.insert(0, {"role": "system", "content": text})
