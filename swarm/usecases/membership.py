"""Bring more people into a swarm mid-case: a whole department (selection re-runs) or a named person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from swarm.errors import InvalidInput, NotFound
from swarm.model import CaseStatus
from swarm.store.db import Store
from swarm.store.outbox import schedule
from swarm.store.tables import ParticipantRow, WorkflowRow, utcnow
from swarm.usecases.common import case_in_channel, note


def add_department(store: Store, *, channel_id: str, department: str, known: dict[str, str], actor_name: str,
                   request_key: str) -> str:
    """Schedule selection of an owner from `department` (validated against the configured ones)."""
    dept = (department or "").strip().lower()
    if dept not in known:
        raise InvalidInput({"department": f"Department '{department}' is not one of: {', '.join(known)}"})
    with store.transaction() as tx:
        case = _active_case(tx.session, channel_id)
        key = f"add_department:{case.id}:{request_key}"
        if tx.session.scalar(select(WorkflowRow.id).where(WorkflowRow.dedupe_key == key)) is None:  # not a re-send
            note(tx.session, case, "department_requested", f"{actor_name} asked for {known[dept]}", actor=actor_name)
            schedule(tx, case_id=case.id, kind="add_department", key=key, payload={"department": dept, "actor": actor_name})
        return case.key


def add_person(store: Store, *, channel_id: str, user_id: str, name: str, department: str | None, actor_name: str,
               now: datetime | None = None) -> tuple[str, bool]:
    """Add a named person as an expert; returns (case key, whether they were new to the swarm)."""
    with store.transaction() as tx:
        case = _active_case(tx.session, channel_id)
        exists = tx.session.scalar(select(ParticipantRow).where(ParticipantRow.case_id == case.id, ParticipantRow.user_id == user_id))
        if exists is not None:
            return case.key, False
        tx.session.add(ParticipantRow(case_id=case.id, user_id=user_id, name=name, department=department, role="expert",
                                      reason=f"added by {actor_name}", added_at=now or utcnow()))
        note(tx.session, case, "person_added", f"{actor_name} added {name}" + (f" ({department})" if department else ""), actor=actor_name)
        schedule(tx, case_id=case.id, kind="invite", key=f"invite:{case.id}:{user_id}",
                 payload={"text": f":bust_in_silhouette: {actor_name} brought in <@{user_id}>"})
        return case.key, True


def _active_case(session, channel_id: str):
    case = case_in_channel(session, channel_id)
    if case.status not in (CaseStatus.OPEN.value, CaseStatus.OPENING.value):
        raise NotFound(f"{case.key} is {case.status}; reopen it before adding people")
    return case
