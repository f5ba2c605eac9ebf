"""Top root causes per owning department: cases, swarm hours and the trend, against hand-computed answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from swarm.root_causes import root_cause_report
from swarm.store.tables import CaseRow

END = datetime(2026, 11, 23, tzinfo=timezone.utc)
START = END - timedelta(days=7)


def resolved(session, n: int, *, cause: str | None, owner: str | None, days_before_end: float, hours: float) -> None:
    done = END - timedelta(days=days_before_end)
    session.add(CaseRow(dedupe_key=f"k{n}", title="t", customer="c", category="billing", severity="sev3", description="d",
                        status="archived", platform="slack", requester_id="U", created_at=done - timedelta(hours=hours),
                        resolved_at=done, resolution="fixed", root_cause=cause, root_cause_department=owner))


def test_report_counts_cases_hours_and_trend_per_department_and_cause(store):
    with store.transaction() as tx:
        s = tx.session
        resolved(s, 1, cause="billing-error", owner="billing", days_before_end=1, hours=2)
        resolved(s, 2, cause="billing-error", owner="billing", days_before_end=2, hours=3.5)
        resolved(s, 3, cause="billing-error", owner="billing", days_before_end=9, hours=1)  # previous week
        resolved(s, 4, cause="shipping-delay", owner="operations", days_before_end=3, hours=10)
        resolved(s, 5, cause="shipping-delay", owner="operations", days_before_end=10, hours=4)  # previous week
        resolved(s, 6, cause="shipping-delay", owner="operations", days_before_end=11, hours=4)  # previous week
        resolved(s, 7, cause=None, owner=None, days_before_end=1, hours=1)  # no root cause: not counted
        resolved(s, 8, cause="outage", owner="it", days_before_end=0.5, hours=0.5)
        resolved(s, 9, cause="outage", owner="it", days_before_end=20, hours=1)  # before the previous week
    with store.read() as session:
        rows = root_cause_report(session, since=START, until=END)
    assert [(r.department, r.cause, r.cases, r.swarm_hours, r.previous_cases, r.trend) for r in rows] == [
        ("billing", "billing-error", 2, 5.5, 1, 1),
        ("operations", "shipping-delay", 1, 10.0, 2, -1),
        ("it", "outage", 1, 0.5, 0, 1),
    ]
