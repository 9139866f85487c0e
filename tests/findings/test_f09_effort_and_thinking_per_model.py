"""Finding 9: the client's profiles and the emulator's catalogue agree on thinking and effort.

Every model in the catalogue is walked through budget thinking, adaptive thinking and each effort
level: what the client sends, the emulator accepts; what the client adjusts (with a warning),
the emulator refuses when sent as asked. Capabilities and their sources: docs/models.md.
"""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from databricks_claude import DatabricksClaudeClient, DatabricksClaudeWarning, Message
from databricks_claude.emulator import Emulator, catalog
from databricks_claude.messages import RequestOptions
from databricks_claude.profiles import KNOWN_MODELS, get_profile
from databricks_claude.rules.thinking import EFFORTS

BUDGET = {"type": "enabled", "budget_tokens": 2048}
ADAPTIVE = {"type": "adaptive"}
SETTINGS: list[tuple[str, dict[str, Any]]] = [
    ("budget", {"thinking": 2048, "max_tokens": 4096}),
    ("adaptive", {"thinking": dict(ADAPTIVE), "max_tokens": 4096}),
    *[(f"effort-{level}", {"effort": level, "max_tokens": 4096}) for level in EFFORTS],
]


def _raw(emulator: Emulator, endpoint: str, extra: dict[str, Any]) -> int:
    """Posts a payload as asked, bypassing the client; the emulator's status code."""
    body = {"model": endpoint, "max_tokens": 4096,
            "messages": [{"role": "user", "content": "hi"}], **extra}
    response = httpx.post(f"{emulator.host}/serving-endpoints/chat/completions", json=body,
                          headers={"Authorization": f"Bearer {emulator.token}"}, timeout=30)
    return response.status_code


def _as_asked(name: str, options: dict[str, Any]) -> dict[str, Any]:
    if name == "budget":
        return {"thinking": BUDGET}
    if name == "adaptive":
        return {"thinking": ADAPTIVE}
    return {"output_config": {"effort": options["effort"]}}


def _sent_as_asked(name: str, options: dict[str, Any], payload: dict[str, Any]) -> bool:
    if name == "budget":
        return payload.get("thinking", {}).get("budget_tokens") == 2048
    if name == "adaptive":
        return payload.get("thinking", {}).get("type") == "adaptive"
    return payload.get("output_config") == {"effort": options["effort"]}


def test_the_catalogue_and_the_profiles_list_the_same_models() -> None:
    assert set(catalog.MODELS) == set(KNOWN_MODELS)


@pytest.mark.parametrize("suffix", sorted(KNOWN_MODELS))
def test_profile_and_catalogue_agree_on_one_model(suffix: str) -> None:
    profile = get_profile(f"databricks-claude-{suffix}")
    endpoint = catalog.lookup(f"databricks-claude-{suffix}")
    assert endpoint is not None
    assert endpoint.adaptive_only == (profile.thinking_style == "adaptive")
    assert endpoint.budget_only == (profile.thinking_style == "budget"
                                    and not profile.adaptive_capable)
    assert endpoint.efforts == profile.efforts


@pytest.mark.parametrize("suffix", sorted(catalog.MODELS))
def test_every_model_through_budget_adaptive_and_effort(emulator: Emulator, suffix: str) -> None:
    endpoint = f"databricks-claude-{suffix}"
    client = DatabricksClaudeClient(endpoint, host=emulator.host, token=emulator.token)
    try:
        for name, options in SETTINGS:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                completion = client.complete([Message.user("hi")], RequestOptions(**options))
            payload = emulator.requests[-1].json
            warned = [w for w in caught if issubclass(w.category, DatabricksClaudeWarning)]
            assert completion.finish_reason == "stop"  # the emulator took what was sent
            if _sent_as_asked(name, options, payload):
                assert not warned, (suffix, name, [str(w.message) for w in warned])
            else:
                # Adjusted before sending, with a word; the model would refuse it as asked.
                assert warned, (suffix, name, payload)
                assert _raw(emulator, endpoint, _as_asked(name, options)) == 400, (suffix, name)
    finally:
        client.close()


@pytest.mark.parametrize(("suffix", "levels"), [
    ("opus-4-5", ("low", "medium", "high")),
    ("opus-4-6", ("low", "medium", "high", "max")),
    ("sonnet-4-6", ("low", "medium", "high", "max")),
    ("opus-4-8", EFFORTS), ("sonnet-5", EFFORTS),
    ("sonnet-4-5", ()), ("haiku-4-5", ()), ("3-7-sonnet", ()),
])
def test_effort_is_sent_where_the_model_takes_it(emulator: Emulator, suffix: str,
                                                 levels: tuple[str, ...]) -> None:
    assert get_profile(f"databricks-claude-{suffix}").efforts == levels
    for level in EFFORTS:
        status = _raw(emulator, f"databricks-claude-{suffix}", {"output_config": {"effort": level}})
        assert status == (200 if level in levels else 400), (suffix, level)


def test_effort_beside_budget_thinking_on_a_4_6_model_is_sent(emulator: Emulator) -> None:
    client = DatabricksClaudeClient("databricks-claude-opus-4-6", host=emulator.host,
                                    token=emulator.token)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DatabricksClaudeWarning)
            client.complete([Message.user("hi")],
                            RequestOptions(thinking=2048, max_tokens=4096, effort="high"))
    finally:
        client.close()
    payload = emulator.requests[-1].json
    assert payload["thinking"] == BUDGET and payload["output_config"] == {"effort": "high"}
