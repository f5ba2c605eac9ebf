"""sla.yml: time-to-engage and time-to-resolve targets per severity and customer tier."""

from __future__ import annotations

from datetime import timedelta
from typing import Iterator

from pydantic import field_validator, model_validator

from config.routing_rules import References
from config.values import Duration, Finding, Identifier, Strict, known
from swarm.model import Severity


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
