"""Department members from Microsoft Entra groups, with the real msgraph-sdk client against the Graph sandbox and a
controlled clock: the wire contract of GET /groups/{id}/members, who routing can pick, paging, the cache, a refresh,
Graph failing, and a Slack user group and an Entra group on the same configuration."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from config import load_config
from integrations.members import keep_department_members_fresh, member_sources
from integrations.slack.chat import SlackChat, make_web_client
from integrations.teams.chat import TeamsChat
from integrations.teams.groups import EntraGroups
from integrations.teams.sandbox import TeamsSandbox
from tests.support.fakes import RecordingHuey, SettableClock
from workflows.routing import pick_for_department
from workflows.steps import WorkflowServices

NOW = datetime(2025, 6, 4, 10, 0, tzinfo=timezone.utc)
NORA = ("Nora Field", "nora.field@example.com")  # in the Entra group, not in departments.yml
BILLING_PEOPLE = ["ana.souza@example.com", "ben.okafor@example.com", "chloe.dubois@example.com"]


@pytest.fixture
def sandbox():
    with TeamsSandbox() as started:
        started.seed_demo_tenant()
        started.add_user(*NORA, user_id=TeamsSandbox.user_id(NORA[1]))
        yield started


@pytest.fixture
def group(sandbox):
    return sandbox.add_group("Billing experts", [*BILLING_PEOPLE, NORA[1]])


@pytest.fixture
def chat(sandbox):
    teams = TeamsChat(sandbox.teams_settings())
    yield teams
    teams.bridge.close()


@pytest.fixture
def clock():
    return SettableClock(NOW)


@pytest.fixture
def groups(chat, clock):
    return EntraGroups(chat.graph, directory=chat.directory, refresh_every=timedelta(minutes=15), clock=clock)


@pytest.fixture
def config(group):
    """The shipped config with Billing's members also taken from its Entra group."""
    shipped = load_config()
    billing = shipped.departments["billing"].model_copy(update={"entra_group": group})
    return dataclasses.replace(shipped, departments={**shipped.departments, "billing": billing})


def emails(config, department: str = "billing") -> list[str]:
    return [m.email for m in config.departments[department].members]


def member_calls(sandbox) -> list:
    return sandbox.graph.calls("GET /groups/{group-id}/members")


# -- the sandbox keeps Graph's contract -----------------------------------------------------------------------------

