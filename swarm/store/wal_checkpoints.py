"""SQLite checkpoints off the request path.

In WAL mode SQLite copies the log back into the database ("checkpoint") from inside whichever commit pushes the log
past 1,000 pages, and with synchronous=FULL that commit then waits for the database file to reach the disk: on this
project's virtual disks, 100-200 ms, on the ack path of an escalation (bench/ack_latency.py saw it as the p99). So
the app's connections turn automatic checkpoints off and a daemon thread runs a PASSIVE checkpoint every second:
it never blocks a reader or a writer, and commits only append to the log.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

INTERVAL_SECONDS = 1.0
log = logging.getLogger("caseswarm.store")


def checkpoint_in_background(owner: Any, *, interval: float = INTERVAL_SECONDS,
                             run: Callable[[Any], None] | None = None) -> threading.Thread:
    """Start the checkpointing thread for an engine (or, with `run`, anything that can checkpoint its database, such as
    the task queue's storage); it ends by itself once the owner is gone (or disposed and collected)."""
    ref = weakref.ref(owner)
    thread = threading.Thread(target=_run, args=(ref, interval, run or checkpoint), name="sqlite-checkpoints", daemon=True)
    thread.start()
    return thread


def _run(ref: weakref.ref, interval: float, run: Callable[[Any], None]) -> None:
    while True:
        time.sleep(interval)
        owner = ref()
        if owner is None:
            return
        try:
            run(owner)
        except Exception:  # a busy or closed database: the next round tries again
            log.debug("sqlite checkpoint skipped", exc_info=True)
        del owner  # hold no reference while sleeping, so the owner can be collected


def checkpoint(engine: Engine) -> None:
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        raw.close()


def checkpoint_file(path: str) -> None:
    with contextlib.closing(sqlite3.connect(path, timeout=1)) as conn:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
