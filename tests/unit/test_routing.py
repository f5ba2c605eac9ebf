"""The routing table: a case's facts → the departments and people a swarm brings in, and why; on-call rotations."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from config import Department, Rule, load_config
from swarm.model import Severity
from workflows.rotation import oncall_at
from workflows.routing import (CaseFacts, not_reachable, pick_for_department, plan_swarm, reachable_pick, reachable_plan,
                               rule_matches)

UTC = timezone.utc
# Shipped rotations in the week of Monday 2025-03-03: billing → Ana, it → Dev, operations → Hugo.
WEDNESDAY = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def with_support(config):
    """The shipped config plus a department without a rotation, to show load balancing on its own."""
    people = [("lea", "ULEA00001"), ("amy", "UAMY00001"), ("bob", "UBOB00001"), ("cal", "UCAL00001")]
    members = [{"id": i, "name": i.title(), "email": f"{i}@example.com", "slack_user_id": s} for i, s in people]
    members[2]["skills"] = ["macros"]
    support = Department.model_validate(
        {"name": "Support", "lead": "lea", "members": members, "manager": config.department("billing").manager.model_dump()}
    )
    return dataclasses.replace(config, departments={**config.departments, "support": support})


# --- case → departments → people ---------------------------------------------------------------------------------

PLANS = [
    pytest.param(
        CaseFacts("billing", Severity.SEV3, "Refund not received"),
        {"billing": ["billing-category", "refunds"]},
        ["billing: Ana Souza, on call this week (rule 'billing-category')"],  # Ana also holds the refunds skill
        id="billing-refund-on-call-has-the-skill",
    ),
    pytest.param(
        CaseFacts("billing", Severity.SEV3, "Customer opened a CHARGEBACK"),
        {"billing": ["billing-category", "chargebacks"]},
        ["billing: Ana Souza, on call this week (rule 'billing-category')",
         "billing: Ben Okafor, skill 'chargebacks' (rule 'chargebacks')"],
        id="billing-chargeback-adds-the-expert",
    ),
    pytest.param(
        CaseFacts("it", Severity.SEV2, "SSO broken", "Users cannot log in since 9am"),
        {"it": ["it-category", "sso-keywords"]},
        ["it: Dev Patel, on call this week (rule 'it-category')"],
        id="it-sso",
    ),
    pytest.param(
        CaseFacts("operations", Severity.SEV3, "Parcel stuck", "Delivery is 5 days late"),
        {"operations": ["operations-category", "shipping-keywords"]},
        ["operations: Hugo Rossi, on call this week (rule 'operations-category')",
         "operations: Grace Kim, skill 'shipping' (rule 'shipping-keywords')"],
        id="operations-delivery",
    ),
    pytest.param(
        CaseFacts("billing", Severity.SEV3, "Invoice for an order that is not in stock"),
        {"billing": ["billing-category"], "operations": ["warehouse-keywords"]},
        ["billing: Ana Souza, on call this week (rule 'billing-category')",
         "operations: Hugo Rossi, skill 'warehouse' (rule 'warehouse-keywords')"],
        id="keyword-pulls-another-department",
    ),
    pytest.param(
        CaseFacts("billing", Severity.SEV1, "Card payments failing for everyone"),
        {"billing": ["billing-category"], "operations": ["sev1-operations"]},
        ["billing: Ana Souza, on call this week (rule 'billing-category')",
         "operations: Hugo Rossi, on call this week (rule 'sev1-operations')",
         "billing: Chloe Dubois, lead (rule 'sev1-all-hands')",
         "operations: Ines Alvarez, lead (rule 'sev1-all-hands')",
         "billing: Jonas Berg, manager (rule 'sev1-all-hands')"],  # manager of both departments, brought in once
        id="sev1-all-hands",
    ),
    pytest.param(
        CaseFacts("it", Severity.SEV2, "VPN down", customer_tier="platinum"),
        {"it": ["it-category", "outage-keywords"]},
        ["it: Dev Patel, on call this week (rule 'it-category')",
         "it: Eva Novak, skill 'outage' (rule 'it-category')",
         "it: Jonas Berg, manager (rule 'platinum-urgent')"],
        id="platinum-two-per-department",
    ),
    pytest.param(
        CaseFacts("it", Severity.SEV2, "VPN down", customer_tier="gold"),
        {"it": ["it-category", "outage-keywords"]},
        ["it: Dev Patel, on call this week (rule 'it-category')",
         "it: Eva Novak, skill 'outage' (rule 'outage-keywords')"],
        id="gold-is-not-platinum",
    ),
    pytest.param(
        CaseFacts("facilities", Severity.SEV4, "Broken chair in the lasso room"),  # 'sso' is not a word here
        {"operations": []},
        ["operations: Hugo Rossi, on call this week (default route)"],
        id="no-rule-default-route",
    ),
]


@pytest.mark.parametrize("facts, departments, reasons", PLANS)
def test_plan_swarm(config, facts, departments, reasons):
    plan = plan_swarm(facts, config, now=WEDNESDAY)
    assert {pick.department: pick.rules for pick in plan.departments} == departments
    assert [a.reason for a in plan.assignments] == reasons
    assert plan.gaps == []
    assert len({a.person.id for a in plan.assignments}) == len(plan.assignments)


def test_matched_rules_are_listed_in_file_order(config):
    plan = plan_swarm(CaseFacts("billing", Severity.SEV1, "refund"), config, now=WEDNESDAY)
    assert plan.matched_rules == ["billing-category", "refunds", "sev1-operations", "sev1-all-hands"]


@pytest.mark.parametrize(
    "exclude, reasons, gaps",
    [
        ({"ana"}, ["billing: Ben Okafor, least busy with 0 open swarms (rule 'billing-category')"],
         ["skill 'refunds': nobody available"]),
        ({"ana", "ben"}, ["billing: Chloe Dubois, lead, as nobody else is available (rule 'billing-category')"],
         ["skill 'refunds': nobody available"]),
        ({"ana", "ben", "chloe"}, [], ["billing: nobody available", "skill 'refunds': nobody available"]),
    ],
    ids=["on-call-declined", "everyone-but-the-lead-declined", "everyone-declined"],
)
def test_excluded_people_are_skipped_and_gaps_reported(config, exclude, reasons, gaps):
    plan = plan_swarm(CaseFacts("billing", Severity.SEV3, "refund please"), config, now=WEDNESDAY, exclude=exclude)
    assert [a.reason for a in plan.assignments] == reasons
    assert plan.gaps == gaps


def test_roles_tell_experts_from_leads_and_managers(config):
    plan = plan_swarm(CaseFacts("billing", Severity.SEV1, "down"), config, now=WEDNESDAY)
    assert [(a.person.id, a.role) for a in plan.assignments] == [
        ("ana", "expert"), ("hugo", "expert"), ("chloe", "lead"), ("ines", "lead"), ("jonas", "manager")]


def test_sev1_does_not_bring_in_the_manager_when_excluded(config):
    plan = plan_swarm(CaseFacts("it", Severity.SEV1, "down"), config, now=WEDNESDAY, exclude={"jonas"})
    assert "jonas" not in {a.person.id for a in plan.assignments}


# --- choosing inside a department --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "load, exclude, skill, expected",
    [
        ({}, (), None, "support: Amy, least busy with 0 open swarms"),
        ({"amy": 2, "bob": 1, "cal": 1}, (), None, "support: Bob, least busy with 1 open swarm"),  # tie → member order
        ({"amy": 2, "bob": 3, "cal": 4}, (), None, "support: Amy, least busy with 2 open swarms"),
        ({}, ("amy",), None, "support: Bob, least busy with 0 open swarms"),
        ({}, ("amy", "bob", "cal"), None, "support: Lea, lead, as nobody else is available"),
        ({"bob": 9}, (), "macros", "support: Bob, skill 'macros'"),
        ({}, ("bob",), "macros", "support: Amy, least busy with 0 open swarms"),  # nobody else has the skill
        ({}, ("amy", "bob", "cal", "lea"), None, None),
    ],
    ids=["no-load-member-order", "least-busy-tie", "everyone-busy", "declined-next", "lead-fallback",
         "skill-beats-load", "skill-holder-declined", "nobody"],
)
def test_pick_for_department_balances_load(with_support, load, exclude, skill, expected):
    picked = pick_for_department("support", with_support, now=WEDNESDAY, load=load, exclude=exclude, skill=skill)
    assert (picked.reason if picked else None) == expected


@pytest.mark.parametrize(
    "exclude, expected",
    [((), "billing: Ana Souza, on call this week"), (("ana",), "billing: Ben Okafor, least busy with 5 open swarms")],
    ids=["on-call-first-even-when-busy", "then-next"],
)
def test_on_call_comes_before_load(config, exclude, expected):
    picked = pick_for_department("billing", config, now=WEDNESDAY, load={"ana": 9, "ben": 5}, exclude=exclude)
    assert picked.reason == expected


def test_pick_for_an_unknown_department_names_the_known_ones(config):
    with pytest.raises(KeyError, match="unknown department 'legal'"):
        pick_for_department("legal", config, now=WEDNESDAY)


# --- who the platform can reach ----------------------------------------------------------------------------------

def on_slack(person) -> bool:
    return person.slack_user_id is not None  # what SlackChat.address tells routing


def teams_only(config, *member_ids: str):
    """The config with these members' Slack ids removed (departments.yml lets a Teams-only person omit it)."""
    departments = {}
    for department_id, dept in config.departments.items():
        members = tuple(m.model_copy(update={"slack_user_id": None}) if m.id in member_ids else m for m in dept.members)
        departments[department_id] = dept.model_copy(update={"members": members})
    return dataclasses.replace(config, departments=departments)


