"""Working a case from the channel: the buttons and forms, adding people, and what Slack does to our requests."""

from __future__ import annotations

import json
import time

from integrations.slack.chat import SlackChat, make_web_client
from tests.support.harness import AGENT, SUPPORT, start_harness

MESSAGE = "Initech orders stuck in the warehouse\nNo shipment for orders 5521-5530 since Monday."


def open_case(swarm, **values) -> str:
    swarm.escalate(MESSAGE, customer="Initech", category="operations", **values)
    swarm.drain()
    return swarm.case().channel_id


def test_record_decision_button_opens_a_form_whose_submission_is_recorded(swarm):
    channel = open_case(swarm)
    summary_ts = swarm.sandbox.pins(channel)[0]
    swarm.driver.click_button(user_id=AGENT, channel_id=channel, message_ts=summary_ts, action_id="case_decide")
    form = swarm.sandbox.views()[-1]
    assert form["view"]["callback_id"] == "decision_modal"
    empty = swarm.driver.submit_view(form["id"], user_id=AGENT, values={"text": ""}).json()
    assert empty["response_action"] == "errors" and "Decision text is required" in empty["errors"]["text"]
    done = swarm.driver.submit_view(form["id"], user_id=AGENT, values={"text": "Expedite via the Leeds depot"}).json()
    assert "Decision recorded on CS-1" in json.dumps(done)
    swarm.drain()
    assert [d.text for d in swarm.case().decisions] == ["Expedite via the Leeds depot"]


def test_add_a_department_and_a_person_from_the_channel(swarm):
    channel = open_case(swarm)
    before = swarm.sandbox.members(channel)
    answer = swarm.command("add it", channel=channel)
    assert "Bringing in IT on CS-1" in answer.text
    answer = swarm.command("add <@UMGR0001|jonas>", channel=channel)
    assert "Adding Jonas Berg to CS-1" in answer.text
    swarm.drain()
    added = swarm.sandbox.members(channel) - before
    it_people = {p.user_id for p in swarm.case().participants if p.department == "it"}
    assert it_people and it_people <= added and "UMGR0001" in added
    texts = [m.get("text", "") for m in swarm.sandbox.messages(channel)]
    assert any("brought in IT" in t for t in texts) and any("brought in <@UMGR0001>" in t for t in texts)
    assert "already in CS-1" in swarm.command("add <@UMGR0001>", channel=channel).text
    bad = swarm.command("add marketing", channel=channel)
    assert "Department 'marketing' is not one of: billing, it, operations" in bad.text


def test_a_name_taken_by_someone_else_gets_the_next_deterministic_name(swarm):
    swarm.sandbox.add_channel("case-1-initech-orders-stuck-in-the-warehouse", creator="UAGENT002")
    channel = open_case(swarm)
    assert swarm.sandbox.channel(channel)["name"] == "case-1-initech-orders-stuck-in-the-warehouse-2"


def test_an_invite_that_slack_refuses_is_recorded_and_shown_not_dropped(swarm):
    swarm.sandbox.fail_next("conversations.invite", 200,
                            body={"ok": False, "error": "user_not_found",
                                  "errors": [{"user": "UOPS0001", "ok": False, "error": "user_not_found"}]})
    channel = open_case(swarm)
    case = swarm.case()
    refused = [p for p in case.participants if p.invite_status == "failed"]
    assert refused, case.participants
    assert any("Could not add" in line and "user_not_found" in line for line in swarm.timeline())
    pinned = json.dumps(next(m for m in swarm.sandbox.messages(channel) if m["ts"] in swarm.sandbox.pins(channel))["blocks"])
    assert "could not add: failed" in pinned or "could not add" in pinned


def test_invites_go_in_batches_of_at_most_100(slack_sandbox):
    users = [f"UBULK{i:04d}" for i in range(150)]
    for user in users:
        slack_sandbox.add_user(user, user.lower())
    chat = SlackChat(make_web_client(slack_sandbox.bot_token, base_url=slack_sandbox.base_url + "/api/", timeout=5))
    channel = chat.create_channel("case-99-bulk", private=False)
    outcomes = chat.invite(channel.id, users + ["UAGENT001"])
    batches = [len(c.params["users"].split(",")) for c in slack_sandbox.calls("conversations.invite")]
    assert batches == [100, 51]
    assert {o.status for o in outcomes} == {"invited"} and len(outcomes) == 151


