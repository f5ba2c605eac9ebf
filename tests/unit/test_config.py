"""The YAML configuration: the shipped defaults load, and a bad file fails with '<file>:<line>: <reason>'."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from config import ConfigError, default_config_dir, load_config, parse_duration, render_routing_table
from swarm.model import CaseStatus, Severity

KNOWN_DEPARTMENTS = "(known: billing, it, operations)"
KNOWN_SKILLS = (
    "(known: access, chargebacks, invoices, logistics, network, outage, payments, refunds, shipping, sso, stock, "
    "warehouse)"
)


@pytest.fixture(scope="module")
def shipped():
    return load_config()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the shipped YAML that a test may break."""
    for source in default_config_dir().glob("*.yml"):
        shutil.copy(source, tmp_path)
    return tmp_path


def edit(directory: Path, file: str, old: str, new: str) -> None:
    text = (directory / file).read_text()
    assert text.count(old) == 1, f"{old!r} should occur once in {file}"
    (directory / file).write_text(text.replace(old, new))


def line_of(directory: Path, file: str, marker: str, occurrence: int = 1) -> int:
    numbered = enumerate((directory / file).read_text().splitlines(), start=1)
    lines = [n for n, line in numbered if marker in line and not line.lstrip().startswith("#")]
    return lines[occurrence - 1]


# --- the shipped defaults ----------------------------------------------------------------------------------------

def test_shipped_config_loads_from_the_package_folder(shipped):
    assert shipped.source_dir == default_config_dir()
    assert list(shipped.departments) == ["billing", "it", "operations"]
    assert shipped.categories == {"billing": "Billing", "it": "IT", "operations": "Operations"}
    assert shipped.customer_tiers == ("standard", "gold", "platinum")


@pytest.mark.parametrize(
    "department, members, lead, rotation",
    [
        ("billing", ["UBILL0001", "UBILL0002", "UBILL0003"], "Chloe Dubois", ("ana", "ben")),
        ("it", ["UIT00001", "UIT00002", "UIT00003"], "Farid Haddad", ("dev", "eva")),
        ("operations", ["UOPS0001", "UOPS0002", "UOPS0003"], "Ines Alvarez", ("grace", "hugo")),
    ],
    ids=["billing", "it", "operations"],
)
def test_shipped_departments_use_the_sandbox_workspace_users(shipped, department, members, lead, rotation):
    dept = shipped.department(department)
    assert [m.slack_user_id for m in dept.members] == members
    assert dept.lead_person.name == lead
    assert dept.manager.slack_user_id == "UMGR0001"
    assert dept.oncall.schedule == "weekly" and dept.oncall.order == rotation


@pytest.mark.parametrize(
    "slack_id, person_id, department",
    [("UBILL0001", "ana", "billing"), ("UIT00002", "eva", "it"), ("UOPS0003", "ines", "operations"),
     ("UMGR0001", "jonas", None), ("UNKNOWN1", None, None)],
    ids=["billing-member", "it-member", "operations-lead", "manager-outside-members", "stranger"],
)
def test_people_lookups(shipped, slack_id, person_id, department):
    person = shipped.person_by_slack_id(slack_id)
    assert (person.id if person else None) == person_id
    assert shipped.department_of(slack_id) == department
    if person_id:
        assert shipped.person(person_id) == person


def test_unknown_person_or_department_is_a_key_error_that_names_it(shipped):
    with pytest.raises(KeyError, match="unknown person 'zed'"):
        shipped.person("zed")
    with pytest.raises(KeyError, match=r"unknown department 'legal' \(known: billing, it, operations\)"):
        shipped.department("legal")


@pytest.mark.parametrize(
    "severity, tier, engage, resolve",
    [
        (Severity.SEV1, None, "15m", "4h"),
        (Severity.SEV2, None, "30m", "8h"),
        (Severity.SEV3, "standard", "2h", "2d"),
        ("sev4", None, "8h", "5d"),
        (Severity.SEV1, "platinum", "10m", "2h"),
        (Severity.SEV1, "gold", "10m", "4h"),  # gold overrides engage only
        (Severity.SEV3, "platinum", "2h", "2d"),  # no override for this severity
    ],
    ids=["sev1", "sev2", "sev3-standard", "sev4-as-text", "sev1-platinum", "sev1-gold-partial", "sev3-platinum"],
)
def test_sla_targets(shipped, severity, tier, engage, resolve):
    target = shipped.sla.targets_for(severity, tier)
    assert (target.engage, target.resolve) == (parse_duration(engage), parse_duration(resolve))
    assert shipped.sla.reminders == (0.5, 0.8)