def test_a_plan_passes_over_people_the_platform_cannot_reach_and_says_whom(config):
    plan, skipped = reachable_plan(CaseFacts("billing", Severity.SEV3, "refund please"), teams_only(config, "ana"),
                                   reachable=on_slack, now=WEDNESDAY)
    assert [a.reason for a in skipped] == ["billing: Ana Souza, on call this week (rule 'billing-category')"]
    assert [a.reason for a in plan.assignments] == ["billing: Ben Okafor, least busy with 0 open swarms (rule 'billing-category')"]
    assert plan.gaps == ["skill 'refunds': nobody available"]  # Ana holds it, and she is not on Slack
    assert not_reachable("slack", skipped[0].person) == "Ana Souza has no Slack account (no slack_user_id in departments.yml)"


def test_a_plan_on_a_platform_that_reaches_everyone_skips_nobody(config):
    facts = CaseFacts("billing", Severity.SEV1, "down")
    plan, skipped = reachable_plan(facts, config, reachable=lambda person: True, now=WEDNESDAY)
    assert skipped == [] and plan == plan_swarm(facts, config, now=WEDNESDAY)


@pytest.mark.parametrize(
    "unreachable, picked, passed_over",
    [
        ((), "ana", []),
        (("ana",), "ben", ["ana"]),
        (("ana", "ben"), "chloe", ["ana", "ben"]),
        (("ana", "ben", "chloe"), None, ["ana", "ben", "chloe"]),
    ],
    ids=["everyone-on-slack", "on-call-teams-only", "only-the-lead-on-slack", "nobody-on-slack"],
)
def test_a_pick_passes_over_people_the_platform_cannot_reach(config, unreachable, picked, passed_over):
    pick, skipped = reachable_pick("billing", teams_only(config, *unreachable), reachable=on_slack, now=WEDNESDAY)
    assert (pick.person.id if pick else None) == picked
    assert [a.person.id for a in skipped] == passed_over


