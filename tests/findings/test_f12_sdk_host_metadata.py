"""Finding 12 (last part): databricks-sdk auth against the emulator leaves the output clean.

databricks-sdk's `Config` asks `{host}/.well-known/databricks-config` for host metadata when it is
built, and logs "Failed to automatically resolve config from host metadata" when that fails; the
emulator serves what it asks for.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from databricks_claude.emulator import Emulator

PROBE_FAILED = "Failed to automatically resolve config from host metadata"


def test_the_emulator_serves_host_metadata_without_auth(emulator: Emulator) -> None:
    response = httpx.get(f"{emulator.host}/.well-known/databricks-config")
    assert response.status_code == 200
    assert response.json() == {"oidc_endpoint": f"{emulator.host}/oidc"}


def test_sdk_config_resolves_without_a_warning(emulator: Emulator,
                                               caplog: pytest.LogCaptureFixture) -> None:
    from databricks.sdk.core import Config

    with caplog.at_level(logging.WARNING):
        config = Config(host=emulator.host, token=emulator.token)
        headers = config.authenticate()
    assert headers["Authorization"] == f"Bearer {emulator.token}"
    if config.discovery_url is not None:
        # SDK releases that keep the discovery URL take it from the host metadata (older ones,
        # e.g. the lowest supported 0.94, leave it unset).
        assert config.discovery_url == (
            f"{emulator.host}/oidc/.well-known/oauth-authorization-server")
    assert PROBE_FAILED not in caplog.text
    assert not [record for record in caplog.records if record.name.startswith("databricks.sdk")
                and record.levelno >= logging.WARNING]


def test_sdk_oauth_m2m_uses_the_discovered_endpoints(emulator: Emulator,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    from databricks.sdk.core import Config

    with caplog.at_level(logging.WARNING):
        config = Config(host=emulator.host, client_id=emulator.client_id,
                        client_secret=emulator.client_secret)
        headers = config.authenticate()
    assert headers["Authorization"].startswith("Bearer dkea")
    assert PROBE_FAILED not in caplog.text


def test_models_on_an_sdk_profile_log_nothing(emulator: Emulator, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    from langchain_databricks_claude import ChatDatabricksClaude
    from llama_index_databricks_claude import DatabricksClaude

    profile = tmp_path / ".databrickscfg"
    profile.write_text(f"[emu]\nhost = {emulator.host}\ntoken = {emulator.token}\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(profile))
    with caplog.at_level(logging.WARNING):
        for endpoint in ("databricks-claude-sonnet-4-5", "databricks-claude-opus-4-6"):
            lc = ChatDatabricksClaude(endpoint=endpoint, config_profile="emu")
            li = DatabricksClaude(endpoint=endpoint, config_profile="emu")
            try:
                assert lc.invoke("hi").content
                assert li.complete("hi").text
            finally:
                lc.close()
                li.close()
    assert PROBE_FAILED not in caplog.text
    # The calls went through databricks-sdk's credentials (a profile, no token argument).
    assert all(r.headers.get("authorization") == "Bearer <redacted>" for r in emulator.requests)
