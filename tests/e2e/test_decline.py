"""Experts answer the ask to take a case: "I'm on it" or "Can't take it". Signed button clicks and form
submissions into the real app; what is asserted is what the case channel (and the person clicking) sees."""

from __future__ import annotations

import json

from tests.support.harness import AGENT

INVOICE_MESSAGE = "Acme Corp's May invoice shows the wrong VAT rate\nThe customer needs a corrected invoice this week."
BILLING = {"UBILL0001", "UBILL0002", "UBILL0003"}
MANAGER = "UMGR0001"


def open_case(swarm) -> tuple[str, str]:
    """Escalate a billing case that brings in one person (whoever is on call); returns (channel, their user id)."""
    swarm.escalate(INVOICE_MESSAGE, severity="sev2")
    swarm.drain()
    [expert] = [p for p in swarm.case().participants if p.role == "expert"]
    return swarm.case().channel_id, expert.user_id


def ask_for(swarm, channel: str, user_id: str) -> dict:
    """The latest message asking `user_id` to take the case (it carries the two buttons)."""
    asks = [m for m in swarm.sandbox.messages(channel)
            if f"<@{user_id}>" in m.get("text", "") and "expert_decline" in json.dumps(m.get("blocks", []))]
    assert asks, f"nobody asked {user_id} in {[m.get('text') for m in swarm.sandbox.messages(channel)]}"
    return asks[-1]


def click(swarm, channel: str, user_id: str, action_id: str, *, asked: str | None = None):
    message = ask_for(swarm, channel, asked or user_id)
    response = swarm.driver.click_button(user_id=user_id, channel_id=channel, message_ts=message["ts"], action_id=action_id)
    assert response.status_code == 200, response.text


def decline(swarm, channel: str, user_id: str, reason: str = "") -> dict:
    """Click "Can't take it", then submit the form that opens; returns the form's answer."""
    click(swarm, channel, user_id, "expert_decline")
    form = swarm.sandbox.views()[-1]
    response = swarm.driver.submit_view(form["id"], user_id=user_id, values={"reason": reason})
    assert response.status_code == 200, response.text
    swarm.drain()
    return response.json()


def texts(swarm, channel: str) -> list[str]:
    return [m.get("text", "") for m in swarm.sandbox.messages(channel)]


def summary_text(swarm, channel: str) -> str:
    [pinned] = swarm.sandbox.pins(channel)
    return json.dumps(next(m for m in swarm.sandbox.messages(channel) if m["ts"] == pinned)["blocks"])


def test_the_experts_are_asked_on_the_pinned_summary(swarm):
    channel, expert = open_case(swarm)
    ask = ask_for(swarm, channel, expert)
    assert swarm.sandbox.pins(channel) == [ask["ts"]]  # the summary itself asks: no message of its own
    assert f"<@{expert}>: you were brought into *CS-1*. Can you take it?" in ask["text"]  # notified by the post
    [answers] = [b for b in ask["blocks"] if b.get("block_id") == "expert_answer"]
    assert [e["text"]["text"] for e in answers["elements"]] == ["I'm on it", "Can't take it"]
    assert len([m for m in swarm.sandbox.messages(channel) if "expert_decline" in json.dumps(m.get("blocks", []))]) == 1


def test_once_every_expert_has_answered_the_summary_stops_asking(swarm):
    channel, expert = open_case(swarm)
    click(swarm, channel, expert, "expert_accept")
    swarm.drain()
    summary = summary_text(swarm, channel)
    assert "Can you take it?" not in summary and "expert_decline" not in summary and "(on it)" in summary


def test_a_decline_is_recorded_and_brings_in_the_next_person(swarm):
    channel, first = open_case(swarm)
    answer = decline(swarm, channel, first, "On leave until Monday")
    assert answer["response_action"] == "update" and "someone else will be brought into CS-1" in json.dumps(answer)

    case = swarm.case()
    declined = next(p for p in case.participants if p.user_id == first)
    [second] = [p for p in case.participants if p.role == "expert" and p.user_id != first]
    assert declined.invite_status == "declined" and second.user_id in BILLING
    assert second.user_id in swarm.sandbox.members(channel)
    [notice] = [t for t in texts(swarm, channel) if "can't take CS-1" in t]
    assert f"{declined.name} can't take CS-1: On leave until Monday. Bringing in <@{second.user_id}> from Billing" in notice
    assert ask_for(swarm, channel, second.user_id)["text"] == notice  # the new person gets the buttons
    assert f"declined: {declined.name} declined: On leave until Monday" in swarm.timeline()
    assert any(line.startswith(f"routed: Brought in {second.name} (replacing {declined.name}") for line in swarm.timeline())
    summary = summary_text(swarm, channel)
    assert "(declined)" in summary and f"replacing {declined.name}" in summary


def test_a_double_click_brings_in_one_replacement(swarm):
    channel, first = open_case(swarm)
    click(swarm, channel, first, "expert_decline")
    click(swarm, channel, first, "expert_decline")
    first_form, second_form = swarm.sandbox.views()[-2:]
    for form in (first_form, second_form, first_form):  # both forms, and Slack re-sending one of them
        response = swarm.driver.submit_view(form["id"], user_id=first, values={"reason": "Out sick"})
        assert response.status_code == 200, response.text
    swarm.drain()

    assert len([t for t in texts(swarm, channel) if "can't take CS-1" in t]) == 1
    assert len([p for p in swarm.case().participants if p.role == "expert"]) == 2
    assert len([line for line in swarm.timeline() if line.startswith("declined:")]) == 1
    assert "You already declined CS-1" in json.dumps(swarm.driver.submit_view(second_form["id"], user_id=first).json())


def test_when_everyone_declines_the_channel_is_told_nobody_is_left(swarm):
    channel, first = open_case(swarm)
    declined = [first]
    while len(declined) < len(BILLING):
        decline(swarm, channel, declined[-1])
        newest = [p for p in swarm.case().participants if p.role == "expert" and p.user_id not in declined]
        declined.append(newest[0].user_id)
    decline(swarm, channel, declined[-1], "Team offsite")

    assert set(declined) == BILLING
    last = texts(swarm, channel)[-1]
    assert "can't take CS-1: Team offsite. Nobody else in Billing is available" in last
    assert f"<@{MANAGER}>, can you find someone?" in last
    assert any(line.startswith("no_replacement: No replacement for") for line in swarm.timeline())


def test_i_am_on_it_counts_as_the_first_engagement(swarm):
    channel, expert = open_case(swarm)
    click(swarm, channel, expert, "expert_accept")
    # The second click of a double click comes from the summary as it was shown (the first answer updates it).
    assert swarm.driver.send_interactive(swarm.driver.last_payload).status_code == 200
    swarm.drain()

    case = swarm.case()
    assert case.engaged_at is not None
    assert next(p for p in case.participants if p.user_id == expert).invite_status == "accepted"
    assert len([t for t in texts(swarm, channel) if t.endswith("is on it.")]) == 1
    answers = [e["text"] for e in swarm.sandbox.ephemerals if e.get("user") == expert]
    assert answers[-2:] == ["Thanks, you're on CS-1.", "You're already on CS-1."]
    assert "engaged after" in summary_text(swarm, channel) and "on it" in summary_text(swarm, channel)


def test_only_the_experts_asked_can_answer(swarm):
    channel, expert = open_case(swarm)
    click(swarm, channel, AGENT, "expert_accept", asked=expert)
    [answer] = [e["text"] for e in swarm.sandbox.ephemerals if e.get("user") == AGENT]
    assert answer.startswith("Only the experts asked to join CS-1 can answer this.")
    assert swarm.case().engaged_at is None
