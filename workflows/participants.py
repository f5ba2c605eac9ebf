"""Inviting the people a case needs, recording every per-person outcome (nothing is silently dropped)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.errors import RetryLater
from swarm.store.tables import CaseRow, ParticipantRow
from swarm.usecases.common import note
from workflows.steps import StepContext


def invite_pending(ctx: StepContext) -> dict:
    """Invite everyone not yet invited; per-user errors come back as outcomes, transient errors raise."""
    with ctx.services.store.read() as session:
        case = session.get(CaseRow, ctx.case_id)
        if not case.channel_id:
            raise RetryLater("the case channel is not created yet", retry_after=2)
        channel_id, chat = case.channel_id, ctx.chat_for_case(case)
        pending = list(session.scalars(select(ParticipantRow.user_id).where(
            ParticipantRow.case_id == case.id, ParticipantRow.invite_status == "pending")))
    if not pending:
        return {"outcomes": []}
    outcomes = chat.invite(channel_id, pending)
    return {"outcomes": [{"user_id": o.user_id, "status": o.status, "reason": o.reason} for o in outcomes]}


def record_invites(session: Session, ctx: StepContext, result: dict) -> None:
    case = session.get(CaseRow, ctx.case_id)
    by_user = {p.user_id: p for p in case.participants}
    for outcome in result["outcomes"]:
        person = by_user.get(outcome["user_id"])
        if person is None:
            continue
        person.invite_status = outcome["status"]
        person.invite_error = outcome["reason"]
        if outcome["status"] == "failed":
            note(session, case, "invite_failed", f"Could not add {person.name}: {outcome['reason']}")
