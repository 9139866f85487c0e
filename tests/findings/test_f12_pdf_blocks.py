"""Finding 12: a PDF (document) block raised a plain `ValueError` (LangChain) or a bare
"DocumentBlock is not supported" (LlamaIndex). Both adapters now raise one
`ConfigurationError`, before any request, that says the chat-completions route has no document
input and what to do instead (extract the text, or send pages as images).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from llama_index.core.base.llms.types import ChatMessage, DocumentBlock, TextBlock

from databricks_claude.emulator import Emulator
from databricks_claude.errors import ConfigurationError

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PDF_B64 = base64.b64encode(PDF).decode()


def _assert_clear(error: pytest.ExceptionInfo[ConfigurationError]) -> None:
    text = str(error.value)
    assert type(error.value) is ConfigurationError
    assert "no document input" in text
    assert "Extract the document's text" in text


@pytest.mark.parametrize("block", [
    {"type": "file", "base64": PDF_B64, "mime_type": "application/pdf"},  # LangChain v1
    {"type": "file", "source_type": "base64", "data": PDF_B64, "mime_type": "application/pdf"},
    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                    "data": PDF_B64}},  # Anthropic
    {"type": "file", "file": {"filename": "a.pdf",
                              "file_data": f"data:application/pdf;base64,{PDF_B64}"}},  # OpenAI
])
def test_langchain_document_blocks_are_a_clear_configuration_error(
        make_lc: Any, emulator: Emulator, block: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as error:
        make_lc().invoke([HumanMessage([{"type": "text", "text": "Summarize."}, block])])
    _assert_clear(error)
    assert emulator.requests == []


def test_langchain_document_in_a_system_message_too(make_lc: Any, emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError) as error:
        make_lc().invoke([SystemMessage([{"type": "file", "base64": PDF_B64,
                                          "mime_type": "application/pdf"}]),
                          HumanMessage("Summarize.")])
    _assert_clear(error)


def test_langchain_audio_says_what_the_service_takes(make_lc: Any) -> None:
    with pytest.raises(ConfigurationError, match="text and images only"):
        make_lc().invoke([HumanMessage([{"type": "audio", "base64": "AAAA",
                                         "mime_type": "audio/wav"}])])


def test_llama_index_document_block_is_a_clear_configuration_error(
        make_li: Any, emulator: Emulator) -> None:
    message = ChatMessage(role="user", blocks=[TextBlock(text="Summarize."),
                                               DocumentBlock(data=PDF,
                                                             document_mimetype="application/pdf")])
    with pytest.raises(ConfigurationError) as error:
        make_li().chat([message])
    _assert_clear(error)
    assert "DocumentBlock" in str(error.value)
    assert emulator.requests == []


async def test_llama_index_async_document_block_is_refused_before_sending(
        amake_li: Any, emulator: Emulator) -> None:
    message = ChatMessage(role="user", blocks=[DocumentBlock(data=PDF)])
    with pytest.raises(ConfigurationError) as error:
        await amake_li().achat([message])
    _assert_clear(error)
    assert emulator.requests == []
