"""Rate-limit cool-downs in the database, so every web and worker process of a deployment honours each 429.

integrations/rate_limits.py keeps each process's own table (checked first, no I/O) and, when a long-running process
shares it through this one, writes every 429 here and reads here before each call: a method another process was
told to hold back is held back in this one too. Until is wall-clock epoch seconds (processes on several machines).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import case, delete, select

from swarm.store.db import Store, upsert_for
from swarm.store.tables import CooldownRow

COOLDOWNS = CooldownRow.__table__
FORGET_AFTER_S = 3600.0  # an ended cool-down row is removed by the next 429 this long after it ended


class SharedCooldowns:
    """The shared table, as integrations.rate_limits.Cooldowns.share_through takes it (its SharedTable)."""

    def __init__(self, store: Store):
        self._store = store

    def until(self, key: str) -> float | None:
        """When the cool-down of `key` ends (epoch seconds), or None."""
        with self._store.read() as session:
            return session.scalar(select(COOLDOWNS.c.until).where(COOLDOWNS.c.key == key))

    def extend(self, key: str, until: float) -> None:
        """Not before `until` (a later end already noted stays). From inside a SQLite write transaction of this
        thread, the write waits for it to end, on a thread of its own."""
        if self._store.writing_here():
            threading.Thread(target=self._extend, args=(key, until), name="cooldown-write", daemon=True).start()
        else:
            self._extend(key, until)

    def _extend(self, key: str, until: float) -> None:
        with self._store.transaction() as tx:
            insert = upsert_for(tx.session, COOLDOWNS).values(key=key, until=until)
            tx.session.execute(insert.on_conflict_do_update(index_elements=["key"], set_={
                "until": case((COOLDOWNS.c.until > insert.excluded.until, COOLDOWNS.c.until),
                              else_=insert.excluded.until)}))
            tx.session.execute(delete(COOLDOWNS).where(COOLDOWNS.c.until < time.time() - FORGET_AFTER_S))
