"""The service's strictness on the request's top level: keys, sampling, thinking, tools.

Each check raises a `Refusal` shaped like the real 400. Message-level rules are in history.py.
"""

from __future__ import annotations

import re
from typing import Any

from . import wire_errors as err
from .catalog import Endpoint
from .conversation import dig
from .history import check_messages
from .limits import anthropic_model_id, output_limit, takes_both_samplers
from .signing import Signer

ALLOWED_KEYS = frozenset({
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k",
    "stop", "n", "stream", "stream_options", "tools", "tool_choice", "thinking", "output_config",
    "response_format",
    # Sent by databricks-sdk's serving_endpoints.query().
    "client_request_id", "usage_context",
})
MAX_TOOLS = 32
MIN_BUDGET = 1024
DEFAULT_MAX_TOKENS = 1000  # what the service assumes when max_tokens is absent
EFFORTS = ("low", "medium", "high", "xhigh", "max")
REFUSED_SCHEMA_KEYWORDS = frozenset({"$ref", "anyOf", "oneOf", "allOf", "pattern", "prefixItems"})
_SCHEMA_MAPS = ("properties", "$defs", "definitions")
_SCHEMA_VALUES = ("items", "additionalProperties", "not")
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_DOCS = f"Please consult our documentation at {err.DOCS_THINKING}"


def check_request(body: dict[str, Any], endpoint: Endpoint, signer: Signer, *, strict: bool,
                  model_required: bool = True) -> int:
    """Refuse what the service refuses; returns how many replayed reasoning blocks verified.

    With `strict=False` only what the emulator needs to answer is checked (a message list).
    """
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise err.bad_request("messages: Field required" if messages is None
                              else "messages: Input should be a non-empty list")
    if not strict:
        return 0
    _check_keys(body)
    _check_output_limit(body, endpoint)
    thinking = _check_thinking(body, endpoint)
    _check_sampling(body, endpoint, thinking)
    _check_tools(body, thinking)
    _check_response_format(body.get("response_format"), endpoint)
    return check_messages(messages, thinking, signer)


def _check_keys(body: dict[str, Any]) -> None:
    for key in body:
        if key not in ALLOWED_KEYS:
            raise err.extra_input(key)
    n = body.get("n")
    if n is not None and n != 1:
        raise err.bad_request("BAD_REQUEST: n > 1 is not supported for Claude models.")
    for key in ("max_tokens", "max_completion_tokens"):
        value = body.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise err.bad_request(f"{key}: Input should be an integer greater than 0")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise err.bad_request("stream: Input should be a valid boolean")


def _check_output_limit(body: dict[str, Any], endpoint: Endpoint) -> None:
    """`max_tokens` above the model's output limit: the model service's 400 (captured text)."""
    requested, limit = _max_tokens(body), output_limit(endpoint)
    if requested > limit:
        raise err.upstream(f"max_tokens: {requested} > {limit}, which is the maximum allowed "
                           f"number of output tokens for {anthropic_model_id(endpoint)}")


def _max_tokens(body: dict[str, Any]) -> int:
    value = body.get("max_tokens") or body.get("max_completion_tokens")
    return value if isinstance(value, int) else DEFAULT_MAX_TOKENS


def _check_thinking(body: dict[str, Any], endpoint: Endpoint) -> bool:
    """Validate `thinking` and `output_config`; True when thinking is on."""
    _check_output_config(body.get("output_config"), endpoint)
    thinking = body.get("thinking")
    if thinking is None:
        return False
    if not isinstance(thinking, dict):
        raise err.upstream("thinking: Input should be a valid dictionary")
    kind = str(thinking.get("type"))
    allowed = {"enabled": {"type", "budget_tokens", "display"},
               "adaptive": {"type", "display"}, "disabled": {"type"}}.get(kind)
    if allowed is None:
        raise err.upstream("thinking.type: Input should be 'enabled', 'adaptive' or 'disabled'")
    for key in thinking:
        if key not in allowed:
            raise err.upstream_extra_input(f"thinking.{kind}.{key}")
    if thinking.get("display", "summarized") not in ("summarized", "omitted"):
        raise err.upstream(f"thinking.{kind}.display: Input should be 'summarized' or 'omitted'")
    if kind == "enabled":
        _check_budget(thinking.get("budget_tokens"), _max_tokens(body), endpoint)
    if kind == "adaptive" and endpoint.budget_only:
        raise err.upstream("adaptive thinking is not supported on this model. Use "
                           "`thinking.type.enabled` with `thinking.budget_tokens`.")
    return kind != "disabled"


def _check_budget(budget: Any, max_tokens: int, endpoint: Endpoint) -> None:
    if endpoint.adaptive_only:
        raise err.upstream("\"thinking.type.enabled\" is not supported for this model. Use "
                           "\"thinking.type.adaptive\" and \"output_config.effort\" to control "
                           "thinking behavior.")
    if not isinstance(budget, int) or isinstance(budget, bool):
        raise err.upstream("thinking.enabled.budget_tokens: Field required")
    if budget < MIN_BUDGET:
        raise err.upstream("thinking.enabled.budget_tokens: Input should be greater than or "
                           f"equal to {MIN_BUDGET}")
    if max_tokens <= budget:
        raise err.upstream("`max_tokens` must be greater than `thinking.budget_tokens`. "
                           f"{_DOCS}")


