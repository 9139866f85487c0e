"""What the service refuses and the client can know is prevented before sending, on both wires:
both samplers from Claude 4.5 on, `max_tokens` above the output limit, broken image base64, a
prefill ending in whitespace (trimmed), whitespace-only text and a system-only conversation."""

from __future__ import annotations

from typing import Any

import pytest

from databricks_claude.client import DatabricksClaudeClient
from databricks_claude.codecs.chat import CHAT
from databricks_claude.codecs.messages import MESSAGES
from databricks_claude.emulator import Emulator
from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import ImagePart, Message, RequestOptions, TextPart

WIRES = [CHAT, MESSAGES]


def client(emulator: Emulator, codec: Any, endpoint: str = "databricks-claude-sonnet-4-5"
           ) -> DatabricksClaudeClient:
    return DatabricksClaudeClient(endpoint, host=emulator.host, token=emulator.token,
                                  codec=codec)


@pytest.mark.parametrize("codec", WIRES, ids=lambda c: c.name)
@pytest.mark.parametrize("messages, options, message", [
    ([Message.user("hi")], RequestOptions(temperature=0.2, top_p=0.9), "cannot both be set"),
    ([Message.user("hi")], RequestOptions(max_tokens=64_001), "output limit"),
    ([Message("user", [TextPart("what?"), ImagePart("data:image/png;base64,not*base64")])],
     RequestOptions(), "valid base64"),
    ([Message.user("   ")], RequestOptions(), "empty"),
    ([Message.system("only a system prompt")], RequestOptions(), "only system"),
])
def test_refused_before_any_request(emulator: Emulator, codec: Any, messages: list[Message],
                                    options: RequestOptions, message: str) -> None:
    with client(emulator, codec) as refusing, pytest.raises(ConfigurationError, match=message):
        refusing.complete(messages, options)
    assert emulator.requests == []


@pytest.mark.parametrize("codec", WIRES, ids=lambda c: c.name)
def test_older_models_keep_both_samplers(emulator: Emulator, codec: Any) -> None:
    with client(emulator, codec, "databricks-claude-3-7-sonnet") as older:
        older.complete([Message.user("hi")], RequestOptions(temperature=0.2, top_p=0.9))
    body = emulator.requests[-1].json
    assert (body["temperature"], body["top_p"]) == (0.2, 0.9)


@pytest.mark.parametrize("codec", WIRES, ids=lambda c: c.name)
def test_a_prefill_ending_in_whitespace_is_trimmed_and_accepted(emulator: Emulator,
                                                                 codec: Any) -> None:
    with client(emulator, codec) as prefilling:
        answer = prefilling.complete([Message.user("Count to three"),
                                      Message.assistant("One, two, \n")])
    assert answer.text
    last = emulator.requests[-1].json["messages"][-1]
    text = last["content"] if isinstance(last["content"], str) else last["content"][-1]["text"]
    assert text == "One, two,"
