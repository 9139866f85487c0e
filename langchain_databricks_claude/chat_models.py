"""`ChatDatabricksClaude`: Claude on Databricks Model Serving as a LangChain chat model.

A thin layer over the core `DatabricksClaudeClient`: it converts messages to the neutral model
(`inbound`, `replay`), gathers the per-call options, and maps results (`outbound`, `stream`)
and errors (`errors`) back to LangChain. Reasoning is kept
and replayed exactly, which is what makes thinking + tools + multi-turn work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.model_profile import ModelProfile as LCModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.utils import _build_model_kwargs
from pydantic import ConfigDict, Field, SecretStr, model_validator

from databricks_claude._fastmodel import warm_up
from databricks_claude.errors import DatabricksClaudeError
from databricks_claude.kit.clients import CLIENTS, ClientOwner, model_settings, new_client
from databricks_claude.kit.images import ImageSettings, ainline_images, image_policy, inline_images
from databricks_claude.kit.options import OPTION_FIELDS, call_options
from databricks_claude.kit.settings import check_init_args, check_model_settings, init_names
from databricks_claude.messages import Message, RequestOptions, ThinkingSetting
from databricks_claude.notes import entry_points
from databricks_claude.rules.thinking import thinking_on
from databricks_claude.rules.tool_choice import validate_tool_choice
from langchain_databricks_claude.errors import to_langchain_error
from langchain_databricks_claude.inbound import to_neutral_messages
from langchain_databricks_claude.outbound import to_ai_message
from langchain_databricks_claude.profile import langchain_profile, langsmith_params
from langchain_databricks_claude.stream import StreamChunkBuilder, V1StreamChunkBuilder
from langchain_databricks_claude.tools import BoundTool, to_tool_spec, to_tool_specs

if TYPE_CHECKING:
    from databricks_claude.client import DatabricksClaudeClient
    from langchain_databricks_claude.structured import ClaudeBinding

__all__ = ["ChatDatabricksClaude"]

# Per-call kwargs LangChain itself consumes: never sent (the kit sends other unknown ones).
_FRAMEWORK_KWARGS = frozenset({"model", "stream", "stream_usage", "cache_system_prompt",
                               "ls_structured_output_format", "structured_output_format"})


@dataclass(slots=True)
class _Call:
    """Everything one request needs: the client, the messages, the options, how to report."""

    client: DatabricksClaudeClient
    messages: list[Message]
    options: RequestOptions
    model_name: str
    include_usage: bool


class ChatDatabricksClaude(ClientOwner, BaseChatModel, ImageSettings):
    """Claude models served by Databricks Model Serving (Foundation Model APIs and AI Gateway).

    Setup: `pip install "databricks-claude[langchain]"`; set `DATABRICKS_HOST` and
    `DATABRICKS_TOKEN` (or `DATABRICKS_CLIENT_ID` / `DATABRICKS_CLIENT_SECRET` for OAuth M2M, or
    install the `sdk` extra to use `~/.databrickscfg` profiles, notebooks, Azure or the CLI).

    ```python
    from langchain_databricks_claude import ChatDatabricksClaude

    llm = ChatDatabricksClaude(endpoint="databricks-claude-sonnet-4-5", thinking=True)
    msg = llm.invoke("Why is the sky blue?")
    msg.content                                  # the answer text
    msg.additional_kwargs["reasoning_content"]   # the reasoning text
    msg.content_blocks                           # reasoning (signature in extras), text, tools
    ```

    Key init args (each can also be given per call: `invoke(..., thinking=4096)`, `bind(...)`):

    - `endpoint` (alias `model`): the serving endpoint name.
    - `host`, `token` (alias `api_key`), `client_id`, `client_secret`, `base_url`,
      `config_profile`: where and how to connect; default to the environment. `api`: "chat"
      (default) or "messages" (Claude's native Anthropic Messages route).
    - `max_tokens` (default: the model profile's, 8192 at most), `temperature`, `top_p`,
      `top_k`, `stop`.
    - `thinking`: True (budget = half of `max_tokens`), an int budget, or a dict sent after
      validation; `effort` ("low" ... "max") for adaptive-thinking models.
    - `timeout` (seconds, default 300), `connect_timeout` (default 10), `max_retries` (default
      2), `max_retry_wait` (default 60 s), `resume_streams`, `allow_insecure_http`.
    - `streaming`, `stream_usage`, `extra_body` / `model_kwargs` (merged at the payload root),
      `cache_system_prompt` (cache breakpoint on the system prompt), `default_headers`.

    Reasoning: `content` is the answer text; `additional_kwargs["reasoning_content"]` holds all
    reasoning text and `additional_kwargs["reasoning_blocks"]` the reasoning blocks exactly as the
    service sent them (replayed as is when the message is sent back). `with_structured_output`:
    a tool call (`function_calling`) or the JSON-schema answer (`json_schema`, `json_mode`); see
    `structured` and docs/structured-output.md.
    """

    endpoint: str = Field(alias="model")
    """The serving endpoint, e.g. `databricks-claude-sonnet-4-5` (also accepted as `model`)."""
    host: str | None = Field(default_factory=from_env("DATABRICKS_HOST", default=None))
    """Workspace URL; default `DATABRICKS_HOST`, else the databricks-sdk configuration."""
    token: SecretStr | None = Field(
        default_factory=secret_from_env("DATABRICKS_TOKEN", default=None), alias="api_key")
    """Personal access token (also `api_key`); default `DATABRICKS_TOKEN`."""
    client_id: str | None = Field(default_factory=from_env("DATABRICKS_CLIENT_ID", default=None))
    """OAuth M2M service principal id; default `DATABRICKS_CLIENT_ID`."""
    client_secret: SecretStr | None = Field(
        default_factory=secret_from_env("DATABRICKS_CLIENT_SECRET", default=None))
    """OAuth M2M secret; default `DATABRICKS_CLIENT_SECRET`."""
    base_url: str | None = None
    """Base URL of the routes; default `{host}/serving-endpoints` (`/ai-gateway`: AI Gateway)."""
    api: str = "chat"
    """The wire: "chat" (chat completions) or "messages" (the native Anthropic Messages route)."""
    config_profile: str | None = None
    """A `~/.databrickscfg` profile (needs the `sdk` extra)."""
    default_headers: dict[str, str] | None = None
    """Extra HTTP headers sent with every request."""

    max_tokens: int | None = None
    """Output token limit; default from the model profile."""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Stop sequences."""
    thinking: bool | int | dict[str, Any] | None = None
    """Extended thinking: True (default budget), an int budget, or a `thinking` dict."""
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = None
    """Reasoning effort for adaptive-thinking models."""

    timeout: float | None = 300.0
    """Read timeout in seconds (None: no limit)."""
    connect_timeout: float | None = 10.0
    """Connect timeout in seconds (None: no limit)."""
    allow_insecure_http: bool | None = None
    """Allow plain http to a named host (default: `DATABRICKS_CLAUDE_ALLOW_HTTP`)."""
    max_retries: int = 2
    """Retries after the first attempt (429, 5xx, connection errors)."""
    max_retry_wait: float = 60.0
    """The longest wait before a retry, in seconds (caps `Retry-After` and backoff)."""
    resume_streams: bool = False
    """Resume a broken plain-text stream by prefill instead of raising."""
    streaming: bool = False
    """Use the streaming API for `invoke` too."""
    stream_usage: bool = True
    """Report usage on the last streamed chunk."""
    extra_body: dict[str, Any] | None = None
    """Keys merged at the root of every request payload."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Keys merged at the root of every request payload (unknown init args land here)."""
    cache_system_prompt: bool = False
    """Put an ephemeral `cache_control` on the last system text part (prompt caching)."""

    model_config = ConfigDict(populate_by_name=True)

    # -- construction -----------------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: Any) -> Any:
        """Move unknown init args into `model_kwargs` (with a warning), as partner models do."""
        warm_up()  # the per-delta fast constructors, checked once per process: not on a request
        if not isinstance(values, dict):
            return values
        return _build_model_kwargs(values, init_names(cls))

    def __init__(self, **kwargs: Any) -> None:
        """Bad or mistyped settings raise `ConfigurationError` here, not at the first call
        (outside pydantic's validation, which would wrap it and echo the inputs)."""
        check_init_args(kwargs, init_names(type(self)), model=type(self).__name__,
                        passthrough="model_kwargs")
        super().__init__(**kwargs)
        check_model_settings({name: getattr(self, name) for name in type(self).model_fields})

    @property
    def _llm_type(self) -> str:
        return "databricks-claude"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Serializable: secrets are written as references to their environment variables."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """`["langchain_databricks_claude", "chat_models"]`."""
        return ["langchain_databricks_claude", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Fields holding secrets and the environment variables they are read from."""
        return {"token": "DATABRICKS_TOKEN", "client_secret": "DATABRICKS_CLIENT_SECRET"}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k,
                "thinking": self.thinking, "effort": self.effort,
                "extra_body": self.extra_body, "model_kwargs": self.model_kwargs}

    def _resolve_model_profile(self) -> LCModelProfile | None:
        """LangChain's profile dict from the core's model profile for this endpoint."""
        return langchain_profile(self.endpoint, fetch_images=self.fetch_images)

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """LangSmith tracing params: provider `databricks`, the endpoint (or per-call `model`)."""
        return langsmith_params(self, stop, kwargs)

    # -- the core client --------------------------------------------------------------------------

    def client(self, endpoint: str | None = None) -> DatabricksClaudeClient:
        """The core client for `endpoint` (default: this model's), built once and reused.

        Clients for per-call `model=` overrides share the main client's resolved credentials.
        Connection settings (host, credentials, timeouts, retries) are read when the client is
        first built; `close()` drops the clients so that changed settings take effect.
        """
        name = endpoint or self.endpoint
        primary = self.client() if name != self.endpoint else None
        return CLIENTS.get(self, name, lambda: self._new_client(name, primary))

    def _new_client(self, endpoint: str,
                    primary: DatabricksClaudeClient | None) -> DatabricksClaudeClient:
        # Connection fields' environment defaults are left for the core to resolve.
        settings = model_settings(self, explicit=self.model_fields_set)
        return new_client(endpoint, settings, primary=primary, owner=self)

    # -- requests ---------------------------------------------------------------------------------

    def thinking_enabled(self, thinking: ThinkingSetting = None) -> bool:
        """Whether a request with this `thinking` setting (default: the model's) reasons (the
        core's rule, `databricks_claude.rules.thinking.thinking_on`)."""
        return thinking_on(self.thinking if thinking is None else thinking)

    def _prepare(self, messages: Sequence[BaseMessage], stop: list[str] | None,
                 kwargs: dict[str, Any]) -> _Call:
        """Neutral messages, request options and client for one call."""
        endpoint = kwargs.get("model") or self.endpoint
        cache_system = kwargs.get("cache_system_prompt", self.cache_system_prompt)
        fields = {name: getattr(self, name) for name in OPTION_FIELDS}
        fields["stop"] = stop if stop is not None else self.stop
        tools = kwargs.get("tools")  # bound tools carry their spec; anything else is converted
        options = call_options(fields, {k: v for k, v in kwargs.items() if k != "stop"},
                               root=(self.model_kwargs, self.extra_body),
                               framework_keys=_FRAMEWORK_KWARGS,
                               tools=to_tool_specs(tools) if tools else None)
        return _Call(
            client=self.client(endpoint),
            messages=to_neutral_messages(messages, cache_system_prompt=bool(cache_system)),
            options=options,
            model_name=endpoint,
            include_usage=bool(kwargs.get("stream_usage", self.stream_usage)),
        )

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        call = self._prepare(messages, stop, kwargs)
        inline_images(call.messages, image_policy(self))
        try:
            completion = call.client.complete(call.messages, call.options)
        except DatabricksClaudeError as error:
            raise to_langchain_error(error, model_name=call.model_name) from error.__cause__
        return self._result(to_ai_message(completion, model_name=call.model_name))

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        call = self._prepare(messages, stop, kwargs)
        await ainline_images(call.messages, image_policy(self))
        try:
            completion = await call.client.acomplete(call.messages, call.options)
        except DatabricksClaudeError as error:
            raise to_langchain_error(error, model_name=call.model_name) from error.__cause__
        return self._result(to_ai_message(completion, model_name=call.model_name))

    @staticmethod
    def _result(message: AIMessage) -> ChatResult:
        name = message.response_metadata.get("model_name")
        return ChatResult(generations=[ChatGeneration(message=message)],
                          llm_output={"model_name": name})

    def _chunk_builder(self, call: _Call) -> StreamChunkBuilder:
        builder = V1StreamChunkBuilder if self.output_version == "v1" else StreamChunkBuilder
        return builder(call.model_name, include_usage=call.include_usage)

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        call = self._prepare(messages, stop, kwargs)
        inline_images(call.messages, image_policy(self))
        feed = self._chunk_builder(call).feed
        try:
            for delta in call.client.stream(call.messages, call.options):
                chunk = feed(delta)
                if chunk is not None:
                    if run_manager is not None:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        except DatabricksClaudeError as error:
            raise to_langchain_error(error, model_name=call.model_name) from error.__cause__

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        call = self._prepare(messages, stop, kwargs)
        await ainline_images(call.messages, image_policy(self))
        feed = self._chunk_builder(call).feed
        try:
            async for delta in call.client.astream(call.messages, call.options):
                chunk = feed(delta)
                if chunk is not None:
                    if run_manager is not None:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        except DatabricksClaudeError as error:
            raise to_langchain_error(error, model_name=call.model_name) from error.__cause__

    # -- tools and structured output --------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[Mapping[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (pydantic models, functions, `@tool`s, OpenAI/Anthropic/JSON-schema dicts).

        Schemas are converted and sanitized once, here. `tool_choice`: "auto", "any" /
        "required" / True (some tool), "none", or a tool name; with thinking on, a forced choice
        is sent as "auto" (Claude refuses forced tool use while thinking), with a warning.
        `parallel_tool_calls` and `strict` are accepted for compatibility and never sent: the
        service rejects both.
        """
        bound = [BoundTool(to_tool_spec(tool)) for tool in tools]
        validate_tool_choice(tool_choice, [t.spec.name for t in bound])
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=bound, **kwargs)

    def bind(self, **kwargs: Any) -> ClaudeBinding:
        """Bind call arguments, kept by the binding's `with_structured_output` and `bind_tools`."""
        from langchain_databricks_claude.structured import ClaudeBinding

        return ClaudeBinding(bound=self, kwargs=kwargs, config={})

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        include_raw: bool = False,
        method: Literal["function_calling", "json_schema", "json_mode"] = "function_calling",
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Answers parsed into `schema` (pydantic model, TypedDict or JSON schema): a forced tool
        (`function_calling`; asked for by instruction with thinking on) or `response_format`
        `json_schema` (`json_schema`, `json_mode`; native where the model takes it, else a
        tool). `strict` is ignored (the service rejects it); `.bind()` arguments are sent."""
        from langchain_databricks_claude.structured import structured_output

        bound = kwargs.pop("_bound", None)
        if kwargs:
            raise ValueError(f"unexpected arguments: {sorted(kwargs)}")
        return structured_output(self, schema, method=method, include_raw=include_raw,
                                 bound=bound)


# LangChain runs these in other tasks (gather) or threads: their warnings point at the caller.
entry_points(ChatDatabricksClaude, BaseChatModel, "ainvoke", "batch", "abatch")
