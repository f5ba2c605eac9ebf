"""A frontline agent escalates in Teams and the swarm opens, works and resolves: JWT-signed activities into the
real bot (Teams SDK on uvicorn), the real msgraph-sdk and Teams SDK clients against the Teams sandbox.
Assertions are what Teams (and so its users) would see."""

from __future__ import annotations

import json

from integrations.teams import cards
from integrations.teams.sandbox.driver import dialog_card
from tests.support.teams_harness import AGENT, teams_sandbox, teams_swarm  # noqa: F401 (fixtures)

REFUND_MESSAGE = ("Acme Corp was charged twice for invoice INV-2291\n"
                  "Customer says the card was billed $1,240 on both the 3rd and the 4th and wants the duplicate refunded.")


def inputs(card: dict) -> dict[str, dict]:
    return {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}


def texts(sandbox, channel_id: str) -> list[str]:
    """Every bot post in the channel, as the JSON of its card."""
    return [json.dumps(m["attachments"]) for m in sandbox.messages(channel_id)]


def test_escalation_form_is_prefilled_from_the_message(teams_swarm):
    message_id = teams_swarm.customer_message(REFUND_MESSAGE)
    form = inputs(dialog_card(teams_swarm.open_escalation_form(message_id)))
    assert form["title"]["value"] == "Acme Corp was charged twice for invoice INV-2291"
    assert form["description"]["value"] == REFUND_MESSAGE
    assert form["source_link"]["value"].startswith("https://teams.microsoft.com/l/message/")
    assert [c["value"] for c in form["category"]["choices"]] == ["billing", "it", "operations"]
    assert [c["value"] for c in form["severity"]["choices"]] == ["sev1", "sev2", "sev3", "sev4"]


def test_invalid_form_comes_back_with_the_errors_and_opens_nothing(teams_swarm):
    message_id = teams_swarm.customer_message(REFUND_MESSAGE)
    card = dialog_card(teams_swarm.open_escalation_form(message_id))
    answer = teams_swarm.submit_form(message_id, card, customer="  ", category="biling", severity="sev2")
    assert answer.status_code == 200
    again = dialog_card(answer)
    errors = {e["id"]: e["text"] for e in again["body"] if e.get("id", "").endswith("_error")}
    assert errors == {"customer_error": "Customer is required",
                      "category_error": "Category 'biling' is not one of: billing, it, operations"}
    assert inputs(again)["title"]["value"] == "Acme Corp was charged twice for invoice INV-2291"  # what was typed stays
    assert teams_swarm.case_count() == 0 and teams_swarm.sandbox.case_channels() == []


def test_escalation_opens_a_private_case_channel_with_owners_and_a_summary(teams_swarm):
    message_id, answer = teams_swarm.escalate(REFUND_MESSAGE)
    assert answer["task"] == {"type": "message", "value": answer["task"]["value"]} and "CS-1 is opening" in answer["task"]["value"]
    teams_swarm.drain()

    [channel] = teams_swarm.sandbox.case_channels()
    assert channel["displayName"] == "case-1-acme-corp-was-charged-twice-for-invoice"  # 50 characters at most
    assert channel["membershipType"] == "private"
    case = teams_swarm.case()
    experts = [p for p in case.participants if p.role != "requester"]
    assert experts and all(p.department == "billing" for p in experts)
    assert {AGENT, *(p.user_id for p in experts)} <= set(channel["members"])

    summary = json.dumps(teams_swarm.summary_card())
    for expected in ("CS-1", "Acme Corp", "billing", "SEV2", "Who is here and why", "original message", "engage by",
                     "resolve by", cards.DECIDE, cards.ADD, cards.RESOLVE):
        assert expected in summary, expected
    for person in experts:
        assert person.reason in summary

    [reply] = teams_swarm.sandbox.messages(teams_swarm.support_channel, thread=message_id)
    reply_text = json.dumps(reply["attachments"])
    assert "CS-1" in reply_text and channel["webUrl"] in reply_text
    assert case.status.value == "open"


