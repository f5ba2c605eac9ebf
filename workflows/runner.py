"""Runs durable workflows step by step: claim with a lease, store each result, back off, park on failure."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, update

from swarm.errors import ExternalError
from swarm.outbound_calls import CallOut, announcing
from swarm.store.outbox import schedule
from swarm.store.queries import case_by_key
from swarm.store.tables import CaseRow, StepRow, WorkflowRow
from swarm.usecases.common import note
from workflows.steps import Step, StepContext, WorkflowServices

log = logging.getLogger("caseswarm.workflows")

_WAITING = object()  # _claim: another workflow of this one-at-a-time kind is running for the case
_RECHECK = timedelta(seconds=1)
RECORD_WAITS_FOR_CALL_S = 0.5  # at most, for the next step's call to go out before an overlapped record starts
# Then this long, for the request the adapter announced to be built and sent (about a millisecond here); a record
# that started at once would take turns with that. Far shorter than any call's round trip, which the record has.
REQUEST_LEAVES_S = 0.002

# The runner's bookkeeping statements touch rows that no object in the session stands for: no need for the ORM to
# look for objects to bring up to date, on every step.
_PLAIN_DML = {"synchronize_session": False}

# Where the record of a step commits while the next step's call is in flight (Step.overlaps_previous_record), and a
# step's prefetch and a claim's hand-over run. Shared by the process's runners, each of which has at most three of
# them out at once: sized for as many worker threads as a process is likely to run, so that none queues behind
# another's (a queued one would wait for a call that waits for it, up to RECORD_WAITS_FOR_CALL_S); its threads start
# only as they are needed.
_RECORDER = ThreadPoolExecutor(max_workers=64, thread_name_prefix="caseswarm-record")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 2.0
    max_seconds: float = 300.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with equal jitter, never sooner than the server's Retry-After."""
        cap = min(self.max_seconds, self.base_seconds * (2 ** max(attempt - 1, 0)))
        backoff = cap / 2 + random.uniform(0, cap / 2)
        return max(backoff, retry_after or 0.0)


@dataclass(frozen=True)
class _Claimed:
    """A workflow this run holds the lease on: what it is, what is done, and the first steps (already started)."""
    kind: str
    case_id: int
    payload: dict
    done: dict[str, dict]
    steps: list[Step]  # the ones still to do
    platform: str
    workspace: str | None
    # The steps an earlier run started (done or not). One of them not done may have half-run ("ambiguous": look
    # before creating); the others were never tried, so this run starts them with one insert.
    started: frozenset[str]


