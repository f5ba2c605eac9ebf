"""Scheduling durable work in the same transaction as the change that causes it (the outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from swarm.store.db import Transaction, upsert_for
from swarm.store.tables import StepRow, WorkflowRow, utcnow

WORKFLOWS = WorkflowRow.__table__  # plain table statements: no ORM unit of work on the hottest path


def schedule(
    tx: Transaction,
    *,
    case_id: int,
    kind: str,
    key: str,
    payload: dict | None = None,
    run_at: datetime | None = None,
    wake: bool = True,
    coalesce: bool = False,
    new_case: bool = False,
) -> int:
    """Add a workflow unless one with `key` exists; returns the id of the one that will do the work. Workers wake
    after commit.

    coalesce=True: for work that always acts on the latest state (re-rendering the summary), a workflow of the same
    kind for the case that has not started yet will do, so a burst of changes costs one API call, not one each.
    new_case=True: the case was created in this transaction, so no workflow of it can be waiting yet."""
    session = tx.session
    if coalesce and not new_case and (waiting := _not_started(session, case_id, kind)) is not None:
        return waiting
    # One statement whatever happened before: the unique key decides, also against a concurrent transaction (which
    # PostgreSQL makes this one wait for), and a conflict aborts nothing, so no savepoint is needed.
    row = {"case_id": case_id, "kind": kind, "dedupe_key": key, "payload": payload or {}, "next_run_at": run_at or utcnow()}
    added = session.execute(upsert_for(session, WORKFLOWS).values(row).on_conflict_do_nothing(index_elements=["dedupe_key"])
                            .returning(WORKFLOWS.c.id)).scalar()
    if added is None:  # scheduled before (a re-sent request, a retried step): that workflow does the work
        return session.scalar(select(WORKFLOWS.c.id).where(WORKFLOWS.c.dedupe_key == key))
    if wake and run_at is None:
        tx.wake_after_commit(added)
    elif wake:
        tx.after_commit.append(lambda: tx.wake_at(added, run_at))
    return added


def _not_started(session, case_id: int, kind: str) -> int | None:
    # NOT EXISTS per candidate (the steps' workflow_id index), not NOT IN over every step ever recorded: this runs
    # in each transaction that asks for a summary refresh, and the steps table only grows.
    started = select(StepRow.id).where(StepRow.workflow_id == WORKFLOWS.c.id).exists()
    return session.scalar(select(WORKFLOWS.c.id).where(
        WORKFLOWS.c.case_id == case_id, WORKFLOWS.c.kind == kind, WORKFLOWS.c.status == "pending",
        WORKFLOWS.c.attempts == 0, ~started).limit(1))


def cancel_pending(tx: Transaction, *, case_id: int, kind: str) -> int:
    """Cancel not-yet-run workflows of `kind` for a case (e.g. the delayed archive when a case reopens)."""
    result = tx.session.execute(
        update(WorkflowRow)
        .where(WorkflowRow.case_id == case_id, WorkflowRow.kind == kind, WorkflowRow.status.in_(("pending", "failed")))
        .values(status="cancelled", finished_at=utcnow())
    )
    return result.rowcount or 0
