"""What LangChain reads about a model without calling it: its profile and its LangSmith params."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.language_models import LangSmithParams
from langchain_core.language_models.model_profile import ModelProfile as LCModelProfile

from databricks_claude.profiles import get_profile

__all__ = ["langchain_profile", "langsmith_params"]


def langchain_profile(endpoint: str, *, fetch_images: bool) -> LCModelProfile:
    """LangChain's profile dict from the core's model profile for this endpoint."""
    core = get_profile(endpoint)
    profile = LCModelProfile(  # remote image URLs are fetched and inlined (docs/images.md)
        max_input_tokens=core.context_window, max_output_tokens=core.max_output_tokens,
        text_inputs=True, image_inputs=core.vision,
        image_url_inputs=core.vision and fetch_images,
        image_tool_message=core.vision, pdf_inputs=False, audio_inputs=False,
        video_inputs=False, text_outputs=True, reasoning_output=True, tool_calling=True,
        tool_choice=True, tool_call_streaming=True,
        # Native `response_format` only where the model takes it; LangChain's agents then
        # pick their tool strategy elsewhere (docs/structured-output.md).
        structured_output=core.json_schema_output, temperature=core.temperature_allowed,
    )
    if core.efforts:
        profile["reasoning_effort_levels"] = list(core.efforts)
    return profile


def langsmith_params(model: Any, stop: Sequence[str] | None,
                     kwargs: Mapping[str, Any]) -> LangSmithParams:
    """LangSmith tracing params: provider `databricks`, the endpoint (or per-call `model`)."""
    params = LangSmithParams(ls_provider="databricks", ls_model_type="chat",
                             ls_model_name=str(kwargs.get("model") or model.endpoint))
    temperature = kwargs.get("temperature", model.temperature)
    if isinstance(temperature, (int, float)):
        params["ls_temperature"] = temperature
    max_tokens = kwargs.get("max_tokens", model.max_tokens)
    if isinstance(max_tokens, int):
        params["ls_max_tokens"] = max_tokens
    stop = stop or kwargs.get("stop") or model.stop
    if stop:
        params["ls_stop"] = list(stop)
    return params
