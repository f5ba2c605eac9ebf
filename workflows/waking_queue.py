"""huey's SQLite queue, with workers that wake the moment their own process enqueues.

SqliteHuey cannot block on its queue, so an idle worker polls: it found a swarm's next workflow only when its sleep
ran out (about 20 ms at the median after an escalation, more after a quiet spell; bench/time_to_swarm.py). In
`swarm serve` and `swarm demo` the web threads and the workers share one process, and so do the workflows of one
swarm that hand over to each other: a condition variable lets an enqueue wake a waiting worker at once. A task
enqueued by another process (a separate `swarm worker`, the periodic scheduler of another consumer) is still found
by polling, with the same cadence as before: BUSY_POLL_SECONDS right after work, 15% longer after each empty poll,
up to IDLE_POLL_SECONDS.
"""

from __future__ import annotations

import threading

from huey import Huey
from huey.storage import SqliteStorage

from swarm.store.wal_checkpoints import checkpoint_file, checkpoint_in_background

BUSY_POLL_SECONDS = 0.01
IDLE_POLL_SECONDS = 0.5
POLL_BACKOFF = 1.15


class WakingSqliteStorage(SqliteStorage):
    # "Blocking": dequeue() does the waiting itself, so huey's worker loop calls it again at once instead of sleeping.
    blocking = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Like the app's database (swarm/store/wal_checkpoints.py): the log is copied back by a thread of its own, not
        # by whichever enqueue pushes it past 1,000 pages (4 MB: about every 30 swarms), which then waited for the
        # copy and a disk flush on an escalation's ack path, or a worker's pick-up.
        checkpoint_in_background(self, run=lambda storage: checkpoint_file(storage.filename))
        self._enqueued = threading.Condition()
        self._enqueues = 0  # counts this process's enqueues, so a wake-up between a poll and the wait is not lost
        self._poll = threading.local()  # each worker thread's own back-off

    def _create_connection(self):
        conn = super()._create_connection()
        # The queue only wakes workers (the workflows table is the truth, and the sweep re-runs anything due that a
        # lost message would have woken), so its commits need not wait for the disk: NORMAL in WAL mode stays
        # consistent after a power cut and drops at most the last wake-ups. FULL cost a disk flush per enqueue.
        conn.execute("pragma synchronous=NORMAL")
        conn.execute("pragma wal_autocheckpoint=0")
        return conn

    def enqueue(self, data, priority=None):
        super().enqueue(data, priority)
        with self._enqueued:
            self._enqueues += 1
            self._enqueued.notify()  # one task, one worker

    def dequeue(self):
        with self._enqueued:
            seen = self._enqueues
        data = super().dequeue()
        if data is not None:
            self._poll.delay = BUSY_POLL_SECONDS
            return data
        delay = getattr(self._poll, "delay", BUSY_POLL_SECONDS)
        with self._enqueued:
            if self._enqueues == seen:
                self._enqueued.wait(delay)
        self._poll.delay = min(delay * POLL_BACKOFF, IDLE_POLL_SECONDS)
        return None


def waking_sqlite_huey(name: str, filename: str) -> Huey:
    return Huey(name, storage_class=WakingSqliteStorage, filename=filename, results=False)
