"""Right owners, on the clock, on Teams: members from a Microsoft Entra group, people configured for Teams only (and
what a Slack case does with them), and the SLA state on the Teams summary card. The real app, the real msgraph-sdk
and Teams SDK clients against the Teams sandbox (and the Slack sandbox for the Slack case)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import timedelta

import pytest

from config import default_config_dir, load_config
from config.departments import Department
from integrations.teams import cards
from tests.e2e.test_decline import click as slack_click, decline as slack_decline
from tests.support.teams_harness import start_teams_harness, teams_sandbox  # noqa: F401 (fixture)
from workflows.sla_clock import sla_sweep

INVOICE_MESSAGE = "Acme Corp's May invoice shows the wrong VAT rate\nThe customer needs a corrected invoice this week."


def config_dir_with(directory, old: str, new: str):
    """A copy of the shipped YAML with one edit to departments.yml, as an admin would write it."""
    directory.mkdir()
    for source in default_config_dir().glob("*.yml"):
        shutil.copy(source, directory)
    text = (directory / "departments.yml").read_text()
    assert text.count(old) == 1
    (directory / "departments.yml").write_text(text.replace(old, new))
    return directory


def replace_department(config, department_id: str, **changes):
    department = Department.model_validate({**config.departments[department_id].model_dump(), **changes})
    return dataclasses.replace(config, departments={**config.departments, department_id: department})


@pytest.fixture
def harness_with(database_url, teams_sandbox, tmp_path):
    started = []

    def start(config):
        harness = start_teams_harness(database_url, teams_sandbox, config=config,
                                      queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
        started.append(harness)
        return harness

    yield start
    for harness in started:
        harness.close()


# -- members from an Entra group ----------------------------------------------------------------------------------

def test_a_teams_case_brings_in_a_member_of_the_departments_entra_group(teams_sandbox, harness_with):
    group = teams_sandbox.add_group("Billing experts", ["ana.souza@example.com", "ben.okafor@example.com"])
    shipped = load_config()
    chloe = shipped.departments["billing"].member("chloe").model_dump()
    # Billing's file lists only its lead; the experts come from Entra ID.
    config = replace_department(shipped, "billing", members=[chloe], oncall=None, entra_group=group)
    swarm = harness_with(config)
    swarm.run_periodic("refresh_department_members")  # what the huey consumer runs every minute

    swarm.escalate(INVOICE_MESSAGE, severity="sev2")
    swarm.drain()

    ana = teams_sandbox.user_id("ana.souza@example.com")
    [expert] = [p for p in swarm.case().participants if p.role == "expert"]
    assert (expert.user_id, expert.department) == (ana, "billing")
    assert expert.reason == "billing: Ana Souza, least busy with 0 open swarms (rule 'billing-category')"
    assert ana in teams_sandbox.members(swarm.case().channel_id)
    assert expert.reason in json.dumps(swarm.summary_card())
    assert swarm.asks(ana)
    # The group listing gave Ana's AAD id: nobody looked her up by email.
    assert not [c for c in teams_sandbox.graph.calls("GET /users/{user}") if "ana.souza" in c.path]


# -- people configured for Teams only ----------------------------------------------------------------------------

@pytest.fixture
def ben_on_teams_only(tmp_path):
    """departments.yml where Ben Okafor has no slack_user_id: Slack cannot bring him in, Teams finds him by email."""
    directory = config_dir_with(tmp_path / "config", "        slack_user_id: UBILL0002\n", "")
    return load_config(directory)


def test_a_teams_only_person_is_brought_in_on_teams(ben_on_teams_only, harness_with, teams_sandbox):
    assert ben_on_teams_only.departments["billing"].member("ben").slack_user_id is None
    swarm = harness_with(ben_on_teams_only)
    swarm.escalate(INVOICE_MESSAGE, severity="sev2")
    swarm.drain()
    ana, ben = (teams_sandbox.user_id(f"{name}@example.com") for name in ("ana.souza", "ben.okafor"))
    [ask] = swarm.asks(ana)

    swarm.answer(cards.DECLINE, ask["id"], user=ana, reason="On leave")
    swarm.drain()

    assert ben in teams_sandbox.members(swarm.case().channel_id)
    assert swarm.asks(ben)
    assert not [line for line in swarm.timeline() if line.startswith("not_reachable:")]


def test_a_slack_case_skips_a_teams_only_person_and_says_why(ben_on_teams_only, database_url, slack_sandbox, tmp_path):
    from tests.support.harness import start_harness

    swarm = start_harness(database_url, slack_sandbox, config=ben_on_teams_only,
                          queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
    try:
        swarm.escalate(INVOICE_MESSAGE, severity="sev2")
        swarm.drain()
        channel = swarm.case().channel_id
        slack_decline(swarm, channel, "UBILL0001", "On leave")  # Ana declines; next in line is Ben, not on Slack

        experts = [p for p in swarm.case().participants if p.role == "expert"]
        assert [p.user_id for p in experts] == ["UBILL0001", "UBILL0003"]  # Chloe, the lead, instead
        [notice] = [m["text"] for m in swarm.sandbox.messages(channel) if "can't take CS-1" in m.get("text", "")]
        assert "Bringing in <@UBILL0003> from Billing" in notice
        assert "Ben Okafor has no Slack account (no slack_user_id in departments.yml)" in notice
        assert ("not_reachable: Not brought in: Ben Okafor has no Slack account (no slack_user_id in departments.yml)"
                in swarm.timeline())
        slack_click(swarm, channel, "UBILL0003", "expert_accept")  # Chloe was asked and can answer
    finally:
        swarm.close()


def test_a_slack_case_opens_with_the_next_reachable_person_and_says_why(database_url, slack_sandbox, tmp_path):
    from tests.support.harness import start_harness

    config = load_config(config_dir_with(tmp_path / "config", "        slack_user_id: UBILL0001\n", ""))  # Ana: Teams only
    swarm = start_harness(database_url, slack_sandbox, config=config, queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
    try:
        swarm.escalate(INVOICE_MESSAGE, severity="sev2")  # Ana is on call
        swarm.drain()
        assert [p.user_id for p in swarm.case().participants if p.role == "expert"] == ["UBILL0002"]
        assert ("not_reachable: Not brought in: Ana Souza has no Slack account (no slack_user_id in departments.yml)"
                in swarm.timeline())
    finally:
        swarm.close()


def test_a_configured_person_teams_cannot_find_is_skipped_with_the_reason(tmp_path, harness_with):
    config = load_config(config_dir_with(tmp_path / "config", "email: ben.okafor@example.com", "email: ben.o@example.com"))
    swarm = harness_with(config)
    swarm.escalate(INVOICE_MESSAGE, severity="sev2")
    swarm.drain()
    ana = swarm.sandbox.user_id("ana.souza@example.com")
    swarm.answer(cards.DECLINE, swarm.asks(ana)[0]["id"], user=ana)
    swarm.drain()

    experts = [p.name for p in swarm.case().participants if p.role == "expert"]
    assert experts == ["Ana Souza", "Chloe Dubois"]
    assert "Ben Okafor was not found in Microsoft Entra ID by email" in " ".join(swarm.channel_texts())


# -- the SLA clock on the Teams summary card ---------------------------------------------------------------------

def test_the_summary_card_turns_at_risk_then_breached_in_place(harness_with):
    shipped = load_config()
    swarm = harness_with(replace_department(shipped, "billing", business_hours=None))  # minutes are plain minutes
    swarm.escalate(INVOICE_MESSAGE, severity="sev2")  # sev2: 30 minutes to engage, 8 hours to resolve
    swarm.drain()
    summary_id, created = swarm.summary_id(), swarm.case().created_at
    assert "🟢 on track: engage by" in json.dumps(swarm.summary_card(), ensure_ascii=False)

    def sla_fact(minutes: float) -> str:
        sla_sweep(swarm.container.store, swarm.container.config, created + timedelta(minutes=minutes))
        swarm.drain()
        facts = {f["title"]: f["value"] for f in swarm.summary_card()["body"][1]["facts"]}
        return facts["SLA"]

    at_risk = sla_fact(25)  # past 80% of the time to engage
    assert at_risk.startswith("🟡 at risk: engage by") and "🟢 on track: resolve by" in at_risk
    breached = sla_fact(31)
    assert breached.startswith("🔴 breached: engage by") and "🟢 on track: resolve by" in breached
    assert swarm.summary_id() == summary_id  # the same post, updated in place
    assert len(swarm.sandbox.message(swarm.case().channel_id, summary_id)["history"]) >= 2
    assert any("missed its time-to-engage target" in t for t in swarm.channel_texts())
