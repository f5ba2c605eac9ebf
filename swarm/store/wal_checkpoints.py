"""SQLite checkpoints off the request path.

In WAL mode SQLite copies the log back into the database ("checkpoint") from inside whichever commit pushes the log
past 1,000 pages, and with synchronous=FULL that commit then waits for the database file to reach the disk: on this
project's virtual disks, 100-200 ms, on the ack path of an escalation (bench/ack_latency.py saw it as the p99). So
the app's connections turn automatic checkpoints off and a daemon thread runs a PASSIVE checkpoint every second:
it never blocks a reader or a writer, and commits only append to the log.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref

from sqlalchemy.engine import Engine

INTERVAL_SECONDS = 1.0
log = logging.getLogger("caseswarm.store")


def checkpoint_in_background(engine: Engine, *, interval: float = INTERVAL_SECONDS) -> threading.Thread:
    """Start the checkpointing thread; it ends by itself once the engine is gone (or disposed and collected)."""
    ref = weakref.ref(engine)
    thread = threading.Thread(target=_run, args=(ref, interval), name="sqlite-checkpoints", daemon=True)
    thread.start()
    return thread


def _run(ref: weakref.ref, interval: float) -> None:
    while True:
        time.sleep(interval)
        engine = ref()
        if engine is None:
            return
        try:
            checkpoint(engine)
        except Exception:  # a busy or closed database: the next round tries again
            log.debug("sqlite checkpoint skipped", exc_info=True)
        del engine  # hold no reference while sleeping, so the engine can be collected


def checkpoint(engine: Engine) -> None:
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        raw.close()
