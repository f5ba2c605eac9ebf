"""What each dashboard page shows, as numbers and tables; the HTML pages, the CSV exports and the JSON API all
render these same reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from integrations.web.dashboard.tables import Column, Table
from swarm import metrics
from swarm.metrics import AT_RISK, BREACHED, CaseFacts, Scope, TimingRow
from swarm.follow_up_stats import follow_up_stats
from swarm.root_causes import root_cause_report
from swarm.search import search_cases

CASE, TITLE, CUSTOMER = Column("case", "Case", "case"), Column("title", "Title"), Column("customer", "Customer")
SEVERITY, CATEGORY = Column("severity", "Severity"), Column("category", "Category")
URGENCY = {BREACHED: 0, AT_RISK: 1, metrics.ON_TRACK: 2}
TIMING_COLUMNS = (Column("cases", "Cases", "int"), Column("engage_median", "Engage median", "duration"),
                  Column("engage_p90", "Engage p90", "duration"), Column("resolve_median", "Resolve median", "duration"),
                  Column("resolve_p90", "Resolve p90", "duration"))


@dataclass
class Report:
    title: str
    tables: dict[str, Table]
    kpis: list[dict] = field(default_factory=list)  # {key, label, value, kind}
    details: dict = field(default_factory=dict)  # the case page's facts and links


def overview(session: Session, *, scope: Scope, now: datetime, at_risk_share: float) -> Report:
    open_cases = metrics.open_cases(session, scope=scope)
    states = {c.id: metrics.state_of(c, now=now, at_risk_share=at_risk_share) for c in open_cases}
    # What needs a manager first: breached, then at risk, then the rest; oldest first within each.
    open_cases.sort(key=lambda c: (URGENCY[states[c.id]], c.created_at))
    resolved = metrics.resolved_cases(session, scope=scope)
    overall = metrics.timings_by(resolved, key=lambda c: "all")
    kpis = [
        _kpi("open", "Open swarms", len(open_cases), "int"),
        _kpi("at_risk", "At risk", sum(s == AT_RISK for s in states.values()), "int"),
        _kpi("breached", "Breached", sum(s == BREACHED for s in states.values()), "int"),
        _kpi("resolved", "Resolved in period", len(resolved), "int"),
        _kpi("engage_median", "Median time to engage", overall[0].engage.median if overall else None, "duration"),
        _kpi("resolve_median", "Median time to resolve", overall[0].resolve.median if overall else None, "duration"),
    ]
    tables = {"open": _open_table(open_cases, states, now), "resolved": _resolved_table(resolved, now, at_risk_share)}
    return Report("Overview", tables, kpis)


def timings(session: Session, *, scope: Scope) -> Report:
    resolved = metrics.resolved_cases(session, scope=scope)
    tables = {
        "by_department": _timing_table("by_department", "By department", "Department",
                                       metrics.timings_by_department(resolved, only=scope.department)),
        "by_category": _timing_table("by_category", "By category", "Category",
                                     metrics.timings_by(resolved, key=lambda c: c.category)),
        "by_severity": _timing_table("by_severity", "By severity", "Severity",
                                     metrics.timings_by(resolved, key=lambda c: c.severity)),
        "weekly": _timing_table("weekly", "Weekly trend (week of resolution, Monday start)", "Week",
                                metrics.weekly_trend(resolved)),
        "sla": _compliance_table(metrics.sla_compliance(resolved, only=scope.department)),
    }
    return Report("Timings", tables)


def load(session: Session, *, scope: Scope) -> Report:
    columns = (Column("name", "Expert"), Column("department", "Department"), Column("open_swarms", "Open swarms", "int"),
               Column("decisions", "Decisions in period", "int"))
    rows = [vars(e) for e in metrics.expert_load(session, scope=scope)]
    return Report("Expert load", {"load": Table("load", "Per-expert load", columns, rows)})


def root_causes(session: Session, *, scope: Scope, labels: dict[str, str], departments: dict[str, str]) -> Report:
    """What to fix upstream: causes of the cases resolved in the period, per owning department, and follow-ups."""
    rows = [{"department": departments.get(r.department, r.department), "department_id": r.department,
             "cause": labels.get(r.cause, r.cause),
             "cause_id": r.cause, "cases": r.cases, "hours": r.swarm_hours, "previous": r.previous_cases, "trend": r.trend}
            for r in root_cause_report(session, since=scope.since, until=scope.until)
            if scope.department in (None, r.department)]
    columns = (Column("department", "Owning department"), Column("cause", "Root cause"), Column("cases", "Cases", "int"),
               Column("hours", "Swarm hours"), Column("previous", "Previous period", "int"), Column("trend", "Trend", "int"))
    causes = Table("root_causes", "Top root causes", columns, rows, empty="No resolved case with a root cause in the period.")
    stats = follow_up_stats(session, since=scope.since, until=scope.until)
    follow = Table("follow_ups", "Follow-ups with customers", (
        Column("created", "Created", "int"), Column("done", "Done", "int"), Column("done_on_time", "Done on time", "int"),
        Column("open", "Still open", "int"), Column("overdue", "Overdue now", "int"),
        Column("median_hours", "Median hours to follow up")), [vars(stats)])
    kpis = [_kpi("follow_up_completion", "Follow-ups done", stats.completion, "percent"),
            _kpi("overdue", "Follow-ups overdue", stats.overdue, "int")]
    return Report("Root causes", {"root_causes": causes, "follow_ups": follow}, kpis)


def search(session: Session, *, query: str, limit: int = 50, offset: int = 0) -> Report:
    result = search_cases(session, query=query, limit=limit, offset=offset) if query.strip() else None
    columns = (CASE, TITLE, CUSTOMER, SEVERITY, Column("status", "Status"), Column("created", "Created", "datetime"),
               Column("snippet", "Match", "snippet"))
    rows = [{"case": h.key, "title": h.title, "customer": h.customer, "severity": h.severity, "status": h.status,
             "created": h.created_at, "snippet": h.snippet} for h in (result.hits if result else [])]
    table = Table("search", "Past cases", columns, rows, empty="No case matches." if result else "Type words to search.")
    kpis = [_kpi("matches", "Matching cases", result.total if result else 0, "int")]
    return Report("Search", {"search": table}, kpis)


def _kpi(key: str, label: str, value, kind: str) -> dict:
    return {"key": key, "label": label, "value": value, "kind": kind}


def _open_table(cases: list[CaseFacts], states: dict[int, str], now: datetime) -> Table:
    columns = (CASE, TITLE, CUSTOMER, SEVERITY, CATEGORY, Column("age", "Age", "duration"), Column("sla", "SLA", "sla"),
               Column("engage", "Engaged after", "duration"), Column("departments", "Departments", "list"),
               Column("people", "Who is in it", "list"))
    rows = [{"case": c.key, "title": c.title, "customer": c.customer, "severity": c.severity, "category": c.category,
             "age": (now - c.created_at).total_seconds(), "sla": states[c.id], "engage": c.engage_seconds,
             "departments": list(c.departments), "people": list(c.people)} for c in cases]
    return Table("open", "Open swarms (breached and at risk first)", columns, rows, empty="No open swarms.")


def _resolved_table(cases: list[CaseFacts], now: datetime, at_risk_share: float) -> Table:
    columns = (CASE, TITLE, CUSTOMER, SEVERITY, CATEGORY, Column("departments", "Departments", "list"),
               Column("created", "Created", "datetime"), Column("resolved", "Resolved", "datetime"),
               Column("engage", "Time to engage", "duration"), Column("resolve", "Time to resolve", "duration"),
               Column("sla", "SLA", "sla"))
    rows = [{"case": c.key, "title": c.title, "customer": c.customer, "severity": c.severity, "category": c.category,
             "departments": list(c.departments), "created": c.created_at, "resolved": c.resolved_at,
             "engage": c.engage_seconds, "resolve": c.resolve_seconds,
             "sla": metrics.state_of(c, now=now, at_risk_share=at_risk_share)} for c in reversed(cases)]
    return Table("resolved", "Resolved in the period (newest first)", columns, rows, empty="Nothing resolved in this period.")


def _timing_table(name: str, title: str, group_label: str, rows: list[TimingRow]) -> Table:
    values = [{"group": r.group, "cases": r.cases, "engage_median": r.engage.median, "engage_p90": r.engage.p90,
               "resolve_median": r.resolve.median, "resolve_p90": r.resolve.p90} for r in rows]
    return Table(name, title, (Column("group", group_label), *TIMING_COLUMNS), values)


def _compliance_table(rows: list[metrics.Compliance]) -> Table:
    columns = (Column("group", "Department"), Column("cases", "Resolved cases", "int"),
               Column("engage_met", "Engaged in time", "int"), Column("engage_share", "Engage SLA met", "percent"),
               Column("resolve_met", "Resolved in time", "int"), Column("resolve_share", "Resolve SLA met", "percent"))
    return Table("sla", "SLA compliance per department", columns, [vars(r) for r in rows])