@pytest.mark.parametrize(
    "text, expected",
    [("90s", timedelta(seconds=90)), ("15m", timedelta(minutes=15)), ("4h", timedelta(hours=4)),
     ("2d", timedelta(days=2)), ("1w", timedelta(weeks=1)), ("1h30m", timedelta(minutes=90))],
    ids=["seconds", "minutes", "hours", "days", "weeks", "combined"],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["15", "15x", "m15", "", "1.5h"], ids=["no-unit", "bad-unit", "unit-first", "empty", "fraction"])
def test_bad_durations_say_how_to_write_one(text):
    with pytest.raises(ValueError, match=f"bad duration '{text}'"):
        parse_duration(text)


def test_channel_names_follow_the_template_and_slack_rules(shipped):
    name = shipped.channel.name_for(number=42, slug="Refund FAILED: ACME", category="billing", severity=Severity.SEV1)
    assert name == "case-42-refund-failed-acme"
    assert shipped.channel.private is False and shipped.channel.archive_after == timedelta(hours=24)


def test_ticketing_and_crm_mappings(shipped):
    jira = shipped.ticketing.jira
    assert (jira.project_for("billing").project, jira.project_for("billing").issue_type) == ("SUP", "Task")
    assert jira.project_for("legal").project == "SUP"  # unknown category → default project
    assert [jira.priority_for(s) for s in Severity] == ["Highest", "High", "Medium", "Low"]
    assert (jira.done_status, jira.reopen_status) == ("Done", "To Do")
    salesforce = shipped.crm.salesforce
    assert salesforce.status.for_case(CaseStatus.OPEN) == "Working"
    assert salesforce.status.for_case(CaseStatus.RESOLVED) == "Closed"
    assert salesforce.note_kind == "comment"


@pytest.mark.parametrize(
    "moment, is_open",
    [(datetime(2025, 3, 5, 12, tzinfo=timezone.utc), True), (datetime(2025, 3, 5, 18, tzinfo=timezone.utc), False),
     (datetime(2025, 3, 8, 12, tzinfo=timezone.utc), False)],
    ids=["wednesday-noon", "wednesday-evening", "saturday"],
)
def test_business_hours(shipped, moment, is_open):
    assert shipped.department("billing").business_hours.is_open(moment) is is_open


def test_routing_table_has_one_line_per_rule_and_the_default(shipped):
    lines = render_routing_table(shipped).splitlines()
    assert len(lines) == len(shipped.rules) + 1
    assert lines[0].split() == ["billing-category", "category:", "billing", "→", "departments:", "billing"]
    assert "keywords: sso, single sign-on, login, log in, password" in lines[5] and "→ skills: sso" in lines[5]
    assert lines[-1].startswith("(default)") and lines[-1].endswith("→ departments: operations")


def test_times_like_17_00_are_read_as_times_not_base_60_numbers(config_dir):
    edit(config_dir, "departments.yml", 'end: "17:00"', "end: 17:00")
    assert load_config(config_dir).department("it").business_hours.end.hour == 17


# --- bad files: the exact message a user sees --------------------------------------------------------------------

