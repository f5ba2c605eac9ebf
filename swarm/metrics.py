"""Managers' numbers: time to engage and to resolve (median, p90), SLA state and compliance, expert load.

Pure queries over the store plus pure functions over the rows they return, so the dashboard, the Slack App Home,
the weekly digest and the core can all share one definition of each number:

- time to engage: case created → the first message of an expert in the case channel (cases.engaged_at);
  per department: case created → that department's first expert message.
- time to resolve: case created → resolved (cases.resolved_at).
- timings describe the cases *resolved* in the period (a case counts once it has both numbers).
- median and p90 interpolate linearly between the two nearest values (numpy's default, Excel's PERCENTILE.INC).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from swarm.model import CaseStatus
from swarm.store.tables import CaseRow, DecisionRow, ParticipantRow

ON_TRACK, AT_RISK, BREACHED = "on track", "at risk", "breached"
OPEN_STATUSES = (CaseStatus.OPENING.value, CaseStatus.OPEN.value)
EXPERT_ROLES = ("expert", "manager")


@dataclass(frozen=True)
class Scope:
    """Which cases a view looks at. `since`/`until` bound the period (resolution time for timings)."""

    since: datetime
    until: datetime
    department: str | None = None
    category: str | None = None
    severity: str | None = None
    participant: str | None = None  # a chat user id: only the swarms this person is (or was) in


@dataclass(frozen=True)
class Stat:
    count: int
    median: float | None  # seconds
    p90: float | None


@dataclass(frozen=True)
class CaseFacts:
    """One case as the timing tables see it."""

    id: int
    title: str
    customer: str
    category: str
    severity: str
    status: str
    created_at: datetime
    engaged_at: datetime | None
    resolved_at: datetime | None
    sla_engage_due: datetime | None
    sla_resolve_due: datetime | None
    departments: tuple[str, ...] = ()
    department_engaged: dict[str, datetime] = field(default_factory=dict)
    people: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"CS-{self.id}"

    @property
    def engage_seconds(self) -> float | None:
        return (self.engaged_at - self.created_at).total_seconds() if self.engaged_at else None

    @property
    def resolve_seconds(self) -> float | None:
        return (self.resolved_at - self.created_at).total_seconds() if self.resolved_at else None

    def engage_met(self) -> bool | None:
        """Engaged by the due time (None when there was no target)."""
        if self.sla_engage_due is None:
            return None
        end = self.engaged_at or self.resolved_at
        return end is not None and end <= self.sla_engage_due

    def resolve_met(self) -> bool | None:
        if self.sla_resolve_due is None:
            return None
        return self.resolved_at is not None and self.resolved_at <= self.sla_resolve_due


# --- statistics ---------------------------------------------------------------------------------------------------

def quantile(values: Iterable[float], q: float) -> float | None:
    """The q-quantile (0..1) with linear interpolation between closest ranks; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stat(values: Iterable[float | None]) -> Stat:
    present = [v for v in values if v is not None]
    return Stat(len(present), quantile(present, 0.5), quantile(present, 0.9))


def sla_state(*, created_at: datetime, engage_due: datetime | None, resolve_due: datetime | None,
              engaged_at: datetime | None, resolved_at: datetime | None, now: datetime, at_risk_share: float = 0.8) -> str:
    """'breached' once a target is missed, 'at risk' when a running clock has used `at_risk_share` of its time."""
    engage_end = engaged_at or resolved_at or now
    if (engage_due and engage_end > engage_due) or (resolve_due and (resolved_at or now) > resolve_due):
        return BREACHED
    if resolved_at:
        return ON_TRACK
    running = [due for due in (None if engaged_at else engage_due, resolve_due) if due]
    for due in running:
        budget = (due - created_at).total_seconds()
        if budget > 0 and (now - created_at).total_seconds() / budget >= at_risk_share:
            return AT_RISK
    return ON_TRACK


