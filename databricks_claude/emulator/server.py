"""Running the app with uvicorn: blocking (`serve`, for the CLI) or in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from typing import Any

from .state import EmulatorState

STARTUP_TIMEOUT = 10.0


def serve(port: int, token: str | None, host: str = "127.0.0.1") -> None:
    """Serve an emulator on `host:port` until interrupted (Ctrl-C). Prints nothing itself."""
    import uvicorn

    from .app import create_app
    from .harness import make_settings

    state = EmulatorState(make_settings(token=token))
    config = uvicorn.Config(create_app(state), host=host, port=port, log_level="warning",
                            access_log=False, lifespan="off")
    uvicorn.Server(config).run()


class BackgroundServer:
    """uvicorn serving an ASGI app on a loopback socket, in a daemon thread."""

    def __init__(self, app: Any, port: int = 0, host: str = "127.0.0.1") -> None:
        import uvicorn

        # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets of a TCP-proto
        # listener; without it every response waits ~40 ms on Nagle + delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.host, self.port = host, self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1, backlog=2048)
        self._server = uvicorn.Server(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="databricks-claude-emulator",
                                        daemon=True)
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError("the emulator failed to start") from self._error
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start in time")
            time.sleep(0.002)

    def stop(self) -> None:
        """Stop serving, cancel what is in flight, and join the thread."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)
        self._socket.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start()
            self._error = exc

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        # Server.serve() would poll for exit every 0.1 s; driving startup/shutdown directly
        # makes stop() prompt.
        config = self._server.config
        if not config.loaded:
            config.load()
        self._server.lifespan = config.lifespan_class(config)
        await self._server.startup(sockets=[self._socket])
        await self._stop.wait()
        # Break open connections first: stalled responses see the disconnect and end.
        for connection in list(self._server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await asyncio.sleep(0)
        self._server.force_exit = True
        await self._server.shutdown(sockets=[self._socket])
