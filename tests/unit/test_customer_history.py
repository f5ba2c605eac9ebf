"""The customer's history as the summary shows it, from a seeded history with known answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from swarm.customer_history import customer_history
from swarm.store.tables import CaseRow

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def add_case(session, customer: str, days_ago: float, status: str = "archived", resolution: str | None = "fixed") -> CaseRow:
    created = NOW - timedelta(days=days_ago)
    row = CaseRow(dedupe_key=f"k{customer}{days_ago}", title=f"problem {days_ago}", customer=customer, category="billing",
                  severity="sev3", description="d", status=status, platform="slack", requester_id="U1",
                  created_at=created, resolved_at=None if status == "open" else created + timedelta(hours=5),
                  resolution=None if status == "open" else resolution)
    session.add(row)
    session.flush()
    return row


@pytest.mark.parametrize(
    ("earlier", "expected_prior", "expected_open", "callout"),
    [
        ([], 0, 0, None),
        ([45], 1, 0, None),  # outside the 30-day window: history, no callout
        ([10], 1, 0, "2nd escalation in 30 days"),
        ([3, 20, 29.9], 3, 0, "4th escalation in 30 days"),
        ([2, 60], 2, 0, "2nd escalation in 30 days"),
    ],
    ids=["first-contact", "old-case", "second-in-30-days", "fourth", "one-recent-one-old"],
)
def test_prior_cases_and_the_repeat_callout(store, earlier, expected_prior, expected_open, callout):
    with store.transaction() as tx:
        for days in earlier:
            add_case(tx.session, "Acme Corp", days)
        add_case(tx.session, "Globex", 1)  # another customer never counts
        current = add_case(tx.session, "acme corp ", 0, status="open")
        history = customer_history(tx.session, customer=current.customer, before_case_id=current.id, at=NOW)
    assert (history.prior_cases, history.open_cases, history.repeat_callout) == (expected_prior, expected_open, callout)


def test_open_cases_recent_first_and_last_contact(store):
    with store.transaction() as tx:
        add_case(tx.session, "Initech", 12)
        add_case(tx.session, "Initech", 4, status="open")
        current = add_case(tx.session, "Initech", 0, status="open")
        history = customer_history(tx.session, customer="Initech", before_case_id=current.id, at=NOW)
    assert history.open_cases == 1
    assert [p.title for p in history.recent] == ["problem 4", "problem 12"]
    assert history.last_contact == NOW - timedelta(days=4)  # the open case's escalation is the latest contact


def test_a_long_history_is_counted_whole_and_shows_the_three_latest(store):
    with store.transaction() as tx:
        for days in range(1, 51):  # one case a day for 50 days, every tenth still open
            add_case(tx.session, "Umbrella", days, status="open" if days % 10 == 0 else "archived")
        current = add_case(tx.session, "Umbrella", 0, status="open")
        history = customer_history(tx.session, customer="Umbrella", before_case_id=current.id, at=NOW)
    assert (history.prior_cases, history.open_cases) == (50, 5)
    assert history.repeat_callout == "31st escalation in 30 days"  # days 1..30, and this one
    assert [p.title for p in history.recent] == ["problem 1", "problem 2", "problem 3"]
    assert history.last_contact == NOW - timedelta(days=1) + timedelta(hours=5)  # yesterday's case, resolved


def test_the_customer_s_earlier_cases_are_found_through_the_index(store):
    """Every summary render asks: with years of cases, reading the whole table each time would not do."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner rightly scans a table this small, index or not")
    executed = []
    event.listen(store.engine, "before_cursor_execute", lambda conn, cursor, sql, params, *_: executed.append((sql, params)))
    with store.transaction() as tx:
        current = add_case(tx.session, "Umbrella", 0, status="open")
        executed.clear()
        customer_history(tx.session, customer="Umbrella", before_case_id=current.id, at=NOW)
        [(sql, params)] = executed
        plan = " ".join(row[-1] for row in tx.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "USING INDEX ix_cases_customer_normalised" in plan
