"""The whole configuration (SwarmConfig): the validated files together, with lookups by person and department.

The models of each file live beside it: config.departments, config.routing_rules, config.sla_policy,
config.swarm_file, with the shared value types in config.values. Pydantic checks the shape of each file. What pydantic cannot see (a rule naming a department that does not
exist, a lead who is not a member) each file model reports from `problems()` as (location, reason) pairs;
config.loader turns locations into file line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from config.departments import Department, Person
from config.routing_rules import DefaultRoute, References, RoutingFile, Rule
from config.sla_policy import SlaPolicy
from config.swarm_file import ChannelSettings, CrmSettings, FollowUpSettings, ResolutionSettings, SwarmFile, TicketingSettings
from config.values import known


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
        return {m.slack_user_id: d_id for d_id, d in self.departments.items() for m in d.members if m.slack_user_id}

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