BAD_FILES = [
    pytest.param(
        "routing.yml", "departments: [billing]", "departments: [biling]", "[biling]",
        f"rule 'billing-category' names unknown department 'biling' {KNOWN_DEPARTMENTS}",
        id="rule-unknown-department",
    ),
    pytest.param(
        "routing.yml", "skills: [refunds]", "skills: [refundz]", "[refundz]",
        f"rule 'refunds' asks for unknown skill 'refundz' {KNOWN_SKILLS}",
        id="rule-unknown-skill",
    ),
    pytest.param(
        "routing.yml", "when: {category: it}", "when: {category: itt}", "itt",
        "rule 'it-category' matches unknown category 'itt' (known: billing, it, operations)",
        id="rule-unknown-category",
    ),
    pytest.param(
        "routing.yml", "customer_tier: platinum", "customer_tier: diamond", "diamond",
        "rule 'platinum-urgent' matches unknown customer tier 'diamond' (known: gold, platinum, standard)",
        id="rule-unknown-tier",
    ),
    pytest.param(
        "routing.yml", "- name: sev1-operations\n    when: {severity: sev1}", "- name: sev1-operations\n    when: {severity: sev5}",
        "sev5", "rules[9].when.severity[0]: unknown severity 'sev5' (known: sev1, sev2, sev3, sev4)",
        id="rule-bad-severity",
    ),
    pytest.param(
        "routing.yml", "when: {category: billing}", "whne: {category: billing}", "whne",
        "rules[0]: unknown key 'whne' (expected one of: name, when, departments, skills, people_per_department, "
        "add_lead, add_manager)",
        id="rule-unknown-key",
    ),
    pytest.param(
        "routing.yml", "people_per_department: 2", "people_per_department: two", "people_per_department: two",
        "rules[11].people_per_department: Input should be a valid integer, unable to parse string as an integer, "
        "got 'two'",
        id="rule-count-not-a-number",
    ),
    pytest.param(
        "routing.yml", "    add_lead: true\n    add_manager: true\n", "", "name: sev1-all-hands",
        "rule 'sev1-all-hands' does nothing (give departments, skills, people_per_department, add_lead or add_manager)",
        id="rule-does-nothing",
    ),
    pytest.param(
        "routing.yml", "default:\n  departments: [operations]", "default:\n  departments: [ops]", "[ops]",
        f"default route names unknown department 'ops' {KNOWN_DEPARTMENTS}",
        id="default-unknown-department",
    ),
    pytest.param(
        "routing.yml", "default:\n  departments: [operations]\n", "", "rules:",
        "missing required key 'default'",
        id="default-missing",
    ),
    pytest.param(
        "departments.yml", "lead: chloe", "lead: carla", "lead: carla",
        "department 'billing': lead 'carla' is not one of the members (known: ana, ben, chloe)",
        id="lead-not-a-member",
    ),
    pytest.param(
        "departments.yml", "order: [ana, ben]", "order: [ana, bob]", "[ana, bob]",
        "department 'billing': on-call order names unknown member 'bob' (known: ana, ben, chloe)",
        id="rotation-unknown-member",
    ),
    pytest.param(
        "departments.yml", "slack_user_id: UIT00002", "slack_user_id: UBILL0001", ("slack_user_id: UBILL0001", 2),
        "Slack user 'UBILL0001' is already member 'ana'",
        id="duplicate-slack-user",
    ),
    pytest.param(
        "departments.yml", "timezone: Europe/Lisbon\n      handoff", "timezone: Europe/Lisboa\n      handoff",
        "Europe/Lisboa",
        "departments.billing.oncall.timezone: unknown time zone 'Europe/Lisboa' (use an IANA name like 'Europe/Lisbon')",
        id="bad-time-zone",
    ),
    pytest.param(
        "departments.yml", "handoff: monday 08:00", "handoff: 08:00", "handoff: 08:00",
        "departments.it.oncall.handoff: a weekly handoff needs a weekday, like 'monday 08:00'",
        id="weekly-handoff-without-day",
    ),
    pytest.param(
        "departments.yml", "overrides: []", 'overrides: [{from: "2025-08-18 09:00", to: "2025-08-04 09:00", member: ben}]',
        "overrides:",
        "departments.billing.oncall.overrides[0]: override ends (2025-08-04 09:00:00) before it starts "
        "(2025-08-18 09:00:00)",
        id="override-ends-before-start",
    ),
    pytest.param(
        "departments.yml", "slack_user_id: UIT00001", "slack_user_id: dev", "slack_user_id: dev",
        "departments.it.members[0].slack_user_id: 'dev' is not a Slack user id (like U024BE7LH)",
        id="bad-slack-id",
    ),
    pytest.param(
        "departments.yml", "email: eva.novak@example.com", "email: Dev.Patel@example.com", "email: Dev.Patel",
        "email 'Dev.Patel@example.com' is already member 'dev'",
        id="duplicate-email",
    ),
    pytest.param(
        "departments.yml", "    name: IT\n", "    name: IT\n    entra_group: it-experts\n", "entra_group",
        "departments.it.entra_group: 'it-experts' is not a Microsoft Entra group object id "
        "(like 4f8c1a52-93b7-4c1e-8d2a-6b0e5f3c9a71)",
        id="bad-entra-group",
    ),
    pytest.param(
        "sla.yml", "sev2: {engage: 30m", "sev2: {engage: 30x", "30x",
        "severities.sev2.engage: bad duration '30x' (write a number and a unit: '90s', '15m', '4h', '2d')",
        id="bad-duration",
    ),
    pytest.param(
        "sla.yml", "  sev4: {engage: 8h, resolve: 5d}\n", "", "severities:",
        "severities: missing required key 'sev4'",
        id="severity-missing",
    ),
    pytest.param(
        "sla.yml", "  sev3: {engage: 2h, resolve: 2d}", "  sev3: {engage: 2d, resolve: 2h}", "engage: 2d",
        "severities.sev3: resolve must not be shorter than engage",
        id="resolve-before-engage",
    ),
    pytest.param(
        "sla.yml", "  gold:", "  golden:", "golden:",
        "unknown customer tier 'golden' (known: gold, platinum, standard)",
        id="sla-unknown-tier",
    ),
    pytest.param(
        "sla.yml", "reminders: [0.5, 0.8]", "reminders: [0.8, 0.5]", "reminders:",
        "reminders: reminders must be rising fractions between 0 and 1, like [0.5, 0.8], not [0.8, 0.5]",
        id="reminders-out-of-order",
    ),
    pytest.param(
        "swarm.yml", '"case-{number}-{slug}"', '"case-{number}-{title}"', "name_template",
        "channel.name_template: unknown placeholder '{title}' in channel name template "
        "(known: category, number, severity, slug)",
        id="channel-unknown-placeholder",
    ),
    pytest.param(
        "swarm.yml", '"case-{number}-{slug}"', '"case-{slug}"', "name_template",
        "channel.name_template: channel name template needs {number}, so every case gets its own channel",
        id="channel-template-without-number",
    ),
    pytest.param(
        "swarm.yml", "      it: {project: SUP", "      itx: {project: SUP", "itx:",
        "Jira project for unknown category 'itx' (known: billing, it, operations)",
        id="jira-unknown-category",
    ),
    pytest.param(
        "swarm.yml", "note_kind: comment", "note_kind: email", "note_kind",
        "crm.salesforce.note_kind: Input should be 'comment' or 'feed_item', got 'email'",
        id="crm-bad-note-kind",
    ),
    pytest.param(
        "swarm.yml", "  it: IT\n", "  billing: IT\n", "billing: IT",
        "duplicate key 'billing' (first at line 3)",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "swarm.yml", "priority: {sev1: Highest, sev2: High, sev3: Medium, sev4: Low}", "priority: [Highest, High]",
        "priority:", "ticketing.jira.priority: expected a mapping (key: value), got a list",
        id="list-instead-of-mapping",
    ),
    pytest.param(
        "routing.yml", "  - name: refunds\n", "  - name: refunds: x\n", "refunds: x",
        "mapping values are not allowed here",
        id="yaml-syntax-error",
    ),
]


