"""A raw ASGI response that can pause, and close the connection mid-way like a broken network."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

# An action is ("send", bytes) | ("sleep", seconds) | ("close", None); the response ends cleanly
# after the last action unless it was "close".
Action = tuple[str, Any]


class ActionResponse(Response):
    """Plays a list of actions: body writes, pauses and an abrupt connection close."""

    def __init__(self, actions: Iterable[Action], status_code: int = 200,
                 headers: dict[str, str] | None = None, media_type: str | None = None) -> None:
        super().__init__(None, status_code, headers, media_type)
        if "content-length" not in (headers or {}):
            self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.actions = actions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response, or break the connection where the actions say so."""
        started = False
        transport = _transport(receive)
        for kind, value in self.actions:
            if kind == "sleep":
                if await _client_left_within(receive, value):
                    return
                continue
            if kind == "close":
                await close_connection(receive, abort=not started)
                return
            if transport is not None and transport.is_closing():
                # The client left (a `break` out of a stream): stop writing. Writes to a lost
                # socket within one loop tick would make asyncio log "socket.send() raised
                # exception." before uvicorn learns of the disconnect; returning before it has
                # would make uvicorn log an incomplete response.
                await _client_left_within(receive, 5)
                return
            if not started:
                await self._start(send)
                started = True
            await send({"type": "http.response.body", "body": value, "more_body": True})
        if not started:
            await self._start(send)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _start(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})


async def close_connection(receive: Receive, *, abort: bool) -> None:
    """Close the client's TCP connection (flushing what was sent unless `abort`).

    uvicorn keeps the transport on the object that owns `receive`; without one (an in-process
    ASGI transport) the break is signalled by raising ConnectionResetError.
    """
    transport = _transport(receive)
    if transport is None:
        raise ConnectionResetError("emulated connection reset")
    if abort:
        transport.abort()
    else:
        transport.close()
    # Wait until the server has seen the disconnect, so it does not answer on our behalf.
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(_until_disconnect(receive), 5)


def _transport(receive: Receive) -> asyncio.Transport | None:
    """uvicorn's transport for this connection (kept on the object owning `receive`), if any."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    return transport if isinstance(transport, asyncio.Transport) else None


async def _client_left_within(receive: Receive, seconds: float) -> bool:
    """Pause; True (early) if the client disconnected meanwhile: nobody is left to answer."""
    try:
        await asyncio.wait_for(_until_disconnect(receive), seconds)
    except asyncio.TimeoutError:
        return False
    return True


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
