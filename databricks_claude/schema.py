"""Tool schemas: JSON schemas cleaned into what Claude accepts, once, when a tool is defined.

Shared by every codec: a `ToolSpec`'s parameters are already clean, and request building reuses
them as they are. Wire facts: docs/wire-chat.md#tool-definitions.
"""

from __future__ import annotations

import json
import re
from typing import Any

from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import CacheControl, ToolSpec

__all__ = ["make_tool_spec", "sanitize_schema"]

# Anthropic's rule, which the model service behind Databricks applies: up to 128 characters
# (docs/wire-chat.md#tool-definitions). Whole name: fullmatch (`$` allows "\n").
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,128}")


# ----------------------------------------------------------------------------------------------
# Tool schemas

# Keywords the service refuses (docs/wire-chat.md#tool-definitions) or that carry no meaning
# once unions are collapsed. `title` is dropped too: pydantic adds one per node and the model does
# not need it.
_DROPPED_KEYWORDS = frozenset({
    "$schema", "$id", "$comment", "$defs", "definitions", "title", "pattern", "patternProperties",
    "prefixItems", "discriminator", "not", "if", "then", "else",
})
_UNION_KEYWORDS = ("anyOf", "oneOf")
_NUMERIC_TYPES = frozenset({"number", "integer"})
# Keywords whose value is a map of name -> schema: the names are data, never keywords.
_SCHEMA_MAPS = ("properties",)
# Keywords whose value is a single schema.
_SCHEMA_VALUES = ("items", "additionalProperties", "contains", "propertyNames")


def sanitize_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a JSON schema that the service accepts.

    * `$ref` is inlined (any `#/...` pointer, so pydantic's `$defs` and older `definitions` both
      work, nested models included); sibling keys of a `$ref` win over the target's. A recursive
      reference is cut at its second occurrence and replaced by `{"type": "object"}`.
    * `anyOf`/`oneOf` with a `{"type": "null"}` alternative (Optional) collapse to the other
      alternative; `["X", "null"]` type lists collapse to `"X"`.
    * Unions of several real alternatives, which the service refuses, become one schema: objects
      merge (properties united, only the properties required by all stay required); numbers
      widen to `"number"`; alternatives of different types become a `type` list
      (`Union[int, str]` -> `{"type": ["integer", "string"]}`), their other keywords merged.
    * `allOf` items are merged into one schema (properties and `required` united).
    * Refused or meaningless keywords are dropped: `pattern`, `patternProperties`, `prefixItems`,
      `discriminator`, `not`/`if`/`then`/`else`, `$schema`/`$id`/`$comment`, and `title`.
      `default`, `enum`, `description`, bounds and formats are kept.

    Raises `ConfigurationError` for a schema that is not an object or a `$ref` that points nowhere.
    """
    if not isinstance(schema, dict):
        kind = type(schema).__name__
        raise ConfigurationError(f"a tool schema must be a JSON object, got {kind}")
    return _SchemaSanitizer(schema).node(schema, ())


class _SchemaSanitizer:
    """Walks one schema, resolving `$ref`s against its root."""

    def __init__(self, root: dict[str, Any]):
        self.root = root

    def node(self, node: Any, refs: tuple[str, ...]) -> Any:
        """The sanitized form of one schema node; `refs` are the references being expanded."""
        if not isinstance(node, dict):
            return node  # `true`/`false` schemas and malformed values are left to the service
        if "$ref" in node:
            return self._inline_ref(node, refs)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED_KEYWORDS or key in _UNION_KEYWORDS or key == "allOf":
                continue
            out[key] = self._keyword(key, value, refs)
        if "allOf" in node:
            out = _merge_all_of([out, *(self.node(item, refs) for item in _as_list(node["allOf"]))])
        for union_key in _UNION_KEYWORDS:
            if union_key in node:
                alternatives = [self.node(item, refs) for item in _as_list(node[union_key])]
                out = _merge_into(out, _collapse_union(alternatives))
        if isinstance(out.get("type"), list):
            out["type"] = _collapse_type_list(out["type"])
        return out

    def _keyword(self, key: str, value: Any, refs: tuple[str, ...]) -> Any:
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            return {name: self.node(sub, refs) for name, sub in value.items()}
        if key in _SCHEMA_VALUES:
            return self.node(value, refs)
        return value

    def _inline_ref(self, node: dict[str, Any], refs: tuple[str, ...]) -> dict[str, Any]:
        ref = node["$ref"]
        siblings = self.node({k: v for k, v in node.items() if k != "$ref"}, refs)
        if ref in refs:
            # A recursive model: expanding again would never end; keep an open object instead.
            return {"type": "object", **siblings}
        target = self.node(self._resolve(ref), (*refs, ref))
        return {**target, **siblings} if isinstance(target, dict) else target

    def _resolve(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise ConfigurationError(f"tool schema $ref {ref!r} is not a local '#/...' reference")
        target: Any = self.root
        for token in filter(None, ref[1:].split("/")):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                raise ConfigurationError(f"tool schema $ref {ref!r} points to nothing")
        return target


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _collapse_union(alternatives: list[Any]) -> dict[str, Any]:
    """One schema for a union: Optional collapsed, objects merged, numbers widened, or the first."""
    real = [alt for alt in alternatives if isinstance(alt, dict) and not _is_null_schema(alt)]
    if not real:
        return {"type": "null"} if alternatives else {}
    if len(real) == 1:
        return real[0]
    types = {alt.get("type") if isinstance(alt.get("type"), str) else None for alt in real}
    if types == {"object"}:
        return _merge_object_alternatives(real)
    if types <= _NUMERIC_TYPES:
        merged = dict(real[0])
        merged["type"] = "number"
        return merged
    return _type_union(real)


# Python types of enum / const values -> JSON types (bool before int: True is an int).
_VALUE_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"),
    (dict, "object"), (type(None), "null"))


def _values_of(schema: dict[str, Any]) -> list[Any] | None:
    """The values an `enum` or `const` allows, or None when the schema has neither."""
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    return [schema["const"]] if "const" in schema else None


def _types_of(schema: dict[str, Any]) -> list[str] | None:
    """The JSON types one alternative allows (from `type`, else its values); None: any type."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list) and kind and all(isinstance(k, str) for k in kind):
        return list(kind)
    values = _values_of(schema)
    if not values:
        return None
    return [next(name for py, name in _VALUE_TYPES if isinstance(v, py)) for v in values
            if isinstance(v, tuple(py for py, _ in _VALUE_TYPES))] or None


