"""The shape of the YAML configuration (config/*.yml) as pydantic models, and the rules each file must follow.

Pydantic checks the shape of each file. What pydantic cannot see (a rule naming a department that does not
exist, a lead who is not a member) each file model reports from `problems()` as (location, reason) pairs;
config.loader turns locations into file line numbers.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Iterable, Iterator, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from swarm.model import CaseStatus, Severity

Loc = tuple[str | int, ...]
Finding = tuple[Loc, str]  # where in the file (a path of keys and list indexes), and what is wrong


class Strict(BaseModel):
    """Base of every config model: an unknown key is an error (a typo must not be ignored) and values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def known(names: Iterable[str]) -> str:
    """'(known: a, b, c)' for error messages."""
    return f"(known: {', '.join(sorted(set(names))) or 'none'})"


# --- small value types -------------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]*")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_DURATION = re.compile(r"(?:\d+[wdhms])+")
_DURATION_PART = re.compile(r"(\d+)([wdhms])")
_DURATION_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"'{value}' is not a valid id (use lowercase letters, digits, '.', '-' or '_')")
    return value


def _slack_user_id(value: str) -> str:
    if not _SLACK_USER_ID.fullmatch(value):
        raise ValueError(f"'{value}' is not a Slack user id (like U024BE7LH)")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"'{value}' is not an email address")
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{value}' (use an IANA name like 'Europe/Lisbon')") from None
    return value


def _severity(value: Any) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ValueError(f"unknown severity '{value}' {known(s.value for s in Severity)}") from None


def parse_duration(value: Any) -> timedelta:
    """'90s', '15m', '4h', '2d', '1w' or a combination like '1h30m' as a timedelta."""
    if isinstance(value, timedelta):
        return value
    text = value.replace(" ", "").lower() if isinstance(value, str) else ""
    if not _DURATION.fullmatch(text):
        raise ValueError(f"bad duration '{value}' (write a number and a unit: '90s', '15m', '4h', '2d')")
    parts = (timedelta(**{_DURATION_UNITS[unit]: int(n)}) for n, unit in _DURATION_PART.findall(text))
    return sum(parts, timedelta())


def _as_list(value: Any) -> Any:
    # `category: billing` reads better than `category: [billing]` when there is one value.
    return [value] if isinstance(value, str) else value