def state_of(case: CaseFacts, *, now: datetime, at_risk_share: float = 0.8) -> str:
    return sla_state(created_at=case.created_at, engage_due=case.sla_engage_due, resolve_due=case.sla_resolve_due,
                     engaged_at=case.engaged_at, resolved_at=case.resolved_at, now=now, at_risk_share=at_risk_share)


# --- loading ------------------------------------------------------------------------------------------------------

def _scoped(query: Select, scope: Scope) -> Select:
    if scope.category:
        query = query.where(CaseRow.category == scope.category)
    if scope.severity:
        query = query.where(CaseRow.severity == scope.severity)
    if scope.department:
        query = query.where(CaseRow.id.in_(select(ParticipantRow.case_id).where(
            ParticipantRow.department == scope.department, ParticipantRow.role.in_(EXPERT_ROLES))))
    if scope.participant:
        query = query.where(CaseRow.id.in_(select(ParticipantRow.case_id).where(ParticipantRow.user_id == scope.participant)))
    return query


def resolved_cases(session: Session, *, scope: Scope) -> list[CaseFacts]:
    """Cases resolved in the period (oldest resolution first), with their departments."""
    where = (CaseRow.resolved_at >= scope.since, CaseRow.resolved_at < scope.until)
    return _load(session, _scoped(select(CaseRow).where(*where).order_by(CaseRow.resolved_at, CaseRow.id), scope))


def open_cases(session: Session, *, scope: Scope) -> list[CaseFacts]:
    """Swarms not resolved yet (whatever the period), oldest first."""
    query = select(CaseRow).where(CaseRow.status.in_(OPEN_STATUSES)).order_by(CaseRow.created_at, CaseRow.id)
    return _load(session, _scoped(query, scope))


def _load(session: Session, query: Select) -> list[CaseFacts]:
    rows = session.execute(query.with_only_columns(
        CaseRow.id, CaseRow.title, CaseRow.customer, CaseRow.category, CaseRow.severity, CaseRow.status,
        CaseRow.created_at, CaseRow.engaged_at, CaseRow.resolved_at, CaseRow.sla_engage_due, CaseRow.sla_resolve_due,
    )).all()
    people = _participants(session, query)
    return [CaseFacts(*row, **people.get(row.id, {})) for row in rows]


def _participants(session: Session, cases: Select) -> dict[int, dict]:
    # One query joined on the same filter: an IN list of ids would overflow SQLite's variable limit on big periods.
    ids = cases.with_only_columns(CaseRow.id).order_by(None).subquery()
    rows = session.execute(select(ParticipantRow.case_id, ParticipantRow.name, ParticipantRow.department,
                                  ParticipantRow.role, ParticipantRow.first_message_at)
                           .join(ids, ids.c.id == ParticipantRow.case_id).order_by(ParticipantRow.id))
    found: dict[int, dict] = defaultdict(lambda: {"departments": (), "department_engaged": {}, "people": ()})
    for case_id, name, department, role, first_message_at in rows:
        entry = found[case_id]
        entry["people"] += (name,)
        if role in EXPERT_ROLES and department:
            if department not in entry["departments"]:
                entry["departments"] += (department,)
            if first_message_at and (department not in entry["department_engaged"]
                                     or first_message_at < entry["department_engaged"][department]):
                entry["department_engaged"][department] = first_message_at
    return found


# --- tables over loaded cases -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimingRow:
    group: str
    cases: int
    engage: Stat
    resolve: Stat


def timings_by(cases: list[CaseFacts], *, key: Callable[[CaseFacts], str]) -> list[TimingRow]:
    """Median and p90 time to engage and resolve per group (category, severity, ...), groups sorted by name."""
    groups: dict[str, list[CaseFacts]] = defaultdict(list)
    for case in cases:
        groups[key(case)].append(case)
    return [TimingRow(name, len(members), stat(c.engage_seconds for c in members), stat(c.resolve_seconds for c in members))
            for name, members in sorted(groups.items())]


