"""`with_structured_output` for `ChatDatabricksClaude`: one method, one form on the wire.

* `function_calling`: the schema becomes one tool and the answer is that tool call's arguments.
  Without thinking the tool is forced (`tool_choice` = its name); with thinking on, Claude
  cannot be forced to call a tool, so the tool choice stays `auto` and a system instruction
  asks for the call; an answer without it raises `OutputParserException`.
* `json_schema`: the schema goes out as `response_format` `json_schema`; the core sends it
  natively where the model takes it and as a tool elsewhere (the newest models refuse
  `response_format`), and the answer is the message's JSON text either way.
* `json_mode`: Claude endpoints refuse `json_object` (docs/wire-chat.md#response-format), so
  JSON mode takes the one JSON path Claude has, the `json_schema` one.

What each sends is in docs/structured-output.md. Settings bound with `.bind()` are kept:
`llm.bind(thinking=True).with_structured_output(P)` reasons (`ClaudeBinding`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel

from databricks_claude.messages import ToolSpec
from langchain_databricks_claude.tools import to_tool_spec

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import _ChatModelBinding as _BindingBase

    from langchain_databricks_claude.chat_models import ChatDatabricksClaude
else:
    try:  # langchain-core >= 1.3: the binding `BaseChatModel.bind` returns
        from langchain_core.language_models.chat_models import _ChatModelBinding as _BindingBase
    except ImportError:  # older versions: a plain binding
        from langchain_core.runnables import RunnableBinding as _BindingBase

__all__ = ["INSTRUCTION", "ClaudeBinding", "parse_json_answer", "parse_tool_answer",
           "structured_output"]

_METHODS = ("function_calling", "json_schema", "json_mode")
_TOOL_KEYS = ("tools", "tool_choice")
INSTRUCTION = ("Give your final answer by calling the `{name}` tool exactly once, with arguments "
               "that follow its schema. Do not answer in plain text.")


def structured_output(
    llm: ChatDatabricksClaude,
    schema: Mapping[str, Any] | type | None,
    *,
    method: str = "function_calling",
    include_raw: bool = False,
    bound: Mapping[str, Any] | None = None,
) -> Runnable[LanguageModelInput, Any]:
    """The runnable behind `ChatDatabricksClaude.with_structured_output` (see module docstring).

    `bound` holds the keyword arguments of a `.bind()` the call came through: they are sent.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    if schema is None:
        raise ValueError("with_structured_output needs a schema (pydantic model, TypedDict or "
                         "JSON schema); json_mode without a schema is not supported")
    spec = to_tool_spec(schema)
    kwargs = {**(bound or {}), "ls_structured_output_format": {
        "kwargs": {"method": method}, "schema": schema}}
    if method == "function_calling":
        # The schema's tool replaces tools bound before (its choice is decided here).
        kwargs = {k: v for k, v in kwargs.items() if k not in _TOOL_KEYS}
        model = _tool_model(llm, spec, kwargs)
        parser = partial(parse_tool_answer, name=spec.name, schema=schema)
    else:
        model = llm.bind(response_format=response_format(spec), **kwargs)
        parser = partial(parse_json_answer, schema=schema)
    return _with_parser(model, RunnableLambda(parser, name="StructuredOutputParser"),
                        include_raw)


def response_format(spec: ToolSpec) -> dict[str, Any]:
    """The `response_format` of a schema: `json_schema`, named and cleaned as its tool is."""
    return {"type": "json_schema",
            "json_schema": {"name": spec.name, "schema": spec.parameters}}


def _tool_model(llm: ChatDatabricksClaude, spec: ToolSpec,
                kwargs: dict[str, Any]) -> Runnable[Any, Any]:
    """The model bound to the schema's tool: forced, or asked for by instruction (thinking)."""
    if llm.thinking_enabled(kwargs.get("thinking")):
        bound = llm.bind_tools([spec], **{**kwargs, "tool_choice": "auto"})
        instruct = partial(_with_instruction, llm=llm, name=spec.name)
        return RunnableLambda(instruct, name="StructuredOutputInstruction") | bound
    return llm.bind_tools([spec], **{**kwargs, "tool_choice": spec.name})