Identifier = Annotated[str, AfterValidator(_identifier)]
SlackUserId = Annotated[str, AfterValidator(_slack_user_id)]
Email = Annotated[str, AfterValidator(_email)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
SeverityName = Annotated[Severity, BeforeValidator(_severity)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Identifiers = Annotated[tuple[Identifier, ...], BeforeValidator(_as_list)]


# --- departments.yml ---------------------------------------------------------------------------------------------

class Person(Strict):
    """Someone a swarm can bring in. Slack finds them by user id, Microsoft Teams by email."""

    id: Identifier
    name: str = Field(min_length=1)
    email: Email
    slack_user_id: SlackUserId
    skills: Identifiers = ()
    timezone: TimeZoneName | None = None

    def same_person_as(self, other: Person) -> bool:
        return (self.name, self.email, self.slack_user_id) == (other.name, other.email, other.slack_user_id)


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
    usergroup: str | None = None  # Slack usergroup id (S...), a membership source for later

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
        by_id: dict[str, tuple[str, Person]] = {}
        by_slack: dict[str, str] = {}
        for department_id, department in self.departments.items():
            for i, member in enumerate(department.members):
                loc = ("departments", department_id, "members", i)
                if member.id in by_id and by_id[member.id][0] != department_id:
                    yield (*loc, "id"), f"member '{member.id}' is already in department '{by_id[member.id][0]}'"
                if by_slack.get(member.slack_user_id, member.id) != member.id:
                    yield (*loc, "slack_user_id"), (
                        f"Slack user '{member.slack_user_id}' is already member '{by_slack[member.slack_user_id]}'"
                    )
                by_id.setdefault(member.id, (department_id, member))
                by_slack.setdefault(member.slack_user_id, member.id)
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


# --- routing.yml -------------------------------------------------------------------------------------------------

class RuleConditions(Strict):
    """When a rule applies. Every condition given must hold; a list matches any of its values."""

    category: Identifiers = ()
    severity: Annotated[tuple[SeverityName, ...], BeforeValidator(_as_list)] = ()
    customer_tier: Identifiers = ()
    keywords: Annotated[tuple[str, ...], BeforeValidator(_as_list)] = ()  # words or phrases, any case
    source_channel: Annotated[tuple[str, ...], BeforeValidator(_as_list)] = ()  # channel id or name

    def describe(self) -> str:
        given = {name: getattr(self, name) for name in type(self).model_fields if getattr(self, name)}
        parts = [f"{name}: {', '.join(str(getattr(v, 'value', v)) for v in values)}" for name, values in given.items()]
        return "; ".join(parts) or "always"


class Rule(Strict):
    """One routing rule. people_per_department, add_lead and add_manager apply to the departments this rule brings in,
    or to every department in the swarm when the rule brings in none itself."""

    name: str = Field(min_length=1)
    when: RuleConditions = RuleConditions()
    departments: Identifiers = ()
    skills: Identifiers = ()
    people_per_department: int = Field(default=1, ge=1, le=10)
    add_lead: bool = False
    add_manager: bool = False

    @property
    def brings_in_anyone(self) -> bool:
        return bool(self.departments or self.skills)

    def describe(self) -> str:
        effects = [f"departments: {', '.join(self.departments)}"] if self.departments else []
        effects += [f"skills: {', '.join(self.skills)}"] if self.skills else []
        effects += [f"{self.people_per_department} per department"] if self.people_per_department > 1 else []
        effects += ["+ lead"] if self.add_lead else []
        effects += ["+ manager"] if self.add_manager else []
        return "; ".join(effects)


class DefaultRoute(Strict):
    """Where a case goes when no rule brings in a department."""

    departments: Identifiers = Field(min_length=1)


@dataclass(frozen=True)
class References:
    """The names other files may refer to, for cross-file checks."""

    departments: frozenset[str]
    skills: frozenset[str]
    categories: frozenset[str]
    customer_tiers: frozenset[str]


class RoutingFile(Strict):
    """routing.yml"""

    rules: tuple[Rule, ...] = ()
    default: DefaultRoute

    def problems(self, refs: References) -> Iterator[Finding]:
        names: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in names:
                yield ("rules", i, "name"), f"rule name '{rule.name}' is used twice"
            names.add(rule.name)
            yield from _rule_problems(rule, ("rules", i), refs)
        for i, department in enumerate(self.default.departments):
            if department not in refs.departments:
                yield ("default", "departments", i), (
                    f"default route names unknown department '{department}' {known(refs.departments)}"
                )


def _rule_problems(rule: Rule, loc: Loc, refs: References) -> Iterator[Finding]:
    checks = (
        ("departments", rule.departments, refs.departments, "names unknown department"),
        ("skills", rule.skills, refs.skills, "asks for unknown skill"),
        (("when", "category"), rule.when.category, refs.categories, "matches unknown category"),
        (("when", "customer_tier"), rule.when.customer_tier, refs.customer_tiers, "matches unknown customer tier"),
    )
    for key, values, allowed, complaint in checks:
        keys = key if isinstance(key, tuple) else (key,)
        for i, value in enumerate(values):
            if value not in allowed:
                yield (*loc, *keys, i), f"rule '{rule.name}' {complaint} '{value}' {known(allowed)}"
    if not (rule.brings_in_anyone or rule.add_lead or rule.add_manager or rule.people_per_department > 1):
        yield (*loc, "name"), (
            f"rule '{rule.name}' does nothing (give departments, skills, people_per_department, add_lead or add_manager)"
        )


# --- sla.yml -----------------------------------------------------------------------------------------------------

class SlaTarget(Strict):
    """How soon an expert must engage, and the case be resolved."""

    engage: Duration
    resolve: Duration

    @model_validator(mode="after")
    def _sensible(self) -> SlaTarget:
        if self.engage <= timedelta(0) or self.resolve <= timedelta(0):
            raise ValueError("SLA durations must be longer than zero")
        if self.resolve < self.engage:
            raise ValueError("resolve must not be shorter than engage")
        return self


class SlaTargetOverride(Strict):
    engage: Duration | None = None
    resolve: Duration | None = None


class SeverityTargets(Strict):
    sev1: SlaTarget
    sev2: SlaTarget
    sev3: SlaTarget
    sev4: SlaTarget


class TierOverrides(Strict):
    sev1: SlaTargetOverride | None = None
    sev2: SlaTargetOverride | None = None
    sev3: SlaTargetOverride | None = None
    sev4: SlaTargetOverride | None = None


class SlaPolicy(Strict):
    """sla.yml: targets per severity, tighter (or looser) targets per customer tier, and reminder thresholds."""

    severities: SeverityTargets
    customer_tiers: dict[Identifier, TierOverrides] = {}
    reminders: tuple[float, ...] = (0.5, 0.8)  # remind when this share of the time is used up

    @field_validator("reminders")
    @classmethod
    def _fractions_in_order(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < r < 1 for r in value) or list(value) != sorted(set(value)):
            raise ValueError(f"reminders must be rising fractions between 0 and 1, like [0.5, 0.8], not {list(value)}")
        return value

    def targets_for(self, severity: Severity | str, tier: str | None = None) -> SlaTarget:
        """The targets for a severity, with the customer tier's overrides applied."""
        key = Severity(severity).value
        base: SlaTarget = getattr(self.severities, key)
        tier_overrides = self.customer_tiers.get(tier) if tier else None
        override: SlaTargetOverride | None = getattr(tier_overrides, key) if tier_overrides else None
        if override is None:
            return base
        return SlaTarget.model_construct(engage=override.engage or base.engage, resolve=override.resolve or base.resolve)

    def problems(self, refs: References) -> Iterator[Finding]:
        for tier, overrides in self.customer_tiers.items():
            if tier not in refs.customer_tiers:
                yield ("customer_tiers", tier), f"unknown customer tier '{tier}' {known(refs.customer_tiers)}"
            for severity in Severity:
                target = self.targets_for(severity, tier)
                if getattr(overrides, severity.value) and target.resolve < target.engage:
                    yield ("customer_tiers", tier, severity.value), (
                        f"tier '{tier}' {severity.value}: resolve ({target.resolve}) is shorter than engage ({target.engage})"
                    )


# --- swarm.yml ---------------------------------------------------------------------------------------------------

CHANNEL_PLACEHOLDERS = ("number", "slug", "category", "severity")
_SLACK_CHANNEL_NAME_MAX = 80


def _channel_template(template: str) -> str:
    names = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    for name in names:
        if name not in CHANNEL_PLACEHOLDERS:
            raise ValueError(f"unknown placeholder '{{{name}}}' in channel name template {known(CHANNEL_PLACEHOLDERS)}")
    if "number" not in names:
        raise ValueError("channel name template needs {number}, so every case gets its own channel")
    try:
        template.format(number=1, slug="x", category="billing", severity="sev1")
    except (ValueError, IndexError) as error:
        raise ValueError(f"bad channel name template: {error}") from None
    return template


def _channel_id(value: str | None) -> str | None:
    # An id, because a name can be renamed (and Slack posts by id); "#swarm-managers" is the usual slip.
    if value is not None and (not value.strip() or value.startswith("#") or any(c.isspace() for c in value)):
        raise ValueError(f"managers_channel must be a channel id (like C0123ABCD), not '{value}'")
    return value


class ChannelSettings(Strict):
    """How case channels are named and kept."""

    name_template: Annotated[str, AfterValidator(_channel_template)] = "case-{number}-{slug}"
    private: bool = False
    archive_after: Duration | None = timedelta(hours=24)  # after resolution; null keeps the channel open
    # Where SLA breaches are announced for the managers, besides the case channel (a channel id); null: nowhere else.
    managers_channel: Annotated[str | None, AfterValidator(_channel_id)] = None

    def name_for(self, *, number: int, slug: str, category: str, severity: Severity | str) -> str:
        """The channel name for a case: lowercase letters, digits, '-' and '_', at most 80 characters (Slack's rule)."""
        raw = self.name_template.format(number=number, slug=slug, category=category, severity=Severity(severity).value)
        cleaned = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9_-]+", "-", raw.lower()))
        return cleaned[:_SLACK_CHANNEL_NAME_MAX].strip("-")


_JIRA_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]+")


