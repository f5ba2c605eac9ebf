"""A frontline agent escalates in Slack and the swarm opens, works and resolves: signed HTTP into the real app,
the real slack_sdk client against the Slack sandbox. Assertions are what Slack (and so its users) would see."""

from __future__ import annotations

import json

from tests.support.harness import AGENT, SUPPORT

REFUND_MESSAGE = ("Acme Corp was charged twice for invoice INV-2291\n"
                  "Customer says the card was billed $1,240 on both the 3rd and the 4th and wants the duplicate refunded.")


def summary_text(sandbox, channel_id: str) -> str:
    pinned = sandbox.pins(channel_id)
    assert len(pinned) == 1, f"expected one pinned summary, found {pinned}"
    message = next(m for m in sandbox.messages(channel_id) if m["ts"] == pinned[0])
    return json.dumps(message["blocks"])


def test_escalation_form_is_prefilled_from_the_message(swarm):
    ts = swarm.customer_message(REFUND_MESSAGE)
    view = swarm.open_escalation_form(ts)
    inputs = {b["block_id"]: b["element"] for b in view["view"]["blocks"] if b["type"] == "input"}
    assert inputs["title"]["initial_value"] == "Acme Corp was charged twice for invoice INV-2291"
    assert inputs["description"]["initial_value"] == REFUND_MESSAGE
    assert inputs["source_link"]["initial_value"].startswith("https://caseswarm-sandbox.slack.com/archives/CSUPPORT01/p")
    assert [o["value"] for o in inputs["category"]["options"]] == ["billing", "it", "operations"]
    assert [o["value"] for o in inputs["severity"]["options"]] == ["sev1", "sev2", "sev3", "sev4"]


def test_escalation_opens_a_case_channel_with_owners_and_a_pinned_summary(swarm):
    ts, response = swarm.escalate(REFUND_MESSAGE)
    assert response["response_action"] == "update"
    assert "CS-1" in json.dumps(response["view"])
    swarm.drain()

    [channel] = swarm.case_channels()
    assert channel["name"] == "case-1-acme-corp-was-charged-twice-for-invoice-inv-2291"
    members = swarm.sandbox.members(channel["id"])
    case = swarm.case("CS-1")
    experts = [p for p in case.participants if p.role != "requester"]
    assert experts and all(p.department == "billing" for p in experts if p.role == "expert")
    assert {AGENT, *(p.user_id for p in experts)} <= members

    summary = summary_text(swarm.sandbox, channel["id"])
    for expected in ("CS-1", "Acme Corp", "billing", "SEV2", "Who is here and why", "original message", "engage by", "resolve by"):
        assert expected in summary, expected
    for person in experts:
        assert person.reason in summary

    [reply] = swarm.sandbox.replies(SUPPORT, ts)[1:]
    assert f"<#{channel['id']}>" in reply["text"] and "CS-1" in reply["text"]
    assert case.status.value == "open"


def test_a_command_whose_text_says_payload_is_read_as_typed(swarm):
    """Bolt takes any form body containing the word "payload" for an interactive payload; the route re-encodes it."""
    swarm.escalate(REFUND_MESSAGE)
    swarm.drain()
    channel = swarm.case("CS-1").channel_id
    expert = next(p for p in swarm.case("CS-1").participants if p.role == "expert")
    text = "Resend the webhook payload (payload=v2) tomorrow & tell the customer"
    answer = swarm.command(f"decide {text}", channel=channel, user=expert.user_id)
    assert answer.status_code == 200 and "Decision recorded on CS-1" in answer.text
    swarm.drain()
    assert text in summary_text(swarm.sandbox, channel)
    forged = swarm.driver.post_raw(b"command=%2Fswarm&text=decide+the+payload", content_type="application/x-www-form-urlencoded",
                                   signature="v0=0")
    assert forged.status_code == 401  # re-encoding happens only after our own signature check


def test_decide_resolve_and_archive_from_the_case_channel(swarm):
    swarm.escalate(REFUND_MESSAGE)
    swarm.drain()
    channel = swarm.case("CS-1").channel_id
    expert = next(p for p in swarm.case("CS-1").participants if p.role == "expert")
    swarm.driver.user_message(channel, expert.user_id, "Looking at it: the 4th charge is a retry bug in the gateway.")

    answer = swarm.command("decide Refund the duplicate $1,240 charge today; Ben owns it", channel=channel, user=expert.user_id)
    assert answer.status_code == 200 and "Decision recorded on CS-1" in answer.text
    swarm.drain()
    texts = [m.get("text", "") for m in swarm.sandbox.messages(channel)]
    assert any("Refund the duplicate $1,240 charge today; Ben owns it" in t and "Decision recorded" in t for t in texts)
    assert "Refund the duplicate $1,240 charge today" in summary_text(swarm.sandbox, channel)

    status = swarm.command("status", channel=channel)
    assert "CS-1" in status.text and "Decisions: 1" in status.text and "engaged after" in status.text

    resolved = swarm.command("resolve Refunded the duplicate charge; gateway retry fixed", channel=channel)
    assert "CS-1 resolved after" in resolved.text
    swarm.drain(until=lambda: any("resolved" in m.get("text", "") for m in swarm.sandbox.messages(channel)))
    resolution = next(m for m in swarm.sandbox.messages(channel) if m.get("text", "").startswith("CS-1 resolved"))
    body = json.dumps(resolution["blocks"])
    assert "Refunded the duplicate charge; gateway retry fixed" in body
    assert "Time to engage" in body and "Time to resolve" in body and expert.name in body
    assert "Refund the duplicate $1,240 charge today" in body
    assert not swarm.sandbox.channel(channel)["is_archived"]  # archived only after the configured delay


def test_archive_after_the_delay_and_reopen_brings_the_channel_back(swarm):
    swarm.escalate(REFUND_MESSAGE)
    swarm.drain()
    channel = swarm.case("CS-1").channel_id
    swarm.command("resolve Fixed", channel=channel)
    swarm.drain(until=lambda: swarm.case().status.value == "resolved" and not swarm.pending()[1:])
    with swarm.container.store.transaction() as tx:  # the configured 24h have passed
        from sqlalchemy import update

        from swarm.store.tables import WorkflowRow, utcnow
        tx.session.execute(update(WorkflowRow).where(WorkflowRow.kind == "archive").values(next_run_at=utcnow()))
    swarm.drain()
    assert swarm.sandbox.channel(channel)["is_archived"]
    assert swarm.case().status.value == "archived"

    again = swarm.driver.click_button(user_id=AGENT, channel_id=channel,
                                      message_ts=swarm.sandbox.pins(channel)[0], action_id="case_reopen")
    assert again.status_code == 200
    swarm.drain()
    assert not swarm.sandbox.channel(channel)["is_archived"]
    assert swarm.case().status.value == "open"
    assert any("Reopened" in m.get("text", "") for m in swarm.sandbox.messages(channel))