def test_the_ack_returns_before_the_swarm_opens_when_workers_run_in_the_background(database_url, slack_sandbox, tmp_path):
    swarm = start_harness(database_url, slack_sandbox, queue_immediate=False, queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    consumer = swarm.container.queue.start_consumer(workers=2)
    try:
        slack_sandbox.delay_next("conversations.create", 1.0, apply=True)  # a slow Slack must not slow the ack
        ts = swarm.customer_message(MESSAGE)
        view = swarm.open_escalation_form(ts)
        started = time.monotonic()
        answer = swarm.driver.submit_view(view["id"], user_id=AGENT, values={"customer": "Initech", "category": "operations"})
        acked_in = time.monotonic() - started
        assert answer.status_code == 200 and acked_in < 1.0
        assert swarm.case().status.value == "opening"
        deadline = time.monotonic() + 15
        while swarm.case().status.value != "open" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert swarm.case().status.value == "open" and len(swarm.case_channels()) == 1
    finally:
        consumer.stop(graceful=True)
        swarm.close()


def test_a_second_escalation_for_the_same_customer_shows_history_and_the_callout(swarm):
    open_case(swarm)
    swarm.command("resolve Released the held pallets", channel=swarm.case().channel_id)
    swarm.drain()
    swarm.escalate("Initech again: order 5531 missing\nSame warehouse.", customer="Initech", category="operations")
    swarm.drain()
    second = swarm.case("CS-2")
    pinned = json.dumps(next(m for m in swarm.sandbox.messages(second.channel_id)
                             if m["ts"] in swarm.sandbox.pins(second.channel_id))["blocks"])
    assert "2nd escalation in 30 days for this customer" in pinned
    assert "Customer history: 1 earlier case, 0 open" in pinned
    assert "CS-1 (resolved" in pinned and "Released the held pallets" in pinned


def test_similar_past_cases_and_how_they_ended_are_shown_when_a_case_opens(swarm):
    open_case(swarm)
    swarm.command("resolve Released the pallets held at the Leeds warehouse", channel=swarm.case().channel_id)
    swarm.drain()
    swarm.escalate("Globex orders stuck in the warehouse\nShipment for orders 7001-7003 held since Tuesday.",
                   customer="Globex", category="operations")
    swarm.drain()
    second = swarm.case("CS-2")
    pinned = json.dumps(next(m for m in swarm.sandbox.messages(second.channel_id)
                             if m["ts"] in swarm.sandbox.pins(second.channel_id))["blocks"])
    assert "Similar past cases" in pinned
    assert "CS-1 Initech orders stuck in the warehouse" in pinned and "Released the pallets" in pinned


def test_the_shortcut_is_answered_at_once_and_its_form_opens_after_a_slow_slack(swarm):
    """Slack waits 3 s for the shortcut's answer and shows the agent an error after: the answer goes first, and the
    link to the message and the form follow (here Slack takes 1 s to answer each)."""
    swarm.sandbox.delay_next("chat.getPermalink", 1.0, apply=True)
    swarm.sandbox.delay_next("views.open", 1.0, apply=True)
    ts = swarm.customer_message(MESSAGE)
    started = time.monotonic()
    answer = swarm.driver.message_shortcut(user_id=AGENT, channel_id=SUPPORT, message_ts=ts)
    assert answer.status_code == 200 and time.monotonic() - started < 1.0
    form = swarm.sandbox.view_opened_with(swarm.driver.last_payload["trigger_id"])
    assert form["view"]["callback_id"] == "escalation_modal"
    source_link = next(b for b in form["view"]["blocks"] if b.get("block_id") == "source_link")
    assert source_link["element"]["initial_value"].startswith("https://")  # the permalink, fetched after the answer
