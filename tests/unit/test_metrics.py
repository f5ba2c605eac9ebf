"""The managers' numbers against a database with known history. Expected values are worked out by hand (and
by Python's statistics module, an independent implementation of the same interpolated quantiles)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from config import load_config
from swarm import metrics
from swarm.metrics import AT_RISK, BREACHED, ON_TRACK, Scope
from swarm.seed import seed_history
from swarm.store.tables import CaseRow, DecisionRow, ParticipantRow

NOW = datetime(2026, 3, 19, 12, 0, tzinfo=timezone.utc)  # a Thursday
MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
ANA, BEN, DEV = ("UBILL0001", "Ana Souza", "billing"), ("UBILL0002", "Ben Okafor", "billing"), ("UIT00001", "Dev Patel", "it")


def add_case(store, *, created, engaged=None, resolved=None, experts=(), severity="sev2", category="billing",
             engage_target=30 * MIN, resolve_target=8 * HOUR, customer="Acme Corp", decisions=()) -> int:
    """A case as the workflows leave it; experts are ((user_id, name, department), first message delay or None)."""
    with store.transaction() as tx:
        row = CaseRow(dedupe_key=f"t:{created.isoformat()}:{customer}:{category}", title=f"{customer} problem",
                      customer=customer, category=category, severity=severity, description="d",
                      status="resolved" if resolved else "open", platform="slack", requester_id="UAGENT001",
                      created_at=created, engaged_at=engaged and created + engaged,
                      resolved_at=resolved and created + resolved,
                      sla_engage_due=created + engage_target, sla_resolve_due=created + resolve_target)
        tx.session.add(row)
        tx.session.flush()
        tx.session.add(ParticipantRow(case_id=row.id, user_id="UAGENT001", name="Maya Chen", role="requester", reason="r"))
        for (user_id, name, department), delay in experts:
            tx.session.add(ParticipantRow(case_id=row.id, user_id=user_id, name=name, department=department, role="expert",
                                          reason="r", first_message_at=delay and created + delay))
        for n, ((user_id, name, department), at) in enumerate(decisions):
            tx.session.add(DecisionRow(case_id=row.id, dedupe_key=f"d:{row.id}:{n}", text="decided", author_id=user_id,
                                       author_name=name, department=department, recorded_at=at))
        return row.id


def billing_history(store) -> None:
    """Four billing cases resolved this week: engage 10/20/30/40 min, resolve 1/2/3/10 h; one IT case."""
    for n, (engage, resolve) in enumerate([(10, 1), (20, 2), (30, 3), (40, 10)]):
        add_case(store, created=NOW - 2 * 24 * HOUR + n * MIN, engaged=engage * MIN, resolved=resolve * HOUR,
                 experts=[(ANA, engage * MIN)], customer=f"Customer {n}")
    add_case(store, created=NOW - 24 * HOUR, engaged=5 * MIN, resolved=30 * MIN, experts=[(DEV, 5 * MIN)],
             category="it", severity="sev1", customer="Globex")


def week(**kw) -> Scope:
    return Scope(since=NOW - 7 * 24 * HOUR, until=NOW, **kw)


@pytest.mark.parametrize("values, q, expected", [
    ([], 0.5, None),
    ([7], 0.9, 7),
    ([1, 2, 3, 4], 0.5, 2.5),
    ([10, 20, 30, 40], 0.9, 37),  # position 0.9 * 3 = 2.7: 30 + 0.7 * (40 - 30)
    (list(range(1, 11)), 0.9, 9.1),
    ([5, 1, 3], 0.5, 3),  # order of input does not matter
])
def test_quantile_interpolates_between_closest_ranks(values, q, expected):
    assert metrics.quantile(values, q) == pytest.approx(expected) if expected is not None else metrics.quantile(values, q) is None


def test_timings_per_department_are_median_and_p90_of_the_resolved_cases(store):
    billing_history(store)
    with store.read() as session:
        rows = {r.group: r for r in metrics.timings_by_department(metrics.resolved_cases(session, scope=week()))}
    engage_minutes, resolve_hours = [10, 20, 30, 40], [1, 2, 3, 10]
    assert rows["billing"].cases == 4
    assert rows["billing"].engage.median == pytest.approx(25 * 60) == pytest.approx(statistics.median(engage_minutes) * 60)
    assert rows["billing"].engage.p90 == pytest.approx(37 * 60)
    assert rows["billing"].engage.p90 == pytest.approx(statistics.quantiles(engage_minutes, n=10, method="inclusive")[-1] * 60)
    assert rows["billing"].resolve.median == pytest.approx(2.5 * 3600) == pytest.approx(statistics.median(resolve_hours) * 3600)
    assert rows["billing"].resolve.p90 == pytest.approx(7.9 * 3600)  # 3 + 0.7 * (10 - 3)
    assert (rows["it"].cases, rows["it"].engage.median, rows["it"].resolve.p90) == (1, 300, 1800)


def test_a_department_engages_when_its_own_expert_first_speaks(store):
    add_case(store, created=NOW - 5 * HOUR, engaged=10 * MIN, resolved=4 * HOUR, experts=[(ANA, 10 * MIN), (DEV, 45 * MIN)])
    add_case(store, created=NOW - 6 * HOUR, engaged=20 * MIN, resolved=2 * HOUR, experts=[(BEN, 20 * MIN), (DEV, None)])
    with store.read() as session:
        rows = {r.group: r for r in metrics.timings_by_department(metrics.resolved_cases(session, scope=week()))}
    assert rows["billing"].engage.median == 15 * 60  # 10 and 20 minutes
    assert rows["it"].cases == 2  # IT was in both swarms...
    assert rows["it"].engage.count == 1 and rows["it"].engage.median == 45 * 60  # ...but spoke up in one
    assert rows["it"].resolve.median == 3 * 3600  # resolve time of the cases it took part in: 4 h and 2 h


def test_filters_and_period_bounds_choose_the_cases(store):
    billing_history(store)
    at_since = add_case(store, created=NOW - 8 * 24 * HOUR, resolved=24 * HOUR, experts=[(ANA, None)], customer="Edge")
    add_case(store, created=NOW - HOUR, resolved=HOUR, experts=[(ANA, None)], customer="At until")  # resolved == NOW
    with store.read() as session:
        keys = lambda **kw: sorted(c.customer for c in metrics.resolved_cases(session, scope=week(**kw)))  # noqa: E731
        assert "Edge" in keys() and "At until" not in keys()  # [since, until)
        assert keys(category="it") == ["Globex"] == keys(department="it") == keys(severity="sev1")
        assert keys(department="billing") == ["Customer 0", "Customer 1", "Customer 2", "Customer 3", "Edge"]
        assert keys(participant="UIT00001") == ["Globex"]
    assert at_since


def test_sla_compliance_counts_cases_that_met_each_target(store):
    # Targets: engage 30 min, resolve 8 h. Engage 10, 20 (met), 30 (met: exactly on time), 40 (missed);
    # resolve 1, 2, 3 (met), 10 h (missed).
    billing_history(store)
    with store.read() as session:
        [billing, it] = metrics.sla_compliance(metrics.resolved_cases(session, scope=week()))
    assert (billing.group, billing.cases, billing.engage_met, billing.resolve_met) == ("billing", 4, 3, 3)
    assert billing.engage_share == 0.75 and billing.resolve_share == 0.75
    assert (it.engage_met, it.resolve_met, it.engage_share) == (1, 1, 1.0)


def test_weekly_trend_groups_by_the_monday_of_the_resolution_week(store):
    monday = datetime(2026, 3, 16, tzinfo=timezone.utc)
    add_case(store, created=monday - 3 * 24 * HOUR, resolved=2 * HOUR, experts=[(ANA, None)], customer="a")  # Fri 13th
    add_case(store, created=monday - HOUR, resolved=4 * HOUR, experts=[(ANA, None)], customer="b")  # Mon 16th, 03:00
    add_case(store, created=monday + 24 * HOUR, resolved=6 * HOUR, experts=[(ANA, None)], customer="c")
    with store.read() as session:
        trend = metrics.weekly_trend(metrics.resolved_cases(session, scope=Scope(since=monday - 14 * 24 * HOUR, until=NOW)))
    assert [(r.group, r.cases, r.resolve.median) for r in trend] == [("2026-03-09", 1, 7200), ("2026-03-16", 2, 5 * 3600)]


@pytest.mark.parametrize("case, expected", [
    # created 100 min ago; engage target 30 min, resolve target 8 h, at risk from 80% of a running clock
    (dict(engaged=10 * MIN), ON_TRACK),
    (dict(), BREACHED),  # nobody engaged in 30 minutes
    (dict(engaged=40 * MIN), BREACHED),  # engaged, but late: the breach stays
    (dict(engaged=5 * MIN, resolve_target=2 * HOUR), AT_RISK),  # 100 of 120 minutes used
    (dict(engaged=5 * MIN, resolve_target=90 * MIN), BREACHED),  # 10 minutes past the resolve target
    (dict(engaged=5 * MIN, resolve_target=100 * MIN), AT_RISK),  # due right now: not missed yet
    (dict(engage_target=2 * HOUR), AT_RISK),  # nobody engaged, 100 of 120 minutes of the engage clock used
    (dict(engage_target=3 * HOUR), ON_TRACK),  # 100 of 180 minutes used
    (dict(engage_target=125 * MIN, resolve_target=10 * HOUR), AT_RISK),  # 100 / 125 = 80%
    (dict(engaged=5 * MIN, resolved=90 * MIN, resolve_target=HOUR), BREACHED),  # resolved late
    (dict(engaged=5 * MIN, resolved=50 * MIN, resolve_target=HOUR), ON_TRACK),  # resolved in time
])
def test_sla_state_of_a_case(case, expected):
    created = NOW - 100 * MIN
    state = metrics.sla_state(created_at=created, engage_due=created + case.get("engage_target", 30 * MIN),
                              resolve_due=created + case.get("resolve_target", 8 * HOUR),
                              engaged_at=case.get("engaged") and created + case["engaged"],
                              resolved_at=case.get("resolved") and created + case["resolved"], now=NOW, at_risk_share=0.8)
    assert state == expected


def test_open_swarms_list_people_and_expert_load_counts_swarms_and_decisions(store):
    add_case(store, created=NOW - HOUR, experts=[(ANA, None), (DEV, 5 * MIN)], decisions=[(ANA, NOW - 30 * MIN)])
    add_case(store, created=NOW - 2 * HOUR, experts=[(ANA, 3 * MIN)], customer="Globex",
             decisions=[(ANA, NOW - 90 * MIN), (ANA, NOW - 8 * 24 * HOUR)])  # one decision is older than the week
    add_case(store, created=NOW - 3 * HOUR, resolved=HOUR, experts=[(BEN, MIN)], customer="Initech")
    with store.read() as session:
        open_cases = metrics.open_cases(session, scope=week())
        load = metrics.expert_load(session, scope=week())
    assert [(c.customer, c.people) for c in open_cases] == [("Globex", ("Maya Chen", "Ana Souza")),
                                                            ("Acme Corp", ("Maya Chen", "Ana Souza", "Dev Patel"))]
    assert [(e.name, e.open_swarms, e.decisions) for e in load] == [("Ana Souza", 2, 2), ("Dev Patel", 1, 0)]


def test_seeded_history_gives_the_numbers_an_independent_computation_gives(store):
    config = load_config(None)
    report = seed_history(store, config, cases=400, now=NOW, rng_seed=11, weeks=8)
    assert report.cases == 400 and report.resolved + report.open == 400 and report.open > 0 and report.decisions > 0
    scope = Scope(since=NOW - 28 * 24 * HOUR, until=NOW)
    with store.read() as session:
        rows = session.execute(select(CaseRow.created_at, CaseRow.engaged_at, CaseRow.resolved_at).where(
            CaseRow.resolved_at >= scope.since, CaseRow.resolved_at < scope.until)).all()
        [overall] = metrics.timings_by(metrics.resolved_cases(session, scope=scope), key=lambda c: "all")
        open_count = session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.status == "open"))
    resolve = [(r.resolved_at - r.created_at).total_seconds() for r in rows]
    engage = [(r.engaged_at - r.created_at).total_seconds() for r in rows if r.engaged_at]
    assert overall.cases == len(rows) > 50
    assert overall.resolve.median == pytest.approx(statistics.median(resolve))
    assert overall.resolve.p90 == pytest.approx(statistics.quantiles(resolve, n=10, method="inclusive")[-1])
    assert overall.engage.median == pytest.approx(statistics.median(engage))
    assert all(r.created_at <= (r.engaged_at or r.resolved_at) <= r.resolved_at for r in rows)
    assert open_count == report.open
