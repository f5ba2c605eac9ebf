"""A thread announces that its next external call is going out, to whoever waits for that (workflows/runner.py).

In one Python process only one thread runs Python code at a time. A step's record that commits beside the next
step's call (Step.overlaps_previous_record) would take turns with that call's preparation, and put its own work
between two calls of the swarm's chain; started once the call is on its way, it runs while the call waits on the
network instead. The adapters say when a request leaves (the Slack client, the Teams bridge); a step that makes
no call releases the waiter when it ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class CallOut:
    """Set when a thread's next call goes out, or when the block it announces for ends without one."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.by_call = False

    def set(self, *, by_call: bool) -> None:
        if not self._event.is_set():
            self.by_call = by_call
            self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


_waiting = threading.local()


@contextlib.contextmanager
def announcing(out: CallOut) -> Iterator[None]:
    """Set `out` when this thread's next external call goes out, or when the block ends, whichever comes first."""
    _waiting.out = out
    try:
        yield
    finally:
        _waiting.out = None
        out.set(by_call=False)


def going_out() -> None:
    """Called by an adapter just before it sends a request."""
    out = getattr(_waiting, "out", None)
    if out is not None:
        _waiting.out = None
        out.set(by_call=True)
