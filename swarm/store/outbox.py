"""Scheduling durable work in the same transaction as the change that causes it (the outbox)."""

from __future__ import annotations

import contextlib
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from swarm.store.db import Transaction, is_unique_violation
from swarm.store.tables import StepRow, WorkflowRow, utcnow


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
) -> WorkflowRow:
    """Add a workflow unless one with `key` exists (then return that one). Workers wake after commit.

    coalesce=True: for work that always acts on the latest state (re-rendering the summary), a workflow of the same
    kind for the case that has not started yet will do, so a burst of changes costs one API call, not one each.
    new_case=True: the case was created in this transaction, so no workflow of it exists yet: skip looking (this is
    the escalation's ack path; the unique key still guards it)."""
    session = tx.session
    if not new_case:
        existing = session.scalar(select(WorkflowRow).where(WorkflowRow.dedupe_key == key))
        if existing is not None:
            return existing
        if coalesce and (waiting := _not_started(session, case_id, kind)) is not None:
            return waiting
    row = WorkflowRow(case_id=case_id, kind=kind, dedupe_key=key, payload=payload or {}, next_run_at=run_at or utcnow())
    try:
        with session.begin_nested() if not new_case else contextlib.nullcontext():
            session.add(row)
            session.flush()
    except IntegrityError as exc:  # a concurrent transaction scheduled the same work first
        if new_case or not is_unique_violation(exc):
            raise
        return session.scalars(select(WorkflowRow).where(WorkflowRow.dedupe_key == key)).one()
    if wake and run_at is None:
        tx.wake_after_commit(row.id)
    elif wake:
        tx.after_commit.append(lambda: tx.wake_at(row.id, run_at))
    return row


def _not_started(session, case_id: int, kind: str) -> WorkflowRow | None:
    return session.scalars(select(WorkflowRow).where(
        WorkflowRow.case_id == case_id, WorkflowRow.kind == kind, WorkflowRow.status == "pending",
        WorkflowRow.attempts == 0, ~WorkflowRow.id.in_(select(StepRow.workflow_id)))).first()


def cancel_pending(tx: Transaction, *, case_id: int, kind: str) -> int:
    """Cancel not-yet-run workflows of `kind` for a case (e.g. the delayed archive when a case reopens)."""
    result = tx.session.execute(
        update(WorkflowRow)
        .where(WorkflowRow.case_id == case_id, WorkflowRow.kind == kind, WorkflowRow.status.in_(("pending", "failed")))
        .values(status="cancelled", finished_at=utcnow())
    )
    return result.rowcount or 0