def _jira_project_key(value: str) -> str:
    if not _JIRA_PROJECT_KEY.fullmatch(value):
        raise ValueError(f"'{value}' is not a Jira project key (uppercase, like SUP)")
    return value


JiraProjectKey = Annotated[str, AfterValidator(_jira_project_key)]


class JiraProject(Strict):
    project: JiraProjectKey
    issue_type: str = "Task"


class JiraPriorities(Strict):
    sev1: str = "Highest"
    sev2: str = "High"
    sev3: str = "Medium"
    sev4: str = "Low"


class JiraSettings(Strict):
    """Where a case's Jira ticket goes and how case states map to Jira."""

    default_project: JiraProjectKey = "SUP"
    default_issue_type: str = "Task"
    projects: dict[Identifier, JiraProject] = {}  # by case category
    priority: JiraPriorities = JiraPriorities()
    done_status: str = "Done"
    reopen_status: str = "To Do"

    def project_for(self, category: str) -> JiraProject:
        fallback = JiraProject(project=self.default_project, issue_type=self.default_issue_type)
        return self.projects.get(category, fallback)

    def priority_for(self, severity: Severity | str) -> str:
        return getattr(self.priority, Severity(severity).value)


class TicketingSettings(Strict):
    jira: JiraSettings = JiraSettings()