def test_decisions_from_the_card_and_from_a_mention_update_the_summary_in_place(teams_swarm):
    teams_swarm.escalate(REFUND_MESSAGE)
    teams_swarm.drain()
    case = teams_swarm.case()
    expert = next(p for p in case.participants if p.role == "expert")
    summary_id = teams_swarm.summary_id()
    teams_swarm.driver.user_message(case.channel_id, expert.user_id, "Looking at it: the 4th charge is a gateway retry.")

    clicked = teams_swarm.click(cards.DECIDE, user=expert.user_id, decision="Refund the duplicate $1,240 charge today")
    assert clicked.json() == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                              "value": "Decision recorded on CS-1."}
    _, mentioned = teams_swarm.driver.user_message(case.channel_id, expert.user_id, "decide Ben owns the gateway fix",
                                                   mention_bot=True)
    assert mentioned.status_code == 200
    teams_swarm.drain()

    posts = texts(teams_swarm.sandbox, case.channel_id)
    assert any("Decision recorded" in t and "Refund the duplicate $1,240 charge today" in t for t in posts)
    assert any("Decision recorded" in t and "Ben owns the gateway fix" in t for t in posts)
    summary = teams_swarm.sandbox.message(case.channel_id, summary_id)
    assert teams_swarm.summary_id() == summary_id and summary["history"]  # the same post, updated
    assert "Decisions (2)" in json.dumps(summary["attachments"]) and "engaged after" in json.dumps(summary["attachments"])
    replies = [m for m in teams_swarm.sandbox.messages(case.channel_id, include_replies=True) if m["replyToId"]]
    assert any("Decision recorded on CS-1." in json.dumps(m) for m in replies)  # the bot answered the mention


def test_resolve_posts_the_resolution_and_archives_after_the_delay_and_reopen_brings_it_back(teams_swarm):
    teams_swarm.escalate(REFUND_MESSAGE)
    teams_swarm.drain()
    channel = teams_swarm.case().channel_id

    answer = teams_swarm.click(cards.RESOLVE, resolution="Refunded the duplicate charge; gateway retry fixed")
    assert answer.json()["value"].startswith("CS-1 resolved after") and "archived in 1d 0h" in answer.json()["value"]
    teams_swarm.drain(until=lambda: any("CS-1 resolved" in t for t in texts(teams_swarm.sandbox, channel)))
    resolution = next(t for t in texts(teams_swarm.sandbox, channel) if "CS-1 resolved" in t)
    assert "Refunded the duplicate charge; gateway retry fixed" in resolution and "Time to resolve" in resolution
    assert cards.REOPEN in json.dumps(teams_swarm.summary_card())  # the summary now offers Reopen
    assert not teams_swarm.sandbox.channel(channel)["isArchived"]  # archived only after the configured delay

    teams_swarm.drain(until=lambda: [k for _, k, _ in teams_swarm.pending()] == ["archive"])
    teams_swarm.fast_forward("archive")  # the configured 24 hours have passed
    teams_swarm.drain()
    assert teams_swarm.sandbox.channel(channel)["isArchived"] and teams_swarm.case().status.value == "archived"

    assert teams_swarm.click(cards.REOPEN).json()["value"] == "CS-1 reopened."
    teams_swarm.drain()
    assert not teams_swarm.sandbox.channel(channel)["isArchived"] and teams_swarm.case().status.value == "open"
    assert any("Reopened" in t for t in texts(teams_swarm.sandbox, channel))


def test_bringing_in_a_department_and_a_person(teams_swarm):
    teams_swarm.escalate(REFUND_MESSAGE)
    teams_swarm.drain()
    channel = teams_swarm.case().channel_id
    dev = teams_swarm.sandbox.user_id("dev.patel@example.com")

    assert teams_swarm.click(cards.ADD, department="operations").json()["value"] == "Bringing in Operations on CS-1."
    assert teams_swarm.click(cards.ADD, person=dev).json()["value"] == "Adding Dev Patel to CS-1."
    teams_swarm.drain()

    people = {p.name: p for p in teams_swarm.case().participants}
    assert people["Dev Patel"].department == "it" and dev in teams_swarm.sandbox.members(channel)
    assert any(p.department == "operations" and p.user_id in teams_swarm.sandbox.members(channel) for p in people.values())
    assert any("brought in" in t and "Dev Patel" in t and "mention" in t for t in texts(teams_swarm.sandbox, channel))


