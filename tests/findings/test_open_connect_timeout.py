"""Left open: both adapters accept `connect_timeout`, like the core client.

The field goes through the kit (`kit.clients.TRANSPORT_FIELDS`) to the core client's connect
timeout; it is not a payload key, and a bad value is refused at construction.
"""

from __future__ import annotations

from typing import Any

import pytest

from databricks_claude.emulator import Emulator
from databricks_claude.errors import ConfigurationError


def _connect_timeout(client: Any) -> float | None:
    return client._timeout.connect  # type: ignore[no-any-return]


def test_langchain_connect_timeout_reaches_the_client(make_lc: Any,
                                                      emulator: Emulator) -> None:
    llm = make_lc(connect_timeout=2.5)
    assert llm.model_kwargs == {}
    assert _connect_timeout(llm.client()) == 2.5
    assert _connect_timeout(llm.client("databricks-claude-opus-4-5")) == 2.5
    llm.invoke("hi")
    assert "connect_timeout" not in emulator.requests[-1].json


def test_llama_index_connect_timeout_reaches_the_client(make_li: Any,
                                                        emulator: Emulator) -> None:
    llm = make_li(connect_timeout=2.5)
    assert _connect_timeout(llm.client) == 2.5
    llm.complete("hi")
    assert "connect_timeout" not in emulator.requests[-1].json


def test_defaults_and_none(make_lc: Any, make_li: Any) -> None:
    assert _connect_timeout(make_lc().client()) == 10.0
    assert _connect_timeout(make_li().client) == 10.0
    assert _connect_timeout(make_lc(connect_timeout=None).client()) is None
    assert _connect_timeout(make_li(connect_timeout=None).client) is None


@pytest.mark.parametrize("value", [0, -1])
def test_a_bad_connect_timeout_is_refused_at_construction(make_lc: Any, make_li: Any,
                                                          value: float) -> None:
    for make in (make_lc, make_li):
        with pytest.raises(ConfigurationError, match="connect_timeout must be"):
            make(connect_timeout=value)
