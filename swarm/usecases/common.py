"""Small helpers shared by the use cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from swarm.errors import NotFound
from swarm.store.queries import case_by_channel
from swarm.store.tables import CaseRow, TimelineRow, utcnow


def note(session: Session, case: CaseRow, kind: str, text: str, *, actor: str | None = None, at: datetime | None = None) -> None:
    """Append an entry to the case timeline."""
    session.add(TimelineRow(case_id=case.id, kind=kind, text=text, actor=actor, at=at or utcnow()))


def case_in_channel(session: Session, channel_id: str) -> CaseRow:
    case = case_by_channel(session, channel_id)
    if case is None:
        raise NotFound("This is not a case channel. Run this in a case channel (or escalate a message to open one).")
    return case


def format_duration(seconds: float | None) -> str:
    """'4m', '2h 05m', '1d 3h': short enough for a summary line."""
    if seconds is None:
        return "—"
    seconds = int(max(seconds, 0))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"
