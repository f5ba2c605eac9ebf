"""Engine and transaction boundary. SQLite by default (WAL, serialized writers), PostgreSQL in production."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from swarm.store.wal_checkpoints import checkpoint_in_background
from swarm.store.writer_queue import WriterQueue


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE transactions."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, future=True)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    file_backed = sqlite_path(url) is not None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
        # Let SQLAlchemy, not pysqlite, open transactions so BEGIN IMMEDIATE below takes effect.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if file_backed:
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # swarm/store/wal_checkpoints.py checkpoints instead
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover
        # A deferred transaction that later writes can fail with SQLITE_BUSY under WAL without waiting;
        # taking the write lock up front makes concurrent web and worker threads queue instead. Read-only
        # sessions never write, so they stay deferred: under WAL they neither wait for nor block a writer.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    if file_backed:
        checkpoint_in_background(engine)
    return engine


READ_ONLY = "caseswarm_read_only"


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite://" and ":memory:" not in url:
        return Path(url[len(prefix):])
    return None


class Transaction:
    """A session plus the work to trigger once it commits (waking workers for new workflow rows)."""

    def __init__(self, session: Session, wake: Callable[[list[int]], None], wake_at: Callable[[int, datetime], None]):
        self.session = session
        self.wake = wake
        self.wake_at = wake_at
        self.after_commit: list[Callable[[], None]] = []
        self.to_wake: list[int] = []  # workflows scheduled to run now: woken together, once committed

    def wake_after_commit(self, workflow_id: int) -> None:
        self.to_wake.append(workflow_id)


class Store:
    """The transaction boundary the use cases work through."""

    def __init__(self, engine: Engine, *, wake: Callable[[list[int]], None] | None = None,
                 wake_at: Callable[[int, datetime], None] | None = None):
        self.engine = engine
        # SQLite writers of this process take turns in arrival order (see writer_queue.py); PostgreSQL needs none.
        self._writers = WriterQueue() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        # Set by the composition root once the queue exists; until then (and in `swarm db upgrade`) nothing wakes.
        self.wake = wake or (lambda ids: None)
        self.wake_at = wake_at or (lambda workflow_id, when: None)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Run a block in one transaction; commit on success, roll back on error, then run after-commit hooks."""
        session = self._sessions()
        tx = Transaction(session, self.wake, self.wake_at)
        try:
            with self._writers, session.begin():
                yield tx
        finally:
            session.close()
        if tx.to_wake:
            tx.wake(tx.to_wake)
        for hook in tx.after_commit:
            hook()

    def writing_here(self) -> bool:
        """Does this thread hold the process's SQLite write turn (inside a transaction)? Another write from it, on
        another connection, would then wait for itself."""
        return isinstance(self._writers, WriterQueue) and self._writers.held_here()

    def read(self) -> contextlib.AbstractContextManager[Session]:
        """A session for queries (still transactional, so a read sees one consistent snapshot)."""
        return self._read()

    @contextlib.contextmanager
    def _read(self) -> Iterator[Session]:
        session = self._read_sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()


def upsert_for(session: Session, table):
    """INSERT for `table` with .on_conflict_do_nothing / _do_update: spelled the same by SQLite and PostgreSQL, but
    each dialect has its own construct."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def is_unique_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text
