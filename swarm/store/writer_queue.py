"""First come, first served: the order in which a process's threads take SQLite's single write lock.

SQLite lets one transaction write at a time. Left to SQLite, a waiting thread sleeps in its busy handler's steps
(1, 2, 5 … 100 ms) and retries, so a web thread acking an escalation can lose the race to the workers' back-to-back
step transactions again and again: 0.5-1.5 s acks at the tail (bench/ack_latency.py, workers on). A plain Python
lock wakes waiters at once but is not fair either (the releasing thread usually takes it again). Tickets are:
each writer waits only for those that came before it. Writers in other processes still meet in the busy handler.
"""

from __future__ import annotations

import threading


class WriterQueue:
    """A re-entrant FIFO lock (a nested transaction in the same thread passes straight through)."""

    def __init__(self):
        self._turns = threading.Condition(threading.Lock())
        self._next_ticket = 0
        self._serving = 0
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> WriterQueue:
        me = threading.get_ident()
        with self._turns:
            if self._owner == me:
                self._depth += 1
                return self
            ticket, self._next_ticket = self._next_ticket, self._next_ticket + 1
            while self._serving != ticket:
                self._turns.wait()
            self._owner, self._depth = me, 1
        return self

    def __exit__(self, *exc) -> None:
        with self._turns:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._serving += 1
                self._turns.notify_all()  # the next ticket is one of the waiters; each checks whether it is its turn

    def held_here(self) -> bool:
        """Does the calling thread hold the lock?"""
        return self._owner == threading.get_ident()