# --- rule conditions ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "when, facts, matches",
    [
        ({}, CaseFacts("it", Severity.SEV4), True),
        ({"category": ["billing", "it"]}, CaseFacts("it", Severity.SEV4), True),
        ({"category": "billing"}, CaseFacts("it", Severity.SEV4), False),
        ({"severity": ["sev1", "sev2"]}, CaseFacts("it", Severity.SEV2), True),
        ({"severity": "sev1"}, CaseFacts("it", Severity.SEV2), False),
        ({"customer_tier": "gold"}, CaseFacts("it", Severity.SEV2, customer_tier="Gold"), True),
        ({"customer_tier": "gold"}, CaseFacts("it", Severity.SEV2), False),
        ({"keywords": ["single sign-on"]}, CaseFacts("it", Severity.SEV2, "Single  Sign-On broken"), True),
        ({"keywords": ["login"]}, CaseFacts("it", Severity.SEV2, "", "after LOGIN, a blank page"), True),
        ({"keywords": ["login"]}, CaseFacts("it", Severity.SEV2, "logins report"), False),
        ({"source_channel": ["#support-billing"]}, CaseFacts("it", Severity.SEV2, source_channel="support-billing"), True),
        ({"source_channel": ["C0123"]}, CaseFacts("it", Severity.SEV2), False),
        ({"category": "it", "severity": "sev1"}, CaseFacts("it", Severity.SEV2), False),  # all conditions must hold
    ],
    ids=["no-conditions", "category-any-of", "category-other", "severity-any-of", "severity-other", "tier-any-case",
         "tier-unknown", "phrase-any-spacing", "keyword-in-description", "keyword-whole-word", "channel-by-name",
         "channel-missing", "all-conditions"],
)
def test_rule_conditions(when, facts, matches):
    rule = Rule.model_validate({"name": "r", "when": when, "departments": ["it"]})
    assert rule_matches(rule, facts) is matches


# --- on-call rotations -------------------------------------------------------------------------------------------

