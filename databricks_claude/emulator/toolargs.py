"""Choosing a tool and building its arguments from the prompt, deterministically."""

from __future__ import annotations

import re
from typing import Any

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_PLACE = re.compile(r"\b(?:in|at|for|of|near|to)\s+([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)")
# "in Paris and London", "in Oslo, Bergen or Tromsø": the places after the first one.
_MORE_PLACES = re.compile(r"(?:\s*,\s*and\s+|\s*,\s*|\s+and\s+|\s+or\s+)(?:in\s+)?"
                          r"([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)")
_CAPITALIZED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z][\w-]*)")
_MATH = re.compile(r"[-+]?\d[\d\s.]*(?:[-+*/^%]\s*[\d.(][\d\s.()]*)+")
# Quoted text, exactly as written: 'x', "x", “x”, ‘x’, «x», 「x」, 『x』 (not an apostrophe).
_QUOTED = re.compile(r"(?<!\w)'([^'\n]+)'(?!\w)|\"([^\"\n]+)\"|“([^”\n]+)”|‘([^’\n]+)’"
                     r"|«([^»\n]+)»|「([^」\n]+)」|『([^』\n]+)』")
PLACE_KEYS = ("location", "city", "place", "country", "region", "town", "destination")
_PROMPT_KEYS = ("query", "question", "prompt", "text", "input", "message", "search", "q")


def _after(anchor: int, found: list[tuple[int, str]]) -> list[str]:
    """The values found at or after `anchor` first, then the earlier ones (each in order)."""
    return [v for p, v in found if p >= anchor] + [v for p, v in found if p < anchor]


class ArgumentBuilder:
    """Builds a JSON value for a JSON schema, taking strings and numbers from the prompt.

    Quoted text is used verbatim (unicode included) for string properties, numbers in the order
    they appear, an enum value the prompt names; `anchor` (where the prompt mentions the tool)
    makes the values after it come first, so two tools called together take their own values.
    """

    def __init__(self, prompt: str, anchor: int = 0, place: str | None = None) -> None:
        self.prompt = prompt.strip()
        self._place = place
        anchor = max(0, anchor - (len(prompt) - len(prompt.lstrip())))
        self._anchor = anchor
        numbers = [(m.start(), m.group(0)) for m in _NUMBER.finditer(self.prompt)]
        self._numbers = [float(n) for n in _after(anchor, numbers)]
        quoted = [(m.start(), next(g for g in m.groups() if g is not None))
                  for m in _QUOTED.finditer(self.prompt)]
        self._quoted = _after(anchor, quoted)
        self._next_number = 0
        self._next_quoted = 0

    def build(self, schema: Any, name: str = "") -> Any:
        """A value for `schema`; `name` is the property name it is for (hints the kind)."""
        if not isinstance(schema, dict):
            return self.string_for(name)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.enum_for(schema["enum"], schema.get("default"))
        if "default" in schema:
            return schema["default"]
        for key in ("anyOf", "oneOf", "allOf"):
            options = [o for o in schema.get(key) or [] if _type_of(o) != "null"]
            if options:
                return self.build(options[0], name)
        return self._by_type(schema, name)

    def enum_for(self, values: list[Any], default: Any = None) -> Any:
        """The enum value the prompt names, else the default, else the first."""
        named = self.named(values)
        if named is not None:
            return named
        return default if default in values else values[0]

    def named(self, values: list[Any]) -> Any:
        """The first of `values` the prompt names as a word (case-insensitive), else None."""
        lowered = self.prompt.lower()
        for value in values:
            text = str(value).lower()
            if text and re.search(rf"(?<!\w){re.escape(text)}(?!\w)", lowered):
                return value
        return None

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
        built = {str(key): self.build(properties.get(key, {}), str(key)) for key in wanted
                 if isinstance(key, str)}
        for key, spec in properties.items():  # an optional enum whose value the prompt names
            values = spec.get("enum") if isinstance(spec, dict) else None
            if key not in built and isinstance(values, list) and self.named(values) is not None:
                built[str(key)] = self.named(values)
        return built

    def number_for(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        """The next number of the prompt, else the minimum, else 1."""
        if self._next_number < len(self._numbers):
            value = self._numbers[self._next_number]
            self._next_number += 1
        else:
            value = _number(schema.get("minimum"), 1)
        # `float(...)`: a schema minimum may be an int, which has no is_integer() before 3.12.
        return int(value) if integer or float(value).is_integer() else value

    def string_for(self, name: str, fmt: str | None = None) -> str:
        """A string suited to the property name: quoted text first, else taken from the prompt."""
        if fmt in ("date", "date-time"):
            return "2025-01-01" if fmt == "date" else "2025-01-01T00:00:00Z"
        if self._next_quoted < len(self._quoted):
            self._next_quoted += 1
            return self._quoted[self._next_quoted - 1]
        key = name.lower()
        if any(k in key for k in PLACE_KEYS) or "name" in key:
            return self.place()
        if "expr" in key or "formula" in key:
            matches = [(m.start(), m.group(0).strip().rstrip(".").rstrip())
                       for m in _MATH.finditer(self.prompt)]
            return _after(self._anchor, matches)[0] if matches else self.prompt
        return self.prompt or name

    def place(self) -> str:
        """A proper noun from the prompt (a city for "weather in Paris"), else its first word."""
        if self._place is not None:
            return self._place
        found = [(m.start(), m.group(1)) for m in _PLACE.finditer(self.prompt)]
        found = found or [(m.start(), m.group(1)) for m in _CAPITALIZED.finditer(self.prompt)]
        if found:
            return _after(self._anchor, found)[0]
        first = re.split(r"[\s\W]+|の", self.prompt)
        return next((w for w in first if w), self.prompt)


def place_list(prompt: str, anchor: int = 0) -> list[str]:
    """The places listed together at the first place after `anchor` ("in Paris and London")."""
    text = prompt.strip()
    anchor = max(0, anchor - (len(prompt) - len(prompt.lstrip())))
    matches = [m for m in _PLACE.finditer(text)]
    match = next((m for m in matches if m.start() >= anchor), matches[0] if matches else None)
    if match is None:
        return []
    places, position, joined = [match.group(1)], match.end(), False
    while (more := _MORE_PLACES.match(text, position)) is not None:
        places.append(more.group(1))
        joined = joined or "," not in more.group(0) or " and " in more.group(0)
        position = more.end()
    # Commas alone qualify a place ("San Francisco, CA", "Paris, France"): a list needs "and"/"or".
    places = [p for p in places if not (p.isupper() and len(p) <= 3)]
    return list(dict.fromkeys(places)) if joined else places[:1]


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