def timings_by_department(cases: list[CaseFacts], *, only: str | None = None) -> list[TimingRow]:
    """Per department: its own first expert message, and the resolve time of the cases it took part in."""
    engage: dict[str, list[float]] = defaultdict(list)
    resolve: dict[str, list[float | None]] = defaultdict(list)
    for case in cases:
        for department in case.departments:
            resolve[department].append(case.resolve_seconds)
            if department in case.department_engaged:
                engage[department].append((case.department_engaged[department] - case.created_at).total_seconds())
    names = sorted(d for d in resolve if only is None or d == only)
    return [TimingRow(d, len(resolve[d]), stat(engage[d]), stat(resolve[d])) for d in names]


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the week `moment` falls in."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def weekly_trend(cases: list[CaseFacts]) -> list[TimingRow]:
    """Timings per week of resolution (ISO weeks, Monday start, UTC), oldest first; group = 'YYYY-MM-DD'."""
    return timings_by([c for c in cases if c.resolved_at], key=lambda c: f"{week_start(c.resolved_at):%Y-%m-%d}")


@dataclass(frozen=True)
class Compliance:
    group: str
    cases: int
    engage_met: int
    resolve_met: int
    engage_share: float | None  # 0..1
    resolve_share: float | None


def sla_compliance(cases: list[CaseFacts], *, only: str | None = None) -> list[Compliance]:
    """Per department: how many of its resolved cases met the engage and the resolve target."""
    groups: dict[str, list[CaseFacts]] = defaultdict(list)
    for case in cases:
        for department in case.departments:
            if only is None or department == only:
                groups[department].append(case)
    return [_compliance(name, members) for name, members in sorted(groups.items())]


def _compliance(name: str, cases: list[CaseFacts]) -> Compliance:
    engage = [c.engage_met() for c in cases if c.engage_met() is not None]
    resolve = [c.resolve_met() for c in cases if c.resolve_met() is not None]
    return Compliance(name, len(cases), sum(engage), sum(resolve),
                      sum(engage) / len(engage) if engage else None, sum(resolve) / len(resolve) if resolve else None)


# --- people -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpertLoad:
    user_id: str
    name: str
    department: str | None
    open_swarms: int
    decisions: int  # recorded in the period


def expert_load(session: Session, *, scope: Scope) -> list[ExpertLoad]:
    """Everyone who is (or was) an expert in a swarm: open swarms now, decisions recorded in the period; busiest first."""
    open_ids = _scoped(select(CaseRow.id).where(CaseRow.status.in_(OPEN_STATUSES)), scope).subquery()
    open_rows = session.execute(
        select(ParticipantRow.user_id, func.max(ParticipantRow.name), func.max(ParticipantRow.department), func.count())
        .join(open_ids, open_ids.c.id == ParticipantRow.case_id)
        .where(ParticipantRow.role.in_(EXPERT_ROLES)).group_by(ParticipantRow.user_id)).all()
    period_ids = _scoped(select(CaseRow.id), scope).subquery()
    decision_rows = session.execute(
        select(DecisionRow.author_id, func.max(DecisionRow.author_name), func.max(DecisionRow.department), func.count())
        .join(period_ids, period_ids.c.id == DecisionRow.case_id)
        .where(DecisionRow.recorded_at >= scope.since, DecisionRow.recorded_at < scope.until)
        .group_by(DecisionRow.author_id)).all()
    people: dict[str, dict] = {}
    for user_id, name, department, count in open_rows:
        people[user_id] = {"name": name, "department": department, "open_swarms": count, "decisions": 0}
    for user_id, name, department, count in decision_rows:
        people.setdefault(user_id, {"name": name, "department": department, "open_swarms": 0, "decisions": 0})["decisions"] = count
    if scope.department:
        people = {k: v for k, v in people.items() if v["department"] == scope.department}
    loads = [ExpertLoad(user_id, **values) for user_id, values in people.items()]
    return sorted(loads, key=lambda e: (-e.open_swarms, -e.decisions, e.name))
