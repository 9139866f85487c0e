"""Images for every adapter: one type sniffer, one `data:` URL builder, and remote image URLs
inlined before a request (the service takes only base64 images: docs/images.md).

An adapter converts its messages with remote URLs left as they are, then calls
`inline_images` (sync calls) or `ainline_images` (async calls) with `image_policy(model)`:
each distinct remote URL is fetched once per call (concurrently in async calls) by
`kit.fetch`, checked to be an image by its bytes, and replaced by a `data:` URL.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from databricks_claude.errors import ConfigurationError, ImageFetchError
from databricks_claude.messages import ImagePart, Message, ToolResultPart

if TYPE_CHECKING:
    from databricks_claude.kit.fetch import ImageFetchPolicy

__all__ = ["ImageSettings", "ainline_images", "data_url", "image_policy", "inline_images",
           "remote_image_parts", "sniff_image_bytes", "sniff_image_type", "unsupported_input"]

# Remote images of one async call fetched at the same time, at most (a request takes up to 100).
_CONCURRENT_FETCHES = 8

# File signatures of the image types Claude takes (first bytes of the decoded data).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image_bytes(raw: bytes) -> str | None:
    """The MIME type of raw image bytes from their first bytes, or None when not an image
    Claude takes (PNG, JPEG, GIF, WebP)."""
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _SIGNATURES if raw.startswith(magic)), None)


def sniff_image_type(b64: str | bytes) -> str | None:
    """The MIME type of base64 image data from its first bytes, or None when unknown."""
    head = b64[:64] if isinstance(b64, bytes) else b64[:64].encode("ascii", "replace")
    try:
        raw = base64.b64decode(head + b"=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return None
    return sniff_image_bytes(raw)


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


class ImageSettings(BaseModel):
    """The remote-image settings of both adapters' models, declared once (a base class of
    `ChatDatabricksClaude` and `DatabricksClaude`; docs/images.md)."""

    fetch_images: bool = Field(
        default=True, description="Fetch remote image URLs and send them inline (the service "
        "takes only base64 images); False refuses them before sending.")
    allow_private_image_hosts: bool = Field(
        default=False, description="Let image fetches reach loopback, private and link-local "
        "addresses (and plain http to loopback); cloud-metadata addresses stay refused.")


def unsupported_input(what: str, where: str, *, document: bool) -> ConfigurationError:
    """The error for an input the chat-completions route cannot carry (`what`, e.g. "'file'
    blocks" or "DocumentBlock"): a document (a PDF or other file), or audio or video. The same
    advice from every adapter (docs/images.md#documents)."""
    if document:
        return ConfigurationError(
            f"{what} (PDFs and other documents) cannot be sent in {where}: the chat-completions "
            "route has no document input. Extract the document's text (e.g. with pypdf) and "
            "send it as text, or send its pages as images")
    return ConfigurationError(
        f"{what} cannot be sent in {where}: Claude on Databricks takes text and images only "
        "(PNG, JPEG, GIF, WebP)")


def image_policy(settings: object) -> ImageFetchPolicy:
    """The remote-image policy of a model object (its `ImageSettings`; defaults when absent)."""
    from databricks_claude.kit.fetch import ImageFetchPolicy  # httpx only when used

    return ImageFetchPolicy(
        enabled=bool(getattr(settings, "fetch_images", True)),
        allow_private_hosts=bool(getattr(settings, "allow_private_image_hosts", False)))


def _image_parts(messages: Sequence[Message]) -> Iterator[ImagePart]:
    """Every image part, tool results included."""
    for message in messages:
        for part in message.parts:
            if isinstance(part, ImagePart):
                yield part
            elif isinstance(part, ToolResultPart) and isinstance(part.content, list):
                yield from (p for p in part.content if isinstance(p, ImagePart))


def remote_image_parts(messages: Sequence[Message]) -> list[ImagePart]:
    """The image parts whose URL is not an inline `data:` URL."""
    return [part for part in _image_parts(messages) if not part.url.startswith("data:")]


def _remote_urls(messages: Sequence[Message],
                 policy: ImageFetchPolicy) -> tuple[list[ImagePart], list[str]]:
    """The remote image parts and their distinct URLs; refused here when fetching is off."""
    parts = remote_image_parts(messages)
    if parts and not policy.enabled:
        from databricks_claude.kit.fetch import shown_url

        raise ConfigurationError(
            f"the image {shown_url(parts[0].url)} is a remote URL, which the service does not "
            "accept (only base64 images), and fetch_images is off: send the image inline as "
            "base64 (a data: URL), or leave fetch_images on to have it fetched")
    return parts, list(dict.fromkeys(part.url for part in parts))


def _inline(url: str, body: bytes) -> str:
    """A fetched body as a `data:` URL, typed by its bytes (a server's Content-Type is not
    trusted: the service refuses a wrong one)."""
    from databricks_claude.kit.fetch import shown_url

    mime = sniff_image_bytes(body)
    if mime is None:
        raise ImageFetchError(
            f"the URL {shown_url(url)} did not return a PNG, JPEG, GIF or WebP image "
            f"({len(body):,} bytes starting {body[:8]!r}): check the URL")
    return f"data:{mime};base64,{base64.b64encode(body).decode('ascii')}"


def _replace(parts: list[ImagePart], inlined: dict[str, str]) -> None:
    for part in parts:
        part.url = inlined[part.url]


def inline_images(messages: list[Message], policy: ImageFetchPolicy) -> list[Message]:
    """Replace every remote image URL in `messages` (parts built for this call) by a `data:`
    URL, fetching each distinct URL once, blocking. Returns `messages`.

    Raises `ConfigurationError` when fetching is off and `ImageFetchError` when a fetch fails.
    """
    parts, urls = _remote_urls(messages, policy)
    if parts:
        from databricks_claude.kit.fetch import fetch_bytes

        _replace(parts, {url: _inline(url, fetch_bytes(url, policy)) for url in urls})
    return messages


async def ainline_images(messages: list[Message], policy: ImageFetchPolicy) -> list[Message]:
    """`inline_images` for async calls: the URLs are fetched concurrently, without blocking
    the event loop. Every fetch ends (or times out) before the first error is raised."""
    parts, urls = _remote_urls(messages, policy)
    if not parts:
        return messages
    from databricks_claude.kit.fetch import afetch_bytes

    slots = asyncio.Semaphore(_CONCURRENT_FETCHES)

    async def fetch_one(url: str) -> bytes:
        async with slots:  # waiting for a slot is not counted in the fetch's timeout
            return await afetch_bytes(url, policy)

    bodies = await asyncio.gather(*(fetch_one(url) for url in urls), return_exceptions=True)
    for body in bodies:
        if isinstance(body, BaseException):
            raise body
    _replace(parts, {url: _inline(url, body) for url, body in zip(urls, bodies, strict=True)
                     if isinstance(body, bytes)})
    return messages
