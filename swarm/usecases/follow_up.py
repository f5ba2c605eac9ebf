"""Follow up with the customer after every resolution: the requester (by default) calls them back by a due time
that depends on severity, with a drafted message; reminders until done, and the manager hears when it is overdue.
Companies that call back after a bad experience win the customer back; a forgotten callback loses them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from swarm.errors import NotFound
from swarm.store.db import Store, Transaction
from swarm.store.outbox import schedule
from swarm.store.queries import case_by_key
from swarm.store.tables import CaseRow, FollowUpRow, ParticipantRow, WorkflowRow, utcnow
from swarm.usecases.common import note


def create_follow_up(tx: Transaction, case: CaseRow, *, config, now: datetime, stamp: int) -> FollowUpRow:
    requester = tx.session.scalar(select(ParticipantRow).where(ParticipantRow.case_id == case.id,
                                                               ParticipantRow.user_id == case.requester_id))
    owner_name = requester.name if requester else case.requester_id
    due = now + config.follow_up.due_for(case.severity)
    follow_up = FollowUpRow(case_id=case.id, dedupe_key=f"followup:{case.id}:{stamp}", owner_id=case.requester_id,
                            owner_name=owner_name, due_at=due, status="open", draft=draft_message(case, config))
    tx.session.add(follow_up)
    tx.session.flush()
    note(tx.session, case, "follow_up", f"Follow-up with {case.customer}: {owner_name}, due {due:%Y-%m-%d %H:%M} UTC", at=now)
    schedule(tx, case_id=case.id, kind="follow_up_crm_task", key=f"follow_up_crm_task:{follow_up.id}",
             payload={"follow_up_id": follow_up.id})
    schedule(tx, case_id=case.id, kind="follow_up_notice", key=f"follow_up_notice:{follow_up.id}",
             payload={"follow_up_id": follow_up.id, "stage": "created"})
    return follow_up


def draft_message(case: CaseRow, config) -> str:
    """What the front line can send or say, drafted from the resolution."""
    cause = config.resolution.root_causes.get(case.root_cause or "", None)
    found = f" We found the cause ({cause.lower()}) and" if cause else " We"
    return (f"Hello {case.customer} team, thank you for your patience with \"{case.title}\".{found} resolved it: "
            f"{case.resolution} Is everything working as expected on your side now? Reference: {case.key}.")


def cancel_follow_ups(tx: Transaction, case: CaseRow) -> None:
    """A reopened case has no follow-up to make yet; the next resolution creates a new one."""
    tx.session.execute(update(FollowUpRow).where(FollowUpRow.case_id == case.id, FollowUpRow.status == "open")
                       .values(status="cancelled"))


def complete_follow_up(store: Store, *, case_key: str, actor: str, now: datetime | None = None) -> str:
    """Mark the case's open follow-up done; returns what to tell the person."""
    now = now or utcnow()
    with store.transaction() as tx:
        case = case_by_key(tx.session, case_key)
        follow_up = tx.session.scalar(select(FollowUpRow).where(FollowUpRow.case_id == case.id)
                                      .order_by(FollowUpRow.id.desc()))
        if follow_up is None or follow_up.status == "cancelled":
            raise NotFound(f"{case.key} has no follow-up (it is created when the case is resolved)")
        if follow_up.status == "done":
            return f"The follow-up on {case.key} was already done by {follow_up.done_by}."
        follow_up.status, follow_up.done_at, follow_up.done_by = "done", now, actor
        late = " (late)" if now > follow_up.due_at else ""
        note(tx.session, case, "follow_up_done", f"{actor} followed up with {case.customer}{late}", actor=actor, at=now)
        return f"Follow-up on {case.key} marked done{late}. Thank you for closing the loop with {case.customer}."


def follow_up_sweep(store: Store, *, config, now: datetime | None = None) -> int:
    """Schedule the reminder (before the due time) and the overdue notice (after it) of open follow-ups, once each:
    their unique workflow keys are the record of what was sent. Returns how many it scheduled."""
    now = now or utcnow()
    scheduled = 0
    with store.transaction() as tx:
        for follow_up in tx.session.scalars(select(FollowUpRow).where(FollowUpRow.status == "open")):
            for stage, when in (("reminder", follow_up.due_at - config.follow_up.remind_before), ("overdue", follow_up.due_at)):
                key = f"follow_up_notice:{follow_up.id}:{stage}"
                if now >= when and tx.session.scalar(select(WorkflowRow.id).where(WorkflowRow.dedupe_key == key)) is None:
                    schedule(tx, case_id=follow_up.case_id, kind="follow_up_notice", key=key,
                             payload={"follow_up_id": follow_up.id, "stage": stage})
                    scheduled += 1
    return scheduled