def test_status_and_unknown_commands_answer_the_person(teams_swarm):
    teams_swarm.escalate(REFUND_MESSAGE)
    teams_swarm.drain()
    status = teams_swarm.click(cards.STATUS).json()["value"]
    assert "**CS-1**" in status and "Decisions: 0" in status
    empty = teams_swarm.click(cards.DECIDE, decision="   ").json()["value"]
    assert empty.startswith("Decision text is required")


def test_a_status_update_and_the_follow_up_work_from_teams_too(teams_swarm):
    message_id, _ = teams_swarm.escalate(REFUND_MESSAGE)
    teams_swarm.drain()
    case = teams_swarm.case()
    expert = next(p for p in case.participants if p.role == "expert")
    activity = _mention(teams_swarm, case.channel_id, expert.user_id, "update Known issue, refund by 14:00")
    for _ in range(2):  # the same activity delivered twice
        teams_swarm.driver.send(activity)
    teams_swarm.drain()
    thread = teams_swarm.sandbox.messages(teams_swarm.support_channel, thread=message_id)
    assert sum("Known issue, refund by 14:00" in json.dumps(m) for m in thread) == 1

    teams_swarm.driver.user_message(case.channel_id, AGENT, "resolve Refunded", mention_bot=True)
    follow_up_posted = lambda: any("Follow up with Acme Corp" in json.dumps(m)  # noqa: E731
                                   for m in teams_swarm.sandbox.messages(teams_swarm.support_channel, thread=message_id))
    teams_swarm.drain(until=follow_up_posted)
    _, done = teams_swarm.driver.user_message(case.channel_id, AGENT, "followup done CS-1", mention_bot=True)
    assert done.status_code == 200
    assert any("followed up with Acme Corp" in line for line in teams_swarm.timeline())


def _mention(harness, channel_id: str, user_id: str, text: str) -> dict:
    """The activity Teams delivers for an @mention, built once so it can be delivered twice."""
    message_id = harness.sandbox.post_as_user(channel_id, user_id, f"<at>{harness.sandbox.bot_name}</at> {text}")
    activity = harness.driver._envelope("message", user_id, channel_id, message_id, activity_id=message_id)
    activity.update(text=f"<at>{harness.sandbox.bot_name}</at> {text}", textFormat="plain")
    activity["entities"].append({"type": "mention", "text": f"<at>{harness.sandbox.bot_name}</at>",
                                 "mentioned": {"id": harness.driver._bot_id(), "name": harness.sandbox.bot_name}})
    return activity


def test_the_teams_form_offers_an_open_swarm_for_the_same_problem_and_joining_opens_no_channel(teams_swarm):
    from integrations.teams.sandbox import FRONTLINE, TeamsSandbox

    sso = ("Globex cannot sign in since the SSO certificate change\n"
           "Every user gets 'invalid SAML assertion' from the identity provider after the certificate rotation.")
    teams_swarm.escalate(sso, customer="Globex", category="it")
    teams_swarm.drain()
    other_agent = TeamsSandbox.user_id(FRONTLINE[1])
    message_id = teams_swarm.customer_message("Initech cannot sign in either: 'invalid SAML assertion' since the SSO "
                                              "certificate rotation this morning", user=other_agent)
    card = dialog_card(teams_swarm.open_escalation_form(message_id, user=other_agent))
    assert [c["value"] for c in inputs(card)["join"]["choices"]] == ["new", "CS-1"]
    answer = teams_swarm.submit_form(message_id, card, user=other_agent, join="CS-1", customer="Initech", category="it",
                                     severity="sev2")
    assert "Linked to CS-1" in json.dumps(answer.json())
    teams_swarm.drain()
    assert teams_swarm.case_count() == 1 and len(teams_swarm.sandbox.case_channels()) == 1
    assert other_agent in teams_swarm.sandbox.case_channels()[0]["members"]
