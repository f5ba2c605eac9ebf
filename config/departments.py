"""departments.yml: people, leads, managers, on-call rotations and business hours."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Iterator, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from config.values import Email, Finding, Identifier, Identifiers, SlackUserId, Strict, TimeZoneName, known


class Person(Strict):
    """Someone a swarm can bring in. Slack finds them by user id, Microsoft Teams by email: a person without a
    `slack_user_id` works on Teams only (a Slack case skips them and says why)."""

    id: Identifier
    name: str = Field(min_length=1)
    email: Email
    slack_user_id: SlackUserId | None = None
    skills: Identifiers = ()
    timezone: TimeZoneName | None = None

    @property
    def email_key(self) -> str:
        """The email as the directories compare it (Entra ID and Slack ignore case)."""
        return self.email.lower()

    def same_person_as(self, other: Person) -> bool:
        return (self.name, self.email_key, self.slack_user_id) == (other.name, other.email_key, other.slack_user_id)


_ENTRA_OBJECT_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _entra_group(value: str) -> str:
    if not _ENTRA_OBJECT_ID.fullmatch(value):
        raise ValueError(f"'{value}' is not a Microsoft Entra group object id (like 4f8c1a52-93b7-4c1e-8d2a-6b0e5f3c9a71)")
    return value.lower()


EntraGroupId = Annotated[str, AfterValidator(_entra_group)]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HANDOFF = re.compile(r"(?:(?P<day>[a-z]+)\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})")


def _weekday(name: str) -> int:
    matches = [i for i, day in enumerate(_WEEKDAYS) if len(name) >= 3 and day.startswith(name.lower())]
    if len(matches) != 1:
        raise ValueError(f"unknown weekday '{name}' (use monday ... sunday or mon ... sun)")
    return matches[0]


def parse_handoff(text: str) -> tuple[int | None, time]:
    """'monday 09:00' → (0, 09:00); '09:00' → (None, 09:00)."""
    match = _HANDOFF.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(f"bad handoff '{text}' (write 'monday 09:00' for weekly, '09:00' for daily)")
    day = _weekday(match["day"]) if match["day"] else None
    return day, time(int(match["hour"]), int(match["minute"]))


class Override(Strict):
    """Someone covers the on-call shift from `from` until `to` (times without an offset are in the rotation's zone)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    member: Identifier

    @model_validator(mode="after")
    def _end_after_start(self) -> Override:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("give 'from' and 'to' both a UTC offset, or neither")
        if self.end <= self.start:
            raise ValueError(f"override ends ({self.end}) before it starts ({self.start})")
        return self


class Rotation(Strict):
    """Who is on call: `order` takes turns, one per week or day, from the handoff on or before `start`."""

    schedule: Literal["weekly", "daily"]
    timezone: TimeZoneName
    handoff: str
    order: Identifiers = Field(min_length=1)
    start: date
    overrides: tuple[Override, ...] = ()

    @field_validator("handoff")
    @classmethod
    def _handoff_fits_schedule(cls, value: str, info: ValidationInfo) -> str:
        day, _ = parse_handoff(value)
        schedule = info.data.get("schedule")
        if schedule == "weekly" and day is None:
            raise ValueError(f"a weekly handoff needs a weekday, like 'monday {value.strip()}'")
        if schedule == "daily" and day is not None:
            raise ValueError(f"a daily handoff is a time of day, like '09:00', not '{value}'")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def handoff_weekday(self) -> int | None:
        return parse_handoff(self.handoff)[0]

    @property
    def handoff_time(self) -> time:
        return parse_handoff(self.handoff)[1]

    @property
    def period(self) -> timedelta:
        return timedelta(days=7 if self.schedule == "weekly" else 1)


def _parse_days(value: Any) -> Any:
    """'mon-fri', 'mon,wed,fri' or [mon, tue] → sorted weekday numbers (monday = 0)."""
    if not isinstance(value, str):
        return [_weekday(day) if isinstance(day, str) else day for day in value]
    days: set[int] = set()
    for part in value.split(","):
        first, _, last = part.strip().partition("-")
        begin, end = _weekday(first), _weekday(last or first)
        days.update((begin + i) % 7 for i in range((end - begin) % 7 + 1))
    return sorted(days)


class BusinessHours(Strict):
    """When a department works; the SLA clock can pause outside these hours."""

    timezone: TimeZoneName
    days: Annotated[tuple[int, ...], BeforeValidator(_parse_days)] = (0, 1, 2, 3, 4)
    start: time = time(9, 0)
    end: time = time(17, 0)

    @model_validator(mode="after")
    def _end_after_start(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError(f"business hours end ({self.end:%H:%M}) before they start ({self.start:%H:%M})")
        return self

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone))
        return local.weekday() in self.days and self.start <= local.time() < self.end