def _value_key(value: Any) -> str:
    """A key telling enum values apart (1 from "1" and True), for any value a caller may give."""
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _type_union(alternatives: list[dict[str, Any]]) -> dict[str, Any]:
    """Alternatives of different types as one schema with a type list (`Union[int, str]`).

    The service refuses `anyOf`, but a `type` list says the same thing: every other keyword of
    an alternative applies to its own type only (`properties` to objects, `maxLength` to
    strings), so they merge. Values (`enum` / `const`) are united when every alternative has
    them, else dropped (they would restrict the other types). Objects merge as in
    `_merge_object_alternatives`; an alternative that allows any type makes an untyped schema.
    """
    objects = [alt for alt in alternatives if alt.get("type") == "object"]
    if len(objects) > 1:
        first = alternatives.index(objects[0])
        rest = [alt for alt in alternatives if alt.get("type") != "object"]
        alternatives = [*rest[:first], _merge_object_alternatives(objects), *rest[first:]]
    kinds: list[str] | None = []
    merged: dict[str, Any] = {}
    for alt in alternatives:
        allowed = _types_of(alt)
        kinds = None if allowed is None or kinds is None else kinds + [
            k for k in allowed if k not in kinds and k != "null"]
        merged = _merge_into(merged, {k: v for k, v in alt.items()
                                      if k not in ("type", "enum", "const")})
    values = [_values_of(alt) for alt in alternatives]
    if all(v is not None for v in values):
        merged["enum"] = list({_value_key(v): v for vs in values for v in vs or ()}.values())
    if kinds is None:
        return merged
    if "integer" in kinds and "number" in kinds:
        kinds.remove("integer")
    return {"type": kinds[0] if len(kinds) == 1 else kinds, **merged}


def _merge_object_alternatives(objects: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object"}
    properties: dict[str, Any] = {}
    required_by_all: set[str] | None = None
    for obj in objects:
        props = obj.get("properties")
        for name, sub in (props if isinstance(props, dict) else {}).items():
            properties.setdefault(name, sub)
        listed = obj.get("required")
        required = {n for n in listed if isinstance(n, str)} if isinstance(listed, list) else set()
        required_by_all = required if required_by_all is None else required_by_all & required
        for key, value in obj.items():
            if key not in ("properties", "required"):
                merged.setdefault(key, value)
    merged["properties"] = properties
    ordered_required = [n for n in properties if required_by_all and n in required_by_all]
    if ordered_required:
        merged["required"] = ordered_required
    return merged


def _merge_all_of(schemas: list[Any]) -> dict[str, Any]:
    """`allOf` -> one schema: properties and `required` united, other keys first-come."""
    merged: dict[str, Any] = {}
    for schema in schemas:
        if isinstance(schema, dict):
            merged = _merge_into(merged, schema)
    return merged


def _merge_into(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` completed by `extra`: base keys win, properties and required lists are united."""
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = {**value, **merged[key]}
        elif key == "required" and isinstance(merged.get(key), list) and isinstance(value, list):
            merged[key] = merged[key] + [n for n in value if n not in merged[key]]
        else:
            merged.setdefault(key, value)
    return merged


def _collapse_type_list(types: list[Any]) -> Any:
    """A type list without `null` (Optional is implied): one type, or the list of several."""
    real: list[Any] = []
    for kind in types:  # malformed entries (lists, dicts) are left to the service: no hashing
        if kind != "null" and kind not in real:
            real.append(kind)
    if not real:
        return "null"
    return real[0] if len(real) == 1 else real


def make_tool_spec(
    name: str,
    description: str,
    parameters: dict[str, Any] | None,
    *,
    cache_control: CacheControl | None = None,
) -> ToolSpec:
    """A `ToolSpec` with a validated name and a sanitized parameters schema (done once, here).

    `parameters=None` means a tool without arguments. The schema must describe an object.
    """
    if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
        raise ConfigurationError(
            f"tool name {name!r} is not allowed: use 1-128 letters, digits, '_' or '-'")
    schema = sanitize_schema(parameters) if parameters is not None else {}
    schema_type = schema.setdefault("type", "object")
    if schema_type != "object":
        raise ConfigurationError(
            f"tool {name!r} parameters must be an object schema, got type {schema_type!r}")
    schema.setdefault("properties", {})
    return ToolSpec(name, description or "", schema, cache_control)
