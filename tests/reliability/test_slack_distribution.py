"""One deployment, many Slack workspaces: the OAuth install flow against the Slack sandbox, tokens encrypted at rest
in our database, each workspace's requests served with its own token, OAuth states usable once."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
import requests
from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import Text, select, type_coerce
from werkzeug.serving import make_server

from config.settings import Settings, load_settings
from integrations.secrets_at_rest import Keyring, generate_key
from integrations.slack.app import SlackDeps
from integrations.slack.chat import SlackChat, make_web_client
from integrations.slack.distribution import DEFAULT_SCOPES, authorize_url, oauth_settings, register_install_routes
from integrations.slack.installations import (EncryptedInstallationStore, NotInstalled, OneTimeOAuthStateStore, WorkspaceClients,
                                              reencrypt_stored_secrets)
from integrations.slack.listeners import escalation
from integrations.slack.listeners.people import SlackPeople
from integrations.slack.sandbox import SlackDriver
from swarm.app.bootstrap import build
from swarm.errors import PermanentFailure
from swarm.store.tables import CaseRow
from tests.reliability.oauth_sandbox import OAuthSlackSandbox
from tests.support.slack_oauth import browser, install_workspace

CLIENT_ID, CLIENT_SECRET = "1234.5678", "sandbox-client-secret"
PUBLIC_URL = "https://caseswarm.example.com"
SIGNING_SECRET = "distribution-signing-secret"


@pytest.fixture
def sandbox():
    slack = OAuthSlackSandbox(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    slack.seed_demo_workspace()
    slack.start()
    yield slack
    slack.stop()


@pytest.fixture
def container(database_url, sandbox):
    return build(load_settings(database_url=database_url, slack_bot_token=sandbox.bot_token, slack_signing_secret=SIGNING_SECRET,
                               slack_api_url=sandbox.base_url + "/api/", queue_immediate=True))


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([generate_key()])


@pytest.fixture
def app_url(container, sandbox, keyring):
    """The Bolt app in distribution mode, mounted as integrations/web/app.py mounts it (see the settings diff)."""
    oauth = oauth_settings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, engine=container.store.engine, keyring=keyring,
                           api_url=sandbox.base_url + "/api/", public_url=PUBLIC_URL)
    bolt = App(signing_secret=SIGNING_SECRET, oauth_settings=oauth, process_before_response=True,
               client=make_web_client(None, base_url=sandbox.base_url + "/api/", timeout=5))
    escalation.register(bolt, _deps(container))
    flask = Flask("distribution-test")
    handler = SlackRequestHandler(bolt)
    flask.post("/slack/events")(lambda: handler.handle(request))
    register_install_routes(flask, handler)
    server = make_server("127.0.0.1", 0, flask, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _deps(container) -> SlackDeps:
    """The listeners' dependencies, as build_bolt_app assembles them (by field name: SlackDeps grows)."""
    chat = container.chats["slack"]
    available = {"store": container.store, "config": container.config, "chat": chat,
                 "people": SlackPeople(container.config, chat), "settings": container.settings}
    return SlackDeps(**{f.name: available[f.name] for f in dataclasses.fields(SlackDeps)})


def _stored_bot_tokens(container) -> list[str]:
    """What a database dump shows in slack_bots.bot_token."""
    store = EncryptedInstallationStore(client_id=CLIENT_ID, engine=container.store.engine, keyring=Keyring([generate_key()]))
    with container.store.engine.connect() as conn:
        return list(conn.scalars(select(type_coerce(store.bots.c.bot_token, Text))))


# -- the install flow -----------------------------------------------------------------------------------------------
def test_installing_into_two_workspaces_serves_each_with_its_own_token(app_url, sandbox, container, keyring):
    for team in ("T0SECOND", "T0THIRD"):
        _, _, finished = install_workspace(app_url, team, public_url=PUBLIC_URL)
        assert finished.status_code == 200, finished.text
    exchanges = sandbox.calls("oauth.v2.access")
    assert len(exchanges) == 2 and all(c.headers["Authorization"].startswith("Basic ") for c in exchanges)

    stored = _stored_bot_tokens(container)
    issued = set(sandbox.issued)
    assert len(stored) == 2 and all(s.startswith("gAAAA") and not any(t in s for t in issued) for s in stored)

    driver = SlackDriver(sandbox, app_url + "/slack/events", SIGNING_SECRET)
    for team in ("T0SECOND", "T0THIRD"):
        assert _shortcut_from(driver, sandbox, team).status_code == 200
        sandbox.view_opened_with(driver.last_payload["trigger_id"])  # the form opens just after the answer
        assert sandbox.tokens_used("views.open")[-1].startswith(f"xoxb-{team}-")