class WorkflowRunner:
    def __init__(
        self,
        services: WorkflowServices,
        definitions: Mapping[str, Sequence[Step]],
        *,
        policy: RetryPolicy = RetryPolicy(),
        lease: timedelta = timedelta(minutes=5),
        enqueue_at: Callable[[int, datetime], None] | None = None,
        one_at_a_time: frozenset[str] = frozenset(),
    ):
        self.services = services
        self.store = services.store
        self.definitions = definitions
        self.policy = policy
        self.lease = lease
        self.enqueue_at = enqueue_at or (lambda workflow_id, when: None)
        self.one_at_a_time = one_at_a_time  # kinds of which a case runs one workflow at a time

    # -- public -------------------------------------------------------------------------------------------
    def run(self, workflow_id: int, *, then: Callable[[], object] | None = None) -> str:
        """Run one workflow if it is due and nobody else holds it; returns its status afterwards. `then` runs once
        the claim is settled, whatever it found: when the workflow's first call goes out if it has one to make
        (on a helper thread, so that call goes first), else at once."""
        try:
            claimed = self._claim(workflow_id)
        except BaseException:
            if then is not None:
                then()
            raise
        if then is not None and not (isinstance(claimed, _Claimed) and claimed.steps):
            then()
            then = None
        if claimed is None:
            return self._not_claimed(workflow_id)
        if claimed is _WAITING:
            return "waiting"
        try:
            return self._run_steps(workflow_id, claimed, then=then)
        except BaseException:
            self._release(workflow_id)
            raise

    def run_due(self, *, limit: int = 200) -> int:
        """Run every workflow that is due (the periodic sweep, and tests/demo draining the queue)."""
        count = 0
        for workflow_id in self.due_ids(limit=limit):
            if self.run(workflow_id) not in ("skipped", "not_due", "waiting"):
                count += 1
        return count

    def due_ids(self, *, limit: int = 200) -> list[int]:
        now = self.services.clock()
        with self.store.read() as session:
            return list(session.scalars(
                select(WorkflowRow.id)
                .where(or_(
                    (WorkflowRow.status == "pending") & (WorkflowRow.next_run_at <= now),
                    (WorkflowRow.status == "running") & (WorkflowRow.lease_until < now),
                ))
                .order_by(WorkflowRow.next_run_at, WorkflowRow.id)
                .limit(limit)
            ))

    def retry_case(self, case_key: str, *, wake: bool = True) -> list[int]:
        """Put a case's parked (failed) workflows back in line, attempts reset; returns their ids.

        wake=False leaves running them to the caller (`swarm retry` runs them in the foreground)."""
        now = self.services.clock()
        with self.store.transaction() as tx:
            case = case_by_key(tx.session, case_key)
            ids = list(tx.session.scalars(select(WorkflowRow.id).where(WorkflowRow.case_id == case.id, WorkflowRow.status == "failed")))
            if ids:
                tx.session.execute(update(WorkflowRow).where(WorkflowRow.id.in_(ids)).values(
                    status="pending", attempts=0, next_run_at=now, lease_until=None))
                note(tx.session, case, "retry", f"Retry requested for {len(ids)} parked workflow(s)")
            if wake:
                tx.after_commit.append(lambda: tx.wake(ids))
        return ids

    # -- internals ------------------------------------------------------------------------------------------
    def _claim(self, workflow_id: int) -> _Claimed | object | None:
        """Take the lease, and in the same transaction read what the run needs and start its first step: one commit
        before the first call, not two."""
        now = self.services.clock()
        with self.store.transaction() as tx:
            claimed = tx.session.execute(
                update(WorkflowRow)
                .where(WorkflowRow.id == workflow_id)
                .where(or_(
                    (WorkflowRow.status == "pending") & (WorkflowRow.next_run_at <= now),
                    (WorkflowRow.status == "running") & (WorkflowRow.lease_until < now),
                ))
                .values(status="running", lease_until=now + self.lease)
                .returning(WorkflowRow.kind, WorkflowRow.case_id, WorkflowRow.payload),
                execution_options=_PLAIN_DML,
            ).first()
            if claimed is None:
                return None
            kind, case_id, payload = claimed
            if kind in self.one_at_a_time and self._another_running(tx, workflow_id, case_id, kind, now):
                return _WAITING
            platform, workspace = tx.session.execute(
                select(CaseRow.platform, CaseRow.workspace_id).where(CaseRow.id == case_id)).one()
            recorded = tx.session.execute(select(StepRow.name, StepRow.done, StepRow.result)
                                          .where(StepRow.workflow_id == workflow_id)).all()
            done = {name: (result or {}) for name, finished, result in recorded if finished}
            started = frozenset(name for name, _, _ in recorded)
            steps = [step for step in self.definitions[kind] if step.name not in done]
            self._start_steps(workflow_id, _started_with(steps, 0), started, tx.session)
            return _Claimed(kind, case_id, dict(payload or {}), done, steps, platform, workspace, started)

    def _another_running(self, tx, workflow_id: int, case_id: int, kind: str, now: datetime) -> bool:
        """Is another workflow of this kind running for the case? Then hand the lease back and wait: the running one
        wakes this one when it ends (_wake_next); a second look a second later covers a run that ends otherwise (a
        failure, a retry, a crash once its lease expires).

        The case row is locked first, so on PostgreSQL two workers claiming two such workflows of one case at once
        take turns here (each sees the other's claim once it commits); SQLite's writers take turns anyway."""
        tx.session.execute(select(CaseRow.id).where(CaseRow.id == case_id).with_for_update())
        running = tx.session.scalar(select(WorkflowRow.id).where(
            WorkflowRow.case_id == case_id, WorkflowRow.kind == kind, WorkflowRow.id != workflow_id,
            WorkflowRow.status == "running", WorkflowRow.lease_until >= now).limit(1))
        if running is None:
            return False
        tx.session.execute(update(WorkflowRow).where(WorkflowRow.id == workflow_id)
                           .values(status="pending", lease_until=None), execution_options=_PLAIN_DML)
        tx.after_commit.append(lambda: self.enqueue_at(workflow_id, now + _RECHECK))
        return True

    def _wake_next(self, tx, case_id: int, kind: str) -> None:
        """A one-at-a-time workflow ended: wake the case's next one of the kind, if one is waiting."""
        waiting = tx.session.scalar(select(WorkflowRow.id).where(
            WorkflowRow.case_id == case_id, WorkflowRow.kind == kind, WorkflowRow.status == "pending")
            .order_by(WorkflowRow.id).limit(1))
        if waiting is not None:
            tx.wake_after_commit(waiting)

    def _not_claimed(self, workflow_id: int) -> str:
        """Someone else holds it, it is finished, or the wake-up came early (huey rounds etas): re-arm the latter."""
        with self.store.read() as session:
            wf = session.get(WorkflowRow, workflow_id)
            early = wf is not None and wf.status == "pending" and wf.next_run_at > self.services.clock()
            when = wf.next_run_at if early else None
        if early:
            self.enqueue_at(workflow_id, when)
            return "not_due"
        return "skipped"

    def _release(self, workflow_id: int) -> None:
        with self.store.transaction() as tx:
            tx.session.execute(update(WorkflowRow).where(WorkflowRow.id == workflow_id, WorkflowRow.status == "running")
                               .values(status="pending", lease_until=None))

    def _run_steps(self, workflow_id: int, claimed: _Claimed, *, then: Callable[[], object] | None = None) -> str:
        steps, done = claimed.steps, claimed.done
        if not steps:  # every step was done before an earlier run could mark the workflow done
            self._complete(workflow_id, claimed)
            return "done"
        recording: Future | None = None  # the previous step's record, committing beside this step's call
        call_out = CallOut()  # set when this step's call goes out: the record above starts then
        ahead: Future | None = None  # this step's prefetch, read while the previous step's call was out
        handing_on = _RECORDER.submit(_once_out, call_out, _logged(then)) if then is not None else None
        try:
            for index, step in enumerate(steps):
                ctx = StepContext(workflow_id, claimed.case_id, claimed.kind, claimed.payload, done,
                                  step.name in claimed.started, self.services, case_platform=claimed.platform,
                                  case_workspace=claimed.workspace, prefetched=_prefetched(ahead, step.name))
                following = steps[index + 1] if index + 1 < len(steps) else None
                ahead = (_RECORDER.submit(_prefetch_after, recording, following.prefetch, ctx)
                         if following is not None and following.prefetch is not None else None)
                try:
                    with announcing(call_out):
                        result = step.act(ctx) or {}
                except ExternalError as exc:
                    _settle(recording)  # the failing step was started by that record: let it land first
                    return self._after_failure(workflow_id, step.name, exc.reason, retryable=exc.retryable, retry_after=exc.retry_after)
                except Exception as exc:  # a bug or an unexpected library error: keep the work, retry, then park it
                    _settle(recording)
                    log.exception("workflow=%s step=%s unexpected error", workflow_id, step.name)
                    return self._after_failure(workflow_id, step.name, f"{type(exc).__name__}: {exc}", retryable=True, retry_after=None)
                _settle(recording)
                recording = None
                done[step.name] = result
                starting = (_started_with(steps, index + 1)
                            if following is not None and not following.starts_with_previous else ())
                call_out = CallOut()
                if following is not None and following.overlaps_previous_record:
                    recording = _RECORDER.submit(_once_out, call_out, self._finish_step, workflow_id, ctx, step, result,
                                                 last=False, start=starting, started=claimed.started)
                else:
                    self._finish_step(workflow_id, ctx, step, result, last=following is None, start=starting,
                                      started=claimed.started)
            return "done"
        finally:
            # An act raised past the handlers above (a stand-in for a crash): no record or read races on.
            wait([future for future in (recording, ahead, handing_on) if future is not None])

    def _start_steps(self, workflow_id: int, names: Sequence[str], started: frozenset[str], session) -> None:
        """Record that these steps are about to act: a row for each, or one more try on the row an earlier run left
        (a second runner's insert, after this one's lease ran out, fails on the unique key)."""
        now = self.services.clock()
        for name in names:
            if name in started:
                session.execute(update(StepRow).where(StepRow.workflow_id == workflow_id, StepRow.name == name)
                                .values(tries=StepRow.tries + 1, updated_at=now), execution_options=_PLAIN_DML)
            else:
                session.execute(insert(StepRow).values(workflow_id=workflow_id, name=name, tries=1, updated_at=now))

    def _finish_step(self, workflow_id: int, ctx: StepContext, step: Step, result: dict, *, last: bool,
                     start: Sequence[str], started: frozenset[str]) -> None:
        """Store the step's result and what it scheduled, and in the same transaction start the next step(s) (or,
        after the last one, mark the workflow done): one commit between two calls, not two."""
        with self.store.transaction() as tx:
            if step.record is not None:
                step.record(tx.session, ctx, result)
            for kind, key, payload, coalesce in ctx.follow_ups:
                schedule(tx, case_id=ctx.case_id, kind=kind, key=key, payload=payload, coalesce=coalesce)
            now = self.services.clock()
            tx.session.execute(update(StepRow).where(StepRow.workflow_id == workflow_id, StepRow.name == step.name)
                               .values(done=True, result=result, updated_at=now), execution_options=_PLAIN_DML)
            if last:
                self._mark_done(tx, workflow_id, ctx.case_id, ctx.kind)
                return
            tx.session.execute(update(WorkflowRow).where(WorkflowRow.id == workflow_id)
                               .values(lease_until=now + self.lease), execution_options=_PLAIN_DML)
            self._start_steps(workflow_id, start, started, tx.session)

    def _complete(self, workflow_id: int, claimed: _Claimed) -> None:
        with self.store.transaction() as tx:
            self._mark_done(tx, workflow_id, claimed.case_id, claimed.kind)

    def _mark_done(self, tx, workflow_id: int, case_id: int, kind: str) -> None:
        tx.session.execute(update(WorkflowRow).where(WorkflowRow.id == workflow_id).values(
            status="done", finished_at=self.services.clock(), lease_until=None, last_error=None),
            execution_options=_PLAIN_DML)
        if kind in self.one_at_a_time:
            self._wake_next(tx, case_id, kind)

    def _after_failure(self, workflow_id: int, step: str, reason: str, *, retryable: bool, retry_after: float | None) -> str:
        now = self.services.clock()
        with self.store.transaction() as tx:
            wf = tx.session.get(WorkflowRow, workflow_id)
            wf.attempts += 1
            wf.last_error = f"{step}: {reason}"
            wf.lease_until = None
            if retryable and wf.attempts < self.policy.max_attempts:
                wf.status = "pending"
                wf.next_run_at = now + timedelta(seconds=self.policy.delay(wf.attempts, retry_after))
                log.warning("workflow=%s kind=%s case=CS-%s step=%s retry=%s in=%.1fs reason=%s",
                            workflow_id, wf.kind, wf.case_id, step, wf.attempts, (wf.next_run_at - now).total_seconds(), reason)
                when = wf.next_run_at
                tx.after_commit.append(lambda: self.enqueue_at(workflow_id, when))
                return "pending"
            wf.status = "failed"
            wf.finished_at = now
            case = tx.session.get(CaseRow, wf.case_id)
            note(tx.session, case, "workflow_failed",
                 f"{wf.kind} parked after {wf.attempts} tries at step {step}: {reason}. Replay with: swarm retry {case.key}")
            log.error("workflow=%s kind=%s case=%s step=%s parked reason=%s", workflow_id, wf.kind, case.key, step, reason)
            return "failed"


