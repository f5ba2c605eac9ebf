"""Which upstream causes cost the most swarm time, per owning department: the list that says what to fix so the
cases stop coming ("the best service is no service")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.store.tables import CaseRow


@dataclass(frozen=True)
class RootCauseRow:
    department: str
    cause: str
    cases: int
    swarm_hours: float  # escalation to resolution, summed over the cases
    previous_cases: int  # the same length of time just before: the trend

    @property
    def trend(self) -> int:
        return self.cases - self.previous_cases


def root_cause_report(session: Session, *, since: datetime, until: datetime) -> list[RootCauseRow]:
    """Causes of cases resolved in [since, until), most cases first (then most hours), with the previous period."""
    current = _resolved(session, since, until)
    previous = _resolved(session, since - (until - since), since)
    rows = []
    for (department, cause), cases in current.items():
        hours = sum((c.resolved_at - c.created_at).total_seconds() for c in cases) / 3600
        rows.append(RootCauseRow(department, cause, len(cases), round(hours, 1), len(previous.get((department, cause), []))))
    return sorted(rows, key=lambda r: (-r.cases, -r.swarm_hours, r.department, r.cause))


def _resolved(session: Session, start: datetime, end: datetime) -> dict[tuple[str, str], list[CaseRow]]:
    found: dict[tuple[str, str], list[CaseRow]] = {}
    for case in session.scalars(select(CaseRow).where(CaseRow.root_cause.is_not(None), CaseRow.resolved_at >= start,
                                                      CaseRow.resolved_at < end)):
        found.setdefault((case.root_cause_department or "unassigned", case.root_cause), []).append(case)
    return found
