"""The task queue (huey) only wakes workers; the workflows table is the truth.

SQLite by default (nothing to install; workflows/waking_queue.py), RedisHuey when SWARM_QUEUE_URL is redis://,
immediate mode for tests.
A periodic sweep re-runs anything due but idle, so a lost queue message loses nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, crontab

from workflows.runner import WorkflowRunner
from workflows.waking_queue import BUSY_POLL_SECONDS, IDLE_POLL_SECONDS, POLL_BACKOFF, waking_sqlite_huey

log = logging.getLogger("caseswarm.queue")


def consumer_options(workers: int) -> dict:
    """How every huey consumer of ours runs: thread workers and periodic tasks. Both our queues block in dequeue
    (Redis natively, SQLite in workflows/waking_queue.py), so huey's own sleep cadence applies only after a queue
    error; it is set to the same values."""
    return dict(workers=workers, worker_type="thread", periodic=True, initial_delay=BUSY_POLL_SECONDS,
                backoff=POLL_BACKOFF, max_delay=IDLE_POLL_SECONDS)


def make_huey(queue_url: str, *, immediate: bool = False) -> Huey:
    # results=False: a task's return value is never read (the workflows table is the truth); stored, it cost a write
    # per task and a queue that only grows.
    if immediate:
        return MemoryHuey("caseswarm", immediate=True, results=False)
    if queue_url.startswith(("redis://", "rediss://")):
        return RedisHuey("caseswarm", url=queue_url, results=False)
    if queue_url.startswith("sqlite:///"):
        path = Path(queue_url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return waking_sqlite_huey("caseswarm", filename=str(path))
    raise ValueError(f"SWARM_QUEUE_URL must be sqlite:///PATH or redis://HOST:PORT/DB, not {queue_url!r}")


class WorkQueue:
    """Registers the workflow tasks on a huey instance (at wiring time, not import time)."""

    def __init__(self, huey: Huey, runner_factory, sweeps=()):
        self.huey = huey
        self._runner_factory = runner_factory
        self.sweeps = list(sweeps)  # more periodic checks (follow-ups, SLA clock): each schedules work through the outbox
        self._run = huey.task(name="run_workflow")(self._run_workflow)
        self._fan_out = huey.task(name="run_workflows")(self._run_workflows)
        self._sweep = huey.periodic_task(crontab(minute="*"), name="sweep_workflows")(self._sweep_due)

    @property
    def runner(self) -> WorkflowRunner:
        return self._runner_factory()

    def wake(self, workflow_ids: list[int]) -> None:
        """One queue write per transaction, whatever it scheduled: an escalation schedules three workflows, and each
        SQLite enqueue is a durable commit on the request's ack path. The worker that picks the task up fans the
        rest out to the other workers (immediate mode, in tests, runs them here, in order)."""
        ids = list(workflow_ids)
        if len(ids) <= 1 or self.huey.immediate:
            for workflow_id in ids:
                self._run(workflow_id)
        else:
            self._fan_out(ids)

    def wake_at(self, workflow_id: int, when: datetime) -> None:
        if self.huey.immediate:
            return  # tests drive retries explicitly with runner.run_due()
        self._run.schedule((workflow_id,), eta=_whole_second_after(when))

    def start_consumer(self, workers: int = 2):
        """An embedded consumer (threads) inside this process; returns it so the caller can stop it."""
        consumer = self.huey.create_consumer(**consumer_options(workers), check_worker_health=False)
        consumer.start()
        return consumer

    def _run_workflow(self, workflow_id: int) -> str:
        return self.runner.run(workflow_id)

    def _run_workflows(self, workflow_ids: list[int]) -> str:
        """The first (an escalation's: open_swarm) is claimed, and its first call sent, before the others are handed
        out: woken at once, the other workers would dequeue and claim theirs in the same milliseconds, and the swarm's
        first call would wait for their turns at the process and at the database."""
        return self.runner.run(workflow_ids[0], then=lambda: [self._run(workflow_id) for workflow_id in workflow_ids[1:]])

    def _sweep_due(self) -> int:
        for sweep in self.sweeps:
            try:
                sweep()
            except Exception:  # one failing check must not stop the others, nor the due work below
                log.exception("sweep failed: %s", getattr(sweep, "__name__", sweep))
        count = self.runner.run_due()
        if count:
            log.info("sweep ran=%s", count)
        return count


def _whole_second_after(when: datetime) -> datetime:
    """huey keeps etas to the second (dropping microseconds), so round up: a wake-up must never come early."""
    utc = when.astimezone(timezone.utc).replace(tzinfo=None)
    return utc.replace(microsecond=0) + timedelta(seconds=1) if utc.microsecond else utc
