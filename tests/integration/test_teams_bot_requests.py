"""What reaches the bot: only activities signed by the Bot Framework (the sandbox's key) get past the Teams SDK,
and a re-delivered activity or a double submit never opens a second case or channel."""

from __future__ import annotations

import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.teams import cards
from integrations.teams.sandbox.driver import dialog_card, submitted_data
from tests.support.teams_harness import AGENT, start_teams_harness, teams_sandbox, teams_swarm  # noqa: F401 (fixtures)

MESSAGE = "Acme Corp cannot log in since the SSO change\nEvery user gets 'invalid grant'."


def _submit_activity(swarm, message_id: str) -> dict:
    card = dialog_card(swarm.open_escalation_form(message_id))
    data = submitted_data(card, {"customer": "Acme Corp", "category": "it", "severity": "sev1"})
    value = {"commandId": "escalate_to_swarm", "commandContext": "message", "data": data}
    root = swarm.sandbox.message(swarm.support_channel, message_id)["id"]
    return swarm.driver.invoke("composeExtension/submitAction", value, user_id=AGENT,
                               conversation_id=swarm.support_channel, thread=root)


def _forged(swarm, **claims) -> str:
    identity = swarm.sandbox.identity
    good = {"iss": "https://api.botframework.com", "aud": swarm.sandbox.app_id, "serviceurl": swarm.sandbox.connector.base_url,
            "iat": int(time.time()), "nbf": int(time.time()), "exp": int(time.time()) + 300}
    key = claims.pop("key", None)
    return identity.sign({**good, **claims}, key=key)


@pytest.mark.parametrize("how", ["unsigned", "other key", "other bot", "expired", "other service url", "not a jwt"])
def test_an_activity_not_signed_by_the_bot_framework_is_refused_and_changes_nothing(teams_swarm, how):
    message_id = teams_swarm.customer_message(MESSAGE)
    activity = _submit_activity(teams_swarm, message_id)
    graph_before, connector_before = len(teams_swarm.sandbox.graph.calls()), len(teams_swarm.sandbox.connector.calls())
    tokens = {
        "other key": lambda: _forged(teams_swarm, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "other bot": lambda: _forged(teams_swarm, aud="00000000-0000-4000-8000-000000000bad"),
        "expired": lambda: _forged(teams_swarm, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
        "other service url": lambda: _forged(teams_swarm, serviceurl="https://smba.example.net/evil"),
        "not a jwt": lambda: "not-a-token",
    }
    if how == "unsigned":
        response = teams_swarm.driver.send(activity, unsigned=True)
    else:
        response = teams_swarm.driver.send(activity, token=tokens[how]())
    assert response.status_code == 401
    assert teams_swarm.case_count() == 0 and teams_swarm.sandbox.case_channels() == []
    assert len(teams_swarm.sandbox.graph.calls()) == graph_before
    assert len(teams_swarm.sandbox.connector.calls()) == connector_before


def test_the_sdks_environment_switch_cannot_turn_validation_off(database_url, teams_sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "true")
    swarm = start_teams_harness(database_url, teams_sandbox, queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        activity = _submit_activity(swarm, swarm.customer_message(MESSAGE))
        assert swarm.driver.send(activity, unsigned=True).status_code == 401
        assert swarm.case_count() == 0
    finally:
        swarm.close()


def test_a_redelivered_submit_opens_one_case_and_one_channel(teams_swarm):
    activity = _submit_activity(teams_swarm, teams_swarm.customer_message(MESSAGE))
    first, again = teams_swarm.driver.send(activity), teams_swarm.driver.send(activity)
    teams_swarm.drain()
    assert "CS-1 is opening" in first.json()["task"]["value"]
    assert "CS-1 was already escalated" in again.json()["task"]["value"]
    assert teams_swarm.case_count() == 1 and len(teams_swarm.sandbox.case_channels()) == 1
    assert len(teams_swarm.sandbox.graph.applied_calls("POST /teams/{team-id}/channels")) == 1


def test_a_double_submit_opens_one_case_and_one_channel(teams_swarm):
    message_id = teams_swarm.customer_message(MESSAGE)
    activities = [_submit_activity(teams_swarm, message_id) for _ in range(2)]  # two clicks: two activity ids
    answers: list = []
    threads = [threading.Thread(target=lambda a=a: answers.append(teams_swarm.driver.send(a))) for a in activities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    teams_swarm.drain()
    assert sorted(r.status_code for r in answers) == [200, 200]
    assert teams_swarm.case_count() == 1 and len(teams_swarm.sandbox.case_channels()) == 1
    messages = teams_swarm.sandbox.messages(teams_swarm.case().channel_id)
    summaries = [m for m in messages if "Record decision" in str(m.get("attachments"))]
    assert len(summaries) == 1 and "CS-1" in str(summaries[0]["attachments"])


def test_a_submit_that_carries_the_message_uses_it(teams_swarm):
    message_id = teams_swarm.customer_message(MESSAGE)
    card = dialog_card(teams_swarm.open_escalation_form(message_id))
    data = submitted_data(card, {"customer": "Acme Corp", "category": "it", "severity": "sev1"})
    for with_message in (True, False):  # the same source either way, so one case
        teams_swarm.driver.submit_message_action(user_id=AGENT, conversation_id=teams_swarm.support_channel,
                                                 message_id=message_id, data=data, with_message=with_message)
    teams_swarm.drain()
    assert teams_swarm.case_count() == 1 and len(teams_swarm.sandbox.case_channels()) == 1


def test_the_action_on_an_escalated_message_says_so_instead_of_opening_the_form(teams_swarm):
    message_id, _ = teams_swarm.escalate(MESSAGE, category="it")
    again = teams_swarm.open_escalation_form(message_id)
    assert again.json() == {"task": {"type": "message", "value": "This message was already escalated as CS-1."}}


def test_a_redelivered_mention_and_a_double_click_record_one_decision_each(teams_swarm):
    teams_swarm.escalate(MESSAGE, category="it")
    teams_swarm.drain()
    channel = teams_swarm.case().channel_id
    _, first = teams_swarm.driver.user_message(channel, AGENT, "decide Roll back the SSO change", mention_bot=True)
    again = teams_swarm.driver.send(teams_swarm.driver.last_activity)  # Teams re-sends the same activity
    clicks = [teams_swarm.click(cards.DECIDE, decision="Page the identity team") for _ in range(2)]
    teams_swarm.drain()
    assert first.status_code == again.status_code == 200
    assert [c.json()["value"] for c in clicks] == ["Decision recorded on CS-1.", "That decision is already recorded on CS-1."]
    assert sorted(d.text for d in teams_swarm.case().decisions) == ["Page the identity team", "Roll back the SSO change"]


def test_escalating_from_a_group_chat_replies_in_the_chat(teams_swarm):
    chat = teams_swarm.sandbox.demo.agents_chat_id
    message_id = teams_swarm.customer_message(MESSAGE, conversation=chat)
    card = dialog_card(teams_swarm.open_escalation_form(message_id, conversation=chat))
    answer = teams_swarm.submit_form(message_id, card, conversation=chat, customer="Acme Corp", category="it", severity="sev2")
    assert "CS-1 is opening" in answer.json()["task"]["value"]
    teams_swarm.drain()
    reply = teams_swarm.sandbox.messages(chat)[-1]
    assert "Escalated as **CS-1**" in str(reply["attachments"]) and reply["replyToId"] is None
