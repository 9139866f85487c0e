"""Finding 13, client half: adaptive thinking asks for the summarized display where it is omitted.

opus-4-7, opus-4-8, sonnet-5 and every model whose `thinking.display` defaults to omitted
return reasoning with empty text unless `"display": "summarized"` is sent (docs/models.md#display).
The client sends it by default; `"display": "omitted"` in a thinking dict opts out. Budget
models show summarized reasoning by default: nothing is added there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from databricks_claude.emulator import Emulator
from databricks_claude.profiles import KNOWN_MODELS, get_profile

SUMMARIZED = {"type": "adaptive", "display": "summarized"}
OMITTED_BY_DEFAULT = sorted(s for s in KNOWN_MODELS
                            if get_profile(f"databricks-claude-{s}").display_default == "omitted")


def _body(emulator: Emulator) -> dict[str, Any]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")][-1]


def test_the_models_named_in_the_finding_omit_by_default() -> None:
    assert {"opus-4-7", "opus-4-8", "sonnet-5", "fable-5", "opus-5"} <= set(OMITTED_BY_DEFAULT)
    for suffix in ("sonnet-4-5", "opus-4-6", "sonnet-4-6", "3-7-sonnet"):
        assert get_profile(f"databricks-claude-{suffix}").display_default == "summarized"


@pytest.mark.parametrize("suffix", OMITTED_BY_DEFAULT)
@pytest.mark.parametrize("effort", [None, "high"])
def test_langchain_asks_for_summarized_reasoning(emulator: Emulator, make_lc: Callable[..., Any],
                                                 suffix: str, effort: str | None) -> None:
    llm = make_lc(f"databricks-claude-{suffix}", thinking=True, effort=effort)
    message = llm.invoke("Why is the sky blue?")
    body = _body(emulator)
    assert body["thinking"] == SUMMARIZED
    assert message.additional_kwargs["reasoning_content"]


@pytest.mark.parametrize("suffix", ["opus-4-7", "opus-4-8", "sonnet-5"])
def test_llama_index_asks_for_summarized_reasoning(emulator: Emulator,
                                                   make_li: Callable[..., Any],
                                                   suffix: str) -> None:
    from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock

    llm = make_li(f"databricks-claude-{suffix}", thinking=True, effort="medium")
    response = llm.chat([ChatMessage(role="user", content="Why is the sky blue?")])
    assert _body(emulator)["thinking"] == SUMMARIZED
    thoughts = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert thoughts and thoughts[0].content


@pytest.mark.parametrize("setting", [
    {"type": "adaptive", "display": "omitted"}, {"type": "adaptive", "display": "summarized"},
    {"type": "disabled"}])
def test_an_explicit_display_or_disabled_is_sent_as_given(
        emulator: Emulator, make_lc: Callable[..., Any], setting: dict[str, Any]) -> None:
    make_lc("databricks-claude-opus-4-8", thinking=setting).invoke("hi")
    assert _body(emulator)["thinking"] == setting


def test_a_budget_turned_adaptive_also_asks_for_summarized(
        emulator: Emulator, make_lc: Callable[..., Any]) -> None:
    with pytest.warns(Warning, match="only supports adaptive"):
        make_lc("databricks-claude-sonnet-5", thinking=4096).invoke("hi")
    assert _body(emulator)["thinking"] == SUMMARIZED


@pytest.mark.parametrize("suffix", ["sonnet-4-5", "opus-4-6", "3-7-sonnet"])
def test_budget_models_get_no_display_key(emulator: Emulator, make_lc: Callable[..., Any],
                                          suffix: str) -> None:
    make_lc(f"databricks-claude-{suffix}", thinking=True).invoke("hi")
    thinking = _body(emulator)["thinking"]
    assert thinking["type"] == "enabled" and "display" not in thinking
