"""Server-sent events: the `data:` payloads of a stream, for every wire.

Pure: lines in, payloads out; the sync and async twins share the decoder and differ only in how
they loop. Other fields (`event:`, `id:`, `retry:`) and comments are ignored: every wire this
package speaks repeats the event type inside its JSON data.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

__all__ = ["DONE", "aiter_sse_data", "iter_sse_data"]

#: The data payload that ends a chat-completions stream (the decoder's one leniency knows it).
DONE = "[DONE]"


class _SSEDecoder:
    """Line-by-line SSE decoding of `data:` fields; other fields and comments are ignored.

    Multi-line data is joined with "\\n" as the SSE spec says. One leniency: a `data:` line that
    starts a new JSON object right after a line that ended one is taken as a new event even
    without the blank line between them, so streams whose blank lines were lost still decode.
    """

    __slots__ = ("_lines",)

    def __init__(self) -> None:
        self._lines: list[str] = []

    def feed(self, line: str) -> str | None:
        """Take one line; return a complete data payload when this line ends one."""
        if line.endswith(("\n", "\r")):
            line = line.rstrip("\r\n")
        if not line:
            return self.flush()
        if not line.startswith("data:"):
            return None  # comments (":"), event:, id:, retry:
        value = line[6:] if line.startswith("data: ") else line[5:]
        pending = self._lines
        if pending and pending[-1].endswith("}") and (value.startswith("{") or value == DONE):
            self._lines = [value]
            return pending[0] if len(pending) == 1 else "\n".join(pending)
        pending.append(value)
        return None

    def flush(self) -> str | None:
        """The pending payload at an event boundary or end of input, if any."""
        pending = self._lines
        if not pending:
            return None
        self._lines = []
        return pending[0] if len(pending) == 1 else "\n".join(pending)


def iter_sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The `data:` payloads of an SSE stream given as lines (with or without line endings)."""
    decoder = _SSEDecoder()
    for line in lines:
        payload = decoder.feed(line)
        if payload is not None:
            yield payload
    payload = decoder.flush()
    if payload is not None:
        yield payload


async def aiter_sse_data(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """The async twin of `iter_sse_data`."""
    decoder = _SSEDecoder()
    async for line in lines:
        payload = decoder.feed(line)
        if payload is not None:
            yield payload
    payload = decoder.flush()
    if payload is not None:
        yield payload


# ----------------------------------------------------------------------------------------------
# Accumulation
