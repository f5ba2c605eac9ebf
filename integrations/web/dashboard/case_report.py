"""One case as a manager reads it afterwards: facts, links out, people, decisions, the full timeline, similar cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.web.dashboard.reports import CASE, CUSTOMER, TITLE, Report
from integrations.web.dashboard.tables import Column, Table
from swarm import metrics
from swarm.search import similar_cases
from swarm.store.queries import case_by_key, timeline
from swarm.store.tables import CaseRow, ParticipantRow


def case_report(session: Session, *, key: str, now: datetime, at_risk_share: float, crm_record_url: str | None) -> Report:
    """NotFound (from the store) when there is no such case."""
    row = case_by_key(session, key)
    people = list(session.scalars(select(ParticipantRow).where(ParticipantRow.case_id == row.id).order_by(ParticipantRow.id)))
    report = Report(f"{row.key} · {row.title}", {
        "participants": _participants(row, people),
        "decisions": _decisions(row),
        "timeline": _timeline(session, row),
        "similar": _similar(session, row),
    })
    report.details = _facts(row, now=now, at_risk_share=at_risk_share, crm_record_url=crm_record_url)
    return report


def _facts(row: CaseRow, *, now: datetime, at_risk_share: float, crm_record_url: str | None) -> dict:
    state = metrics.sla_state(created_at=row.created_at, engage_due=row.sla_engage_due, resolve_due=row.sla_resolve_due,
                              engaged_at=row.engaged_at, resolved_at=row.resolved_at, now=now, at_risk_share=at_risk_share)
    return {
        "key": row.key, "title": row.title, "customer": row.customer, "category": row.category,
        "severity": row.severity, "status": row.status, "description": row.description, "resolution": row.resolution,
        "resolved_by": row.resolved_by, "created": row.created_at, "engaged": row.engaged_at, "resolved": row.resolved_at,
        "engage_due": row.sla_engage_due, "resolve_due": row.sla_resolve_due, "sla": state,
        "engage_seconds": (row.engaged_at - row.created_at).total_seconds() if row.engaged_at else None,
        "resolve_seconds": (row.resolved_at - row.created_at).total_seconds() if row.resolved_at else None,
        "links": _links(row, crm_record_url),
    }


def _links(row: CaseRow, crm_record_url: str | None) -> list[dict]:
    links = []
    if row.channel_id and row.platform == "slack":
        # app_redirect opens the channel in whichever Slack workspace the reader is signed in to.
        links.append({"label": f"Slack channel #{row.channel_name or row.channel_id}",
                      "url": f"https://slack.com/app_redirect?channel={row.channel_id}"})
    if row.ticket_url:
        links.append({"label": f"Jira {row.ticket_key or 'issue'}", "url": row.ticket_url})
    if row.crm_record_id:
        url = crm_record_url.format(id=row.crm_record_id) if crm_record_url else None
        links.append({"label": f"CRM case {row.crm_record_number or row.crm_record_id}", "url": url})
    if row.source_link:
        links.append({"label": "Original message", "url": row.source_link})
    return links


def _participants(row: CaseRow, people: list[ParticipantRow]) -> Table:
    columns = (Column("name", "Name"), Column("department", "Department"), Column("role", "Role"),
               Column("reason", "Why"), Column("invite", "Invite"), Column("first_message", "First message after", "duration"))
    rows = [{"name": p.name, "department": p.department, "role": p.role, "reason": p.reason, "invite": p.invite_status,
             "first_message": (p.first_message_at - row.created_at).total_seconds() if p.first_message_at else None}
            for p in people]
    return Table("participants", "Who is in the swarm", columns, rows)


def _decisions(row: CaseRow) -> Table:
    columns = (Column("recorded", "Recorded", "datetime"), Column("author", "By"), Column("department", "Department"),
               Column("text", "Decision"))
    rows = [{"recorded": d.recorded_at, "author": d.author_name, "department": d.department, "text": d.text}
            for d in row.decisions]
    return Table("decisions", "Decisions", columns, rows, empty="No decisions recorded.")


def _timeline(session: Session, row: CaseRow) -> Table:
    columns = (Column("at", "When", "datetime"), Column("kind", "What"), Column("actor", "Who"), Column("text", "Details"))
    rows = [{"at": e.at, "kind": e.kind, "actor": e.actor, "text": e.text} for e in timeline(session, row.id)]
    return Table("timeline", "Timeline", columns, rows)


def _similar(session: Session, row: CaseRow) -> Table:
    hits = similar_cases(session, text=f"{row.title} {row.description}", limit=5, exclude_case_id=row.id)
    columns = (CASE, TITLE, CUSTOMER, Column("resolved", "Resolved", "datetime"))
    rows = [{"case": h.key, "title": h.title, "customer": h.customer, "resolved": h.resolved_at} for h in hits]
    return Table("similar", "Similar past cases", columns, rows, empty="No similar resolved case.")
