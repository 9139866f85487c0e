"""How a reply's bytes go out: normally, or broken by the fault at the head of the queue."""

from __future__ import annotations

from collections.abc import Iterator

from .asgi import Action
from .render import Run, encode_events, event_count
from .state import Fault

MALFORMED = b"data: {not json\n\n"


def stream_actions(runs: list[Run], fault: Fault | None, delay: float = 0.0) -> Iterator[Action]:
    """The actions that stream the events (finish chunk and `[DONE]` last), with the fault.

    drop_after: `chunks` events, then the connection closes; truncate: `chunks` events, then a
    clean end; malformed: a garbage event after `after` events; stall: a pause of `seconds`
    before the first byte, or after `after` events. Counts include the finish chunk.
    """
    if delay:
        yield ("sleep", delay)
    kind = fault.kind if fault else None
    params = fault.params if fault else {}
    total = event_count(runs)
    if kind in ("drop_after", "truncate"):
        # Never [DONE]; truncate never the finish chunk either.
        last = total - 1 if kind == "drop_after" else total - 2
        yield from _sends(runs, 0, min(int(params.get("chunks", 1)), last))
        if kind == "drop_after":
            yield ("close", None)
        return
    at = params.get("after") if kind == "stall" else params.get("after", 0)
    if kind not in ("malformed", "stall") or at is None:
        if kind == "stall":
            yield ("sleep", float(params.get("seconds", 5.0)))
        yield from _sends(runs, 0, total)
        return
    yield from _sends(runs, 0, int(at))
    if kind == "malformed":
        yield ("send", MALFORMED)
    else:
        yield ("sleep", float(params.get("seconds", 5.0)))
    yield from _sends(runs, int(at), total)


def _sends(runs: list[Run], start: int, stop: int) -> Iterator[Action]:
    for data in encode_events(runs, start, stop):
        yield ("send", data)


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