class Department(Strict):
    """A team a swarm can pull in: its members, its lead (the fallback), its manager and its on-call rotation."""

    name: str = Field(min_length=1)
    members: tuple[Person, ...] = Field(min_length=1)
    lead: Identifier
    manager: Person
    oncall: Rotation | None = None
    business_hours: BusinessHours | None = None
    usergroup: str | None = None  # Slack user group id (S...): its members join (integrations/slack/directory.py)
    entra_group: EntraGroupId | None = None  # Microsoft Entra group object id: likewise (integrations/teams/groups.py)

    def member(self, member_id: str) -> Person | None:
        return next((m for m in self.members if m.id == member_id), None)

    @property
    def lead_person(self) -> Person:
        lead = self.member(self.lead)
        if lead is None:  # load_config rejects this; a hand-built Department may not have been checked
            raise LookupError(f"lead '{self.lead}' is not a member")
        return lead

    @property
    def staff(self) -> tuple[Person, ...]:
        """The members other than the lead: who takes turns and shares the load."""
        return tuple(m for m in self.members if m.id != self.lead)

    def problems(self) -> Iterator[Finding]:
        yield from self._duplicate_members()
        member_ids = [m.id for m in self.members]
        if self.lead not in member_ids:
            yield ("lead",), f"lead '{self.lead}' is not one of the members {known(member_ids)}"
        if self.oncall:
            yield from self._rotation_problems(member_ids)

    def _duplicate_members(self) -> Iterator[Finding]:
        seen: set[str] = set()
        for i, member in enumerate(self.members):
            if member.id in seen:
                yield ("members", i, "id"), f"member '{member.id}' is listed twice"
            seen.add(member.id)

    def _rotation_problems(self, member_ids: list[str]) -> Iterator[Finding]:
        assert self.oncall
        for i, member_id in enumerate(self.oncall.order):
            if member_id not in member_ids:
                yield ("oncall", "order", i), f"on-call order names unknown member '{member_id}' {known(member_ids)}"
        for i, override in enumerate(self.oncall.overrides):
            if override.member not in member_ids:
                yield ("oncall", "overrides", i, "member"), (
                    f"on-call override names unknown member '{override.member}' {known(member_ids)}"
                )


class DepartmentsFile(Strict):
    """departments.yml"""

    departments: dict[Identifier, Department] = Field(min_length=1)

    def problems(self) -> Iterator[Finding]:
        for department_id, department in self.departments.items():
            for loc, reason in department.problems():
                yield ("departments", department_id, *loc), f"department '{department_id}': {reason}"
        yield from self._people_defined_once()

    def _people_defined_once(self) -> Iterator[Finding]:
        # A person may appear in several places (a manager of many departments) but must be the same person,
        # and a member belongs to one department, so `department_of` has one answer.
        # Slack finds a person by user id and Teams by email, so neither may point at two members.
        by_id: dict[str, tuple[str, Person]] = {}
        by_slack: dict[str, str] = {}
        by_email: dict[str, str] = {}
        for department_id, department in self.departments.items():
            for i, member in enumerate(department.members):
                loc = ("departments", department_id, "members", i)
                if member.id in by_id and by_id[member.id][0] != department_id:
                    yield (*loc, "id"), f"member '{member.id}' is already in department '{by_id[member.id][0]}'"
                if member.slack_user_id and by_slack.get(member.slack_user_id, member.id) != member.id:
                    yield (*loc, "slack_user_id"), (
                        f"Slack user '{member.slack_user_id}' is already member '{by_slack[member.slack_user_id]}'"
                    )
                if by_email.get(member.email_key, member.id) != member.id:
                    yield (*loc, "email"), f"email '{member.email}' is already member '{by_email[member.email_key]}'"
                by_id.setdefault(member.id, (department_id, member))
                if member.slack_user_id:
                    by_slack.setdefault(member.slack_user_id, member.id)
                by_email.setdefault(member.email_key, member.id)
        yield from self._managers_consistent(by_id)

    def _managers_consistent(self, members: dict[str, tuple[str, Person]]) -> Iterator[Finding]:
        seen = {person_id: person for person_id, (_, person) in members.items()}
        for department_id, department in self.departments.items():
            manager = department.manager
            if manager.id in seen and not manager.same_person_as(seen[manager.id]):
                yield ("departments", department_id, "manager", "id"), (
                    f"department '{department_id}': manager '{manager.id}' has a different name, email or Slack id "
                    "than elsewhere in this file"
                )
            seen.setdefault(manager.id, manager)
