"""Per-model limits the model service enforces: output size and the one-sampler rule.

Kept apart from the catalogue (which names the endpoints) so each table cites its own source;
docs/emulator.md lists them.
"""

from __future__ import annotations

from .catalog import Endpoint

# Anthropic's published maximum output per model (docs/emulator.md#max-tokens); a suffix not
# listed is a newer model, which all have 128K.
OUTPUT_LIMITS = {
    "3-7-sonnet": 64_000, "sonnet-4": 64_000, "sonnet-4-1": 64_000, "sonnet-4-5": 64_000,
    "haiku-4-5": 64_000, "opus-4": 32_000, "opus-4-1": 32_000, "opus-4-5": 64_000,
    "sonnet-4-6": 128_000, "opus-4-6": 128_000,
}
NEWER_OUTPUT_LIMIT = 128_000
# Models older than Claude 4.5 take temperature and top_p together; from 4.5 on the service
# refuses the pair (docs/emulator.md#one-sampler).
BOTH_SAMPLERS = frozenset({"3-7-sonnet", "sonnet-4", "sonnet-4-1", "opus-4", "opus-4-1"})
_REGION_PREFIXES = ("us.anthropic.", "global.anthropic.", "eu.anthropic.", "apac.anthropic.")


def output_limit(endpoint: Endpoint) -> int:
    """The largest `max_tokens` the model behind `endpoint` accepts."""
    return OUTPUT_LIMITS.get(endpoint.suffix, NEWER_OUTPUT_LIMIT)


def takes_both_samplers(endpoint: Endpoint) -> bool:
    """Whether the model accepts `temperature` and `top_p` in the same request."""
    return endpoint.suffix in BOTH_SAMPLERS


def anthropic_model_id(endpoint: Endpoint) -> str:
    """The model id as the model service names it in its errors, e.g. claude-sonnet-4-5-20250929.

    The backing id is a Bedrock inference profile ("us.anthropic.…-v1:0"); the service's own
    messages use the bare Anthropic id.
    """
    model = endpoint.backing_id
    for prefix in _REGION_PREFIXES:
        if model.startswith(prefix):
            model = model[len(prefix):]
            break
    return model.removesuffix("-v1:0")
