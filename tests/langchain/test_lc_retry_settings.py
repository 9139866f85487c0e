"""Retry settings reach the core client, and a long Retry-After is capped by max_retry_wait."""

from __future__ import annotations

import time

from databricks_claude.emulator import Emulator
from langchain_databricks_claude import ChatDatabricksClaude


def test_max_retry_wait_caps_a_long_retry_after(emulator: Emulator) -> None:
    model = ChatDatabricksClaude(endpoint="databricks-claude-sonnet-4-5", host=emulator.host,
                                 token=emulator.token, max_retries=1, max_retry_wait=0.05)
    assert model.client().max_retry_wait == 0.05
    emulator.fault("status", status=429, retry_after=30)
    started = time.monotonic()
    reply = model.invoke("hello")
    # A 30 s Retry-After honoured as is would make this call take 30 s; capped, it retries soon.
    assert time.monotonic() - started < 20
    assert reply.text
    assert len([r for r in emulator.requests if r.path.endswith("/chat/completions")]) == 2
