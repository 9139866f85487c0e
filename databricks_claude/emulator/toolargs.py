"""Choosing a tool and building its arguments from the prompt, deterministically."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_PLACE = re.compile(r"\b(?:in|at|for|of|near|to)\s+([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)")
_CAPITALIZED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z][\w-]*)")
_MATH = re.compile(r"[-+]?\d[\d\s.]*(?:[-+*/^%]\s*[\d.(][\d\s.()]*)+")
_PLACE_KEYS = ("location", "city", "place", "country", "region", "town", "destination")
_PROMPT_KEYS = ("query", "question", "prompt", "text", "input", "message", "search", "q")


def words(text: str) -> set[str]:
    """Lower-cased words of a text (camelCase and snake_case split)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ").replace("-", " ")
    return {w.lower().rstrip("s") for w in _WORD.findall(spaced) if len(w) > 2}


def rank_tools(tools: Sequence[dict[str, Any]], prompt: str) -> list[dict[str, Any]]:
    """Tools ordered by how many prompt words their name and description share (stable)."""
    prompt_words = words(prompt)

    def score(tool: dict[str, Any]) -> int:
        """Shared words, those in the name counting triple."""
        function = tool.get("function")
        function = function if isinstance(function, dict) else {}
        name = str(function.get("name", ""))
        described = words(name) | words(str(function.get("description", "")))
        return len(prompt_words & described) + 2 * len(prompt_words & words(name))

    return sorted(tools, key=score, reverse=True)


class ArgumentBuilder:
    """Builds a JSON value for a JSON schema, taking strings and numbers from the prompt."""

    def __init__(self, prompt: str) -> None:
        self.prompt = prompt.strip()
        self._numbers = [float(n) for n in _NUMBER.findall(prompt)]
        self._next_number = 0

    def build(self, schema: Any, name: str = "") -> Any:
        """A value for `schema`; `name` is the property name it is for (hints the kind)."""
        if not isinstance(schema, dict):
            return self.string_for(name)
        for key in ("const", "default"):
            if key in schema:
                return schema[key]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            options = [o for o in schema.get(key) or [] if _type_of(o) != "null"]
            if options:
                return self.build(options[0], name)
        return self._by_type(schema, name)

    def _by_type(self, schema: dict[str, Any], name: str) -> Any:
        kind = _type_of(schema)
        if kind == "object" or (kind is None and "properties" in schema):
            return self.object_for(schema)
        if kind == "array":
            item = self.build(schema.get("items", {"type": "string"}), name)
            return [item] * max(1, min(int(_number(schema.get("minItems"), 1)), 100))
        if kind in ("integer", "number"):
            return self.number_for(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        return self.string_for(name, schema.get("format"))

    def object_for(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The required properties (all of them when `required` is absent)."""
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        wanted = schema.get("required", list(properties))
        wanted = wanted if isinstance(wanted, list) else list(properties)
        return {str(key): self.build(properties.get(key, {}), str(key)) for key in wanted
                if isinstance(key, str)}

    def number_for(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        """The next number of the prompt, else the minimum, else 1."""
        if self._next_number < len(self._numbers):
            value = self._numbers[self._next_number]
            self._next_number += 1
        else:
            value = _number(schema.get("minimum"), 1)
        return int(value) if integer or value.is_integer() else value

    def string_for(self, name: str, fmt: str | None = None) -> str:
        """A string suited to the property name, taken from the prompt."""
        key = name.lower()
        if fmt in ("date", "date-time"):
            return "2025-01-01" if fmt == "date" else "2025-01-01T00:00:00Z"
        if any(k in key for k in _PLACE_KEYS):
            return self.place()
        if "expr" in key or "formula" in key:
            match = _MATH.search(self.prompt)
            return match.group(0).strip() if match else self.prompt
        if "name" in key:
            return self.place()
        if any(key == k or key.endswith(k) for k in _PROMPT_KEYS) or not self.prompt:
            return self.prompt or name
        return self.prompt

    def place(self) -> str:
        """A proper noun from the prompt (a city for "weather in Paris"), else its first word."""
        match = _PLACE.search(self.prompt) or _CAPITALIZED.search(self.prompt)
        if match:
            return match.group(1)
        first = re.split(r"[\s\W]+|の", self.prompt)
        return next((w for w in first if w), self.prompt)


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value)


def _type_of(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None