def _check_output_config(config: Any, endpoint: Endpoint) -> None:
    if config is None:
        return
    if not isinstance(config, dict):
        raise err.upstream("output_config: Input should be a valid dictionary")
    for key in config:
        if key not in ("effort", "format"):
            raise err.upstream_extra_input(f"output_config.{key}")
    if "effort" in config and config["effort"] not in EFFORTS:
        raise err.upstream("output_config.effort: Input should be 'low', 'medium', 'high', "
                           "'xhigh' or 'max'")
    if "effort" in config and not endpoint.efforts:
        raise err.upstream_extra_input("output_config.effort")
    if "effort" in config and config["effort"] not in endpoint.efforts:
        raise err.upstream(f"This model does not support effort level '{config['effort']}'. "
                           f"Supported levels: {', '.join(sorted(endpoint.efforts))}.")


def _check_sampling(body: dict[str, Any], endpoint: Endpoint, thinking: bool) -> None:
    for key in ("temperature", "top_p", "top_k"):
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise err.bad_request(f"{key}: Input should be a valid number")
    temperature, top_p, top_k = body.get("temperature"), body.get("top_p"), body.get("top_k")
    if temperature is not None and not endpoint.temperature_allowed:
        raise err.bad_request(f"BAD_REQUEST: Model {endpoint.backing_id} does not support the "
                              "temperature parameter")
    if temperature is not None and not 0 <= temperature <= 2:
        raise err.bad_request("temperature: Input should be between 0 and 2")
    if top_p is not None and not 0 < top_p <= 1:
        raise err.bad_request("top_p: Input should be greater than 0 and at most 1")
    if temperature is not None and top_p is not None and not takes_both_samplers(endpoint):
        raise err.upstream("`temperature` and `top_p` cannot both be specified for this model. "
                           "Please use only one.")
    if not thinking:
        return
    if temperature is not None and temperature != 1:
        raise err.upstream(f"`temperature` may only be set to 1 when thinking is enabled. {_DOCS}"
                           "#important-considerations-when-using-extended-thinking")
    if top_k is not None:
        raise err.upstream(f"`top_k` may not be set when thinking is enabled. {_DOCS}"
                           "#important-considerations-when-using-extended-thinking")
    if top_p is not None and top_p < 0.95:
        raise err.upstream("`top_p` must be greater than or equal to 0.95 or unset when thinking "
                           f"is enabled. {_DOCS}"
                           "#important-considerations-when-using-extended-thinking")


def _check_response_format(response_format: Any, endpoint: Endpoint) -> None:
    if response_format is None:
        return
    if not endpoint.response_format_allowed:
        raise err.bad_request("BAD_REQUEST: response_format is not supported for this model; "
                              "use output_config.format on the Anthropic Messages API.")
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_object":
        raise err.bad_request("BAD_REQUEST: response_format type json_object is not supported "
                              "for Claude models; use json_schema.")
    if kind not in ("text", "json_schema"):
        raise err.bad_request("response_format.type: Input should be 'text' or 'json_schema'")


def _check_tools(body: dict[str, Any], thinking: bool) -> None:
    tools = body.get("tools")
    names: list[str] = []
    if tools is not None:
        if not isinstance(tools, list):
            raise err.bad_request("tools: Input should be a valid list")
        if len(tools) > MAX_TOOLS:
            raise err.bad_request(f"BAD_REQUEST: A maximum of {MAX_TOOLS} tools are supported "
                                  f"(got {len(tools)}).")
        names = [_check_tool(index, tool) for index, tool in enumerate(tools)]
        if len(set(names)) != len(names):
            raise err.upstream("tools: Tool names must be unique.")
    _check_tool_choice(body.get("tool_choice"), names, thinking)


def _check_tool(index: int, tool: Any) -> str:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        raise err.bad_request(f"tools.{index}.type: Input should be 'function'")
    for key in tool:
        if key not in ("type", "function"):
            raise err.extra_input(f"tools.{index}.{key}")
    function = tool.get("function")
    if not isinstance(function, dict):
        raise err.bad_request(f"tools.{index}.function: Field required")
    for key in function:
        if key not in ("name", "description", "parameters", "cache_control"):
            raise err.extra_input(f"tools.{index}.function.{key}")
    name = function.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        raise err.upstream(f"tools.{index}.custom.name: String should match pattern "
                           "'^[a-zA-Z0-9_-]{1,128}$'")
    _check_schema(function.get("parameters"), f"tools.{index}.function.parameters", name)
    return name


def _check_schema(schema: Any, path: str, tool: str) -> None:
    if schema is None:
        return
    if not isinstance(schema, dict):
        raise err.bad_request(f"{path}: Input should be a valid dictionary")
    if path.endswith(".parameters") and schema.get("type", "object") != "object":
        raise err.upstream(f"tools: input_schema of {tool} must have type 'object'")
    for key, value in schema.items():
        if key in REFUSED_SCHEMA_KEYWORDS:
            raise err.bad_request(f"BAD_REQUEST: Invalid function parameters for tool {tool}: "
                                  f"JSON schema keyword '{key}' is not supported ({path}).")
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            children = list(value.values())
        else:
            children = [value] if key in _SCHEMA_VALUES else []
        for child in children:
            if isinstance(child, dict):
                _check_schema(child, f"{path}.{key}", tool)


def _check_tool_choice(choice: Any, names: list[str], thinking: bool) -> None:
    if choice is None or choice in ("auto", "none"):
        return
    if isinstance(choice, dict):
        name = dig(choice, "function", "name") if choice.get("type") == "function" else None
        if name not in names:
            raise err.bad_request("tool_choice: the named function is not among the tools")
    elif choice != "required":
        raise err.bad_request("tool_choice: Input should be 'auto', 'none', 'required' or a "
                              "named function")
    if thinking:
        raise err.upstream("Thinking may not be enabled when tool_choice forces tool use.")
