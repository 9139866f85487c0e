"""`with_structured_output` for `ChatDatabricksClaude`, through a tool call.

Every method (`function_calling`, `json_schema`, `json_mode`) uses the tool route: the schema
becomes one tool and the answer is that tool call's arguments. `response_format` is not used:
it is unreliable for Claude on Databricks, refused outright by the newest models
(docs/wire-chat.md#response-format). Without thinking the tool is forced (`tool_choice` = its
name). With thinking on, Claude cannot be forced to call a tool, so the tool choice stays
`auto` and a system instruction asks for the call; an answer without it raises
`OutputParserException`.

Whether thinking is on is read from the model's `thinking` field: kwargs bound with `.bind()`
never reach `with_structured_output` (LangChain forwards the call on a binding to the unbound
model), so set thinking on the model itself (see `ChatDatabricksClaude.with_structured_output`).
"""

from __future__ import annotations

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

from langchain_databricks_claude.tools import to_tool_spec

if TYPE_CHECKING:
    from langchain_databricks_claude.chat_models import ChatDatabricksClaude

__all__ = ["INSTRUCTION", "structured_output"]

_METHODS = ("function_calling", "json_schema", "json_mode")
INSTRUCTION = ("Give your final answer by calling the `{name}` tool exactly once, with arguments "
               "that follow its schema. Do not answer in plain text.")


def structured_output(
    llm: ChatDatabricksClaude,
    schema: Mapping[str, Any] | type | None,
    *,
    method: str = "function_calling",
    include_raw: bool = False,
) -> Runnable[LanguageModelInput, Any]:
    """The runnable behind `ChatDatabricksClaude.with_structured_output` (see module docstring)."""
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    if schema is None:
        raise ValueError("with_structured_output needs a schema (pydantic model, TypedDict or "
                         "JSON schema); json_mode without a schema is not supported")
    spec = to_tool_spec(schema)
    ls_format = {"kwargs": {"method": method}, "schema": schema}
    model: Runnable[Any, Any]
    if llm.thinking_enabled():
        bound = llm.bind_tools([spec], tool_choice="auto", ls_structured_output_format=ls_format)
        instruct = partial(_with_instruction, llm=llm, name=spec.name)
        model = RunnableLambda(instruct, name="StructuredOutputInstruction") | bound
    else:
        model = llm.bind_tools([spec], tool_choice=spec.name, ls_structured_output_format=ls_format)
    parser = RunnableLambda(partial(parse_tool_answer, name=spec.name, schema=schema),
                            name="StructuredOutputParser")
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
            return _validate(call["args"], schema, message)
    text = message.text
    raise OutputParserException(
        f"the model answered without calling the {name!r} tool, so there is no structured "
        f"output (answer text: {text[:200]!r})",
        llm_output=text,
    )


def _validate(args: dict[str, Any], schema: Any, message: AIMessage) -> Any:
    """`args` as an instance of a pydantic `schema` (v2 or v1); dict schemas return `args`."""
    if not (isinstance(schema, type) and is_basemodel_subclass(schema)):
        return args
    try:
        if issubclass(schema, BaseModel):
            return schema.model_validate(args)
        return schema.parse_obj(args)  # type: ignore[attr-defined]
    except Exception as error:  # pydantic v1 and v2 raise different ValidationError types
        raise OutputParserException(
            f"the {schema.__name__} tool call arguments do not validate: {error}",
            llm_output=message.text,
        ) from error
