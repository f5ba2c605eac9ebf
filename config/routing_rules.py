"""routing.yml: the rules that decide which departments and skills join a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Iterator

from pydantic import BeforeValidator, Field

from config.values import Finding, Identifiers, Loc, SeverityName, Strict, _as_list, known


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
