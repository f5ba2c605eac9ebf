"""The case channel link a Jira issue carries (`/cases/CS-1/channel?sig=…`): followed as a browser would, from the
issue's `caseswarm` property, into the running app. A redirect to the channel once it exists, a page that waits
until then; a wrong signature learns nothing, not even whether the case exists; nothing is written."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from config.settings import load_settings
from integrations.web.app import create_app
from swarm.case_links import SIGNATURE_CHARS, case_channel_link, signed
from swarm.store.tables import TimelineRow, WorkflowRow
from tests.support.harness import start_harness
from tests.support.teams_harness import teams_sandbox  # noqa: F401 (fixture)
from tests.support.teams_harness import start_teams_harness

MESSAGE = "Acme Corp was charged twice for invoice INV-2291\nThe card was billed $1,240 on the 3rd and the 4th."


@pytest.fixture
def waiting_swarm(database_url, slack_sandbox, jira_sandbox, tmp_path):
    """Slack and Jira, with workers that run only when the test says so (to look before the channel exists)."""
    swarm = start_harness(database_url, slack_sandbox, jira=jira_sandbox, queue_immediate=False,
                          queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    yield swarm
    swarm.close()


def follow(swarm, link: str, **params) -> requests.Response:
    """GET the link's path on the running app (the link names SWARM_PUBLIC_URL, the proxy in front of it)."""
    parts = urlsplit(link)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | params
    session = requests.Session()
    session.trust_env = False
    return session.get(swarm.url + parts.path, params={k: v for k, v in query.items() if v is not None},
                       allow_redirects=False, timeout=10)


def run(swarm, kind: str) -> None:
    with swarm.container.store.read() as session:
        workflow_id = session.scalar(select(WorkflowRow.id).where(WorkflowRow.kind == kind))
    swarm.container.runner.run(workflow_id)


def writes(swarm) -> tuple[int, int]:
    with swarm.container.store.read() as session:
        return session.scalar(select(func.count(TimelineRow.id))), session.scalar(select(func.count(WorkflowRow.id)))


def test_the_issue_link_waits_for_the_channel_then_leads_to_it(waiting_swarm, jira_sandbox):
    waiting_swarm.escalate(MESSAGE)
    run(waiting_swarm, "link_ticket")  # the issue is made before the channel
    [issue] = jira_sandbox.issues()
    link = issue.properties["caseswarm"]["channel_url"]

    before = writes(waiting_swarm)
    waiting = follow(waiting_swarm, link)
    assert waiting.status_code == 200 and waiting.headers["Cache-Control"] == "no-store"
    assert "CS-1 is being opened; its channel will be ready in a moment" in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text
    assert writes(waiting_swarm) == before  # looking writes nothing

    waiting_swarm.drain()
    channel = waiting_swarm.case().channel_id
    opened = follow(waiting_swarm, link)
    assert opened.status_code == 302
    assert opened.headers["Location"] == waiting_swarm.container.chats["slack"].channel_url(channel)
    assert opened.headers["Location"].endswith(f"/archives/{channel}")


def test_a_wrong_or_missing_signature_is_a_403_and_says_nothing_about_the_case(waiting_swarm):
    waiting_swarm.escalate(MESSAGE)
    waiting_swarm.drain()
    link = waiting_swarm.container.runner.services.case_link("CS-1")
    signature = parse_qs(urlsplit(link).query)["sig"][0]
    tampered = ("A" if signature[0] != "A" else "B") + signature[1:]

    assert follow(waiting_swarm, link, sig=tampered).status_code == 403
    assert follow(waiting_swarm, link, sig=None).status_code == 403
    another_case = link.replace("/cases/CS-1/", "/cases/CS-2/")  # CS-1's signature does not open CS-2
    assert follow(waiting_swarm, another_case).status_code == 403
    assert follow(waiting_swarm, link.replace("/cases/CS-1/", "/cases/CS-99/")).status_code == 403  # unknown: same
    assert "archives" not in follow(waiting_swarm, link, sig=tampered).text


def test_a_signed_link_to_a_case_that_does_not_exist_is_a_404(waiting_swarm):
    response = follow(waiting_swarm, waiting_swarm.container.runner.services.case_link("CS-12"))
    assert response.status_code == 404 and "There is no case CS-12." in response.text


def test_links_signed_before_swarm_secret_key_was_set_keep_working(database_url, slack_sandbox, jira_sandbox, tmp_path):
    swarm = start_harness(database_url, slack_sandbox, jira=jira_sandbox, queue_url=f"sqlite:///{tmp_path / 'q.db'}",
                          secret_key="a-new-secret-key")
    try:
        swarm.escalate(MESSAGE)
        swarm.drain()
        settings = swarm.container.settings
        old = case_channel_link(settings.public_url, settings.jira_webhook_secret.get_secret_value(), "CS-1")
        new = swarm.container.runner.services.case_link("CS-1")
        assert new == case_channel_link(settings.public_url, "a-new-secret-key", "CS-1") != old  # signed: the new key
        assert follow(swarm, old).status_code == 302 and follow(swarm, new).status_code == 302
    finally:
        swarm.close()


def test_a_teams_case_link_leads_to_the_teams_channel(database_url, teams_sandbox, tmp_path):  # noqa: F811
    swarm = start_teams_harness(database_url, teams_sandbox, queue_url=f"sqlite:///{tmp_path / 'q.db'}",
                                secret_key="teams-secret-key")
    try:
        swarm.escalate(MESSAGE)
        swarm.drain()
        case = swarm.case()
        path = urlsplit(case_channel_link("https://caseswarm.example.com", "teams-secret-key", "CS-1"))
        response = create_app(swarm.container).test_client().get(f"{path.path}?{path.query}")
        assert response.status_code == 302
        assert response.headers["Location"] == swarm.chat.channel_url(case.channel_id)
        assert response.headers["Location"].startswith("https://teams.microsoft.com/")
    finally:
        swarm.close()


def test_signatures_are_short_url_safe_and_keyed():
    link = case_channel_link("https://caseswarm.example.com/", "key-1", "CS-12")
    signature = parse_qs(urlsplit(link).query)["sig"][0]
    assert link == f"https://caseswarm.example.com/cases/CS-12/channel?sig={signature}"
    assert len(signature) == SIGNATURE_CHARS and set(signature) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert signed(["key-2", "key-1"], "CS-12", signature) and not signed(["key-2"], "CS-12", signature)
    assert not signed(["key-1"], "CS-13", signature)


def test_which_keys_sign_case_links():
    jira = dict(jira_url="https://acme.atlassian.net", jira_email="bot@acme.com", jira_api_token="api-token")
    assert load_settings(**jira).case_link_keys == ["api-token"]
    assert load_settings(**jira, jira_webhook_secret="hook", secret_key="swarm").case_link_keys == ["swarm", "hook",
                                                                                                  "api-token"]
    assert load_settings().case_link_keys == []  # Jira off and no SWARM_SECRET_KEY: no link is ever issued
