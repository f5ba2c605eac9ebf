"""Who joins a case swarm: the rules of routing.yml applied to a case's facts. Pure functions, no I/O.

The caller supplies the time, each member's current load (open swarms) and who must not be picked (declined, or
already in the swarm), so the same inputs always give the same plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Callable, Collection, Iterable, Iterator, Mapping

from config.departments import Department, Person
from config.model import SwarmConfig
from config.routing_rules import Rule
from swarm.model import Severity
from workflows.rotation import current_shift

NO_LOAD: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True)
class CaseFacts:
    category: str
    severity: Severity
    title: str = ""
    description: str = ""
    customer_tier: str | None = None
    source_channel: str | None = None


def case_facts(case, *, with_tier: bool = True) -> CaseFacts:
    """What routing rules match on, from a case row (the tier comes from the CRM's customer card)."""
    tier = (case.customer_context or {}).get("tier") if with_tier else None
    return CaseFacts(category=case.category, severity=Severity(case.severity), title=case.title,
                     description=case.description, customer_tier=tier.lower() if tier else None,
                     source_channel=case.source_channel)


@dataclass(frozen=True)
class Assignment:
    department: str
    person: Person
    reason: str  # for the pinned summary, e.g. "billing: Ana Souza, on call this week (rule 'billing-category')"
    role: str = "expert"  # expert | lead (added by add_lead) | manager (added by add_manager)


@dataclass(frozen=True)
class DepartmentPick:
    department: str
    rules: list[str]  # the rules that brought it in; empty when it came from the default route


@dataclass(frozen=True)
class SwarmPlan:
    departments: list[DepartmentPick]
    assignments: list[Assignment]  # nobody twice
    matched_rules: list[str]
    gaps: list[str] = field(default_factory=list)  # who was asked for but nobody could be found, as sentences


# --- matching ----------------------------------------------------------------------------------------------------

def matching_rules(facts: CaseFacts, rules: tuple[Rule, ...]) -> list[Rule]:
    """The rules whose `when` holds for the case, in file order."""
    return [rule for rule in rules if rule_matches(rule, facts)]


def rule_matches(rule: Rule, facts: CaseFacts) -> bool:
    when = rule.when
    text = f"{facts.title}\n{facts.description}"
    return all(
        (
            not when.category or facts.category in when.category,
            not when.severity or Severity(facts.severity) in when.severity,
            not when.customer_tier or (facts.customer_tier or "").lower() in when.customer_tier,
            not when.source_channel or _channel_in(facts.source_channel, when.source_channel),
            not when.keywords or any(_mentions(text, keyword) for keyword in when.keywords),
        )
    )


def _mentions(text: str, phrase: str) -> bool:
    # Whole words only ("login" must not match "logins-report"... nor "sso" inside "lasso"); any run of spaces.
    words = r"\s+".join(re.escape(word) for word in phrase.split())
    return re.search(rf"(?<!\w){words}(?!\w)", text, flags=re.IGNORECASE) is not None


def _channel_in(channel: str | None, channels: tuple[str, ...]) -> bool:
    return channel is not None and channel.lstrip("#").lower() in {c.lstrip("#").lower() for c in channels}


# --- planning ----------------------------------------------------------------------------------------------------

def plan_swarm(
    facts: CaseFacts,
    config: SwarmConfig,
    *,
    now: datetime,
    load: Mapping[str, int] = NO_LOAD,
    exclude: Collection[str] = (),
) -> SwarmPlan:
    """Which departments and people to bring into a new case swarm, each with the reason why."""
    rules = matching_rules(facts, config.rules)
    brought_in = _departments_named(rules, config)
    staffing = _Staffing(config, now=now, load=load, exclude=exclude)
    for department_id, rule_names in list(brought_in.items()):
        count = _people_per_department(department_id, rules)
        staffing.fill_department(department_id, count=count, skills=_skills_asked(rules), rules=rule_names)
    for rule in rules:
        for skill in rule.skills:
            department_id = staffing.ensure_skill(skill, rule=rule.name)
            if department_id:
                _note(brought_in, department_id, rule.name)
    _add_leads_and_managers(rules, brought_in, staffing)
    return SwarmPlan(
        departments=[DepartmentPick(d, names) for d, names in brought_in.items()],
        assignments=list(staffing.chosen.values()),
        matched_rules=[rule.name for rule in rules],
        gaps=staffing.gaps,
    )


def pick_for_department(
    department_id: str,
    config: SwarmConfig,
    *,
    now: datetime,
    load: Mapping[str, int] = NO_LOAD,
    exclude: Collection[str] = (),
    skill: str | None = None,
) -> Assignment | None:
    """The next person to bring in from a department mid-swarm (someone declined, or "add billing"), or None."""
    staffing = _Staffing(config, now=now, load=load, exclude=exclude)
    if skill:
        holders = ((person, f"skill '{skill}'") for _, person in staffing.skill_holders([department_id], skill))
        staffing.fill_from(department_id, holders, count=1, rules=None)
    if not staffing.chosen:
        staffing.fill_department(department_id, count=1, skills=(), rules=None)
    return next(iter(staffing.chosen.values()), None)


# Why a configured person cannot be brought in, by platform (Slack needs a slack_user_id; Teams finds people by email).
NOT_REACHABLE = {"slack": "has no Slack account (no slack_user_id in departments.yml)",
                 "teams": "was not found in Microsoft Entra ID by email"}


def not_reachable(platform: str, person: Person) -> str:
    """The sentence saying why `platform` cannot bring this configured person in."""
    return f"{person.name} {NOT_REACHABLE.get(platform, f'cannot be reached on {platform}')}"


def reachable_plan(facts: CaseFacts, config: SwarmConfig, *, reachable: Callable[[Person], bool], now: datetime,
                   load: Mapping[str, int] = NO_LOAD, exclude: Collection[str] = ()) -> tuple[SwarmPlan, list[Assignment]]:
    """plan_swarm among the people the case's platform can reach (a Slack case cannot invite someone with no Slack
    id): the plan, and whom it skipped, in the order they would have been picked, so the caller can say why."""
    skipped: list[Assignment] = []
    while True:
        plan = plan_swarm(facts, config, now=now, load=load, exclude=[*exclude, *(a.person.id for a in skipped)])
        unreachable = [a for a in plan.assignments if not reachable(a.person)]
        if not unreachable:
            return plan, skipped
        skipped += unreachable


def reachable_pick(department_id: str, config: SwarmConfig, *, reachable: Callable[[Person], bool], now: datetime,
                   load: Mapping[str, int] = NO_LOAD, exclude: Collection[str] = (),
                   skill: str | None = None) -> tuple[Assignment | None, list[Assignment]]:
    """pick_for_department among the people the platform can reach: the pick (None if nobody), and whom it skipped."""
    skipped: list[Assignment] = []
    while True:
        pick = pick_for_department(department_id, config, now=now, load=load, skill=skill,
                                   exclude=[*exclude, *(a.person.id for a in skipped)])
        if pick is None or reachable(pick.person):
            return pick, skipped
        skipped.append(pick)


def _departments_named(rules: list[Rule], config: SwarmConfig) -> dict[str, list[str]]:
    """Department id → names of the rules that name it; the default route when no rule brings in anyone."""
    if not any(rule.brings_in_anyone for rule in rules):
        return {department_id: [] for department_id in config.default_route.departments}
    named: dict[str, list[str]] = {}
    for rule in rules:
        for department_id in rule.departments:
            _note(named, department_id, rule.name)
    return named


def _note(brought_in: dict[str, list[str]], department_id: str, rule_name: str) -> None:
    names = brought_in.setdefault(department_id, [])
    if rule_name not in names:
        names.append(rule_name)


def _skills_asked(rules: list[Rule]) -> list[str]:
    return list(dict.fromkeys(skill for rule in rules for skill in rule.skills))


def _people_per_department(department_id: str, rules: list[Rule]) -> int:
    applying = [r.people_per_department for r in rules if department_id in r.departments or not r.brings_in_anyone]
    return max(applying, default=1)


def _rule_scope(rule: Rule, brought_in: dict[str, list[str]]) -> list[str]:
    # A rule that brings in nobody itself (say "sev1: add leads and the manager") applies to the whole swarm.
    own = [d for d, names in brought_in.items() if rule.name in names]
    return own if rule.brings_in_anyone else list(brought_in)


def _add_leads_and_managers(rules: list[Rule], brought_in: dict[str, list[str]], staffing: _Staffing) -> None:
    for rule in rules:
        for department_id in _rule_scope(rule, brought_in) if rule.add_lead else ():
            staffing.add_role(department_id, "lead", rule=rule.name)
    for rule in rules:
        for department_id in _rule_scope(rule, brought_in) if rule.add_manager else ():
            staffing.add_role(department_id, "manager", rule=rule.name)


# --- choosing people ---------------------------------------------------------------------------------------------

Candidate = tuple[Person, str]  # a person and why they would be picked ("on call this week")


class _Staffing:
    """The people chosen so far for one plan: nobody twice, nobody excluded."""

    def __init__(self, config: SwarmConfig, *, now: datetime, load: Mapping[str, int], exclude: Collection[str]):
        self.config, self.now, self.load = config, now, load
        self.exclude = frozenset(exclude)
        self.chosen: dict[str, Assignment] = {}
        self.gaps: list[str] = []

    def available(self, person: Person) -> bool:
        return person.id not in self.exclude and person.id not in self.chosen

    def choose(self, department_id: str, person: Person, why: str, rules: list[str] | None, role: str = "expert") -> None:
        reason = f"{department_id}: {person.name}, {why}" + (f" ({_source(rules)})" if rules is not None else "")
        self.chosen[person.id] = Assignment(department=department_id, person=person, reason=reason, role=role)

    def fill_department(self, department_id: str, *, count: int, skills: Collection[str], rules: list[str] | None) -> None:
        candidates = self.candidates(department_id, skills)
        picked = self.fill_from(department_id, candidates, count=count, rules=rules)
        if picked == 0:
            self.gaps.append(f"{department_id}: nobody available")

    def fill_from(self, department_id: str, candidates: Iterable[Candidate], *, count: int, rules: list[str] | None) -> int:
        picked = 0
        for person, why in candidates:
            if picked == count:
                break
            if self.available(person):
                self.choose(department_id, person, why, rules)
                picked += 1
        return picked

    def candidates(self, department_id: str, skills: Collection[str]) -> Iterator[Candidate]:
        """In order of preference: on call, holding a skill the case asks for, least busy, and the lead last."""
        department = self.config.department(department_id)
        yield from self.on_call(department)
        for skill in skills:
            yield from ((p, f"skill '{skill}'") for p in department.members if skill in p.skills)
        for person in self.by_load(department.staff):
            yield person, f"least busy with {_open_swarms(self.load.get(person.id, 0))}"
        yield department.lead_person, "lead, as nobody else is available"

    def on_call(self, department: Department) -> Iterator[Candidate]:
        shift = current_shift(department.oncall, self.now) if department.oncall else None
        person = department.member(shift.member) if shift else None
        if shift and person:
            yield person, shift.description

    def by_load(self, people: Collection[Person]) -> list[Person]:
        order = {person.id: i for i, person in enumerate(people)}
        return sorted(people, key=lambda p: (self.load.get(p.id, 0), order[p.id]))

    def is_on_call(self, department_id: str, person: Person) -> bool:
        return any(p.id == person.id for p, _ in self.on_call(self.config.department(department_id)))

    def skill_holders(self, department_ids: Collection[str], skill: str) -> list[tuple[str, Person]]:
        """Members with `skill` in these departments: whoever is on call first, then the least busy."""
        holders = [(d, p) for d in department_ids for p in self.config.department(d).members if skill in p.skills]
        return sorted(holders, key=lambda held: (not self.is_on_call(*held), self.load.get(held[1].id, 0)))

    def ensure_skill(self, skill: str, *, rule: str) -> str | None:
        """Make sure someone with `skill` is in the swarm; return their department id (None if nobody is free)."""
        already = next((a for a in self.chosen.values() if skill in a.person.skills), None)
        if already:
            return already.department
        for department_id, person in self.skill_holders(self.config.departments, skill):
            if self.available(person):
                self.choose(department_id, person, f"skill '{skill}'", [rule])
                return department_id
        self.gaps.append(f"skill '{skill}': nobody available")
        return None

    def add_role(self, department_id: str, role: str, *, rule: str) -> None:
        department = self.config.department(department_id)
        person = department.lead_person if role == "lead" else department.manager
        if self.available(person):
            self.choose(department_id, person, role, [rule], role=role)


def _source(rules: list[str]) -> str:
    if not rules:
        return "default route"
    quoted = ", ".join(f"'{name}'" for name in rules)
    return f"rule {quoted}" if len(rules) == 1 else f"rules {quoted}"


def _open_swarms(count: int) -> str:
    return f"{count} open swarm" if count == 1 else f"{count} open swarms"
