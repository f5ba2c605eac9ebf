"""Experts answer the ask to take a case on Teams: "I'm on it" or "Can't take it" on the card that mentions them.
JWT-signed Action.Execute invokes into the real bot; what is asserted is what the channel (and the person clicking)
sees, as tests/e2e/test_decline.py does for Slack."""

from __future__ import annotations

import json

from integrations.teams import cards
from tests.support.teams_harness import AGENT, teams_sandbox, teams_swarm  # noqa: F401 (fixtures)

INVOICE_MESSAGE = "Acme Corp's May invoice shows the wrong VAT rate\nThe customer needs a corrected invoice this week."
BILLING = {"ana.souza@example.com", "ben.okafor@example.com", "chloe.dubois@example.com"}


def open_case(swarm) -> str:
    """Escalate a billing case that brings in one person (whoever is on call); returns their AAD id."""
    swarm.escalate(INVOICE_MESSAGE, severity="sev2")
    swarm.drain()
    [expert] = [p for p in swarm.case().participants if p.role == "expert"]
    return expert.user_id


def ask_id(swarm, user_id: str) -> str:
    asks = swarm.asks(user_id)
    assert asks, f"nobody asked {user_id}: {swarm.channel_texts()}"
    return asks[-1]["id"]


def billing_ids(swarm) -> set[str]:
    return {swarm.sandbox.user_id(email) for email in BILLING}


def test_the_experts_are_asked_on_the_summary_card_with_the_two_answers(teams_swarm):
    expert = open_case(teams_swarm)
    [ask] = teams_swarm.asks(expert)
    card = ask["attachments"][0]["content"]
    assert card == teams_swarm.summary_card()  # asked on the summary itself, not in a card of its own
    text = json.dumps(card)
    assert "<at>Ana Souza</at>: you were brought into **CS-1**. Can you take it?" in text
    assert card["msteams"]["entities"] == [{"type": "mention", "text": "<at>Ana Souza</at>",
                                            "mentioned": {"id": expert, "name": "Ana Souza"}}]
    accept, decline, *summary_buttons = card["actions"]
    assert [b["title"] for b in summary_buttons] == ["Record decision", "Add people", "Status", "Resolve"]
    assert (accept["type"], accept["title"], accept["verb"], accept["data"]) == (
        "Action.Execute", "I'm on it", cards.ACCEPT, {"case": "CS-1"})
    assert (decline["type"], decline["title"]) == ("Action.ShowCard", "Can't take it")
    [reason] = [e for e in decline["card"]["body"] if e["type"] == "Input.Text"]
    assert reason["id"] == "reason" and reason["label"] == "Why? (optional, shown in the case channel)"
    assert reason["maxLength"] == 200 and not reason["isRequired"]
    assert decline["card"]["actions"][0]["verb"] == cards.DECLINE

    teams_swarm.answer(cards.ACCEPT, ask["id"], user=expert)
    teams_swarm.drain()
    answered = teams_swarm.summary_card()  # updated in place: nobody is left to ask
    assert "Can you take it?" not in json.dumps(answered) and len(answered["actions"]) == 4
    assert "entities" not in answered["msteams"]


def test_i_am_on_it_is_recorded_once_whatever_the_clicks(teams_swarm):
    expert = open_case(teams_swarm)
    ask = ask_id(teams_swarm, expert)
    first = teams_swarm.answer(cards.ACCEPT, ask, user=expert)
    second = teams_swarm.answer(cards.ACCEPT, ask, user=expert)
    redelivered = teams_swarm.driver.send(teams_swarm.driver.last_activity)  # Teams delivering the same invoke again
    teams_swarm.drain()

    assert [r.json()["value"] for r in (first, second, redelivered)] == [
        "Thanks, you're on CS-1.", "You're already on CS-1.", "You're already on CS-1."]
    case = teams_swarm.case()
    assert case.engaged_at is not None
    assert next(p for p in case.participants if p.user_id == expert).invite_status == "accepted"
    assert len([t for t in teams_swarm.channel_texts() if "Ana Souza is on it." in t]) == 1
    assert len([line for line in teams_swarm.timeline() if line.startswith("accepted:")]) == 1
    summary = json.dumps(teams_swarm.summary_card())
    assert "(on it)" in summary and "engaged after" in summary


def test_a_decline_brings_in_the_next_person_once(teams_swarm):
    first = open_case(teams_swarm)
    ask = ask_id(teams_swarm, first)
    answers = [teams_swarm.answer(cards.DECLINE, ask, user=first, reason="On leave until Monday") for _ in range(2)]
    answers.append(teams_swarm.driver.send(teams_swarm.driver.last_activity))
    teams_swarm.drain()

    assert [a.json()["value"] for a in answers] == ["Got it: someone else will be brought into CS-1.",
                                                    "You already declined CS-1.", "You already declined CS-1."]
    case = teams_swarm.case()
    declined = next(p for p in case.participants if p.user_id == first)
    [second] = [p for p in case.participants if p.role == "expert" and p.user_id != first]
    assert declined.invite_status == "declined" and second.user_id in billing_ids(teams_swarm)
    assert second.user_id in teams_swarm.sandbox.members(case.channel_id)
    [notice] = [t for t in teams_swarm.channel_texts() if "can't take CS-1" in t]
    assert f"{declined.name} can't take CS-1: On leave until Monday. Bringing in <at>{second.name}</at> from Billing" in notice
    assert teams_swarm.asks(second.user_id)  # the new person gets the buttons, in the same post
    assert len([line for line in teams_swarm.timeline() if line.startswith("declined:")]) == 1
    assert f"declined: {declined.name} declined: On leave until Monday" in teams_swarm.timeline()
    summary = json.dumps(teams_swarm.summary_card())
    assert "(declined)" in summary and f"replacing {declined.name}" in summary


def test_only_the_experts_asked_can_answer(teams_swarm):
    expert = open_case(teams_swarm)
    ask = ask_id(teams_swarm, expert)
    answer = teams_swarm.answer(cards.ACCEPT, ask, user=AGENT).json()["value"]
    assert answer.startswith("Only the experts asked to join CS-1 can answer this.")
    refused = teams_swarm.answer(cards.DECLINE, ask, user=AGENT, reason="not mine").json()["value"]
    assert refused.startswith("Only the experts asked to join CS-1 can answer this.")
    teams_swarm.drain()
    assert teams_swarm.case().engaged_at is None
    assert [p.user_id for p in teams_swarm.case().participants if p.role == "expert"] == [expert]


def test_an_answer_after_the_case_is_resolved_is_refused(teams_swarm):
    expert = open_case(teams_swarm)
    ask = ask_id(teams_swarm, expert)
    teams_swarm.click(cards.RESOLVE, resolution="Corrected invoice sent")
    assert teams_swarm.answer(cards.ACCEPT, ask, user=expert).json()["value"] == (
        "CS-1 is resolved; nobody needs to take it now.")
