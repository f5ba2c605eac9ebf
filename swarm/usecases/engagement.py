"""Time to engage: the first message an expert writes in the case channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from swarm.store.db import Store
from swarm.store.outbox import schedule
from swarm.store.queries import case_by_channel
from swarm.store.tables import ParticipantRow
from swarm.usecases.common import format_duration, note


def note_channel_message(store: Store, *, channel_id: str, user_id: str, at: datetime) -> bool:
    """Record an expert's first message; returns True when it was the case's first engagement."""
    with store.transaction() as tx:
        case = case_by_channel(tx.session, channel_id)
        if case is None:
            return False
        expert = tx.session.scalar(select(ParticipantRow).where(
            ParticipantRow.case_id == case.id, ParticipantRow.user_id == user_id, ParticipantRow.role != "requester"))
        if expert is None or expert.first_message_at is not None:
            return False
        expert.first_message_at = at
        took = format_duration((at - case.created_at).total_seconds())
        dept = f" ({expert.department})" if expert.department else ""
        note(tx.session, case, "engaged", f"{expert.name}{dept} engaged after {took}", actor=expert.name, at=at)
        if case.engaged_at is None:
            case.engaged_at = at
            # The pinned summary shows the SLA state; refresh it once, on the first engagement.
            schedule(tx, case_id=case.id, kind="refresh_summary", key=f"refresh_summary:{case.id}:engaged", coalesce=True)
            return True
        return False
