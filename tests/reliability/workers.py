"""Run workflows on several threads at once, as several workers would (the runner's leases keep them apart)."""

from __future__ import annotations

import threading
import time


def drain_concurrently(harness, *, threads: int = 4, timeout: float = 120.0) -> float:
    """Run due workflows on `threads` threads until nothing is running or due soon; returns the seconds it took."""
    started = time.monotonic()
    stop = threading.Event()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while not stop.is_set():
                if harness.container.runner.run_due() == 0:
                    time.sleep(0.05)
        except BaseException as exc:  # surfaced to the test below, not lost in a thread
            errors.append(exc)
            stop.set()

    pool = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    try:
        _wait_until_idle(harness, stop, started + timeout)
    finally:
        stop.set()
        for thread in pool:
            thread.join(timeout=30)
    if errors:
        raise errors[0]
    return time.monotonic() - started


def _wait_until_idle(harness, stop: threading.Event, deadline: float) -> None:
    quiet = 0
    while not stop.is_set():
        quiet = quiet + 1 if not harness.due() else 0
        if quiet >= 3:  # three looks in a row: nothing running, nothing due within the harness's horizon
            return
        if time.monotonic() > deadline:
            raise AssertionError("workflows did not finish in time: " + repr(harness.pending()))
        time.sleep(0.1)
