"""`databricks-claude emulator`: check the port, print how to point a client at it, serve.

- A port that is taken (or an address that cannot be bound) is said in one line, and the
  command exits 1 before printing anything else (no banner followed by a traceback).
- The host printed is one a client can use: `0.0.0.0` / `::` (every interface) is no address
  to connect to, so the banner gives the loopback URL for this machine and the machine's
  hostname for others. Plain http to a host other than loopback needs the client's explicit
  opt-in (`DATABRICKS_CLAUDE_ALLOW_HTTP=1`), printed beside it (docs/design-rules.md#plain-http).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
from typing import TextIO

from databricks_claude.config import ALLOW_HTTP_ENV

__all__ = ["EMULATOR_TOKEN", "run_emulator"]

#: The token the emulator accepts when none is given: a public placeholder, safe to print.
EMULATOR_TOKEN = "dapi-emulator-local"

_ANY = ("0.0.0.0", "::", "")


def run_emulator(port: int, token: str | None, bind: str, out: TextIO, err: TextIO) -> int:
    """Serve the emulator until Ctrl-C; 0 when stopped, 1 when it cannot listen."""
    from databricks_claude.emulator.server import serve

    problem = _bind_problem(bind, port)
    if problem is not None:
        err.write(f"error: {problem}\n")
        return 1
    _banner(port, token, bind, out)
    with contextlib.suppress(KeyboardInterrupt):
        try:
            serve(port=port, token=token or EMULATOR_TOKEN, host=bind)
        except SystemExit as exit_:  # uvicorn exits 1 when it cannot bind (a race with another)
            err.write(f"error: the emulator could not listen on {bind}:{port}\n")
            return int(exit_.code or 1) if isinstance(exit_.code, int) else 1
    return 0


def _bind_problem(bind: str, port: int) -> str | None:
    """Why `bind:port` cannot be listened on, or None when it can (checked by binding)."""
    try:
        infos = socket.getaddrinfo(bind or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"cannot bind to {bind!r}: {error.strerror}; pass --bind an address of this machine"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds (SO_REUSEADDR): a port in TIME_WAIT is free, a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (f"port {port} on {bind} is already in use (another emulator?); stop "
                        "it or pick another port with --port")
            return f"cannot listen on {bind}:{port}: {error.strerror}"
    return None


def _url(host: str, port: int) -> str:
    """`http://host:port`, with an IPv6 address in brackets."""
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    return f"http://{host}:{port}"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _banner(port: int, token: str | None, bind: str, out: TextIO) -> None:
    """Where the emulator listens and the environment a client needs to reach it."""
    # A token the user chose is theirs: never echo it. The default is a public placeholder.
    shown = "<the token you passed>" if token else EMULATOR_TOKEN
    lines = [f"Databricks Claude emulator on {_url(bind, port)}"]
    if _is_loopback(bind):
        lines.append(f"  export DATABRICKS_HOST={_url(bind, port)}")
    else:
        if bind in _ANY:
            lines += ["  on this machine:",
                      f"  export DATABRICKS_HOST={_url('127.0.0.1', port)}",
                      "  from another machine or container (plain http: the client must opt in):"]
        remote = socket.gethostname() if bind in _ANY else bind
        lines += [f"  export DATABRICKS_HOST={_url(remote, port)}",
                  f"  export {ALLOW_HTTP_ENV}=1"]
    lines.append(f"  export DATABRICKS_TOKEN={shown}")
    out.write("\n".join(lines) + "\n")
    out.flush()
