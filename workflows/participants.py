"""Inviting the people a case needs, recording every per-person outcome (nothing is silently dropped)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.errors import RetryLater
from swarm.store.tables import CaseRow, ParticipantRow
from swarm.usecases.common import note
from workflows.steps import StepContext


def invite_pending(ctx: StepContext) -> dict:
    """Invite everyone not yet invited; per-user errors come back as outcomes, transient errors raise.

    In a swarm's opening the channel and the routing's picks may still be committing beside this call
    (Step.overlaps_previous_record): they are taken from the create_channel result, with the people who were in the
    case when it ran. A first try takes them from there alone: a read here would hand the process to that
    commit while the call waits. A retry reads the case, which the earlier try may have changed."""
    created = ctx.results.get("create_channel") or {}
    if created.get("channel_id") and "present" in created and not ctx.ambiguous:
        channel_id, chat, statuses = created["channel_id"], ctx.chat, created["present"]
    else:
        with ctx.services.store.read() as session:
            case = session.get(CaseRow, ctx.case_id)
            channel_id, chat = case.channel_id or created.get("channel_id"), ctx.chat_for_case(case)
            if not channel_id:
                raise RetryLater("the case channel is not created yet", retry_after=2)
            statuses = invite_statuses(session, case.id)
    pending = [user for user, status in statuses.items() if status == "pending"]
    for pick in created.get("picks", ()):  # add_picks skips whoever is in the case already, and so does this
        if pick["user_id"] not in statuses and pick["user_id"] not in pending:
            pending.append(pick["user_id"])
    if not pending:
        return {"outcomes": []}
    outcomes = chat.invite(channel_id, pending)
    return {"outcomes": [{"user_id": o.user_id, "status": o.status, "reason": o.reason} for o in outcomes]}


def invite_statuses(session: Session, case_id: int) -> dict[str, str]:
    """Everyone in the case and how their invite stands, in the order they joined it."""
    return dict(session.execute(select(ParticipantRow.user_id, ParticipantRow.invite_status)
                                .where(ParticipantRow.case_id == case_id).order_by(ParticipantRow.id)).all())


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


def pick_of(chat, assignment) -> dict:
    """A routing assignment as a step stores it: who (on this platform), where, why, in what role."""
    return {"user_id": chat.address(assignment.person), "name": assignment.person.name,
            "department": assignment.department, "reason": assignment.reason,
            "role": "manager" if assignment.role == "manager" else "expert"}


def add_picks(session: Session, case: CaseRow, result: dict) -> None:
    """The people routing picked join the case (pending an invite), each with the reason, once."""
    present = set(session.scalars(select(ParticipantRow.user_id).where(ParticipantRow.case_id == case.id)))
    for sentence in result.get("skipped", ()):
        note(session, case, "not_reachable", f"Not brought in: {sentence}")
    for pick in result["picks"]:
        if pick["user_id"] in present:
            continue
        present.add(pick["user_id"])
        session.add(ParticipantRow(case_id=case.id, user_id=pick["user_id"], name=pick["name"], department=pick["department"],
                                   role=pick["role"], reason=pick["reason"]))
        note(session, case, "routed", f"Brought in {pick['name']}: {pick['reason']}")
