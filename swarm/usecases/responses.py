"""An expert answers the ask to join a swarm: "I'm on it" (accept) or "Can't take it" (decline).

A decline is recorded on the participant and brings in the next person from the same department, exactly once
per person and case: a double click, or Slack delivering the answer twice, finds the decline already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from swarm.errors import NotFound
from swarm.model import CaseStatus
from swarm.store.db import Store, Transaction
from swarm.store.outbox import schedule
from swarm.store.queries import case_by_key
from swarm.store.tables import CaseRow, ParticipantRow, utcnow
from swarm.usecases.common import note

ACCEPTED, DECLINED = "accepted", "declined"
REASON_MAX = 200  # participants.invite_error


@dataclass(frozen=True)
class Answered:
    case_key: str
    recorded: bool  # False when this person had already given this answer
    engaged: bool = False  # the accept was the case's first engagement


def accept_case(store: Store, *, case_key: str, user_id: str, now: datetime | None = None) -> Answered:
    """'I'm on it': recorded on the participant and the timeline; the case's first engagement if none came before."""
    now = now or utcnow()
    with store.transaction() as tx:
        case, expert = _asked(tx, case_key, user_id)
        if expert.invite_status == DECLINED:
            raise NotFound(f"You said you can't take {case.key}; someone else was brought in. "
                           f"Ask in the channel if you can help after all.")
        if expert.invite_status == ACCEPTED:
            return Answered(case.key, recorded=False)
        expert.invite_status = ACCEPTED
        note(tx.session, case, "accepted", f"{_who(expert)} is on it", actor=expert.name, at=now)
        schedule(tx, case_id=case.id, kind="announce", key=f"announce:accepted:{case.id}:{user_id}",
                 payload={"text": f":raising_hand: {expert.name} is on it."})
        engaged = case.engaged_at is None
        if engaged:
            case.engaged_at = now
            # The same key as a first message's refresh: the summary changes once, whichever comes first.
            schedule(tx, case_id=case.id, kind="refresh_summary", key=f"refresh_summary:{case.id}:engaged")
        return Answered(case.key, recorded=True, engaged=engaged)


def decline_case(store: Store, *, case_key: str, user_id: str, reason: str | None = None,
                 now: datetime | None = None) -> Answered:
    """'Can't take it': recorded, and the next person from the expert's department is brought in (once)."""
    now = now or utcnow()
    reason = " ".join((reason or "").split())[:REASON_MAX] or None
    with store.transaction() as tx:
        case, expert = _asked(tx, case_key, user_id)
        if expert.invite_status == DECLINED:
            return Answered(case.key, recorded=False)
        expert.invite_status, expert.invite_error = DECLINED, reason
        note(tx.session, case, "declined", f"{expert.name} declined" + (f": {reason}" if reason else ""),
             actor=expert.name, at=now)
        schedule(tx, case_id=case.id, kind="replace_expert", key=f"replace_expert:{case.id}:{user_id}",
                 payload={"user_id": user_id, "name": expert.name, "reason": reason,
                          # A manager or a person added by name is not replaced from a department.
                          "department": expert.department if expert.role == "expert" else None})
        return Answered(case.key, recorded=True)


def _asked(tx: Transaction, case_key: str, user_id: str) -> tuple[CaseRow, ParticipantRow]:
    """The open case and the expert answering; NotFound (shown to the person) for anyone else."""
    case = case_by_key(tx.session, case_key)
    if case.status not in (CaseStatus.OPEN.value, CaseStatus.OPENING.value):
        raise NotFound(f"{case.key} is {case.status}; nobody needs to take it now.")
    # Locked (PostgreSQL) so a double click's two requests answer one after the other, never both as the first.
    expert = tx.session.scalar(select(ParticipantRow).where(
        ParticipantRow.case_id == case.id, ParticipantRow.user_id == user_id, ParticipantRow.role != "requester")
        .with_for_update())
    if expert is None:
        raise NotFound(f"Only the experts asked to join {case.key} can answer this. "
                       f"To help, say so in the channel or use /swarm add.")
    return case, expert


def _who(expert: ParticipantRow) -> str:
    return f"{expert.name} ({expert.department})" if expert.department else expert.name
