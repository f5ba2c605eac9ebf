"""Changes people make on the ticket (status, assignee, priority, comments) reach the case channel and timeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from swarm.model import CaseStatus
from swarm.store.db import Store, is_unique_violation
from swarm.store.outbox import schedule
from swarm.store.tables import CaseRow, DeliveryRow
from swarm.usecases.common import note


@dataclass(frozen=True)
class TicketChange:
    field: str  # status | assignee | priority
    before: str | None
    after: str | None


@dataclass(frozen=True)
class TicketEvent:
    """One inbound ticket webhook, already authenticated and parsed by the adapter."""

    delivery_id: str
    ticket_key: str
    actor: str
    changes: tuple[TicketChange, ...] = ()
    comment: str | None = None
    now_done: bool = False  # the ticket reached a done status
    system: str = "Jira"
    extra: dict = field(default_factory=dict)


def record_ticket_event(store: Store, *, event: TicketEvent) -> str:
    """'recorded', 'duplicate' (this delivery was handled before) or 'ignored' (no case has this ticket)."""
    try:
        with store.transaction() as tx:
            tx.session.add(DeliveryRow(key=f"ticket:{event.delivery_id}"))
            tx.session.flush()
            case = tx.session.scalar(select(CaseRow).where(CaseRow.ticket_key == event.ticket_key))
            if case is None:
                return "ignored"
            lines = _lines(event)
            if not lines:
                return "ignored"
            for line in lines:
                note(tx.session, case, "ticket_update", line, actor=event.actor)
            if case.status in (CaseStatus.OPEN.value, CaseStatus.OPENING.value):
                text = "\n".join(lines) + (_RESOLVE_HINT if event.now_done else "")
                schedule(tx, case_id=case.id, kind="announce", key=f"announce:ticket:{event.delivery_id}",
                         payload={"text": f":ticket: {text}"})
            return "recorded"
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        return "duplicate"


_RESOLVE_HINT = "\nIf the customer's problem is solved, resolve the case: `/swarm resolve <summary>`."


def _lines(event: TicketEvent) -> list[str]:
    where = f"{event.system} {event.ticket_key}"
    lines = [f"{where}: {c.field} {c.before or '—'} → {c.after or '—'} (by {event.actor})" for c in event.changes]
    if event.comment:
        lines.append(f"{where}: comment by {event.actor}: {event.comment}")
    return lines