def _graph(sandbox, path: str, **params) -> httpx.Response:
    token = httpx.post(f"{sandbox.identity.base_url}/{sandbox.tenant_id}/oauth2/v2.0/token",
                       data={"grant_type": "client_credentials", "client_id": sandbox.app_id,
                             "client_secret": sandbox.app_password, "scope": "https://graph.microsoft.com/.default"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    url = path if path.startswith("http") else sandbox.graph.api_url + path
    return httpx.get(url, headers=headers, params=params or None)


def test_group_members_are_directory_objects_paged_with_next_links(sandbox, group):
    nested = sandbox.add_group("Billing leads", [group])
    sandbox.set_group_members(nested, [group, "jonas.berg@example.com"])

    first = _graph(sandbox, f"/groups/{nested}/members").json()
    assert first["@odata.context"] == f"{sandbox.graph.api_url}/$metadata#directoryObjects"
    group_member, jonas = first["value"]
    assert group_member == {"@odata.type": "#microsoft.graph.group", "id": group, "displayName": "Billing experts",
                            "mail": None, "mailEnabled": False, "securityEnabled": True}  # not expanded
    assert jonas["@odata.type"] == "#microsoft.graph.user" and jonas["userPrincipalName"] == "jonas.berg@example.com"
    assert {"id", "displayName", "mail", "givenName", "surname", "businessPhones"} <= set(jonas)
    assert "accountEnabled" not in jonas and "@odata.nextLink" not in first  # not in Graph's default set

    page = _graph(sandbox, f"/groups/{group}/members", **{"$top": "3", "$select": "id,mail,accountEnabled"}).json()
    assert [sorted(m) for m in page["value"]] == [["@odata.type", "accountEnabled", "id", "mail"]] * 3
    rest = _graph(sandbox, page["@odata.nextLink"]).json()
    assert "$select=id,mail,accountEnabled" in page["@odata.nextLink"]
    assert [m["mail"] for m in page["value"] + rest["value"]] == [*BILLING_PEOPLE, NORA[1]]
    assert "@odata.nextLink" not in rest


def test_an_unknown_group_or_a_bad_page_size_is_graphs_error(sandbox):
    missing = _graph(sandbox, "/groups/6f1d3c2b-0000-4000-8000-000000000404/members")
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert error["code"] == "Request_ResourceNotFound"
    assert error["message"] == ("Resource '6f1d3c2b-0000-4000-8000-000000000404' does not exist or one of its queried "
                                "reference-property objects are not present.")
    assert set(error["innerError"]) == {"request-id", "date"}
    too_many = _graph(sandbox, f"/groups/{sandbox.add_group('g')}/members", **{"$top": "1000"})
    assert too_many.status_code == 400 and "between 1 and 999" in too_many.json()["error"]["message"]
    assert httpx.get(sandbox.graph.api_url + "/groups/x/members").status_code == 401


# -- members routing can pick -----------------------------------------------------------------------------------

def test_group_members_join_the_department_and_routing_can_pick_them(groups, config, chat, sandbox):
    updated = groups.config_with_groups(config)

    assert emails(updated) == [*BILLING_PEOPLE, NORA[1]]  # the file's people once, then Nora
    nora = updated.departments["billing"].members[-1]
    assert (nora.name, nora.slack_user_id, nora.id) == ("Nora Field", None, f"entra-{sandbox.user_id(NORA[1])}")
    assert updated.departments["billing"].member("ana").skills == ("refunds", "invoices")  # the file's people stay
    assert emails(config) == BILLING_PEOPLE  # the configured config is left alone

    pick = pick_for_department("billing", updated, now=NOW, exclude=["ana", "ben"])
    assert pick.reason == "billing: Nora Field, least busy with 0 open swarms"  # before the lead
    users_asked = len(sandbox.graph.calls("GET /users/{user}"))
    assert chat.address(pick.person) == sandbox.user_id(NORA[1])
    assert len(sandbox.graph.calls("GET /users/{user}")) == users_asked  # the group listing gave her AAD id


def test_every_page_is_read(chat, clock, config, sandbox):
    groups = EntraGroups(chat.graph, clock=clock, page_size=2)
    assert emails(groups.config_with_groups(config))[-1] == NORA[1]
    pages = member_calls(sandbox)
    assert [c.args.get("$top") for c in pages] == ["2", "2"]  # 4 members: two pages
    assert "$skiptoken" not in pages[0].args and "$skiptoken" in pages[1].args


def test_graph_is_asked_once_per_refresh_period(groups, config, sandbox, clock, group):
    groups.config_with_groups(config)
    groups.config_with_groups(config)
    assert len(member_calls(sandbox)) == 1

    sandbox.set_group_members(group, BILLING_PEOPLE)  # Nora leaves the group
    clock.now += timedelta(minutes=14)
    assert NORA[1] in emails(groups.config_with_groups(config))  # cached until the period is over
    clock.now += timedelta(minutes=2)
    assert emails(groups.config_with_groups(config)) == BILLING_PEOPLE
    assert len(member_calls(sandbox)) == 2


@pytest.mark.parametrize("status", [429, 503, 403], ids=["throttled", "unavailable", "permission-missing"])
def test_when_graph_fails_the_last_members_seen_are_kept(groups, config, sandbox, clock, status, caplog):
    assert NORA[1] in emails(groups.config_with_groups(config))
    clock.now += timedelta(minutes=16)
    sandbox.graph.fail_next("GET /groups/{group-id}/members", status, retry_after=3 if status == 429 else None)
    assert NORA[1] in emails(groups.config_with_groups(config))
    assert NORA[1] in emails(groups.config_with_groups(config))  # the next call asks Graph again, and works
    assert len(member_calls(sandbox)) == 3
    [warning] = [r.getMessage() for r in caplog.records if r.name == "caseswarm.teams.groups"]
    assert f"HTTP {status}" in warning and "keeping=4" in warning and sandbox.app_password not in warning


def test_a_failure_on_a_later_page_keeps_the_last_complete_list(chat, clock, config, sandbox, group):
    groups = EntraGroups(chat.graph, clock=clock, page_size=2)
    assert len(groups.config_with_groups(config).departments["billing"].members) == 4
    clock.now += timedelta(minutes=16)
    sandbox.set_group_members(group, BILLING_PEOPLE)  # Nora leaves; the first page comes back, the second fails
    sandbox.graph.delay_next("GET /groups/{group-id}/members", 0)
    sandbox.graph.fail_next("GET /groups/{group-id}/members", 500)
    assert len(groups.config_with_groups(config).departments["billing"].members) == 4
    assert [c.fault for c in member_calls(sandbox)][-2:] == ["delay=0 apply=True", "status=500"]


def test_an_unknown_group_adds_nobody(groups, config):
    unknown = config.departments["billing"].model_copy(update={"entra_group": "6f1d3c2b-0000-4000-8000-000000000404"})
    broken = dataclasses.replace(config, departments={**config.departments, "billing": unknown})
    assert emails(groups.config_with_groups(broken)) == BILLING_PEOPLE


def test_disabled_accounts_guests_without_mail_and_nested_groups_are_not_added(groups, config, sandbox, group):
    sandbox.add_user("Old Account", "old.account@example.com", user_id="0a0a0a0a-0000-4000-8000-0000000000d1", enabled=False)
    sandbox.add_user("Gus Guest", None, user_id="0a0a0a0a-0000-4000-8000-0000000000e1", user_type="Guest",
                     upn="gus_partner.com#EXT#@contoso.onmicrosoft.com")
    sandbox.add_user("Gia Guest", "gia@partner.com", user_id="0a0a0a0a-0000-4000-8000-0000000000e2", user_type="Guest",
                     upn="gia_partner.com#EXT#@contoso.onmicrosoft.com")
    other = sandbox.add_group("Other", ["dev.patel@example.com"])
    sandbox.set_group_members(group, ["old.account@example.com", "0a0a0a0a-0000-4000-8000-0000000000e1", other,
                                      "0a0a0a0a-0000-4000-8000-0000000000e2"])
    assert emails(groups.config_with_groups(config))[3:] == ["gia@partner.com"]


def test_someone_configured_elsewhere_stays_there_whatever_the_case_of_their_email(config, groups, sandbox, group):
    it = config.departments["it"]
    shouting = tuple(m.model_copy(update={"email": m.email.upper()}) if m.id == "dev" else m for m in it.members)
    config = dataclasses.replace(config, departments={**config.departments, "it": it.model_copy(update={"members": shouting})})
    sandbox.set_group_members(group, ["dev.patel@example.com", NORA[1]])  # Graph has dev.patel@example.com

    updated = groups.config_with_groups(config)
    assert emails(updated) == [*BILLING_PEOPLE, NORA[1]] and updated.department_of("UIT00001") == "it"


# -- wiring ------------------------------------------------------------------------------------------------------

def test_slack_user_groups_and_entra_groups_add_to_the_same_configuration(config, chat, clock, slack_sandbox):
    slack_sandbox.add_user("UBILL0009", "sam.ortiz", real_name="Sam Ortiz", email="sam.ortiz@example.com")
    slack_sandbox.add_usergroup("S0BILLING", "billing-experts", ("UBILL0001", "UBILL0009"))
    billing = config.departments["billing"].model_copy(update={"usergroup": "S0BILLING"})
    both = dataclasses.replace(config, departments={**config.departments, "billing": billing})
    slack = SlackChat(make_web_client(slack_sandbox.bot_token, base_url=slack_sandbox.base_url + "/api/", timeout=2))
    huey, services = RecordingHuey(), WorkflowServices(store=None, chats={}, config=both, clock=clock)

    sources = member_sources({"slack": slack, "teams": chat}, both, clock=clock)
    keep_department_members_fresh(huey, services, sources)
    assert services.config is both  # nothing is asked of Slack or Graph at wiring time

    huey.periodic["refresh_department_members"]()
    assert emails(services.config) == [*BILLING_PEOPLE, "sam.ortiz@example.com", NORA[1]]
    huey.periodic["refresh_department_members"]()  # built from the configured departments each time, never doubled
    assert emails(services.config) == [*BILLING_PEOPLE, "sam.ortiz@example.com", NORA[1]]


def test_no_source_is_wired_when_no_department_names_a_group(chat, clock):
    assert member_sources({"teams": chat}, load_config(), clock=clock) == []