def test_a_workspace_that_never_installed_gets_nothing(app_url, sandbox):
    driver = SlackDriver(sandbox, app_url + "/slack/events", SIGNING_SECRET)
    answer = _shortcut_from(driver, sandbox, "T0NOPE")
    assert answer.status_code < 500
    assert sandbox.calls("views.open") == []


def test_a_redirect_replayed_or_without_the_browser_cookie_installs_nothing_more(app_url, sandbox, container):
    session, redirect, finished = install_workspace(app_url, "T0SECOND", public_url=PUBLIC_URL)
    assert finished.status_code == 200
    replayed = session.get(redirect, timeout=10)
    stranger = browser().get(redirect, timeout=10)  # a link someone else clicked: no state cookie
    assert replayed.status_code >= 400 and stranger.status_code >= 400
    assert len(sandbox.calls("oauth.v2.access")) == 1
    assert len(_stored_bot_tokens(container)) == 1


def _shortcut_from(driver: SlackDriver, sandbox, team: str) -> requests.Response:
    """The escalation shortcut as Slack sends it from workspace `team` (the sandbox hosts every workspace)."""
    ts = sandbox.post_as_user("CSUPPORT01", "UAGENT001", f"Customer problem in {team}")
    payload = {"type": "message_action", "callback_id": "escalate_to_swarm", "trigger_id": sandbox.issue_trigger_id("UAGENT001"),
               "team": {"id": team, "domain": team.lower()}, "user": {"id": "UAGENT001", "team_id": team},
               "channel": {"id": "CSUPPORT01", "name": "support"}, "message_ts": ts,
               "message": {"type": "message", "user": "UAGENT001", "ts": ts, "text": f"Customer problem in {team}"},
               "response_url": sandbox.issue_response_url(channel_id="CSUPPORT01", user_id="UAGENT001"),
               "is_enterprise_install": False, "enterprise": None, "token": "legacy", "action_ts": str(time.time())}
    return driver.send_interactive(payload)


# -- the stores ---------------------------------------------------------------------------------------------------------
def _installation(team: str, token: str, when: float) -> Installation:
    return Installation(app_id="A0CASESWARM", team_id=team, team_name=team, bot_token=token, bot_id="B1", bot_user_id="UBOT",
                        bot_scopes=",".join(DEFAULT_SCOPES), user_id="UAGENT001", installed_at=when,
                        incoming_webhook_url="https://hooks.slack.com/services/T/B/secret")


def test_tokens_are_found_decrypted_and_reencrypted_on_rotation(container):
    """`swarm rotate-keys` (reencrypt_stored_secrets): new key first, re-encrypt, then the old key can go."""
    old, new = generate_key(), generate_key()
    store = EncryptedInstallationStore(client_id=CLIENT_ID, engine=container.store.engine, keyring=Keyring([old]))
    store.save(_installation("T0SECOND", "xoxb-first", time.time() - 60))
    store.save(_installation("T0SECOND", "xoxb-reinstalled", time.time()))
    assert store.find_bot(enterprise_id=None, team_id="T0SECOND").bot_token == "xoxb-reinstalled"  # the latest install
    assert store.find_installation(enterprise_id=None, team_id="T0SECOND").incoming_webhook_url.endswith("/secret")
    before = _stored_bot_tokens(container)

    assert reencrypt_stored_secrets(container.store.engine, f"{new},{old}") == 2 * 2 + 2  # bot tokens in both tables + 2 webhook URLs
    after = _stored_bot_tokens(container)
    assert set(after).isdisjoint(before)
    only_new = EncryptedInstallationStore(client_id=CLIENT_ID, engine=container.store.engine, keyring=Keyring([new]))
    assert only_new.find_bot(enterprise_id=None, team_id="T0SECOND").bot_token == "xoxb-reinstalled"


def test_workspace_clients_use_the_installed_token_and_refuse_unknown_workspaces(container, sandbox):
    store = EncryptedInstallationStore(client_id=CLIENT_ID, engine=container.store.engine, keyring=Keyring([generate_key()]))
    store.save(_installation("T0SECOND", sandbox.bot_token, time.time()))
    clients = WorkspaceClients(store, base_url=sandbox.base_url + "/api/", timeout=5)
    assert clients.client_for("T0SECOND").auth_test()["ok"]
    with pytest.raises(NotInstalled, match="T0NOPE.*/slack/install"):
        clients.client_for("T0NOPE")

    chat = SlackChat(None, workspaces=clients)  # distribution without a home workspace: as a workflow sees it
    assert chat.for_workspace("T0SECOND").client.auth_test()["ok"]
    assert chat.for_workspace("T0SECOND") is chat.for_workspace("T0SECOND")  # one client per workspace
    for workspace in ("T0NOPE", None):  # not installed; a case that never had a workspace
        with pytest.raises(PermanentFailure, match="T0NOPE.*/slack/install" if workspace else "no SLACK_BOT_TOKEN"):
            chat.for_workspace(workspace)