def department(**rotation) -> Department:
    members = [{"id": i, "name": i.title(), "email": f"{i}@example.com", "slack_user_id": f"U{i.upper()}01"}
               for i in ("ana", "ben", "cai", "lea")]
    oncall = {"schedule": "weekly", "timezone": "Europe/Lisbon", "handoff": "monday 09:00", "start": "2025-01-06",
              "order": ["ana", "ben"], **rotation}
    return Department.model_validate(
        {"name": "Team", "lead": "lea", "members": members, "manager": members[3], "oncall": oncall}
    )


def at(text: str, zone: str = "UTC") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


ROTATIONS = [
    # Lisbon is UTC+0 in winter, UTC+1 from 2025-03-30.
    ({}, at("2025-01-06 08:59"), None),  # before the first handoff
    ({}, at("2025-01-06 09:00"), "ana"),
    ({}, at("2025-01-13 08:59:59"), "ana"),
    ({}, at("2025-01-13 09:00"), "ben"),
    ({}, at("2025-01-20 09:00"), "ana"),
    ({}, at("2025-03-31 07:59"), "ben"),  # Monday after the DST change: 09:00 in Lisbon is 08:00 UTC
    ({}, at("2025-03-31 08:00"), "ana"),
    ({"start": "2025-01-08"}, at("2025-01-07 12:00"), "ana"),  # a mid-week start counts from that week's handoff
    ({"timezone": "America/New_York"}, at("2025-01-13 13:59"), "ana"),  # 09:00 in New York is 14:00 UTC
    ({"timezone": "America/New_York"}, at("2025-01-13 14:00"), "ben"),
    ({"timezone": "America/New_York"}, at("2025-03-10 08:59", "America/New_York"), "ana"),  # after US DST began
    ({"timezone": "America/New_York"}, at("2025-03-10 09:00", "America/New_York"), "ben"),
    ({"handoff": "fri 17:30", "start": "2025-01-10"}, at("2025-01-17 17:29"), "ana"),
    ({"handoff": "fri 17:30", "start": "2025-01-10"}, at("2025-01-17 17:30"), "ben"),
    ({"schedule": "daily", "handoff": "09:00", "order": ["ana", "ben", "cai"]}, at("2025-01-07 08:59"), "ana"),
    ({"schedule": "daily", "handoff": "09:00", "order": ["ana", "ben", "cai"]}, at("2025-01-07 09:00"), "ben"),
    ({"schedule": "daily", "handoff": "09:00", "order": ["ana", "ben", "cai"]}, at("2025-01-08 10:00"), "cai"),
    ({"schedule": "daily", "handoff": "09:00", "order": ["ana", "ben", "cai"]}, at("2025-01-09 09:00"), "ana"),
    ({"schedule": "daily", "handoff": "09:00", "timezone": "Asia/Tokyo"}, at("2025-01-07 00:00"), "ben"),  # 09:00 JST
]
OVERRIDE = {"overrides": [{"from": "2025-01-08 12:00", "to": "2025-01-10 12:00", "member": "cai"}]}
ROTATIONS += [
    (OVERRIDE, at("2025-01-08 11:59"), "ana"),
    (OVERRIDE, at("2025-01-08 12:00"), "cai"),
    (OVERRIDE, at("2025-01-10 11:59"), "cai"),
    (OVERRIDE, at("2025-01-10 12:00"), "ana"),
    ({"overrides": [{"from": "2025-01-01T00:00:00+01:00", "to": "2025-01-02T00:00:00+01:00", "member": "ben"}]},
     at("2024-12-31 23:30"), "ben"),  # an override with an offset, before the rotation starts
]


@pytest.mark.parametrize(
    "rotation, now, expected",
    ROTATIONS,
    ids=["before-start", "first-handoff", "just-before-weekly-handoff", "weekly-handoff", "order-wraps",
         "just-before-handoff-after-dst", "handoff-after-dst", "mid-week-start", "new-york-before", "new-york-after",
         "new-york-before-after-us-dst", "new-york-after-us-dst", "friday-handoff-before", "friday-handoff", "daily-before", "daily-handoff",
         "daily-third", "daily-wraps", "daily-tokyo", "override-before", "override-starts", "override-last-minute",
         "override-ends", "override-with-offset"],
)
def test_oncall_at(rotation, now, expected):
    assert oncall_at(department(**rotation), now) == expected


def test_no_rotation_means_nobody_on_call(config):
    team = config.department("billing").model_copy(update={"oncall": None})
    assert oncall_at(team, WEDNESDAY) is None


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        oncall_at(department(), datetime(2025, 1, 7, 12))


def test_an_override_shows_in_the_reason(config):
    covered = dataclasses.replace(config, departments={**config.departments, "team": department(**OVERRIDE)})
    picked = pick_for_department("team", covered, now=at("2025-01-09 12:00"))
    assert picked.reason == "team: Cai, covering on call"
