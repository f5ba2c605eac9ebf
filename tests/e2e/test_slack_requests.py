"""Inbound Slack requests: authentication, bad input, and repeats (re-sends, double submits, double clicks)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from tests.support.harness import AGENT, SUPPORT

MESSAGE = "Globex cannot log in since the SSO change\nAll 40 seats get 'invalid assertion' from the IdP."


def _nothing_written(swarm) -> None:
    assert swarm.case_count() == 0
    assert swarm.case_channels() == []
    assert swarm.sandbox.views() == []


def test_bad_signature_is_rejected_and_nothing_is_written(swarm):
    ts = swarm.customer_message(MESSAGE)
    payload = {"type": "message_action", "callback_id": "escalate_to_swarm", "trigger_id": swarm.sandbox.issue_trigger_id(AGENT),
               "team": {"id": "T0SANDBOX"}, "user": {"id": AGENT}, "channel": {"id": SUPPORT},
               "message": {"ts": ts, "text": MESSAGE}, "message_ts": ts}
    raw = ("payload=" + json.dumps(payload)).encode()
    forged = swarm.driver.post_raw(raw, content_type="application/x-www-form-urlencoded", signing_secret="not-the-secret")
    assert forged.status_code == 401
    stale = swarm.driver.post_raw(raw, content_type="application/x-www-form-urlencoded", timestamp=int(time.time()) - 600)
    assert stale.status_code == 401
    tampered = swarm.driver.post_raw(raw, content_type="application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert tampered.status_code == 401
    _nothing_written(swarm)


def test_a_signed_body_that_is_not_utf8_is_refused_for_what_it_is(swarm):
    body = b"command=%2Fswarm&text=" + b"\xff\xfe\xc3\x28"  # bytes no Slack client sends: not UTF-8
    stamp = str(int(time.time()))
    secret = swarm.container.settings.slack_signing_secret.get_secret_value().encode()
    signed = "v0=" + hmac.new(secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    answer = swarm.driver.post_raw(body, content_type="application/x-www-form-urlencoded", timestamp=int(stamp),
                                   signature=signed)
    assert answer.status_code == 400 and "not UTF-8" in answer.json()["error"]
    unsigned = swarm.driver.post_raw(body, content_type="application/x-www-form-urlencoded", timestamp=int(stamp),
                                     signature="v0=" + "0" * 64)
    assert unsigned.status_code == 401
    stale_stamp = str(int(time.time()) - 600)
    stale = "v0=" + hmac.new(secret, b"v0:" + stale_stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    assert swarm.driver.post_raw(body, content_type="application/x-www-form-urlencoded", timestamp=int(stale_stamp),
                                 signature=stale).status_code == 401
    _nothing_written(swarm)


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"title": ""}, "title", "Title is required"),
        ({"title": "x" * 2000}, "title", "Title must be at most 150 characters (it has 2000)"),
        ({"description": "d" * 3001}, "description", "Description must be at most 3000 characters (it has 3001)"),
        ({"customer": "  "}, "customer", "Customer is required"),
        ({"category": "biling"}, "category", "Category 'biling' is not one of: billing, it, operations"),
        ({"severity": "sev9"}, "severity", "Severity 'sev9' is not one of: sev1, sev2, sev3, sev4"),
        ({"source_link": "slack message"}, "source_link", "Source message must be a link"),
    ],
    ids=["empty-title", "2000-char-title", "description-over-limit", "blank-customer", "unknown-category",
         "unknown-severity", "source-not-a-link"],
)
def test_bad_form_input_comes_back_as_field_errors_and_creates_nothing(swarm, values, field, reason):
    ts = swarm.customer_message(MESSAGE)
    view = swarm.open_escalation_form(ts)
    payload = swarm.driver.build_view_submission(view["id"], user_id=AGENT,
                                                 values={"customer": "Globex", "category": "it", "severity": "sev2"})
    for action_id, value in values.items():  # type what Slack's client would let through, or a crafted payload
        block = payload["view"]["state"]["values"][action_id][action_id]
        if "selected_option" in block:
            block["selected_option"] = {"value": value, "text": {"type": "plain_text", "text": value}}
        else:
            block["value"] = value
    response = swarm.driver.send_interactive(payload)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert reason in answer["errors"][field]
    assert swarm.case_count() == 0 and swarm.case_channels() == []


def test_a_resent_submission_opens_one_case_and_one_channel(swarm):
    ts = swarm.customer_message(MESSAGE)
    view = swarm.open_escalation_form(ts)
    payload = swarm.driver.build_view_submission(view["id"], user_id=AGENT,
                                                 values={"customer": "Globex", "category": "it", "severity": "sev2"})
    first = swarm.driver.send_interactive(payload)
    again = swarm.driver.send_interactive(payload)  # Slack re-send / double click on Submit
    assert "is opening" in json.dumps(first.json()) and "already escalated" in json.dumps(again.json())
    swarm.drain()
    assert swarm.case_count() == 1
    assert len(swarm.case_channels()) == 1
    assert len(swarm.sandbox.calls("conversations.create")) == 1
    assert len(swarm.sandbox.calls("conversations.invite")) == 1
    channel = swarm.case_channels()[0]["id"]
    assert len(swarm.sandbox.pins(channel)) == 1
    assert len(swarm.sandbox.replies(SUPPORT, ts)) == 2  # the message and one link to the swarm


def test_two_clicks_on_the_shortcut_and_two_submits_still_open_one_case(swarm):
    ts = swarm.customer_message(MESSAGE)
    first_view = swarm.open_escalation_form(ts)
    second_view = swarm.open_escalation_form(ts)  # the agent clicked twice before the first form showed
    for view in (first_view, second_view):
        swarm.driver.submit_view(view["id"], user_id=AGENT, values={"customer": "Globex", "category": "it", "severity": "sev2"})
    swarm.drain()
    assert swarm.case_count() == 1 and len(swarm.case_channels()) == 1
    # and once it exists, the shortcut says so instead of offering a second case
    assert "already escalated as *CS-1*" in json.dumps(swarm.open_escalation_form(ts)["view"])


def test_a_resent_event_and_a_repeated_decision_are_recorded_once(swarm):
    swarm.escalate(MESSAGE, customer="Globex", category="it")
    swarm.drain()
    case = swarm.case()
    expert = next(p for p in case.participants if p.role == "expert")
    ts, _ = swarm.driver.user_message(case.channel_id, expert.user_id, "On it, checking the IdP metadata")
    event = {"type": "message", "channel": case.channel_id, "user": expert.user_id, "text": "On it", "ts": ts,
             "channel_type": "channel"}
    resent = swarm.driver.event(event, event_id="Ev0RESENT1", retry_num=1, retry_reason="http_timeout")
    assert resent.status_code == 200
    engaged = [line for line in swarm.timeline() if line.startswith("engaged:")]
    assert len(engaged) == 1 and engaged[0].startswith(f"engaged: {expert.name} (it) engaged after")

    message_ts = swarm.sandbox.post_as_user(case.channel_id, expert.user_id, "Decision: rotate the SAML signing cert tonight")
    for _ in range(2):  # "Record as decision" picked twice on the same message
        swarm.driver.message_shortcut(user_id=expert.user_id, channel_id=case.channel_id, message_ts=message_ts,
                                      callback_id="record_decision")
    swarm.drain()
    assert len(swarm.case().decisions) == 1
    assert swarm.case().decisions[0].link.endswith(message_ts.replace(".", ""))
    echoes = [m for m in swarm.sandbox.messages(case.channel_id) if "rotate the SAML signing cert" in m.get("text", "") and "Decision recorded" in m.get("text", "")]
    assert len(echoes) == 1
    ephemerals = [e["text"] for e in swarm.sandbox.ephemerals if e["user"] == expert.user_id]
    assert ephemerals == ["Decision recorded on CS-1.", "That decision is already recorded on CS-1."]


def test_commands_outside_a_case_channel_get_a_clear_answer(swarm):
    answer = swarm.command("decide Refund it", channel=SUPPORT)
    assert answer.status_code == 200
    assert "not a case channel" in answer.text
    assert "Unknown subcommand 'frobnicate'" in swarm.command("frobnicate", channel=SUPPORT).text
    assert "/swarm decide" in swarm.command("help", channel=SUPPORT).text
    empty = swarm.command("decide   ", channel=SUPPORT)
    assert "Decision text is required" in empty.text
