"""Model profiles: known endpoints, AI Gateway names, unknown names."""

from __future__ import annotations

import pytest

from databricks_claude.profiles import get_profile


@pytest.mark.parametrize(
    ("name", "style", "context", "temperature", "vision"),
    [
        ("databricks-claude-sonnet-4-5", "budget", 200_000, True, True),
        ("databricks-claude-3-7-sonnet", "budget", 200_000, True, True),
        ("system.ai.claude-opus-4-8", "adaptive", 1_000_000, True, True),
        ("databricks-claude-fable-5", "adaptive", 1_000_000, False, False),
        ("databricks-claude-opus-4-1", "budget", 200_000, True, True),
        ("DATABRICKS-CLAUDE-SONNET-4-6", "budget", 1_000_000, True, True),
    ],
)
def test_known_profiles(name: str, style: str, context: int, temperature: bool,
                        vision: bool) -> None:
    profile = get_profile(name)
    assert profile.known
    assert profile.thinking_style == style
    assert profile.context_window == context
    assert profile.temperature_allowed is temperature
    assert profile.vision is vision


def test_output_sizes() -> None:
    assert get_profile("databricks-claude-opus-4-1").max_output_tokens == 32_000
    assert get_profile("databricks-claude-sonnet-4-6").max_output_tokens == 128_000
    assert get_profile("databricks-claude-sonnet-4-5").default_max_tokens == 8192


@pytest.mark.parametrize("name", ["my-llama-endpoint", "", None, "claude-unknown-9"])
def test_unknown_names_get_safe_defaults(name: str | None) -> None:
    profile = get_profile(name)
    assert not profile.known
    assert profile.thinking_style == "budget"
    assert profile.context_window == 200_000
    assert profile.max_output_tokens >= profile.default_max_tokens