def _with_parser(model: Runnable[Any, Any], parser: Runnable[Any, Any],
                 include_raw: bool) -> Runnable[Any, Any]:
    if not include_raw:
        return model | parser
    parse_raw = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser,
                                           parsing_error=lambda _: None)
    no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
    with_fallback = parse_raw.with_fallbacks([no_parse], exception_key="parsing_error")
    return RunnableMap(raw=model) | with_fallback


def _with_instruction(value: LanguageModelInput, *, llm: ChatDatabricksClaude,
                      name: str) -> list[BaseMessage]:
    """The input messages plus a system instruction to answer through tool `name`."""
    messages = llm._convert_input(value).to_messages()
    return [*messages, SystemMessage(INSTRUCTION.format(name=name))]


def parse_tool_answer(message: AIMessage, *, name: str, schema: Any) -> Any:
    """The arguments of the call to tool `name`, validated into `schema` when it is a model.

    Raises `OutputParserException` when the model answered without calling the tool or with
    arguments that do not validate.
    """
    for call in message.tool_calls:
        if call["name"] == name:
            return _validate(call["args"], schema, message, "tool call arguments")
    text = message.text
    raise OutputParserException(
        f"the model answered without calling the {name!r} tool, so there is no structured "
        f"output (answer text: {text[:200]!r})",
        llm_output=text,
    )


def parse_json_answer(message: AIMessage, *, schema: Any) -> Any:
    """The answer text as JSON, validated into `schema` when it is a model.

    Raises `OutputParserException` when the text is not a JSON object or does not validate.
    """
    text = message.text
    try:
        value = json.loads(text)
    except ValueError as error:
        raise OutputParserException(
            f"the answer is not JSON, so there is no structured output ({error}; answer text: "
            f"{text[:200]!r})", llm_output=text) from error
    if not isinstance(value, dict):
        raise OutputParserException(f"the answer is JSON but not an object: {text[:200]!r}",
                                    llm_output=text)
    return _validate(value, schema, message, "JSON answer's fields")


def _validate(args: dict[str, Any], schema: Any, message: AIMessage, what: str) -> Any:
    """`args` as an instance of a pydantic `schema` (v2 or v1); dict schemas return `args`."""
    if not (isinstance(schema, type) and is_basemodel_subclass(schema)):
        return args
    try:
        if issubclass(schema, BaseModel):
            return schema.model_validate(args)
        return schema.parse_obj(args)  # type: ignore[attr-defined]
    except Exception as error:  # pydantic v1 and v2 raise different ValidationError types
        raise OutputParserException(
            f"the {schema.__name__} {what} do not validate: {error}",
            llm_output=message.text,
        ) from error


class ClaudeBinding(_BindingBase):  # type: ignore[no-redef]  # (a pydantic field of the base)
    """`ChatDatabricksClaude.bind(...)`: a binding that keeps its arguments for
    `with_structured_output` and `bind_tools` (a plain `RunnableBinding` forwards both to the
    unbound model, dropping them: `thinking=True` would not be sent)."""

    @classmethod
    def lc_id(cls) -> list[str]:
        """Serialized as a plain `RunnableBinding`."""
        return [*cls.get_lc_namespace(), "RunnableBinding"]

    def with_structured_output(self, schema: Any = None, **options: Any) -> Runnable[Any, Any]:
        """The model's `with_structured_output`, sending this binding's arguments too."""
        model: Any = self.bound
        return model.with_structured_output(schema, _bound=self.kwargs, **options)

    def bind_tools(self, tools: Any, **options: Any) -> Runnable[Any, Any]:
        """The model's `bind_tools`, with this binding's arguments (the call's win; the new
        tools replace tools bound before)."""
        model: Any = self.bound
        kept = {k: v for k, v in self.kwargs.items() if k not in _TOOL_KEYS}
        return model.bind_tools(tools, **{**kept, **options})
