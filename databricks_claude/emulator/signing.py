"""Signatures for reasoning blocks: an HMAC of the text, so any modification is detected."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

DEFAULT_SECRET = b"databricks-claude-emulator"
_REDACTED = b"redacted-reasoning:"


class Signer:
    """Signs reasoning text and issues opaque redacted data; verifies both when replayed."""

    def __init__(self, secret: bytes = DEFAULT_SECRET) -> None:
        self._secret = secret

    def sign(self, text: str) -> str:
        """The signature of a reasoning text (base64 HMAC-SHA256)."""
        mac = hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).digest()
        return base64.b64encode(mac).decode("ascii")

    def verify(self, text: str, signature: str) -> bool:
        """Whether `signature` is the one this emulator gives `text`."""
        return hmac.compare_digest(self.sign(text), signature)

    def redacted_data(self, seed: str) -> str:
        """Opaque redacted-reasoning data: a nonce derived from `seed` and its HMAC."""
        nonce = hashlib.sha256(seed.encode("utf-8")).digest()[:24]
        mac = hmac.new(self._secret, _REDACTED + nonce, hashlib.sha256).digest()
        return base64.b64encode(nonce + mac).decode("ascii")

    def verify_redacted(self, data: str) -> bool:
        """Whether `data` is redacted-reasoning data this emulator issued, unmodified."""
        try:
            raw = base64.b64decode(data.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            return False
        nonce, mac = raw[:24], raw[24:]
        expected = hmac.new(self._secret, _REDACTED + nonce, hashlib.sha256).digest()
        return len(raw) == 56 and hmac.compare_digest(mac, expected)
