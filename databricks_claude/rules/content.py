"""Content the service refuses whatever the wire: broken image data, a prefill that ends in
whitespace. Each codec calls these on its own blocks. Rules: docs/design-rules.md#content.
"""

from __future__ import annotations

import binascii

from databricks_claude.errors import ConfigurationError

__all__ = ["check_image_data", "trim_prefill"]


def check_image_data(url: str) -> None:
    """Refuse a `data:` image URL whose payload is not valid base64 (the service answers it
    with a 400); other URLs are left to the fetch step and the codec."""
    if not url.startswith("data:"):
        return
    header, _, data = url.partition(",")
    if ";base64" not in header:
        return
    try:
        binascii.a2b_base64(data.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ConfigurationError(
            f"image data URL {url[:60]!r}... does not hold valid base64 data, which the service "
            "refuses: encode the image bytes with base64.b64encode") from None


def trim_prefill(text: str) -> str:
    """The text of a final assistant turn (a prefill) without trailing whitespace, which the
    service refuses ("final assistant content cannot end with trailing whitespace")."""
    return text.rstrip()