def test_an_oauth_state_is_consumed_once_even_when_two_processes_race(container):
    states = OneTimeOAuthStateStore(engine=container.store.engine)
    state = states.issue()
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(states.consume(state))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    expired = OneTimeOAuthStateStore(engine=container.store.engine, expiration_seconds=-1)
    assert expired.consume(expired.issue()) is False


def test_the_default_scopes_are_the_manifests_bot_scopes():
    import yaml

    from tests.reliability.processes import REPO

    manifest = yaml.safe_load((REPO / "app_manifest.yml").read_text())
    assert sorted(DEFAULT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])


@pytest.mark.parametrize("api_url, expected", [
    ("https://slack.com/api/", "https://slack.com/oauth/v2/authorize"),
    ("http://127.0.0.1:9000/api", "http://127.0.0.1:9000/oauth/v2/authorize"),
])
def test_the_authorize_page_lives_beside_the_web_api(api_url, expected):
    assert authorize_url(api_url) == expected


@pytest.mark.skipif("slack_client_id" not in Settings.model_fields, reason="needs the settings diff (SLACK_CLIENT_ID, ...)")
def test_the_app_serves_the_install_routes_when_distribution_is_configured(database_url, sandbox):
    from tests.support.harness import start_harness

    harness = start_harness(database_url, sandbox, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET,
                            encryption_keys=generate_key(), public_url=PUBLIC_URL)
    try:
        _, _, finished = install_workspace(harness.url, "T0SECOND", public_url=PUBLIC_URL)
        assert finished.status_code == 200
        assert len(_stored_bot_tokens(harness.container)) == 1
    finally:
        harness.close()



def test_each_workspace_gets_its_swarm_opened_with_its_own_token(database_url, sandbox):
    """No SLACK_BOT_TOKEN at all: two workspaces install the app, each escalates, and every call of each swarm
    (channel, invites, summary, pin, the answer in the source thread) carries that workspace's token."""
    from tests.support.harness import start_harness

    harness = start_harness(database_url, sandbox, slack_bot_token=None, slack_client_id=CLIENT_ID,
                            slack_client_secret=CLIENT_SECRET, encryption_keys=generate_key(), public_url=PUBLIC_URL)
    try:
        teams = ("T0SECOND", "T0THIRD")
        for team in teams:
            assert install_workspace(harness.url, team, public_url=PUBLIC_URL)[2].status_code == 200
        token_of = {team: token for token, team in sandbox.issued.items()}
        for team in teams:
            driver = SlackDriver(sandbox, harness.url + "/slack/events", harness.driver.signing_secret, team_id=team)
            ts = sandbox.post_as_user("CSUPPORT01", "UAGENT001", f"Invoices doubled for the customer of {team}")
            assert driver.message_shortcut(user_id="UAGENT001", channel_id="CSUPPORT01", message_ts=ts).status_code == 200
            submitted = driver.submit_view(sandbox.view_opened_with(driver.last_payload["trigger_id"])["id"], user_id="UAGENT001",
                                           values={"customer": f"Customer of {team}", "category": "billing", "severity": "sev2"})
            assert submitted.status_code == 200 and "is opening" in submitted.text
        harness.drain()

        with harness.container.store.read() as session:
            cases = {c.workspace_id: c for c in session.scalars(select(CaseRow))}
        assert set(cases) == set(teams) and all(c.status == "open" for c in cases.values())
        for team, case in cases.items():
            calls = [c for c in sandbox.calls() if _concerns(c, case.channel_id, ts=case.source_message)]
            assert {c.method for c in calls} >= {"conversations.invite", "chat.postMessage", "pins.add"}
            assert {_token(c) for c in calls} == {token_of[team]}, team
        created = {c.params.get("name"): _token(c) for c in sandbox.calls("conversations.create")}
        assert sorted(created.values()) == sorted(token_of.values())
    finally:
        harness.close()


def _token(call) -> str:
    return call.headers.get("Authorization", "")[len("Bearer "):]


def _concerns(call, channel_id: str, *, ts: str) -> bool:
    """A call on the case's channel, or the answer in the thread of the message it was escalated from."""
    return call.params.get("channel") == channel_id or call.params.get("thread_ts") == ts
