"""Who is on call in a department at a moment: a weekly or daily rotation, with overrides that win over it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from config.departments import Department, Rotation


@dataclass(frozen=True)
class Shift:
    member: str
    covering: bool  # an override put this member on call
    schedule: str  # weekly | daily

    @property
    def description(self) -> str:
        if self.covering:
            return "covering on call"
        return "on call this week" if self.schedule == "weekly" else "on call today"


def oncall_at(department: Department, now: datetime) -> str | None:
    """The id of the member on call at `now`, or None (no rotation, or it has not started yet)."""
    shift = current_shift(department.oncall, now) if department.oncall else None
    return shift.member if shift else None


def current_shift(rotation: Rotation, now: datetime) -> Shift | None:
    """The shift that contains `now` (an aware datetime), overrides first."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    covering = _override_member(rotation, now)
    if covering:
        return Shift(member=covering, covering=True, schedule=rotation.schedule)
    member = _rotation_member(rotation, now)
    return Shift(member=member, covering=False, schedule=rotation.schedule) if member else None


def _override_member(rotation: Rotation, now: datetime) -> str | None:
    # The first override that covers `now` wins; times without an offset are wall-clock times in the rotation's zone.
    zone = rotation.zone
    for override in rotation.overrides:
        if _in_zone(override.start, zone) <= now < _in_zone(override.end, zone):
            return override.member
    return None


def _rotation_member(rotation: Rotation, now: datetime) -> str | None:
    first = _handoff_at_or_before(rotation, _at_handoff_time(rotation, rotation.start))
    latest = _handoff_at_or_before(rotation, now)
    if latest < first:
        return None
    # Count whole calendar days, not elapsed hours, so a DST change does not shift the handoff by an hour.
    turns = (latest.date() - first.date()).days // rotation.period.days
    return rotation.order[turns % len(rotation.order)]


def _handoff_at_or_before(rotation: Rotation, moment: datetime) -> datetime:
    """The latest handoff (local time in the rotation's zone) at or before `moment`."""
    local = moment.astimezone(rotation.zone)
    days_back = (local.weekday() - rotation.handoff_weekday) % 7 if rotation.handoff_weekday is not None else 0
    handoff = _at_handoff_time(rotation, local.date() - timedelta(days=days_back))
    if handoff.timestamp() > moment.timestamp():  # compare instants: same-zone datetimes compare by wall clock
        handoff = _at_handoff_time(rotation, handoff.date() - rotation.period)
    return handoff


def _at_handoff_time(rotation: Rotation, day: date) -> datetime:
    return datetime.combine(day, rotation.handoff_time, tzinfo=rotation.zone)


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