class SalesforceStatuses(Strict):
    """The Salesforce Case Status picklist value for each case state."""

    opening: str = "New"
    open: str = "Working"
    resolved: str = "Closed"
    archived: str = "Closed"

    def for_case(self, status: CaseStatus) -> str:
        return getattr(self, CaseStatus(status).value)


class SalesforceSettings(Strict):
    status: SalesforceStatuses = SalesforceStatuses()
    note_kind: Literal["comment", "feed_item"] = "comment"  # CaseComment or Chatter FeedItem


class CrmSettings(Strict):
    salesforce: SalesforceSettings = SalesforceSettings()


DEFAULT_ROOT_CAUSES = {
    "billing-error": "Billing error", "product-defect": "Product defect", "shipping-delay": "Shipping delay",
    "stock-out": "Stock-out", "outage": "Outage", "access-sso": "Access / SSO", "process-gap": "Process gap",
    "customer-error": "Customer error", "other": "Other",
}


class ResolutionSettings(Strict):
    """What resolving asks for: the root cause (from this list) and the department that owns the upstream process."""

    root_causes: dict[Identifier, str] = Field(default_factory=lambda: dict(DEFAULT_ROOT_CAUSES), min_length=1)
    require_root_cause: bool = False  # true: a case cannot be resolved without a root cause and its owner


def _default_follow_up_due() -> dict:
    return {Severity.SEV1: timedelta(hours=4), Severity.SEV2: timedelta(days=1), Severity.SEV3: timedelta(days=2),
            Severity.SEV4: timedelta(days=3)}


class FollowUpSettings(Strict):
    """After resolving, someone calls the customer back: by when, per severity, and when to remind."""

    due_after: dict[SeverityName, Duration] = Field(default_factory=_default_follow_up_due)
    remind_before: Duration = timedelta(hours=2)  # a reminder this long before it is due; the manager hears when overdue

    def due_for(self, severity: Severity | str) -> timedelta:
        return self.due_after.get(Severity(severity), timedelta(days=2))


