"""Random faults for soak tests: `Emulator(fault_rate={429: 0.1, 503: 0.02}, seed=7)`."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from databricks_claude.emulator import Emulator

CHAT = "/serving-endpoints/chat/completions"
BODY = {"model": "databricks-claude-sonnet-4-5", "max_tokens": 20,
        "messages": [{"role": "user", "content": "Hello there"}]}


def statuses(emu: Emulator, count: int) -> list[int]:
    """The statuses of `count` identical chat requests, in order."""
    with httpx.Client(base_url=emu.host, headers={"Authorization": f"Bearer {emu.token}"},
                      timeout=10) as client:
        return [client.post(CHAT, json=BODY).status_code for _ in range(count)]


def test_each_request_fails_with_the_given_probabilities() -> None:
    with Emulator(fault_rate={429: 0.1, 503: 0.02}, seed=7) as emu:
        counted = Counter(statuses(emu, 1000))
    assert set(counted) == {200, 429, 503}
    # Binomial(1000, p): well inside four standard deviations.
    assert 60 <= counted[429] <= 140
    assert 5 <= counted[503] <= 40
    assert counted[200] == 1000 - counted[429] - counted[503]


def test_a_seed_makes_the_faults_reproducible() -> None:
    with Emulator(fault_rate={429: 0.3, 503: 0.1}, seed=7) as first:
        sequence = statuses(first, 200)
        first.reset()
        assert statuses(first, 200) == sequence  # reset starts again from the seed
    with Emulator(fault_rate={429: 0.3, 503: 0.1}, seed=7) as second:
        assert statuses(second, 200) == sequence
    with Emulator(fault_rate={429: 0.3, 503: 0.1}, seed=8) as other:
        assert statuses(other, 200) != sequence


def test_faults_carry_the_service_bodies_and_retry_after() -> None:
    with Emulator(fault_rate={429: 1.0}, seed=1) as emu, httpx.Client(
            base_url=emu.host, headers={"Authorization": f"Bearer {emu.token}"}) as client:
        response = client.post(CHAT, json=BODY)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert "databricks-claude-sonnet-4-5" in response.json()["message"]
        stream = client.post(CHAT, json={**BODY, "stream": True})
        assert stream.status_code == 429
    with Emulator(fault_rate={503: 1.0}) as emu, httpx.Client(
            base_url=emu.host, headers={"Authorization": f"Bearer {emu.token}"}) as client:
        response = client.post(CHAT, json=BODY)
        assert response.status_code == 503
        assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"


def test_queued_faults_come_first_and_auth_is_still_checked() -> None:
    with Emulator(fault_rate={503: 1.0}) as emu, httpx.Client(base_url=emu.host) as client:
        assert client.post(CHAT, json=BODY).status_code == 401
        emu.fault("status", status=500)
        headers = {"Authorization": f"Bearer {emu.token}"}
        assert client.post(CHAT, json=BODY, headers=headers).status_code == 500
        assert client.post(CHAT, json=BODY, headers=headers).status_code == 503


@pytest.mark.parametrize(("rates", "message"), [
    ({429: 0.7, 503: 0.5}, "add up to more than 1"),
    ({200: 0.1}, "HTTP error statuses"),
    ({"429": 0.1}, "HTTP error statuses"),
    ({429: 1.5}, "probability in [0, 1]"),
    ({429: -0.1}, "probability in [0, 1]"),
])
def test_bad_fault_rates_are_refused(rates: dict[Any, float], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Emulator(fault_rate=rates)


def test_a_client_with_retries_soaks_through(sleeps: list[float]) -> None:
    from langchain_databricks_claude import ChatDatabricksClaude

    with Emulator(fault_rate={429: 0.2, 503: 0.05}, seed=7) as emu:
        llm = ChatDatabricksClaude(endpoint="databricks-claude-sonnet-4-5", host=emu.host,
                                   token=emu.token, max_retries=8)
        try:
            answers = [llm.invoke(f"question {n}").content for n in range(40)]
        finally:
            llm.close()
        assert all(answers)
        assert len(emu.requests) > 40  # some were refused and retried
    assert sleeps
