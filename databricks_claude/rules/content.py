"""Content rules every wire applies to the neutral messages: what the service refuses whatever
the wire (broken image data, unsigned reasoning, tool calls whose arguments are not an object,
images on a text-only model, several choices) and the prefill it cannot take (trailing
whitespace). Each codec calls these, then writes the parts in its own shape.
Rules: docs/design-rules.md#content.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import (
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from databricks_claude.notes import warn
from databricks_claude.profiles import ModelProfile

_P = TypeVar("_P", bound=Part)

__all__ = ["check_n", "check_vision", "image_data", "is_blank", "tool_call_input",
           "trim_prefill", "without_unsigned"]


def is_blank(part: Part) -> bool:
    """Text the service refuses as a block: empty or whitespace only."""
    return isinstance(part, TextPart) and isinstance(part.text, str) and not part.text.strip()


def check_n(n: int | None) -> None:
    """Refuse more than one choice: Claude returns one per request."""
    if n is not None and n != 1:
        raise ConfigurationError(f"n={n} is not supported: Claude returns one choice per request")


def check_vision(messages: Iterable[Message], profile: ModelProfile) -> None:
    """Refuse an image anywhere (tool results included) for a known text-only model."""
    if profile.vision or not profile.known:
        return
    for message in messages:
        for part in message.parts:
            nested = part.content if isinstance(part, ToolResultPart) else ()
            if isinstance(part, ImagePart) or any(isinstance(p, ImagePart) for p in nested):
                raise ConfigurationError(
                    f"model {profile.name} does not accept images; remove the image parts")


def without_unsigned(parts: Sequence[_P], where: str) -> list[_P]:
    """`parts` without reasoning that has no signature (the service cannot verify it and
    refuses it), with one warning naming `where` when any was dropped."""
    if not any(isinstance(p, ReasoningPart) and not p.signature for p in parts):
        return list(parts)
    warn(f"reasoning without a signature dropped from {where}: the service cannot verify "
         "unsigned reasoning and refuses it (replay reasoning with the signature the service "
         "gave it)")
    return [p for p in parts if not (isinstance(p, ReasoningPart) and not p.signature)]


def tool_call_input(call: ToolCallPart, where: str) -> dict[str, Any]:
    """A replayed call's arguments as the JSON object they must be (empty text means `{}`);
    `ConfigurationError` for an empty id or name, or arguments that are not an object."""
    if not isinstance(call.id, str) or not call.id:
        raise ConfigurationError(f"a tool call in {where} has an empty id; every tool call needs "
                                 "the id the model gave it")
    if not isinstance(call.name, str) or not call.name:
        raise ConfigurationError(f"tool call {call.id!r} in {where} has an empty tool name")
    arguments = call.arguments
    if not isinstance(arguments, str):
        raise ConfigurationError(f"tool call {call.id!r} arguments must be a JSON string, got "
                                 f"{type(arguments).__name__}")
    if not arguments.strip():
        return {}  # what a call without arguments means
    try:
        value = json.loads(arguments) if arguments.lstrip().startswith("{") else None
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise ConfigurationError(
            f"tool call {call.id!r} arguments are not a JSON object: {arguments[:200]!r} (the "
            "service only accepts an object; fix or remove this tool call and its result)")
    return value


def image_data(url: str) -> tuple[str, str] | None:
    """The media type and base64 data of a base64 `data:` URL, the data checked (the service
    answers data that does not decode with a 400); None for any other URL (left to the fetch
    step and the codec)."""
    if not url.startswith("data:"):
        return None
    header, _, data = url.partition(",")
    if ";base64" not in header:
        return None
    try:
        binascii.a2b_base64(data.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ConfigurationError(
            f"image data URL {url[:60]!r}... does not hold valid base64 data, which the service "
            "refuses: encode the image bytes with base64.b64encode") from None
    return header[5:].split(";", 1)[0], data


def trim_prefill(text: str) -> str:
    """The text of a final assistant turn (a prefill) without trailing whitespace, which the
    service refuses ("final assistant content cannot end with trailing whitespace")."""
    return text.rstrip()