@pytest.mark.parametrize("file, old, new, marker, reason", BAD_FILES)
def test_bad_config_names_file_line_and_reason(config_dir, file, old, new, marker, reason):
    edit(config_dir, file, old, new)
    with pytest.raises(ConfigError) as raised:
        load_config(config_dir)
    marker, occurrence = marker if isinstance(marker, tuple) else (marker, 1)
    assert str(raised.value) == f"{file}:{line_of(config_dir, file, marker, occurrence)}: {reason}"


def test_a_person_without_a_slack_id_is_a_teams_only_member(config_dir):
    edit(config_dir, "departments.yml", "        slack_user_id: UBILL0002\n", "")
    edit(config_dir, "departments.yml", "    name: Billing\n",
         "    name: Billing\n    entra_group: 4F8C1A52-93B7-4C1E-8D2A-6B0E5F3C9A71\n")
    config = load_config(config_dir)
    billing = config.department("billing")
    assert billing.member("ben").slack_user_id is None and billing.member("ben").email == "ben.okafor@example.com"
    assert billing.entra_group == "4f8c1a52-93b7-4c1e-8d2a-6b0e5f3c9a71"  # Graph compares object ids in lower case
    assert config.department_of("UBILL0001") == "billing" and config.person_by_slack_id("UBILL0002") is None


