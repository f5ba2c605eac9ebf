"""One swarm for many customers: similar open swarms are offered, joining opens no channel, and status updates
reach every source thread exactly once."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from datetime import timedelta

import pytest

from swarm.store.tables import utcnow
from swarm.usecases.known_issue import open_swarms_like

SSO = ("Globex cannot sign in since the SSO certificate change\n"
       "Every user gets 'invalid SAML assertion' from the identity provider after the certificate rotation this morning.")
SSO_AGAIN = ("Initech users cannot sign in either\n"
             "They see 'invalid SAML assertion' since this morning; looks like the SSO certificate rotation.")


def open_case(swarm, text=SSO, customer="Globex", category="it", user="UAGENT001") -> str:
    swarm.escalate(text, customer=customer, category=category, user=user)
    swarm.drain()
    return swarm.case().channel_id


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        (SSO_AGAIN, True),
        ("Hooli: SAML assertion invalid after the certificate rotation, nobody can sign in", True),
        ("Globex invoice charged twice, refund needed", False),  # same customer, another problem
        ("Certificate of insurance missing from the shipment paperwork", False),  # one shared word
        ("Cannot sign in to the billing portal: forgot password", False),  # two shared words: a near miss
    ],
    ids=["same-problem", "same-problem-other-words", "other-problem", "one-word", "near-miss"],
)
def test_similar_open_swarms_are_the_same_problem_not_near_misses(swarm, text, matches):
    open_case(swarm)
    found = open_swarms_like(swarm.container.store, text=text)
    assert ([s.key for s in found] == ["CS-1"]) is matches, [(s.key, s.shared_words) for s in found]


def test_resolved_or_old_swarms_are_not_offered(swarm):
    channel = open_case(swarm)
    assert open_swarms_like(swarm.container.store, text=SSO_AGAIN, now=utcnow() + timedelta(hours=25)) == []
    swarm.command("resolve Rolled back the certificate", channel=channel)
    assert open_swarms_like(swarm.container.store, text=SSO_AGAIN) == []


def test_joining_links_the_case_brings_in_the_requester_and_opens_no_channel(swarm):
    channel = open_case(swarm)
    ts = swarm.customer_message(SSO_AGAIN, user="UAGENT002")
    form = swarm.open_escalation_form(ts, user="UAGENT002")
    join = next(b for b in form["view"]["blocks"] if b["block_id"] == "join")
    assert [o["value"] for o in join["element"]["options"]] == ["new", "CS-1"]
    answer = swarm.driver.submit_view(form["id"], user_id="UAGENT002",
                                      values={"join": "CS-1", "customer": "Initech", "category": "it", "severity": "sev2"})
    assert "Linked to *CS-1*" in json.dumps(answer.json())
    swarm.drain()
    assert len(swarm.case_channels()) == 1 and swarm.case_count() == 1
    assert "UAGENT002" in swarm.sandbox.members(channel)
    [reply] = swarm.sandbox.replies("CSUPPORT01", ts)[1:]
    assert "Linked to *CS-1*" in reply["text"]
    pinned = json.dumps(next(m for m in swarm.sandbox.messages(channel) if m["ts"] in swarm.sandbox.pins(channel))["blocks"])
    assert "Also reported for: Initech (1 linked escalation)" in pinned
    again = swarm.driver.submit_view(form["id"], user_id="UAGENT002",
                                     values={"join": "CS-1", "customer": "Initech", "category": "it", "severity": "sev2"})
    assert again.status_code == 200
    swarm.drain()
    assert len(swarm.sandbox.replies("CSUPPORT01", ts)) == 2  # the double submit linked nothing twice


def test_a_status_update_reaches_every_source_thread_exactly_once(swarm):
    channel = open_case(swarm)
    first_ts = _source_ts(swarm)
    second_ts = swarm.customer_message(SSO_AGAIN, user="UAGENT002")
    form = swarm.open_escalation_form(second_ts, user="UAGENT002")
    swarm.driver.submit_view(form["id"], user_id="UAGENT002", values={"join": "CS-1", "customer": "Initech", "category": "it"})
    swarm.drain()

    command = swarm.driver.slash_command(user_id="UIT00001", channel_id=channel, text="update Known issue: fix expected by 14:00")
    assert "Update sent to 2 source threads of CS-1" in command.text
    resent = swarm.driver.post_raw(urlencode(swarm.driver.last_payload).encode(),  # the same command, sent again
                                   content_type="application/x-www-form-urlencoded")
    assert resent.status_code == 200
    swarm.drain()
    for ts in (first_ts, second_ts):
        updates = [m for m in swarm.sandbox.replies("CSUPPORT01", ts) if "Known issue: fix expected by 14:00" in m.get("text", "")]
        assert len(updates) == 1, ts


def _source_ts(swarm) -> str:
    from swarm.store.queries import case_by_key

    with swarm.container.store.read() as session:
        return case_by_key(session, "CS-1").source_message
