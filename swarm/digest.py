"""The weekly digest for the managers' channel: last week's swarms, timings per department and SLA compliance.

Platform-neutral content plus a plain-text rendering (Slack mrkdwn-compatible, fine as a Notice on any chat);
integrations.slack.home.digest_blocks renders it as Block Kit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm import metrics
from swarm.metrics import BREACHED, AT_RISK, Scope, Stat
from swarm.store.tables import CaseRow
from swarm.usecases.common import format_duration


@dataclass(frozen=True)
class DepartmentWeek:
    department: str
    name: str
    resolved: int
    engage: Stat
    resolve: Stat
    resolve_met_share: float | None
    previous_resolve_median: float | None  # the week before, to show the trend


@dataclass(frozen=True)
class WeeklyDigest:
    since: datetime
    until: datetime
    opened: int
    resolved: int
    open_now: int
    at_risk: int
    breached: int
    overall: Stat  # time to resolve, all departments
    departments: tuple[DepartmentWeek, ...]
    slowest: tuple[metrics.CaseFacts, ...]  # longest to resolve last week

    @property
    def text(self) -> str:
        lines = [f"*CaseSwarm weekly digest* · week of {self.since:%d %b %Y}",
                 f"{self.opened} swarms opened · {self.resolved} resolved · {self.open_now} open now "
                 f"({self.at_risk} at risk, {self.breached} breached)",
                 f"Time to resolve: median {format_duration(self.overall.median)}, p90 {format_duration(self.overall.p90)}"]
        lines += [department_line(d) for d in self.departments]
        if self.slowest:
            lines.append("Slowest: " + "; ".join(f"{c.key} {c.customer} ({format_duration(c.resolve_seconds)})" for c in self.slowest))
        return "\n".join(lines)


def department_line(d: DepartmentWeek) -> str:
    trend = ""
    if d.previous_resolve_median and d.resolve.median:
        change = (d.resolve.median - d.previous_resolve_median) / d.previous_resolve_median
        trend = f" ({'▲' if change > 0 else '▼'} {abs(change) * 100:.0f}% vs the week before)"
    met = f", resolve SLA met {d.resolve_met_share * 100:.0f}%" if d.resolve_met_share is not None else ""
    return (f"• *{d.name}*: {d.resolved} resolved · engage median {format_duration(d.engage.median)} · "
            f"resolve median {format_duration(d.resolve.median)}, p90 {format_duration(d.resolve.p90)}{trend}{met}")


def weekly_digest(session: Session, *, config, now: datetime, at_risk_share: float = 0.8) -> WeeklyDigest:
    """The digest of the last full week (Monday to Monday, UTC) before `now`."""
    until = metrics.week_start(now)
    since = until - timedelta(days=7)
    resolved = metrics.resolved_cases(session, scope=Scope(since=since, until=until))
    before = metrics.resolved_cases(session, scope=Scope(since=since - timedelta(days=7), until=since))
    still_open = metrics.open_cases(session, scope=Scope(since=now, until=now))
    states = [metrics.state_of(c, now=now, at_risk_share=at_risk_share) for c in still_open]
    opened = session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.created_at >= since, CaseRow.created_at < until))
    return WeeklyDigest(
        since=since, until=until, opened=opened or 0, resolved=len(resolved), open_now=len(still_open),
        at_risk=states.count(AT_RISK), breached=states.count(BREACHED),
        overall=metrics.stat(c.resolve_seconds for c in resolved),
        departments=_departments(config, resolved, before),
        slowest=tuple(sorted(resolved, key=lambda c: -(c.resolve_seconds or 0))[:3]),
    )


def _departments(config, resolved, before) -> tuple[DepartmentWeek, ...]:
    previous = {row.group: row.resolve.median for row in metrics.timings_by_department(before)}
    compliance = {row.group: row.resolve_share for row in metrics.sla_compliance(resolved)}
    names = {d_id: d.name for d_id, d in config.departments.items()}
    return tuple(DepartmentWeek(row.group, names.get(row.group, row.group), row.cases, row.engage, row.resolve,
                                compliance.get(row.group), previous.get(row.group))
                 for row in metrics.timings_by_department(resolved))