def test_a_manager_written_out_again_may_change_the_case_of_the_email_but_not_the_slack_id(config_dir):
    jonas = "    manager: {{id: jonas, name: Jonas Berg, email: Jonas.Berg@example.com, slack_user_id: {}}}"
    edit(config_dir, "departments.yml", "    lead: farid\n    manager: *jonas", "    lead: farid\n" + jonas.format("UMGR0001"))
    assert load_config(config_dir).department("it").manager.email == "Jonas.Berg@example.com"

    edit(config_dir, "departments.yml", jonas.format("UMGR0001"), jonas.format("UMGR0009"))
    with pytest.raises(ConfigError) as raised:
        load_config(config_dir)
    assert str(raised.value) == (f"departments.yml:{line_of(config_dir, 'departments.yml', 'UMGR0009')}: department 'it': "
                                 "manager 'jonas' has a different name, email or Slack id than elsewhere in this file")


def test_duplicate_rule_name_points_at_the_second_one(config_dir):
    edit(config_dir, "routing.yml", "- name: it-category", "- name: billing-category")
    with pytest.raises(ConfigError) as raised:
        load_config(config_dir)
    line = line_of(config_dir, "routing.yml", "name: billing-category", occurrence=2)
    assert str(raised.value) == f"routing.yml:{line}: rule name 'billing-category' is used twice"


def test_a_member_belongs_to_one_department(config_dir):
    edit(config_dir, "departments.yml", "      - id: grace\n", "      - id: dev\n")
    edit(config_dir, "departments.yml", "order: [grace, hugo]", "order: [dev, hugo]")
    with pytest.raises(ConfigError) as raised:
        load_config(config_dir)
    line = line_of(config_dir, "departments.yml", "id: dev", occurrence=2)
    assert str(raised.value) == f"departments.yml:{line}: member 'dev' is already in department 'it'"


def test_a_member_listed_twice_is_reported_with_what_it_breaks(config_dir):
    edit(config_dir, "departments.yml", "      - id: ben\n", "      - id: ana\n")
    with pytest.raises(ConfigError) as raised:
        load_config(config_dir)
    assert str(raised.value).splitlines() == [
        f"departments.yml:{line_of(config_dir, 'departments.yml', 'id: ana', 2)}: "
        "department 'billing': member 'ana' is listed twice",
        f"departments.yml:{line_of(config_dir, 'departments.yml', 'order: [ana, ben]')}: "
        "department 'billing': on-call order names unknown member 'ben' (known: ana, chloe)",
    ]


def test_missing_file_names_the_folder(config_dir):
    (config_dir / "sla.yml").unlink()
    with pytest.raises(ConfigError) as raised:
        load_config(config_dir)
    assert str(raised.value) == f"sla.yml: file not found in {config_dir}"


def test_every_problem_is_reported_one_per_line(config_dir):
    edit(config_dir, "routing.yml", "departments: [billing]", "departments: [biling]")
    edit(config_dir, "routing.yml", "skills: [refunds]", "skills: [refundz]")
    with pytest.raises(ConfigError) as raised:
        load_config(config_dir)
    assert str(raised.value).splitlines() == [
        f"routing.yml:{line_of(config_dir, 'routing.yml', 'biling')}: "
        f"rule 'billing-category' names unknown department 'biling' {KNOWN_DEPARTMENTS}",
        f"routing.yml:{line_of(config_dir, 'routing.yml', 'refundz')}: "
        f"rule 'refunds' asks for unknown skill 'refundz' {KNOWN_SKILLS}",
    ]
    assert [p.file for p in raised.value.problems] == ["routing.yml", "routing.yml"]


def test_problems_in_several_files_are_all_reported(config_dir):
    edit(config_dir, "sla.yml", "sev2: {engage: 30m", "sev2: {engage: 30x")
    edit(config_dir, "swarm.yml", "note_kind: comment", "note_kind: email")
    with pytest.raises(ConfigError) as raised:
        load_config(config_dir)
    assert [p.file for p in raised.value.problems] == ["sla.yml", "swarm.yml"]


def test_an_empty_file_asks_for_its_keys(config_dir):
    (config_dir / "routing.yml").write_text("# nothing yet\n")
    with pytest.raises(ConfigError) as raised:
        load_config(config_dir)
    assert str(raised.value) == "routing.yml:1: missing required key 'default'"
