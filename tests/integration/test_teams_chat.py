"""What TeamsChat does beyond the shared port contract: people by email, always-private channels with an owner,
Slack-flavoured core text turned into Teams markdown and mentions, sign-in failures that never show the secret."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from integrations.teams.chat import TeamsChat
from integrations.teams.settings import GRAPH_API_URL, TeamsSettings
from integrations.teams.sandbox import CHANNEL_OWNER, TeamsSandbox
from swarm.errors import PermanentFailure
from swarm.ports import Notice


@pytest.fixture
def sandbox():
    with TeamsSandbox() as started:
        started.seed_demo_tenant()
        yield started


@pytest.fixture
def chat(sandbox):
    adapter = TeamsChat(sandbox.teams_settings(), departments={"billing": "Billing"})
    yield adapter
    adapter.bridge.close()


def test_people_are_found_by_email_once(chat, sandbox):
    ana = SimpleNamespace(email="Ana.Souza@example.com")
    assert chat.address(ana) == sandbox.user_id("ana.souza@example.com")
    assert chat.address(ana) == sandbox.user_id("ana.souza@example.com")
    assert chat.address(SimpleNamespace(email="nobody@example.com")) is None
    assert len(sandbox.graph.calls("GET /users/{user}")) == 2  # cached: one call per person


def test_case_channels_are_private_with_the_configured_owner(chat, sandbox):
    ref = chat.create_channel("case-3-private", private=False)  # members can only be added to private channels
    channel = sandbox.channel(ref.id)
    assert channel["membershipType"] == "private" and chat.channel_name_limit == 50 and chat.kind == "teams"
    assert channel["members"] == {sandbox.user_id(CHANNEL_OWNER): ["owner"]}


def test_core_text_becomes_teams_markdown_with_real_mentions(chat, sandbox):
    channel = chat.create_channel("case-3-notice", private=True).id
    ana = sandbox.user_id("ana.souza@example.com")
    text = f":heavy_plus_sign: Maya brought in Billing: {chat.user_mention(ana)} (on call) <https://x.example/doc|runbook>"
    card = sandbox.message(channel, chat.post(channel, Notice(text, "CS-3"), effect_key="wf9"))["attachments"][0]["content"]
    shown = card["body"][0]["text"]
    assert shown == "➕ Maya brought in Billing: <at>Ana Souza</at> (on call) [runbook](https://x.example/doc)"
    assert card["msteams"]["entities"] == [{"type": "mention", "text": "<at>Ana Souza</at>",
                                            "mentioned": {"id": ana, "name": "Ana Souza"}}]


def test_a_channel_the_swarm_team_cannot_see_has_nothing_posted_rather_than_an_error(chat, sandbox):
    other_team_channel = sandbox.demo.support_channel_id
    assert chat.find_posted(other_team_channel, "wf1-source") is None


def test_a_bad_secret_is_a_permanent_failure_that_does_not_show_the_secret(sandbox):
    wrong = "s3cret-that-must-not-leak"
    chat = TeamsChat(sandbox.teams_settings(app_password=SecretStr(wrong)))
    try:
        with pytest.raises(PermanentFailure) as failed:
            chat.create_channel("case-3-nope", private=True)
        assert "invalid_client" in failed.value.reason and wrong not in failed.value.reason
        assert wrong not in repr(chat.settings) and wrong not in json.dumps(failed.value.reason)
    finally:
        chat.bridge.close()


def test_teams_is_off_until_every_required_setting_is_there():
    required = dict(teams_app_id="app", teams_app_password=SecretStr("pw"), teams_tenant_id="tenant",
                    teams_swarm_team_id="team", teams_channel_owner="owner@example.com")
    assert TeamsSettings.from_settings(SimpleNamespace()) is None
    assert TeamsSettings.from_settings(SimpleNamespace(**{**required, "teams_swarm_team_id": None})) is None
    on = TeamsSettings.from_settings(SimpleNamespace(**required, graph_api_url=None, teams_timeout=3.0))
    assert (on.swarm_team_id, on.graph_api_url, on.timeout) == ("team", GRAPH_API_URL, 3.0)
    assert "pw" not in repr(on)
