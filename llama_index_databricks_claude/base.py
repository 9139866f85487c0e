"""`DatabricksClaude`: Claude on Databricks Model Serving as a llama-index-core FunctionCallingLLM.

A thin layer over the core `DatabricksClaudeClient`: messages are converted to the neutral model
by `inbound` and answers back by `outbound` and `stream` (the layout: `layout`), every request
rule (thinking, sampling, tool choice, schemas) lives in the core, and the client is built once
per object, on first use, and reused.

Decisions:

* Reasoning and tool calls are kept and replayed exactly (`layout`);
  `get_tool_calls_from_response` parses a call's arguments text: partial JSON is tolerated in a
  stream still under way; a finished answer whose arguments do not parse (cut off by
  `max_tokens`) raises `InvalidToolArgumentsError`, never a call with guessed arguments.
* `allow_parallel_tool_calls` is never sent (the service refuses `parallel_tool_calls`). When it
  is False, `chat_with_tools` / `achat_with_tools` keep only the first tool call of the answer,
  as the other LlamaIndex integrations do; streamed answers are left whole.
* `tool_required=True` asks for `tool_choice="required"`; an explicit `tool_choice` wins. With
  thinking on, the core downgrades a forced choice to "auto" with a warning (Claude refuses
  forced tool use while thinking) and asks for the call in the system prompt, so a
  structured-output call may still get no tool call: it fails with a `ValueError` that says so.
* Keyword arguments of a call override the fields of the same name (`max_tokens`, `thinking`,
  ...); `n` is an option too (n > 1 is refused before sending); OpenAI-style keywords are mapped
  or refused by the core (`max_completion_tokens`, `reasoning_effort`, `user`, ...:
  docs/design-rules.md#openai-style-keywords); any other keyword is sent at the root of the
  request body, like `extra_body`.
* A response's `raw["thinking"]` says whether thinking was on for its request (the per-call
  setting if one was given) and `raw["tool_choice"]` the tool choice it sent, which the "no
  tool call" error uses to explain itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, SecretStr
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection

from databricks_claude._fastmodel import warm_up
from databricks_claude.errors import ConfigurationError
from databricks_claude.kit.clients import CLIENTS, ClientOwner, model_settings, new_client
from databricks_claude.kit.images import ImageSettings, ainline_images, image_policy, inline_images
from databricks_claude.kit.options import OPTION_FIELDS, call_options
from databricks_claude.kit.settings import check_init_args, check_model_settings, init_names
from databricks_claude.messages import RequestOptions
from databricks_claude.profiles import ModelProfile, get_profile
from databricks_claude.rules.thinking import thinking_on
from llama_index_databricks_claude.inbound import to_neutral_messages
from llama_index_databricks_claude.layout import THINKING_KEY
from llama_index_databricks_claude.outbound import TOOL_CHOICE_KEY, to_chat_response
from llama_index_databricks_claude.stream import achunks, chunks
from llama_index_databricks_claude.tools import keep_first_tool_call, to_tool_specs, tool_selections

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from databricks_claude.client import DatabricksClaudeClient

__all__ = ["DatabricksClaude"]


class DatabricksClaude(ClientOwner, FunctionCallingLLM, ImageSettings):
    """Claude on a Databricks serving endpoint, with reasoning kept and replayed.

    Example:
        ```python
        from llama_index_databricks_claude import DatabricksClaude

        llm = DatabricksClaude(endpoint="databricks-claude-sonnet-4-5", thinking=True)
        response = llm.chat([ChatMessage(role="user", content="17 * 23?")])
        ```

    Credentials and host come from the arguments, else `DATABRICKS_HOST` / `DATABRICKS_TOKEN`
    (or the OAuth M2M variables, or databricks-sdk). `thinking` is True (default budget), an int
    budget, or a dict sent as given after validation; `effort` steers adaptive-only models.
    """

    endpoint: str = Field(description="The serving endpoint name (also accepted as `model`).")
    host: str | None = Field(default=None, description="Workspace URL; else DATABRICKS_HOST.")
    token: SecretStr | None = Field(default=None, exclude=True, repr=False,
                                    description="Personal access token; else DATABRICKS_TOKEN.")
    client_id: str | None = Field(default=None, description="OAuth M2M client id.")
    client_secret: SecretStr | None = Field(default=None, exclude=True, repr=False,
                                            description="OAuth M2M client secret.")
    base_url: str | None = Field(default=None,
                                 description="Overrides `{host}/serving-endpoints`.")
    config_profile: str | None = Field(
        default=None, description="A ~/.databrickscfg profile (needs databricks-sdk).")
    default_headers: dict[str, str] | None = Field(
        default=None, description="Extra HTTP headers sent with every request.")
    max_tokens: int | None = Field(
        default=None, description="Maximum output tokens; the model profile's default if unset.")
    temperature: float | None = Field(default=None, description="Sampling temperature.")
    top_p: float | None = Field(default=None, description="Nucleus sampling.")
    top_k: int | None = Field(default=None, description="Top-k sampling.")
    stop: list[str] | None = Field(default=None, description="Stop sequences.")
    thinking: bool | int | dict[str, Any] | None = Field(
        default=None, description="Extended thinking: True, an int budget, or a dict.")
    effort: str | None = Field(default=None, description="Effort, for adaptive-only models.")
    timeout: float | None = Field(default=300.0, description="Read timeout in seconds.")
    connect_timeout: float | None = Field(default=10.0,
                                          description="Connect timeout in seconds.")
    api: str = Field(default="chat", description="The wire: 'chat' (chat completions) or "
                     "'messages' (the native Anthropic Messages route).")
    allow_insecure_http: bool | None = Field(
        default=None, description="Plain http to a named host; else DATABRICKS_CLAUDE_ALLOW_HTTP.")
    max_retries: int = Field(default=2, description="Retries after the first attempt.")
    max_retry_wait: float = Field(
        default=60.0, description="Cap in seconds on any Retry-After or backoff wait.")
    resume_streams: bool = Field(
        default=False, description="Resume a broken plain-text stream by prefill.")
    extra_body: dict[str, Any] | None = Field(
        default=None, description="Keys merged at the root of every request body.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="More keys for the request body root (LlamaIndex name).")

    def __init__(
        self,
        endpoint: str | None = None,
        host: str | None = None,
        token: str | SecretStr | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        thinking: bool | int | dict[str, Any] | None = None,
        effort: str | None = None,
        timeout: float | None = 300.0,
        max_retries: int = 2,
        callback_manager: CallbackManager | None = None,
        *,
        model: str | None = None,
        api_key: str | SecretStr | None = None,
        **kwargs: Any,
    ) -> None:
        endpoint = endpoint or model
        if not endpoint:
            raise ConfigurationError(
                "DatabricksClaude needs an endpoint name (endpoint= or model=), e.g. "
                "'databricks-claude-sonnet-4-5'")
        check_init_args(kwargs, init_names(type(self)), model="DatabricksClaude")
        warm_up()  # the per-delta fast constructors, checked once per process: not on a request
        super().__init__(
            endpoint=endpoint, host=host, token=_token_or_api_key(token, api_key),
            max_tokens=max_tokens, temperature=temperature, thinking=thinking, effort=effort,
            timeout=timeout, max_retries=max_retries,
            callback_manager=callback_manager or CallbackManager([]), **kwargs)
        check_model_settings({name: getattr(self, name) for name in type(self).model_fields})

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex uses when serializing this LLM."""
        return "DatabricksClaude"

    @property
    def model(self) -> str:
        """The serving endpoint name (LlamaIndex calls it the model)."""
        return self.endpoint

    @property
    def profile(self) -> ModelProfile:
        """What the endpoint can do: context window, output size, thinking style."""
        return get_profile(self.endpoint)

    @property
    def metadata(self) -> LLMMetadata:
        """Chat and function-calling model; context window and output size from the profile."""
        profile = get_profile(self.endpoint)
        return LLMMetadata(
            context_window=profile.context_window,
            num_output=self.max_tokens or profile.default_max_tokens,
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=self.endpoint,
            system_role=MessageRole.SYSTEM,
        )

    # -- the core client ---------------------------------------------------------------------

    @property
    def client(self) -> DatabricksClaudeClient:
        """The core client, built on first use (thread-safe) and reused for every call."""
        return CLIENTS.get(self, self.endpoint, self._build_client)

    def _build_client(self) -> DatabricksClaudeClient:
        return new_client(self.endpoint, model_settings(self), owner=self)

    def _options(self, kwargs: dict[str, Any]) -> RequestOptions:
        """Request options: the fields, overridden by the call's keywords."""
        tools = kwargs.get("tools")
        return call_options({name: getattr(self, name) for name in OPTION_FIELDS}, kwargs,
                            root=(self.additional_kwargs, self.extra_body),
                            tools=to_tool_specs(tools) if tools else None)

    # -- chat --------------------------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """One answer for the conversation."""
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """One answer for the conversation (async)."""
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """The answer as chunks: text in `delta`, reasoning in `additional_kwargs`."""
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """The answer as chunks (async). Returns the generator, as the callback wants."""
        return await self._astream_chat(messages, **kwargs)

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        neutral = inline_images(to_neutral_messages(messages), image_policy(self))
        options = self._options(kwargs)
        completion = self.client.complete(neutral, options)
        return to_chat_response(completion)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        neutral = await ainline_images(to_neutral_messages(messages), image_policy(self))
        options = self._options(kwargs)
        completion = await self.client.acomplete(neutral, options)
        return to_chat_response(completion)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        # Converted now, so that bad input fails at the call rather than at the first chunk.
        options = self._options(kwargs)
        neutral = inline_images(to_neutral_messages(messages), image_policy(self))
        return chunks(self.client.stream(neutral, options))

    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        options = self._options(kwargs)
        neutral = await ainline_images(to_neutral_messages(messages), image_policy(self))
        return achunks(self.client.astream(neutral, options))

    # -- complete (a prompt is one user message) ---------------------------------------------

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """The answer to one prompt, sent as a user message."""
        return chat_to_completion_decorator(self._chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """The answer to one prompt, sent as a user message (async)."""
        return await achat_to_completion_decorator(self._achat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """The answer to one prompt as chunks."""
        return stream_chat_to_completion_decorator(self._stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """The answer to one prompt as chunks (async)."""
        return await astream_chat_to_completion_decorator(self._astream_chat)(prompt, **kwargs)

    # -- tools -------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The `chat` keywords for a tool call: a new message list (the history is never
        mutated), the tools as specs and the tool choice. `allow_parallel_tool_calls` is never
        sent: the service refuses it."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        if tool_choice is None and tool_required:
            tool_choice = "required"
        return {"messages": messages, "tools": to_tool_specs(tools) if tools else None,
                "tool_choice": tool_choice, **kwargs}

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call when parallel calls are not allowed."""
        if not allow_parallel_tool_calls:
            keep_first_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls of a response or a streamed chunk (partial arguments tolerated)."""
        calls = tool_selections(response)
        if not calls and error_on_no_tool_call:
            raise ValueError(self._no_tool_call_message(response, kwargs))
        return calls

    def _no_tool_call_message(self, response: ChatResponse, kwargs: dict[str, Any]) -> str:
        text = (response.message.content or "")[:200]
        message = f"Expected at least one tool call, but the model answered with text: {text!r}."
        return message + self._no_tool_call_hint(response, kwargs)

    def _no_tool_call_hint(self, response: ChatResponse, kwargs: dict[str, Any]) -> str:
        """Why no tool was called, from what the request sent (its tool choice, its thinking)."""
        raw = response.raw if isinstance(response.raw, dict) else {}
        if raw.get(TOOL_CHOICE_KEY) == "none":
            return (" The request was sent with tool_choice='none', which tells the model not "
                    "to call a tool; pass tool_choice='auto' (or 'required') instead.")
        if self._thinking_was_on(response, kwargs):
            return (" With thinking on, Claude cannot be forced to call a tool (tool_choice"
                    " is sent as 'auto'); ask for the tool in the prompt, or turn thinking"
                    " off for this call (thinking=False).")
        return ""

    def _thinking_was_on(self, response: ChatResponse, kwargs: dict[str, Any]) -> bool:
        """Whether thinking was on for the request that gave `response`: what that request
        decided (recorded in `raw`), else the rule applied to a `thinking` keyword here or to
        this LLM's setting (a response made elsewhere)."""
        raw = response.raw
        if isinstance(raw, dict) and isinstance(raw.get(THINKING_KEY), bool):
            return bool(raw[THINKING_KEY])
        return thinking_on(kwargs.get("thinking", self.thinking))


def _token_or_api_key(token: str | SecretStr | None,
                      api_key: str | SecretStr | None) -> str | SecretStr | None:
    """The token, given as `token=` or under LlamaIndex's usual name `api_key=` (not both)."""
    if token is not None and api_key is not None:
        raise ConfigurationError("pass the token once: token= or api_key=, not both")
    return token if token is not None else api_key
