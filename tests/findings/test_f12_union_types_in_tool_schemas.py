"""Finding 12 (one sub-item): `Union[int, str]` in a tool schema silently became `integer`.

The service refuses `anyOf`, so a union of types is sent as a `type` list
(docs/design-rules.md#tool-schemas): both types survive, in both adapters, and the emulator
accepts the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Union

from pydantic import BaseModel

from databricks_claude.emulator import Emulator, ScriptedReply
from databricks_claude.schema import sanitize_schema


class Lookup(BaseModel):
    """Looks a record up."""

    key: Union[int, str]  # noqa: UP007 - the spelling users write
    tag: Union[int, str] | None = None  # noqa: UP007
    mode: Union[Literal["fast"], int] = "fast"  # noqa: UP007


def _sent_properties(emulator: Emulator) -> dict[str, Any]:
    tools = emulator.requests[-1].json["tools"]
    return tools[0]["function"]["parameters"]["properties"]


def test_sanitize_keeps_every_type_of_a_union() -> None:
    assert sanitize_schema({"anyOf": [{"type": "integer"}, {"type": "string"}]}) == {
        "type": ["integer", "string"]}
    assert sanitize_schema({"type": ["integer", "string", "null"]}) == {
        "type": ["integer", "string"]}
    schema = sanitize_schema(Lookup.model_json_schema())
    properties = schema["properties"]
    assert properties["key"]["type"] == ["integer", "string"]
    assert properties["tag"]["type"] == ["integer", "string"]
    assert properties["mode"]["type"] == ["string", "integer"]
    assert "enum" not in properties["mode"]  # "fast" only would refuse every integer


def test_langchain_sends_the_union_and_the_emulator_accepts_it(
        emulator: Emulator, make_lc: Callable[..., Any]) -> None:
    emulator.script(ScriptedReply(text="ok"))
    make_lc().bind_tools([Lookup]).invoke("look up 7")
    assert _sent_properties(emulator)["key"]["type"] == ["integer", "string"]


def test_llama_index_sends_the_union_and_the_emulator_accepts_it(
        emulator: Emulator, make_li: Callable[..., Any]) -> None:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.tools import FunctionTool

    def lookup(key: Union[int, str]) -> str:  # noqa: UP007
        """Looks a record up."""
        return str(key)

    emulator.script(ScriptedReply(text="ok"))
    make_li().chat_with_tools([FunctionTool.from_defaults(fn=lookup)],
                              chat_history=[ChatMessage(role="user", content="look up 7")])
    assert _sent_properties(emulator)["key"]["type"] == ["integer", "string"]
