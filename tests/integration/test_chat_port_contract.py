"""One contract for the ChatPlatform port, run against every implementation: SlackChat (slack_sdk against the
Slack sandbox) and TeamsChat (msgraph-sdk + Teams SDK against the Teams sandbox). The workflows rely on exactly
these behaviours, so an adapter that passes here can carry a swarm."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from integrations.rate_limits import COOLDOWNS

from swarm.errors import NameTaken, RetryLater
from swarm.model import CaseStatus, CaseSummary, Severity
from swarm.outbound_calls import CallOut, announcing
from swarm.ports import ChatPlatform, Notice, SummaryCard


@dataclass
class Subject:
    """An adapter, and how to look behind it at its sandbox."""

    chat: ChatPlatform
    people: tuple[str, str]  # two users who can be added to a channel
    refused: str  # a user id the platform will not add (with a reason)
    fail_next: Callable[[str, int, float | None], None]  # "create_channel" | "post", status, retry_after
    is_archived: Callable[[str], bool]
    shown: Callable[[str, str], str]  # (channel, message id) → what the message shows now, as text


def slack_subject() -> tuple[Subject, Callable[[], None]]:
    from integrations.slack.chat import SlackChat, make_web_client
    from integrations.slack.sandbox import SlackSandbox

    sandbox = SlackSandbox()
    sandbox.seed_demo_workspace()
    sandbox.start()
    chat = SlackChat(make_web_client(sandbox.bot_token, base_url=sandbox.base_url + "/api/", timeout=2))
    methods = {"create_channel": "conversations.create", "post": "chat.postMessage"}

    def shown(channel: str, ts: str) -> str:
        return json.dumps(next(m for m in sandbox.messages(channel, include_replies=True) if m["ts"] == ts))

    subject = Subject(chat, ("UBILL0001", "UBILL0002"), "UNOBODY99",
                      lambda op, status, retry_after: sandbox.fail_next(methods[op], status, retry_after=retry_after),
                      lambda channel: sandbox.channel(channel)["is_archived"], shown)
    return subject, sandbox.stop


def teams_subject() -> tuple[Subject, Callable[[], None]]:
    from integrations.teams.chat import TeamsChat
    from integrations.teams.sandbox import OUTSIDER, TeamsSandbox

    sandbox = TeamsSandbox()
    sandbox.seed_demo_tenant()
    sandbox.start()
    chat = TeamsChat(sandbox.teams_settings())
    servers = {"create_channel": (sandbox.graph, "POST /teams/{team-id}/channels"),
               "post": (sandbox.connector, "POST /v3/conversations/{conversationId}/activities")}

    def fail_next(op: str, status: int, retry_after: float | None) -> None:
        server, method = servers[op]
        server.fail_next(method, status, retry_after=retry_after)

    subject = Subject(chat, (sandbox.user_id("ana.souza@example.com"), sandbox.user_id("ben.okafor@example.com")),
                      sandbox.user_id(OUTSIDER[1]), fail_next, lambda channel: sandbox.channel(channel)["isArchived"],
                      lambda channel, message_id: json.dumps(sandbox.message(channel, message_id)["attachments"]))

    def stop() -> None:
        chat.bridge.close()
        sandbox.stop()
    return subject, stop


@pytest.fixture(params=["slack", "teams"])
def subject(request):
    made, stop = {"slack": slack_subject, "teams": teams_subject}[request.param]()
    yield made
    stop()


def _case(channel_id: str, title: str) -> CaseSummary:
    return CaseSummary(key="CS-7", number=7, title=title, customer="Acme Corp", category="billing",
                       severity=Severity.SEV2, description="Charged twice", status=CaseStatus.OPEN, requester="x",
                       source_link=None, created_at=datetime.now(timezone.utc), channel_id=channel_id)


# -- channels ---------------------------------------------------------------------------------------------------
def test_create_channel_returns_a_reference_we_created(subject):
    ref = subject.chat.create_channel("case-7-contract", private=True)
    assert ref.id and ref.name == "case-7-contract" and ref.created_by_us


def test_a_taken_name_raises_name_taken(subject):
    subject.chat.create_channel("case-7-taken", private=True)
    with pytest.raises(NameTaken):
        subject.chat.create_channel("case-7-taken", private=True)


def test_find_channel_finds_what_create_made_and_nothing_else(subject):
    ref = subject.chat.create_channel("case-7-findme", private=True)
    found = subject.chat.find_channel("case-7-findme")
    assert found is not None and (found.id, found.created_by_us) == (ref.id, True)
    assert subject.chat.find_channel("case-7-nowhere") is None


def test_invite_reports_every_person(subject):
    channel = subject.chat.create_channel("case-7-invite", private=True).id
    first, second = subject.people
    assert [(o.user_id, o.status) for o in subject.chat.invite(channel, [first])] == [(first, "invited")]
    outcomes = subject.chat.invite(channel, [first, second, subject.refused])
    assert [(o.user_id, o.status) for o in outcomes] == [
        (first, "already_in_channel"), (second, "invited"), (subject.refused, "failed")]
    assert outcomes[2].reason  # a failure always says why


def test_channel_links_and_mentions(subject):
    channel = subject.chat.create_channel("case-7-links", private=True).id
    assert subject.chat.channel_url(channel).startswith("https://")
    assert subject.chat.message_url(channel, "1700000000123" if subject.chat.kind == "teams" else "1700000000.000100").startswith("https://")
    assert subject.chat.channel_mention(channel) and subject.chat.user_mention(subject.people[0])


# -- messages ---------------------------------------------------------------------------------------------------
def test_post_then_find_posted_by_effect_key(subject):
    channel = subject.chat.create_channel("case-7-post", private=True).id
    message = subject.chat.post(channel, Notice("Decision recorded: refund today", "CS-7"), effect_key="wf41")
    assert "refund today" in subject.shown(channel, message)
    assert subject.chat.find_posted(channel, "wf41") == message
    assert subject.chat.find_posted(channel, "wf4") is None  # exact keys only


def test_post_in_a_thread_and_find_it_there(subject):
    channel = subject.chat.create_channel("case-7-thread", private=True).id
    root = subject.chat.post(channel, Notice("root", "CS-7"), effect_key="wf50")
    reply = subject.chat.post(channel, Notice("in the thread", "CS-7"), effect_key="wf50-source", thread=root)
    assert reply != root
    assert subject.chat.find_posted(channel, "wf50-source", thread=root) == reply


def test_update_replaces_the_message_in_place(subject):
    channel = subject.chat.create_channel("case-7-update", private=True).id
    message = subject.chat.post(channel, SummaryCard(_case(channel, "First title")), effect_key="wf60")
    subject.chat.update(channel, message, SummaryCard(_case(channel, "Second title")))
    now = subject.shown(channel, message)
    assert "Second title" in now and "First title" not in now


def test_pin_twice_is_fine(subject):
    channel = subject.chat.create_channel("case-7-pin", private=True).id
    message = subject.chat.post(channel, Notice("summary", "CS-7"), effect_key="wf70")
    subject.chat.pin(channel, message)
    subject.chat.pin(channel, message)


def test_archive_twice_is_fine_and_unarchive_brings_it_back(subject):
    channel = subject.chat.create_channel("case-7-archive", private=True).id
    subject.chat.archive(channel)
    subject.chat.archive(channel)
    assert subject.is_archived(channel)
    subject.chat.unarchive(channel)
    subject.chat.unarchive(channel)
    assert not subject.is_archived(channel)


# -- failures ---------------------------------------------------------------------------------------------------
def test_throttling_is_retry_later_with_the_servers_retry_after(subject):
    subject.fail_next("create_channel", 429, 7)
    with pytest.raises(RetryLater) as raised:
        subject.chat.create_channel("case-7-throttled", private=True)
    assert raised.value.retry_after == 7
    COOLDOWNS.clear()  # the 7 s pass (inside them no call is made: tests/reliability/test_cooldowns.py)
    assert subject.chat.create_channel("case-7-throttled", private=True).name == "case-7-throttled"


@pytest.mark.parametrize("operation", ["create_channel", "post"])
def test_a_server_error_is_retry_later(subject, operation):
    channel = subject.chat.create_channel("case-7-flaky", private=True).id
    subject.fail_next(operation, 500, None)
    with pytest.raises(RetryLater):
        if operation == "create_channel":
            subject.chat.create_channel("case-7-flaky-2", private=True)
        else:
            subject.chat.post(channel, Notice("hello", "CS-7"), effect_key="wf80")


def test_a_call_says_as_it_goes_out(subject):
    # The runner starts a step's record once the next step's call is out (swarm/outbound_calls.py): an adapter
    # that never says so leaves that record waiting for the step's end, between two calls of the swarm.
    out = CallOut()
    with announcing(out):
        subject.chat.create_channel("case-77-a-call-going-out", private=False)
        assert out.is_set() and out.by_call
