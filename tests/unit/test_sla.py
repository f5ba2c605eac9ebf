"""The SLA clock with a controlled clock: thresholds, breach, business hours that pause it (weekends, time zones,
daylight saving), customer tiers, and what the sweep plans for a case at a moment."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from config import ConfigError, default_config_dir, load_config
from config.departments import BusinessHours
from config.swarm_file import ChannelSettings
from swarm.sla import SlaState, at_risk_share, case_clocks, due_after, latest_milestone, measure, milestones, working_time
from workflows.sla_clock import CaseTimes, plan_sla_work

UTC = timezone.utc
LISBON = ZoneInfo("Europe/Lisbon")
LISBON_HOURS = BusinessHours(timezone="Europe/Lisbon", days="mon-fri", start="09:00", end="18:00")
NEW_YORK_HOURS = BusinessHours(timezone="America/New_York", days="mon-fri", start="08:00", end="18:00")
START = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="module")
def shipped():
    return load_config()


def lisbon(*args) -> datetime:
    return datetime(*args, tzinfo=LISBON)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


# --- around the clock ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("minutes, share, state, milestone", [
    (0, 0.0, SlaState.ON_TRACK, None),
    (14, 14 / 30, SlaState.ON_TRACK, None),
    (15, 0.5, SlaState.ON_TRACK, "50"),
    (23.9, 23.9 / 30, SlaState.ON_TRACK, "50"),
    (24, 0.8, SlaState.AT_RISK, "80"),
    (29.9, 29.9 / 30, SlaState.AT_RISK, "80"),
    (30, 1.0, SlaState.BREACHED, "breach"),
    (300, 10.0, SlaState.BREACHED, "breach"),
])
def test_a_clock_without_business_hours_runs_around_the_clock(minutes, share, state, milestone):
    clock = measure("engage", target=timedelta(minutes=30), started_at=START, now=at(minutes))
    assert clock.share_used == pytest.approx(share)
    assert clock.due == at(30)
    assert clock.state(at_risk_share([0.5, 0.8])) is state
    found = latest_milestone(clock, [0.5, 0.8])
    assert (found.name if found else None) == milestone
    assert clock.running and not clock.paused


def test_milestones_follow_the_configured_reminders_and_end_with_the_breach():
    assert [m.name for m in milestones([0.25, 0.5, 0.9])] == ["25", "50", "90", "breach"]
    assert [m.name for m in milestones([])] == ["breach"]
    assert at_risk_share([0.5, 0.9]) == 0.9 and at_risk_share([]) == 0.8


def test_a_stopped_clock_keeps_the_time_it_had_when_it_stopped():
    clock = measure("engage", target=timedelta(minutes=30), started_at=START, now=at(600), stopped_at=at(20))
    assert clock.used == timedelta(minutes=20) and not clock.running
    assert clock.state() is SlaState.ON_TRACK  # engaged in time stays met, however late it is now


def test_a_clock_before_its_start_has_used_nothing():
    assert measure("engage", target=timedelta(minutes=30), started_at=START, now=at(-5)).used == timedelta(0)


# --- business hours ------------------------------------------------------------------------------------------------

def test_the_clock_pauses_over_the_weekend_in_the_departments_zone():
    friday = lisbon(2025, 6, 6, 17, 30)  # 30 minutes before Billing closes for the weekend
    target = timedelta(hours=2)
    assert due_after(friday, target, LISBON_HOURS) == lisbon(2025, 6, 9, 10, 30)  # Monday 09:00 + the 1h30 left

    saturday = measure("engage", target=target, started_at=friday, now=lisbon(2025, 6, 7, 12, 0), hours=LISBON_HOURS)
    assert saturday.used == timedelta(minutes=30) and saturday.paused
    assert latest_milestone(saturday, [0.5, 0.8]) is None

    monday = measure("engage", target=target, started_at=friday, now=lisbon(2025, 6, 9, 9, 30), hours=LISBON_HOURS)
    assert monday.share_used == 0.5 and not monday.paused
    assert latest_milestone(monday, [0.5, 0.8]).name == "50"

    late = measure("engage", target=target, started_at=friday, now=lisbon(2025, 6, 9, 10, 30), hours=LISBON_HOURS)
    assert late.state() is SlaState.BREACHED


def test_a_case_opened_at_night_starts_counting_when_the_department_opens():
    night = lisbon(2025, 6, 3, 23, 0)
    assert due_after(night, timedelta(minutes=30), LISBON_HOURS) == lisbon(2025, 6, 4, 9, 30)
    assert working_time(night, lisbon(2025, 6, 4, 9, 0), LISBON_HOURS) == timedelta(0)


def test_the_same_moment_counts_differently_in_different_time_zones():
    monday_4pm_utc = datetime(2025, 3, 10, 16, 0, tzinfo=UTC)  # 16:00 in Lisbon, 12:00 in New York (EDT)
    four_hours = timedelta(hours=4)
    # Lisbon closes at 18:00: two hours on Monday, two on Tuesday from 09:00.
    assert due_after(monday_4pm_utc, four_hours, LISBON_HOURS) == datetime(2025, 3, 11, 11, 0, tzinfo=UTC)
    # New York is open until 18:00 local (22:00 UTC): all four hours on Monday.
    assert due_after(monday_4pm_utc, four_hours, NEW_YORK_HOURS) == datetime(2025, 3, 10, 20, 0, tzinfo=UTC)


def test_a_daylight_saving_change_does_not_move_business_hours():
    # Portugal moves to summer time on Sunday 30 March 2025; Monday still opens at 09:00 local (08:00 UTC).
    friday_close, monday_close = lisbon(2025, 3, 28, 18, 0), lisbon(2025, 3, 31, 18, 0)
    assert working_time(friday_close, monday_close, LISBON_HOURS) == timedelta(hours=9)
    assert due_after(friday_close, timedelta(hours=1), LISBON_HOURS) == datetime(2025, 3, 31, 9, 0, tzinfo=UTC)


def test_business_hours_without_working_days_count_around_the_clock():
    closed = BusinessHours(timezone="Europe/Lisbon", days=[], start="09:00", end="18:00")
    clock = measure("engage", target=timedelta(minutes=30), started_at=START, now=at(30), hours=closed)
    assert clock.state() is SlaState.BREACHED and clock.due == at(30)


# --- a case's two clocks ---------------------------------------------------------------------------------------------

def test_the_customer_tier_tightens_the_targets(shipped):
    standard, _ = case_clocks(shipped.sla, severity="sev1", tier=None, created_at=START, engaged_at=None,
                              resolved_at=None, now=START, hours=None)
    platinum, resolve = case_clocks(shipped.sla, severity="sev1", tier="Platinum", created_at=START, engaged_at=None,
                                    resolved_at=None, now=START, hours=None)
    assert (standard.target, platinum.target, resolve.target) == (timedelta(minutes=15), timedelta(minutes=10), timedelta(hours=2))


def test_resolving_without_an_expert_message_stops_both_clocks(shipped):
    engage, resolve = case_clocks(shipped.sla, severity="sev2", tier=None, created_at=START, engaged_at=None,
                                  resolved_at=at(10), now=at(600), hours=None)
    assert not engage.running and not resolve.running and engage.state() is SlaState.ON_TRACK


# --- what the sweep plans ---------------------------------------------------------------------------------------------

def times(created: datetime, **changes) -> CaseTimes:
    case = CaseTimes(case_id=7, severity="sev3", tier=None, department="billing", created_at=created, engaged_at=None,
                     resolved_at=None, engage_due=None, resolve_due=None, engage_state=None, resolve_state=None)
    return dataclasses.replace(case, **changes)


def test_the_sweep_plans_each_milestone_once_and_waits_out_the_weekend(shipped):
    friday = lisbon(2025, 6, 6, 17, 30)  # sev3: 2h to engage, 2 days to resolve; Billing works 09:00-18:00 Lisbon
    already: set[str] = set()
    first = plan_sla_work(times(friday), shipped, now=lisbon(2025, 6, 7, 12, 0), already=already)
    assert first.schedules[-1][0] == "refresh_summary" and not [s for s in first.schedules if s[0] != "refresh_summary"]
    assert first.changes["sla_engage_due"] == lisbon(2025, 6, 9, 10, 30)  # the summary shows the paused due time

    stored = times(friday, engage_due=first.changes["sla_engage_due"], resolve_due=first.changes["sla_resolve_due"])
    monday = plan_sla_work(stored, shipped, now=lisbon(2025, 6, 9, 9, 30), already=already)
    assert [key for _, key, _ in monday.schedules] == ["sla:7:engage:50"] and not monday.changes
    already.update(key for _, key, _ in monday.schedules)  # as the workflows table remembers them
    assert plan_sla_work(stored, shipped, now=lisbon(2025, 6, 9, 9, 31), already=already).schedules == []

    at_risk = plan_sla_work(stored, shipped, now=lisbon(2025, 6, 9, 10, 6), already=already)
    assert [key for _, key, _ in at_risk.schedules] == ["sla:7:engage:80", "refresh_summary:7:sla:20250609T0906"]
    assert at_risk.changes == {"sla_engage_state": "at_risk"}


def test_a_sweep_after_an_outage_announces_only_the_breach(shipped):
    created = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
    work = plan_sla_work(times(created, department=None), shipped, now=created + timedelta(hours=3), already=set())
    kinds = {key: kind for kind, key, _ in work.schedules}
    assert kinds["sla:7:engage:breach"] == "sla_breach" and "sla:7:engage:50" not in kinds
    assert work.changes["sla_engage_state"] == "breached"


def test_stopped_clocks_plan_no_reminders(shipped):
    created = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
    engaged = times(created, department=None, engaged_at=created + timedelta(minutes=5),
                    engage_due=created + timedelta(hours=2), resolve_due=created + timedelta(days=2))
    assert plan_sla_work(engaged, shipped, now=created + timedelta(hours=3), already=set()).schedules == []


# --- managers_channel in swarm.yml -------------------------------------------------------------------------------------

def test_managers_channel_is_optional_and_must_be_a_channel_id(tmp_path):
    assert ChannelSettings().managers_channel is None
    assert ChannelSettings(managers_channel="CMANAGERS1").managers_channel == "CMANAGERS1"
    for source in default_config_dir().glob("*.yml"):
        shutil.copy(source, tmp_path)
    swarm_yml = tmp_path / "swarm.yml"
    swarm_yml.write_text(swarm_yml.read_text().replace("  private: false\n", "  private: false\n  managers_channel: \"#swarm-managers\"\n"))
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    line = next(n for n, text in enumerate(swarm_yml.read_text().splitlines(), start=1) if "managers_channel" in text)
    assert f"swarm.yml:{line}:" in str(error.value)
    assert "managers_channel must be a channel id (like C0123ABCD), not '#swarm-managers'" in str(error.value)
