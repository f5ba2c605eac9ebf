"""GET /metrics in the Prometheus text format (0.0.4), rendered by hand: prometheus_client is not a dependency.

Everything is read from the database at scrape time, so every web process reports the same numbers, and counters
only grow (resolutions are counted from the append-only timeline, not from cases that may be reopened).
No customer data: labels are severity, SLA state and workflow kind only.
"""

from __future__ import annotations

import hmac
from collections import defaultdict

from flask import Blueprint, Response, current_app, request
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from swarm import metrics
from swarm.metrics import Scope
from swarm.model import Severity
from swarm.store.tables import CaseRow, TimelineRow, WorkflowRow

BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 432000, 864000)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SEVERITIES = [s.value for s in Severity]


def register_metrics_route(bp: Blueprint) -> None:
    @bp.get("/metrics")
    def prometheus_metrics():
        ctx = current_app.extensions["caseswarm_dashboard"]
        token = ctx.options.metrics_token
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token and not hmac.compare_digest(sent.encode(), token.encode()):
            return Response("metrics need Authorization: Bearer <SWARM_METRICS_TOKEN>\n", 401, mimetype="text/plain")
        with ctx.container.store.read() as session:
            body = render(session, now=ctx.clock(), at_risk_share=ctx.at_risk_share)
        return Response(body, mimetype=CONTENT_TYPE)


def render(session: Session, *, now, at_risk_share: float) -> str:
    lines: list[str] = []
    _family(lines, "caseswarm_swarms_opened_total", "counter", "Case swarms opened (escalations recorded).",
            _by_severity(session, select(CaseRow.severity, func.count()).group_by(CaseRow.severity)))
    resolved = select(CaseRow.severity, func.count()).select_from(TimelineRow).join(CaseRow, CaseRow.id == TimelineRow.case_id) \
        .where(TimelineRow.kind == "resolved").group_by(CaseRow.severity)
    _family(lines, "caseswarm_swarms_resolved_total", "counter",
            "Resolutions recorded (a case resolved again after a reopen counts again).", _by_severity(session, resolved))
    _family(lines, "caseswarm_swarms_open", "gauge", "Open swarms now, by severity and SLA state.",
            _open_by_state(session, now, at_risk_share))
    _histogram(lines, session, "caseswarm_time_to_engage_seconds", "Case created to the first expert message.",
               CaseRow.created_at, CaseRow.engaged_at)
    _histogram(lines, session, "caseswarm_time_to_resolve_seconds", "Case created to resolved.",
               CaseRow.created_at, CaseRow.resolved_at)
    _family(lines, "caseswarm_workflows_failed", "gauge", "Workflows parked as failed after their last try (replay with swarm retry).",
            _workflows(session, "failed"))
    _family(lines, "caseswarm_workflow_queue_depth", "gauge", "Workflows waiting to run or running (the durable queue).",
            _workflows(session, "pending", "running"))
    return "\n".join(lines) + "\n"


def _family(lines: list[str], name: str, kind: str, help_text: str, samples: list[tuple[dict, float]]) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{_labels(labels)} {_number(value)}" for labels, value in samples]


def _by_severity(session: Session, query) -> list[tuple[dict, float]]:
    counts = dict(session.execute(query).all())
    return [({"severity": s}, counts.get(s, 0)) for s in SEVERITIES]


def _open_by_state(session: Session, now, at_risk_share: float) -> list[tuple[dict, float]]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    scope = Scope(since=now, until=now)  # open cases ignore the period
    for c in metrics.open_cases(session, scope=scope):
        counts[(c.severity, metrics.state_of(c, now=now, at_risk_share=at_risk_share))] += 1
    states = (metrics.ON_TRACK, metrics.AT_RISK, metrics.BREACHED)
    return [({"severity": s, "sla": state.replace(" ", "_")}, counts[(s, state)]) for s in SEVERITIES for state in states]


def _histogram(lines: list[str], session: Session, name: str, help_text: str, start, end) -> None:
    seconds = _seconds(session, start, end)
    columns = [func.count(), func.coalesce(func.sum(seconds), 0)]
    columns += [func.sum(case((seconds <= bound, 1), else_=0)) for bound in BUCKETS]
    rows = {row[0]: row[1:] for row in session.execute(
        select(CaseRow.severity, *columns).where(end.is_not(None)).group_by(CaseRow.severity))}
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    for severity in SEVERITIES:
        count, total, *buckets = rows.get(severity, (0, 0, *([0] * len(BUCKETS))))
        for bound, in_bucket in zip(BUCKETS, buckets):
            lines.append(f"{name}_bucket{_labels({'severity': severity, 'le': str(bound)})} {_number(in_bucket or 0)}")
        lines.append(f"{name}_bucket{_labels({'severity': severity, 'le': '+Inf'})} {count}")
        lines.append(f"{name}_sum{_labels({'severity': severity})} {_number(total)}")
        lines.append(f"{name}_count{_labels({'severity': severity})} {count}")


def _seconds(session: Session, start, end):
    if session.get_bind().dialect.name == "sqlite":
        # julianday is a double (about 50 µs of error today): round to the millisecond so 2 h is 7200, not 7200.00004.
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)
    return func.extract("epoch", end - start)


def _workflows(session: Session, *statuses: str) -> list[tuple[dict, float]]:
    rows = session.execute(select(WorkflowRow.kind, func.count()).where(WorkflowRow.status.in_(statuses))
                           .group_by(WorkflowRow.kind)).all()
    return [({"kind": kind}, count) for kind, count in sorted(rows)] or [({}, 0)]


def _labels(labels: dict) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(str(value))}"' for key, value in labels.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace('"', r'\"').replace("\n", r"\n")


def _number(value) -> str:
    value = round(float(value), 3)
    return str(int(value)) if value.is_integer() else repr(value)
