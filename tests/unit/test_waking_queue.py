"""The SQLite queue's workers wake when their own process enqueues, and still find work other processes enqueue."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import threading
import time

from huey.consumer import Consumer

from workflows import waking_queue
from workflows.queue import consumer_options
from workflows.waking_queue import WakingSqliteStorage, waking_sqlite_huey


def take_one(storage: WakingSqliteStorage, got: list, stop: threading.Event) -> None:
    while not stop.is_set():  # as huey's worker loop does with a blocking storage
        data = storage.dequeue()
        if data is not None:
            got.append(data)
            return


def test_a_waiting_worker_takes_a_task_enqueued_in_its_process_without_waiting_out_its_poll(tmp_path, monkeypatch):
    monkeypatch.setattr(waking_queue, "BUSY_POLL_SECONDS", 60.0)  # a worker that would otherwise sleep a minute
    storage = WakingSqliteStorage("q", filename=str(tmp_path / "queue.db"))
    got, stop = [], threading.Event()
    worker = threading.Thread(target=take_one, args=(storage, got, stop))
    worker.start()
    try:
        storage.enqueue(b"run workflow 7")
        worker.join(timeout=10)
        assert got == [b"run workflow 7"]
    finally:
        stop.set()
        storage.enqueue(b"unblock")
        worker.join(timeout=10)


def test_a_task_another_process_enqueued_is_found_by_polling(tmp_path):
    path = str(tmp_path / "queue.db")
    worker_side, web_side = WakingSqliteStorage("q", filename=path), WakingSqliteStorage("q", filename=path)
    got, stop = [], threading.Event()
    worker = threading.Thread(target=take_one, args=(worker_side, got, stop))
    worker.start()
    web_side.enqueue(b"run workflow 8")  # no wake-up crosses processes; the worker's next poll finds it
    worker.join(timeout=10)
    stop.set()
    assert got == [b"run workflow 8"] and worker_side.queue_size() == 0


def test_a_consumer_runs_tasks_and_stops(tmp_path):
    huey = waking_sqlite_huey("caseswarm", filename=str(tmp_path / "queue.db"))
    done = threading.Event()
    mark = huey.task(name="mark")(done.set)
    consumer: Consumer = huey.create_consumer(**consumer_options(2), check_worker_health=False)
    consumer.start()
    try:
        mark()
        assert done.wait(10)
    finally:
        consumer.stop(graceful=True)


def test_the_queue_s_log_reaches_its_file_without_an_enqueue_checkpointing(tmp_path):
    """An enqueue is on an escalation's ack path: it only appends to the log, and a thread copies the log back."""
    path = tmp_path / "queue.db"
    storage = WakingSqliteStorage("q", filename=str(path))
    assert storage.conn.execute("pragma wal_autocheckpoint").fetchone()[0] == 0
    for n in range(50):
        storage.enqueue(f"run workflow {n}".encode())

    def tasks_in_file_alone() -> int:  # a copy without the -wal log sees only what was checkpointed
        alone = tmp_path / "alone.db"
        shutil.copyfile(path, alone)
        with contextlib.closing(sqlite3.connect(alone)) as conn:
            if not conn.execute("select 1 from sqlite_master where name = 'task'").fetchone():
                return 0  # not even the table has been checkpointed yet
            return conn.execute("select count(*) from task").fetchone()[0]

    deadline = time.monotonic() + 10
    while tasks_in_file_alone() < 50 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert tasks_in_file_alone() == 50
