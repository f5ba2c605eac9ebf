"""Workflows that keep a running swarm's channel in step with the case: notices, summary, resolution, archive."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.errors import RetryLater
from swarm.model import CaseStatus, CaseSummary
from swarm.ports import Notice, ResolutionCard, SummaryCard
from swarm.store.queries import load_case_summary, open_swarm_load
from swarm.store.tables import CaseRow, ParticipantRow
from swarm.usecases.common import note
from workflows.participants import invite_pending, record_invites
from workflows.routing import not_reachable, reachable_pick
from workflows.steps import Step, StepContext


def _channel(ctx: StepContext) -> tuple[CaseRow, str]:
    with ctx.services.store.read() as session:
        case = session.get(CaseRow, ctx.case_id)
    if not case.channel_id:
        raise RetryLater("the case channel is not created yet", retry_after=2)
    return case, case.channel_id


def post_notice(ctx: StepContext) -> dict:
    """Post the workflow's text (from its payload or an earlier step) in the case channel, once."""
    case, channel_id = _channel(ctx)
    text = ctx.payload.get("text") or next((r["text"] for r in ctx.results.values() if r.get("text")), None)
    if not text:
        return {}
    chat = ctx.chat_for_case(case)
    if ctx.ambiguous and (found := chat.find_posted(channel_id, ctx.effect_key)):
        return {"message_id": found}
    return {"message_id": chat.post(channel_id, Notice(text, case.key), effect_key=ctx.effect_key)}


def summary_digest(summary: CaseSummary) -> str:
    """A fingerprint of everything the summary shows: equal digests, the same message."""
    return hashlib.sha256(repr(summary).encode()).hexdigest()


def update_summary(ctx: StepContext) -> dict:
    """Re-render the pinned summary from the current case (idempotent: it always shows the latest state), unless it
    already shows exactly this (a fact that arrived before it was posted, a second refresh for one change)."""
    with ctx.services.store.read() as session:
        case = session.get(CaseRow, ctx.case_id)
        if not case.summary_message_id:
            # Nothing to update: the summary, when posted, shows the facts of now, and the refresh its posting
            # schedules (open_swarm.record_pin) catches whatever lands while it is being rendered.
            return {"skipped": "the summary is not posted yet"}
        if case.status == CaseStatus.ARCHIVED.value:  # a refresh that came after the archive: reopening refreshes
            return {"skipped": "the case channel is archived"}
        summary = load_case_summary(session, ctx.case_id)
    digest = summary_digest(summary)
    if digest == case.summary_digest:
        return {"skipped": "the summary already shows this", "digest": digest}
    ctx.chat_for_case(case).update(case.channel_id, case.summary_message_id, SummaryCard(summary))
    return {"digest": digest}


def record_summary_digest(session: Session, ctx: StepContext, result: dict) -> None:
    if "digest" in result:
        session.get(CaseRow, ctx.case_id).summary_digest = result["digest"]


def refresh_summary_after(session: Session, ctx: StepContext, result: dict) -> None:
    """Have the pinned summary re-rendered by a refresh_summary workflow, never by the workflow that changed the case:
    a case runs one refresh at a time (definitions.ONE_AT_A_TIME), so two renders of the same message cannot land out
    of order, and a burst of changes costs one update."""
    ctx.follow_up("refresh_summary", f"refresh_summary:{ctx.case_id}:{ctx.kind}:{ctx.workflow_id}", coalesce=True)


def post_resolution(ctx: StepContext) -> dict:
    case, channel_id = _channel(ctx)
    chat = ctx.chat_for_case(case)
    if ctx.ambiguous and (found := chat.find_posted(channel_id, ctx.effect_key)):
        return {"message_id": found}
    with ctx.services.store.read() as session:
        summary = load_case_summary(session, ctx.case_id)
    card = ResolutionCard(summary, archive_in=ctx.payload.get("archive_in"))
    return {"message_id": chat.post(channel_id, card, effect_key=ctx.effect_key)}


def archive_channel(ctx: StepContext) -> dict:
    case, channel_id = _channel(ctx)
    if case.status != CaseStatus.RESOLVED.value:
        return {"skipped": f"case is {case.status}"}
    ctx.chat_for_case(case).archive(channel_id)
    return {"archived": True}


def record_archived(session: Session, ctx: StepContext, result: dict) -> None:
    case = session.get(CaseRow, ctx.case_id)
    if result.get("archived") and case.status == CaseStatus.RESOLVED.value:
        case.status, case.archived_at = CaseStatus.ARCHIVED.value, ctx.services.clock()
        note(session, case, "archived", f"Channel #{case.channel_name} archived")


def unarchive_channel(ctx: StepContext) -> dict:
    if ctx.payload.get("unarchive"):
        case, channel_id = _channel(ctx)
        ctx.chat_for_case(case).unarchive(channel_id)
    return {}


def pick_owner(ctx: StepContext) -> dict:
    """Re-run selection inside one department, skipping people already in the swarm."""
    department = ctx.payload["department"]
    with ctx.services.store.read() as session:
        case = session.get(CaseRow, ctx.case_id)
        present = set(session.scalars(select(ParticipantRow.user_id).where(ParticipantRow.case_id == ctx.case_id)))
        load = open_swarm_load(session)
    config = ctx.services.config
    chat = ctx.chat_for_case(case)
    members = config.departments[department].members
    exclude = [m.id for m in members if chat.address(m) in present]
    pick, passed_over = reachable_pick(department, config, reachable=lambda p: bool(chat.address(p)),
                                       now=ctx.services.clock(), load=load, exclude=exclude)
    dept_name = config.departments[department].name
    also = f" ({'; '.join(not_reachable(chat.kind, a.person) for a in passed_over)}.)" if passed_over else ""
    if pick is None:
        return {"text": f":warning: Nobody else is available in {dept_name} (everyone is already in this swarm).{also}"}
    return {"user_id": chat.address(pick.person), "name": pick.person.name, "department": department, "reason": pick.reason,
            "text": f":heavy_plus_sign: {ctx.payload.get('actor', 'Someone')} brought in {dept_name}: "
                    f"{chat.user_mention(chat.address(pick.person))} ({pick.reason}){also}"}


def record_owner(session: Session, ctx: StepContext, result: dict) -> None:
    if not result.get("user_id"):
        return
    case = session.get(CaseRow, ctx.case_id)
    exists = session.scalar(select(ParticipantRow).where(ParticipantRow.case_id == case.id, ParticipantRow.user_id == result["user_id"]))
    if exists is None:
        session.add(ParticipantRow(case_id=case.id, user_id=result["user_id"], name=result["name"],
                                   department=result["department"], role="expert", reason=result["reason"]))
        note(session, case, "routed", f"Brought in {result['name']}: {result['reason']}")


ANNOUNCE = (Step("post_notice", post_notice),)
REFRESH_SUMMARY = (Step("update_summary", update_summary, record_summary_digest),)
INVITE = (Step("invite", invite_pending, record_invites), Step("post_notice", post_notice, refresh_summary_after))
ADD_DEPARTMENT = (Step("pick_owner", pick_owner, record_owner),) + INVITE
RESOLVE = (Step("post_resolution", post_resolution, refresh_summary_after),)
ARCHIVE = (Step("archive_channel", archive_channel, record_archived),)
REOPEN = (Step("unarchive_channel", unarchive_channel), Step("post_notice", post_notice, refresh_summary_after))