def _started_with(steps: Sequence[Step], index: int) -> list[str]:
    """The step at `index` and those that start with it (Step.starts_with_previous)."""
    group = [steps[index].name] if index < len(steps) else []
    for step in steps[index + 1:]:
        if not step.starts_with_previous:
            break
        group.append(step.name)
    return group


def _once_out(call_out: CallOut, work: Callable[..., None], *args, **kwargs) -> None:
    """Work for a helper thread (an overlapped record, the hand-over of an escalation's other workflows), started
    once the worker's next call has gone out (swarm/outbound_calls.py): it then runs while that call waits on the
    network, not between two calls. The wait is bounded in case no adapter says so."""
    if call_out.wait(RECORD_WAITS_FOR_CALL_S) and call_out.by_call:
        time.sleep(REQUEST_LEAVES_S)
    work(*args, **kwargs)


def _logged(then: Callable[[], object]) -> Callable[[], None]:
    """`then` on a helper thread: its failure is logged (a workflow it failed to wake is found by the sweep)."""
    def run() -> None:
        try:
            then()
        except Exception:
            log.exception("waking the other workflows failed; the sweep will find them")
    return run


def _prefetch_after(recording: Future | None, prefetch, ctx: StepContext):
    """A step's prefetch, once the record in flight has landed (it may read what that record stores)."""
    if recording is not None:
        wait([recording])
    return prefetch(ctx)


def _prefetched(ahead: Future | None, step: str):
    """What the step's prefetch read; None if it did not run or failed (the step then reads for itself)."""
    if ahead is None:
        return None
    try:
        return ahead.result()
    except Exception:
        log.warning("prefetch for step=%s failed; the step reads for itself", step, exc_info=True)
        return None


def _settle(recording: Future | None) -> None:
    """Wait for an overlapped record to commit; its failure (the database, not the call) fails the run."""
    if recording is not None:
        recording.result()
