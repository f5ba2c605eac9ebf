"""The SLA clock of a case: how much of a target's time is used at a moment, paused outside business hours.

Pure functions over times and config values, so the sweep (workflows/sla_clock.py), the pinned summary and the
tests all get the same answer for the same moment. A department without business hours works around the clock.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from config.departments import BusinessHours
from config.sla_policy import SlaPolicy

DEFAULT_AT_RISK_SHARE = 0.8
ENGAGE, RESOLVE = "engage", "resolve"
_SEARCH_DAYS = 3700  # business hours are weekly, so ten years without an open hour means there is none


class SlaState(str, enum.Enum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class SlaClock:
    """One target (engage or resolve) of one case, as it stands at a moment."""

    name: str  # engage | resolve
    target: timedelta  # working time allowed
    started_at: datetime
    due: datetime  # the instant the working time runs out
    used: timedelta  # working time spent so far (until the clock stopped, if it did)
    running: bool  # False once an expert engaged / the case was resolved
    paused: bool  # running, but outside business hours at that moment

    @property
    def share_used(self) -> float:
        return self.used / self.target

    @property
    def left(self) -> timedelta:
        return max(self.target - self.used, timedelta(0))

    def state(self, at_risk_share: float = DEFAULT_AT_RISK_SHARE) -> SlaState:
        if self.used >= self.target:
            return SlaState.BREACHED
        return SlaState.AT_RISK if self.share_used >= at_risk_share else SlaState.ON_TRACK


@dataclass(frozen=True)
class Milestone:
    """A point on a clock worth telling the swarm about: a reminder share (0.5) or the breach (1.0)."""

    share: float

    @property
    def is_breach(self) -> bool:
        return self.share >= 1

    @property
    def name(self) -> str:
        """'50', '80' or 'breach': the last part of the milestone's workflow key."""
        return "breach" if self.is_breach else f"{self.share * 100:g}"


def milestones(reminders: Sequence[float]) -> tuple[Milestone, ...]:
    return tuple(Milestone(share) for share in sorted(reminders)) + (Milestone(1.0),)


def latest_milestone(clock: SlaClock, reminders: Sequence[float]) -> Milestone | None:
    """The furthest milestone the clock has passed. Only that one is announced: after an outage the swarm hears
    "breached", not three reminders in a row."""
    passed = [m for m in milestones(reminders) if (clock.used >= clock.target if m.is_breach else clock.share_used >= m.share)]
    return passed[-1] if passed else None


def at_risk_share(reminders: Sequence[float]) -> float:
    """A clock is at risk once its last reminder is due (0.8 with the default reminders)."""
    return max(reminders, default=DEFAULT_AT_RISK_SHARE)


def case_clocks(policy: SlaPolicy, *, severity: str, tier: str | None, created_at: datetime, engaged_at: datetime | None,
                resolved_at: datetime | None, now: datetime, hours: BusinessHours | None) -> tuple[SlaClock, SlaClock]:
    """The engage and resolve clocks of a case at `now` (the tier's targets apply when the tier is known)."""
    targets = policy.targets_for(severity, (tier or "").lower() or None)
    # A case resolved before any expert wrote needs no more engaging: that clock stops too.
    engage = measure(ENGAGE, target=targets.engage, started_at=created_at, now=now, stopped_at=engaged_at or resolved_at,
                     hours=hours)
    resolve = measure(RESOLVE, target=targets.resolve, started_at=created_at, now=now, stopped_at=resolved_at, hours=hours)
    return engage, resolve


def measure(name: str, *, target: timedelta, started_at: datetime, now: datetime, stopped_at: datetime | None = None,
            hours: BusinessHours | None = None) -> SlaClock:
    """One clock at `now`: working time used (up to `stopped_at`), the due instant, and whether it is paused."""
    hours = hours if hours and hours.days else None
    end = min(now, stopped_at) if stopped_at else now
    running = stopped_at is None
    return SlaClock(name=name, target=target, started_at=started_at, due=due_after(started_at, target, hours),
                    used=working_time(started_at, end, hours), running=running,
                    paused=running and hours is not None and not hours.is_open(now))


def working_time(start: datetime, end: datetime, hours: BusinessHours | None) -> timedelta:
    """The time between two instants that falls inside business hours (all of it without business hours)."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    total = timedelta(0)
    for opens, closes in _windows(hours, start):
        if opens >= end:
            break
        total += min(closes, end) - max(opens, start)
    return total


def due_after(start: datetime, amount: timedelta, hours: BusinessHours | None) -> datetime:
    """The instant when `amount` of working time has passed since `start`."""
    if hours is None:
        return start + amount
    left = amount
    for opens, closes in _windows(hours, start):
        opens = max(opens, start)
        if closes - opens >= left:
            return opens + left
        left -= closes - opens
    raise ValueError(f"business hours in {hours.timezone} never open")


def _windows(hours: BusinessHours, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open periods (as UTC instants) that end after `since`, in order, counted in the department's own zone."""
    zone = ZoneInfo(hours.timezone)
    first = since.astimezone(zone).date()
    for offset in range(_SEARCH_DAYS):
        day = first + timedelta(days=offset)
        if day.weekday() not in hours.days:
            continue
        opens, closes = _instant(day, hours.start, zone), _instant(day, hours.end, zone)
        if closes > since:
            yield opens, closes


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # In UTC so that differences are real elapsed time (same-zone datetimes subtract by wall clock across DST).
    return datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc)
