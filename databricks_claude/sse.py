"""Server-sent events: the `data:` payloads of a stream, for every wire.

Pure: lines in, payloads out; the sync and async twins share the decoder and differ only in how
they loop. Other fields (`event:`, `id:`, `retry:`) and comments are ignored: every wire this
package speaks repeats the event type inside its JSON data.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

__all__ = ["DONE", "aiter_sse_data", "aiter_sse_text", "iter_sse_data", "iter_sse_text"]

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
        """Take one line (its line end already removed by `_LineSplitter`); return a complete
        data payload when this line ends one."""
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


class _LineSplitter:
    """Text chunks to SSE lines, ending a line only at "\\r\\n", "\\r" or "\\n".

    SSE knows no other line ends. `str.splitlines` (and so httpx's `iter_lines`) also splits at
    U+2028, U+2029 and U+0085, which JSON carries unescaped inside strings: a chunk whose text
    holds one would be cut in two and fail to parse.
    """

    __slots__ = ("_after_cr", "_rest")

    def __init__(self) -> None:
        self._rest = ""
        self._after_cr = False  # the last chunk ended in "\r": a leading "\n" is its pair

    def split(self, text: str) -> list[str]:
        """The lines this chunk completes (without their line ends)."""
        if self._after_cr:
            self._after_cr = False
            if text.startswith("\n"):
                text = text[1:]
        if "\r" in text:
            self._after_cr = text.endswith("\r")
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            self._rest += text
            return []
        lines = text.split("\n")
        lines[0] = self._rest + lines[0]
        self._rest = lines.pop()
        return lines

    def flush(self) -> list[str]:
        """The unterminated last line, if any."""
        rest, self._rest = self._rest, ""
        return [rest] if rest else []


class _TextDecoder:
    """Text chunks in, complete `data:` payloads out: the splitter and the event decoder."""

    __slots__ = ("_events", "_lines")

    def __init__(self) -> None:
        self._lines = _LineSplitter()
        self._events = _SSEDecoder()

    def feed(self, chunk: str) -> list[str]:
        """The payloads this chunk completes."""
        feed = self._events.feed
        return [payload for line in self._lines.split(chunk)
                if (payload := feed(line)) is not None]

    def end(self) -> list[str]:
        """The payloads left at the end of the input."""
        payloads = [payload for line in self._lines.flush()
                    if (payload := self._events.feed(line)) is not None]
        last = self._events.flush()
        return payloads if last is None else [*payloads, last]


def iter_sse_text(chunks: Iterable[str]) -> Iterator[str]:
    """The `data:` payloads of an SSE stream given as decoded text chunks of any size."""
    decoder = _TextDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.end()


async def aiter_sse_text(chunks: AsyncIterable[str]) -> AsyncIterator[str]:
    """The async twin of `iter_sse_text`."""
    decoder = _TextDecoder()
    async for chunk in chunks:
        for payload in decoder.feed(chunk):
            yield payload
    for payload in decoder.end():
        yield payload


def _terminated(line: str) -> str:
    """One line given on its own, ending in exactly one LF (the text decoder's line end)."""
    return line.rstrip("\r\n") + "\n"


def iter_sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The `data:` payloads of an SSE stream given as lines (with or without line endings)."""
    return iter_sse_text(map(_terminated, lines))


async def aiter_sse_data(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """The async twin of `iter_sse_data`."""
    async def terminated() -> AsyncIterator[str]:
        async for line in lines:
            yield _terminated(line)

    async for payload in aiter_sse_text(terminated()):
        yield payload

