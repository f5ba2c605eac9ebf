"""Read helpers that turn rows into domain views (no ORM object leaves the core's use cases)."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from swarm.customer_history import customer_history
from swarm.errors import NotFound
from swarm.model import CaseStatus, CaseSummary, DecisionView, ParticipantView, Severity
from swarm.store.tables import CaseRow, LinkedReportRow, ParticipantRow, TimelineRow, WorkflowRow

CASE_KEY = re.compile(r"^\s*CS-(\d+)\s*$", re.IGNORECASE)


def case_by_key(session: Session, key: str) -> CaseRow:
    match = CASE_KEY.match(key)
    row = session.get(CaseRow, int(match.group(1))) if match else None
    if row is None:
        raise NotFound(f"No case {key.strip()!r} (case keys look like CS-12)")
    return row


def case_by_channel(session: Session, channel_id: str) -> CaseRow | None:
    return session.scalar(select(CaseRow).where(CaseRow.channel_id == channel_id))


def case_by_dedupe_key(session: Session, dedupe_key: str) -> CaseRow | None:
    return session.scalar(select(CaseRow).where(CaseRow.dedupe_key == dedupe_key))


def open_swarm_load(session: Session) -> dict[str, int]:
    """How many open swarms each person is in as an expert (for least-load selection)."""
    rows = session.execute(
        select(ParticipantRow.user_id, func.count())
        .join(CaseRow, CaseRow.id == ParticipantRow.case_id)
        .where(CaseRow.status.in_((CaseStatus.OPENING.value, CaseStatus.OPEN.value)), ParticipantRow.role == "expert")
        .group_by(ParticipantRow.user_id)
    )
    return {user_id: count for user_id, count in rows}


WORK_LABELS = {
    "link_ticket": "Ticket sync", "sync_decision_ticket": "Ticket sync", "sync_status_ticket": "Ticket sync",
    "link_customer": "CRM sync", "link_crm_record": "CRM sync", "sync_decision_crm": "CRM sync", "sync_status_crm": "CRM sync",
}


def sync_notes(session: Session, case_id: int) -> tuple[str, ...]:
    """Workflows parked as failed, as one line each for the summary and `swarm cases`."""
    failed = session.scalars(
        select(WorkflowRow).where(WorkflowRow.case_id == case_id, WorkflowRow.status == "failed").order_by(WorkflowRow.id)
    )
    return tuple(f"{WORK_LABELS[w.kind]} failing ({w.kind}): {w.last_error}" if w.kind in WORK_LABELS
                 else f"{w.kind} failing: {w.last_error}" for w in failed)


def case_summary(session: Session, row: CaseRow) -> CaseSummary:
    """The full domain view of a case, as chat platforms render it."""
    return CaseSummary(
        **_case_columns(row),
        history=customer_history(session, customer=row.customer, before_case_id=row.id, at=row.created_at),
        similar=similar_past_cases(session, row),
        linked_customers=linked_customers(session, row.id),
        participants=tuple(ParticipantView(p.user_id, p.name, p.department, p.role, p.reason, p.invite_status)
                           for p in row.participants),
        decisions=tuple(DecisionView(d.text, d.author_name, d.department, d.recorded_at, d.link) for d in row.decisions),
        sync_notes=sync_notes(session, row.id),
    )


def refreshed_summary(session: Session, summary: CaseSummary) -> CaseSummary:
    """A summary read a moment ago, with what other work may have changed since read again: the case's own fields
    (the ticket, the CRM record and customer, the status) and the failing syncs. Its people, decisions and past
    cases stay as read; a change there is caught by the refresh that follows the posting (workflows/open_swarm.py)."""
    # One statement in the usual case (no linked escalation, no failing sync): posted beside another thread's commit,
    # each statement is a moment at which that thread may take the process.
    linked = select(LinkedReportRow.id).where(LinkedReportRow.case_id == CaseRow.id).exists()
    failing = select(WorkflowRow.id).where(WorkflowRow.case_id == CaseRow.id, WorkflowRow.status == "failed").exists()
    row, any_linked, any_failing = session.execute(select(CaseRow, linked, failing).where(CaseRow.id == summary.number)).one()
    return replace(summary, **_case_columns(row),
                   linked_customers=linked_customers(session, row.id) if any_linked else (),
                   sync_notes=sync_notes(session, row.id) if any_failing else ())


def _case_columns(row: CaseRow) -> dict:
    return dict(
        key=row.key, number=row.id, title=row.title, customer=row.customer, category=row.category,
        severity=Severity(row.severity), description=row.description, status=CaseStatus(row.status),
        requester=row.requester_id, source_link=row.source_link, created_at=row.created_at,
        channel_id=row.channel_id, channel_name=row.channel_name, ticket_key=row.ticket_key, ticket_url=row.ticket_url,
        crm_record=row.crm_record_number, customer_context=row.customer_context,
        sla_engage_due=row.sla_engage_due, sla_resolve_due=row.sla_resolve_due, sla_engage_state=row.sla_engage_state,
        sla_resolve_state=row.sla_resolve_state, engaged_at=row.engaged_at, resolved_at=row.resolved_at,
        resolution=row.resolution,
    )


def linked_customers(session: Session, case_id: int) -> tuple[str, ...]:
    """Other customers whose escalations joined this case's swarm, in the order they joined."""
    return tuple(session.scalars(select(LinkedReportRow.customer).where(LinkedReportRow.case_id == case_id)
                                 .order_by(LinkedReportRow.id)))


def similar_past_cases(session: Session, row: CaseRow, limit: int = 3) -> tuple[tuple[str, str, str | None], ...]:
    """Resolved cases most like this one (full-text), with how they were resolved: the company already knows."""
    from swarm.search import similar_cases  # the search index is optional on exotic databases; import late

    try:
        hits = similar_cases(session, text=f"{row.title} {row.description}", limit=limit, exclude_case_id=row.id)
    except NotImplementedError:
        return ()
    return tuple((h.key, h.title, session.get(CaseRow, h.case_id).resolution) for h in hits)


def load_case_summary(session: Session, case_id: int) -> CaseSummary:
    row = session.scalars(
        select(CaseRow)
        .where(CaseRow.id == case_id)
        .options(selectinload(CaseRow.participants), selectinload(CaseRow.decisions))
    ).one()
    return case_summary(session, row)


def timeline(session: Session, case_id: int) -> list[TimelineRow]:
    return list(session.scalars(select(TimelineRow).where(TimelineRow.case_id == case_id).order_by(TimelineRow.at, TimelineRow.id)))


def list_cases(session: Session, *, limit: int = 50) -> list[CaseRow]:
    return list(session.scalars(select(CaseRow).order_by(CaseRow.id.desc()).limit(limit)))
