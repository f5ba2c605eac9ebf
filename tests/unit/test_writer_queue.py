"""SQLite writers of one process take the write lock in the order they asked for it."""

from __future__ import annotations

import threading
import time

from swarm.store.writer_queue import WriterQueue


def test_waiting_writers_go_in_arrival_order_and_the_holder_cannot_jump_the_queue():
    queue, order = WriterQueue(), []
    queue.__enter__()  # a worker is writing
    waiters = []
    for name in ("web ack", "worker 2", "worker 3"):
        def write(name=name):
            with queue:
                order.append(name)
        thread = threading.Thread(target=write)
        thread.start()
        waiters.append(thread)
        deadline = time.monotonic() + 5
        while queue._next_ticket < len(waiters) + 1 and time.monotonic() < deadline:  # it has taken its ticket
            time.sleep(0.001)
    queue.__exit__(None, None, None)
    with queue:  # the first worker wants to write again: after everyone who was already waiting
        order.append("worker 1 again")
    for thread in waiters:
        thread.join(5)
    assert order == ["web ack", "worker 2", "worker 3", "worker 1 again"]


def test_a_nested_transaction_in_the_same_thread_passes_through():
    queue = WriterQueue()
    with queue:
        with queue:
            pass
    with queue:  # released fully: taken again at once
        pass
