"""How a reply's bytes go out: normally, or broken by the fault at the head of the queue."""

from __future__ import annotations

from collections.abc import Sequence

from .asgi import Action
from .render import DONE
from .state import Fault

MALFORMED = b"data: {not json\n\n"
_BATCH = 512  # events per write: few syscalls, and still many reads for a long stream


def batched(events: Sequence[str]) -> list[Action]:
    """Send actions that write `events` a batch at a time."""
    return [("send", "".join(events[i:i + _BATCH]).encode("utf-8"))
            for i in range(0, len(events), _BATCH)]


def stream_actions(events: list[str], fault: Fault | None, delay: float = 0.0) -> list[Action]:
    """The actions that stream `events` (finish chunk last) and `[DONE]`, with the fault."""
    actions: list[Action] = [("sleep", delay)] if delay else []
    kind = fault.kind if fault else None
    params = fault.params if fault else {}
    if kind == "drop_after":
        return [*actions, *batched(events[: int(params.get("chunks", 1))]), ("close", None)]
    if kind == "truncate":
        return [*actions, *batched(events[: int(params.get("chunks", 1))])]
    whole = [*events, DONE]
    if kind == "malformed":
        at = int(params.get("after", 0))
        return [*actions, *batched(whole[:at]), ("send", MALFORMED), *batched(whole[at:])]
    if kind == "stall":
        at = params.get("after")
        pause: Action = ("sleep", float(params.get("seconds", 5.0)))
        if at is None:
            return [*actions, pause, *batched(whole)]
        return [*actions, *batched(whole[: int(at)]), pause, *batched(whole[int(at):])]
    return [*actions, *batched(whole)]


def body_actions(body: bytes, fault: Fault | None,
                 delay: float = 0.0) -> tuple[list[Action], int | None]:
    """Actions for a non-streaming body under a fault, and the Content-Length to announce.

    drop_after: half the body, then the connection closes; truncate: a cut body announced
    as complete; malformed: a body that is not JSON; stall: the body after a pause.
    """
    actions: list[Action] = [("sleep", delay)] if delay else []
    kind = fault.kind if fault else None
    half = body[: len(body) // 2]
    if kind == "drop_after":
        return [*actions, ("send", half), ("close", None)], len(body)
    if kind == "truncate":
        return [*actions, ("send", half)], len(half)
    if kind == "malformed":
        return [*actions, ("send", b"{not json")], len(b"{not json")
    if kind == "stall":
        actions.append(("sleep", float(fault.params.get("seconds", 5.0)) if fault else 0.0))
    return [*actions, ("send", body)], len(body)
