"""SQLite's log is copied back into the database file by a background thread, not by the commit that fills it."""

from __future__ import annotations

import shutil
import sqlite3
import time

from sqlalchemy import text

from swarm.store.db import make_engine


def rows_in_database_file(db_path, tmp_path) -> int:
    """What the database file alone holds: a copy without its -wal log sees only checkpointed commits."""
    alone = tmp_path / "alone.db"
    shutil.copyfile(db_path, alone)
    with sqlite3.connect(alone) as conn:
        if not conn.execute("select 1 from sqlite_master where name = 't'").fetchone():
            return 0  # not even the table has been checkpointed yet
        return conn.execute("select count(*) from t").fetchone()[0]


def test_commits_reach_the_database_file_without_a_commit_checkpointing(tmp_path):
    db_path = tmp_path / "app.db"
    engine = make_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0  # no commit pays for a checkpoint
        conn.execute(text("create table t (x text)"))
    for _ in range(50):
        with engine.begin() as conn:
            conn.execute(text("insert into t values ('row')"))

    deadline = time.monotonic() + 10
    while rows_in_database_file(db_path, tmp_path) < 50 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert rows_in_database_file(db_path, tmp_path) == 50
    engine.dispose()


def test_an_in_memory_database_has_no_checkpoints_to_run():
    engine = make_engine("sqlite://")
    with engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000  # SQLite's default, untouched