class SwarmFile(Strict):
    """swarm.yml: case categories, customer tiers, channel naming, ticketing and CRM mappings, resolution, follow-up."""

    categories: dict[Identifier, str] = Field(min_length=1)  # id → label shown in the escalation form
    customer_tiers: Identifiers = ("standard", "gold", "platinum")
    channel: ChannelSettings = ChannelSettings()
    ticketing: TicketingSettings = TicketingSettings()
    crm: CrmSettings = CrmSettings()
    resolution: ResolutionSettings = ResolutionSettings()
    follow_up: FollowUpSettings = FollowUpSettings()

    def problems(self) -> Iterator[Finding]:
        for category in self.ticketing.jira.projects:
            if category not in self.categories:
                yield ("ticketing", "jira", "projects", category), (
                    f"Jira project for unknown category '{category}' {known(self.categories)}"
                )


# --- the whole configuration -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SwarmConfig:
    """Everything config/*.yml declares, validated, with lookups by person and department."""

    source_dir: Path
    departments: dict[str, Department]
    routing: RoutingFile
    sla: SlaPolicy
    settings: SwarmFile

    @property
    def categories(self) -> dict[str, str]:
        return self.settings.categories

    @property
    def customer_tiers(self) -> tuple[str, ...]:
        return self.settings.customer_tiers

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.routing.rules

    @property
    def default_route(self) -> DefaultRoute:
        return self.routing.default

    @property
    def channel(self) -> ChannelSettings:
        return self.settings.channel

    @property
    def ticketing(self) -> TicketingSettings:
        return self.settings.ticketing

    @property
    def crm(self) -> CrmSettings:
        return self.settings.crm

    @property
    def resolution(self) -> ResolutionSettings:
        return self.settings.resolution

    @property
    def follow_up(self) -> FollowUpSettings:
        return self.settings.follow_up

    @cached_property
    def skills(self) -> frozenset[str]:
        return frozenset(skill for d in self.departments.values() for m in d.members for skill in m.skills)

    @cached_property
    def _people(self) -> dict[str, Person]:
        people = {m.id: m for d in self.departments.values() for m in d.members}
        for department in self.departments.values():
            people.setdefault(department.manager.id, department.manager)
        return people

    @cached_property
    def _member_departments(self) -> dict[str, str]:
        return {m.slack_user_id: d_id for d_id, d in self.departments.items() for m in d.members}

    def department(self, department_id: str) -> Department:
        """The department with this id; KeyError names the known ones."""
        if department_id not in self.departments:
            raise KeyError(f"unknown department '{department_id}' {known(self.departments)}")
        return self.departments[department_id]

    def person(self, member_id: str) -> Person:
        """A member or manager by id; KeyError if there is none."""
        if member_id not in self._people:
            raise KeyError(f"unknown person '{member_id}'")
        return self._people[member_id]

    def person_by_slack_id(self, slack_user_id: str) -> Person | None:
        return next((p for p in self._people.values() if p.slack_user_id == slack_user_id), None)

    def department_of(self, slack_user_id: str) -> str | None:
        """The id of the department this Slack user is a member of (managers who are not members have none)."""
        return self._member_departments.get(slack_user_id)

    def references(self) -> References:
        return References(
            departments=frozenset(self.departments),
            skills=self.skills,
            categories=frozenset(self.categories),
            customer_tiers=frozenset(self.customer_tiers),
        )


def render_routing_table(config: SwarmConfig) -> str:
    """The routing rules as a table, one line per rule: name, conditions → who is brought in (for `swarm config check`)."""
    rows = [(rule.name, rule.when.describe(), rule.describe()) for rule in config.rules]
    rows.append(("(default)", "no rule brings in a department", f"departments: {', '.join(config.default_route.departments)}"))
    name_width = max(len(name) for name, _, _ in rows)
    when_width = max(len(when) for _, when, _ in rows)
    return "\n".join(f"{name:<{name_width}}  {when:<{when_width}}  → {effect}" for name, when, effect in rows)
