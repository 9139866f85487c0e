"""Base64 images: one type sniffer and one `data:` URL builder for every adapter."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from databricks_claude.errors import ConfigurationError

__all__ = ["data_url", "sniff_image_type"]

# File signatures of the image types Claude takes (first bytes of the decoded data).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image_type(b64: str | bytes) -> str | None:
    """The MIME type of base64 image data from its first bytes, or None when unknown."""
    head = b64[:64] if isinstance(b64, bytes) else b64[:64].encode("ascii", "replace")
    try:
        raw = base64.b64decode(head + b"=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return None
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _SIGNATURES if raw.startswith(magic)), None)


def data_url(mime_type: Any, data: Any) -> str:
    """A `data:` URL for base64 image data; the MIME type is sniffed when none is given."""
    if isinstance(data, bytes):
        data = data.decode("ascii")
    if not isinstance(data, str) or not data:
        raise ConfigurationError("base64 image block without data")
    if data.startswith("data:"):
        return data
    if not mime_type:
        mime_type = sniff_image_type(data)
        if mime_type is None:
            raise ConfigurationError(
                "base64 image block without mime_type (and not png/jpeg/gif/webp): "
                "give the image's MIME type")
    return f"data:{mime_type};base64,{data}"
