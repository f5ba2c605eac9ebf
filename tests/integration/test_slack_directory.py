"""Department members from Slack user groups, with the real slack_sdk client against the Slack sandbox and a
controlled clock: who routing can pick, the cache, a refresh, and Slack failing."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from config import load_config
from integrations.slack.chat import make_web_client
from integrations.members import with_members
from integrations.slack.directory import SlackDirectory
from integrations.slack.sandbox.seed import DEMO_USERGROUPS
from tests.support.fakes import RecordingHuey, SettableClock
from workflows.routing import pick_for_department

NOW = datetime(2025, 6, 4, 10, 0, tzinfo=timezone.utc)
BILLING_GROUP = "S0BILLING"
DANA = "UBILL0004"


@pytest.fixture
def sandbox(slack_sandbox):
    """The demo workspace plus Dana, who is in the billing user group but not in departments.yml."""
    slack_sandbox.add_user(DANA, "dana.reyes", real_name="Dana Reyes", email="dana.reyes@example.com")
    billing = dict((group_id, users) for group_id, _, users in DEMO_USERGROUPS)[BILLING_GROUP]
    slack_sandbox.add_usergroup(BILLING_GROUP, "billing-experts", (*billing, DANA))
    return slack_sandbox


@pytest.fixture
def config():
    """The shipped config with Billing's members also taken from its Slack user group."""
    shipped = load_config()
    billing = shipped.departments["billing"].model_copy(update={"usergroup": BILLING_GROUP})
    return dataclasses.replace(shipped, departments={**shipped.departments, "billing": billing})


@pytest.fixture
def clock():
    return SettableClock(NOW)


@pytest.fixture
def directory(sandbox, clock):
    client = make_web_client(sandbox.bot_token, base_url=sandbox.base_url + "/api/", timeout=2)
    return SlackDirectory(client, refresh_every=timedelta(minutes=15), clock=clock)


def member_ids(config, department: str = "billing") -> list[str]:
    return [m.slack_user_id for m in config.departments[department].members]


def test_user_group_members_join_the_department_and_routing_can_pick_them(directory, config):
    updated = directory.config_with_usergroups(config)

    assert member_ids(updated) == ["UBILL0001", "UBILL0002", "UBILL0003", DANA]
    dana = updated.departments["billing"].members[-1]
    assert (dana.name, dana.email) == ("Dana Reyes", "dana.reyes@example.com")
    assert updated.department_of(DANA) == "billing"
    assert updated.departments["billing"].member("ana").skills == ("refunds", "invoices")  # the file's people stay as written
    assert member_ids(config) == ["UBILL0001", "UBILL0002", "UBILL0003"]  # the configured config is left alone

    pick = pick_for_department("billing", updated, now=NOW, exclude=["ana", "ben"])
    assert pick.person.slack_user_id == DANA  # before the lead, who is only picked when nobody else is free


def test_slack_is_asked_once_per_refresh_period(directory, config, sandbox, clock):
    directory.config_with_usergroups(config)
    directory.config_with_usergroups(config)
    assert len(sandbox.calls("usergroups.users.list")) == 1
    info_calls = len(sandbox.calls("users.info"))

    sandbox.add_usergroup(BILLING_GROUP, "billing-experts", ("UBILL0001",))  # Dana leaves the group
    clock.now += timedelta(minutes=16)
    assert member_ids(directory.config_with_usergroups(config)) == ["UBILL0001", "UBILL0002", "UBILL0003"]
    assert len(sandbox.calls("usergroups.users.list")) == 2
    assert len(sandbox.calls("users.info")) == info_calls  # people already looked up are not asked again


def test_when_slack_fails_the_last_members_seen_are_kept(directory, config, sandbox, clock):
    assert DANA in member_ids(directory.config_with_usergroups(config))
    clock.now += timedelta(minutes=16)
    sandbox.fail_next("usergroups.users.list", status=500)
    assert DANA in member_ids(directory.config_with_usergroups(config))
    assert DANA in member_ids(directory.config_with_usergroups(config))  # the next call asks Slack again, and works
    assert len(sandbox.calls("usergroups.users.list")) == 3


def test_an_unknown_group_adds_nobody(directory, config):
    broken = dataclasses.replace(config, departments={
        **config.departments, "billing": config.departments["billing"].model_copy(update={"usergroup": "S0MISSING"})})
    assert member_ids(directory.config_with_usergroups(broken)) == ["UBILL0001", "UBILL0002", "UBILL0003"]


def test_bots_and_people_without_email_are_not_added(directory, config, sandbox):
    sandbox.add_user("UNOMAIL01", "no.mail", real_name="No Mail")
    sandbox.add_usergroup(BILLING_GROUP, "billing-experts", ("UNOMAIL01", sandbox.bot_user_id, DANA))
    assert member_ids(directory.config_with_usergroups(config))[3:] == [DANA]


def test_someone_configured_in_another_department_stays_there(config, directory):
    dev = directory.person("UIT00001")  # Dev Patel, an IT member in departments.yml
    updated = with_members(config, {"billing": [dev]})
    assert "UIT00001" not in member_ids(updated) and updated.department_of("UIT00001") == "it"


def test_the_periodic_refresh_gives_the_workflows_a_config_with_the_group_members(directory, config):
    from integrations.members import keep_department_members_fresh
    from workflows.steps import WorkflowServices

    huey, services = RecordingHuey(), WorkflowServices(store=None, chats={}, config=config, clock=SettableClock(NOW))
    keep_department_members_fresh(huey, services, [directory.config_with_usergroups])
    assert services.config is config  # nothing is asked of Slack at wiring time

    huey.periodic["refresh_department_members"]()
    assert DANA in member_ids(services.config)
    huey.periodic["refresh_department_members"]()  # built from the configured departments each time, never doubled
    assert member_ids(services.config).count(DANA) == 1
