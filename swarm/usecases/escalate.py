"""Escalate: record a case and schedule its swarm. The same escalation twice yields the same case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from swarm.model import CaseStatus, Escalation
from swarm.store.db import Store, is_unique_violation
from swarm.store.outbox import schedule
from swarm.store.queries import case_by_dedupe_key
from swarm.store.tables import CaseRow, ParticipantRow, utcnow
from swarm.usecases.common import note
from swarm.usecases.sync import schedule_customer_links, ticket_link_key


@dataclass(frozen=True)
class CaseOpened:
    key: str
    created: bool  # False when this escalation had already opened the case
    status: CaseStatus
    channel_id: str | None


def escalate(store: Store, *, escalation: Escalation, config, now: datetime | None = None) -> CaseOpened:
    """Record the case, its requester and the open-swarm workflow; return the existing case on a repeat."""
    try:
        return _escalate_once(store, escalation, config, now or utcnow())
    except IntegrityError as exc:  # a concurrent delivery of the same escalation won the race
        if not is_unique_violation(exc):
            raise
        return _existing(store, escalation.dedupe_key)


def _escalate_once(store: Store, esc: Escalation, config, now: datetime) -> CaseOpened:
    with store.transaction() as tx:
        existing = case_by_dedupe_key(tx.session, esc.dedupe_key)
        if existing is not None:
            return _opened(existing, created=False)
        targets = config.sla.targets_for(esc.severity.value)
        case = CaseRow(
            dedupe_key=esc.dedupe_key,
            title=esc.title,
            customer=esc.customer,
            category=esc.category,
            severity=esc.severity.value,
            description=esc.description,
            status=CaseStatus.OPENING.value,
            platform=esc.platform,
            workspace_id=esc.workspace_id,
            requester_id=esc.requester,
            source_channel=esc.source_channel,
            source_message=esc.source_message,
            source_link=esc.source_link,
            created_at=now,
            sla_engage_due=now + targets.engage,
            sla_resolve_due=now + targets.resolve,
        )
        tx.session.add(case)
        tx.session.flush()
        tx.session.add(ParticipantRow(
            case_id=case.id, user_id=esc.requester, name=esc.requester_name or esc.requester,
            department=None, role="requester", reason="escalated the case", added_at=now,
        ))
        note(tx.session, case, "escalated", f"{case.key} escalated: {esc.title} ({esc.severity.value}, {esc.category}, customer {esc.customer})",
             actor=esc.requester_name or esc.requester, at=now)
        # Woken in this order: the swarm, the customer (one quick query; its tier may route), then the ticket. The
        # ticket is made beside the channel, carrying the case's channel link (swarm/case_links.py) rather than
        # waiting for the channel, so the first summary can show it.
        schedule(tx, case_id=case.id, kind="open_swarm", key=f"open_swarm:{case.id}", new_case=True)
        schedule_customer_links(tx, case, crm_ref=esc.crm_ref)
        schedule(tx, case_id=case.id, kind="link_ticket", key=ticket_link_key(case.id, esc.ticket_ref),
                 payload={"ref": esc.ticket_ref}, new_case=True)
        return _opened(case, created=True)


def _existing(store: Store, dedupe_key: str) -> CaseOpened:
    with store.read() as session:
        case = case_by_dedupe_key(session, dedupe_key)
        assert case is not None, "unique violation without the row that caused it"
        return _opened(case, created=False)


def _opened(case: CaseRow, *, created: bool) -> CaseOpened:
    return CaseOpened(key=case.key, created=created, status=CaseStatus(case.status), channel_id=case.channel_id)
