"""Slack misbehaving (429 with Retry-After, 500, timeouts after the write) and our process crashing: the swarm
still opens, exactly once."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import update

from swarm.app.cli import main as swarm_cli
from swarm.store.tables import WorkflowRow, utcnow
from tests.support.harness import start_harness
from workflows.definitions import WORKFLOWS
from workflows.runner import WorkflowRunner
from workflows.steps import Step

MESSAGE = "Initech's warehouse shipment is stuck at customs\nPallets for order 5521 held since Monday."


def _opened_once(swarm) -> dict:
    assert swarm.case_count() == 1
    [channel] = swarm.case_channels()
    assert len(swarm.sandbox.pins(channel["id"])) == 1
    summaries = [m for m in swarm.sandbox.messages(channel["id"]) if m.get("text", "").startswith("CS-1 ·")]
    assert len(summaries) == 1
    assert swarm.case().status.value == "open"
    return channel


@pytest.fixture
def fast_timeout_swarm(database_url, slack_sandbox, tmp_path):
    harness = start_harness(database_url, slack_sandbox, slack_timeout=1.0, queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    yield harness
    harness.close()


def test_rate_limited_create_waits_for_retry_after_then_opens_once(swarm):
    swarm.sandbox.fail_next("conversations.create", 429, retry_after=1)
    swarm.escalate(MESSAGE, customer="Initech", category="operations")
    swarm.drain()
    _opened_once(swarm)
    first, second = swarm.sandbox.calls("conversations.create")
    assert first.fault and "429" in first.fault
    assert second.at - first.at >= 1.0  # not a single call before Retry-After elapsed


def test_server_errors_on_post_and_pin_are_retried(swarm):
    swarm.sandbox.fail_next("chat.postMessage", 500)
    swarm.sandbox.fail_next("pins.add", 503)
    swarm.escalate(MESSAGE, customer="Initech", category="operations")
    swarm.drain()
    _opened_once(swarm)


def test_timeout_after_channel_was_created_adopts_it_instead_of_a_second_channel(fast_timeout_swarm):
    swarm = fast_timeout_swarm
    swarm.sandbox.delay_next("conversations.create", 2.0, apply=True)
    swarm.escalate(MESSAGE, customer="Initech", category="operations")
    swarm.drain()
    channel = _opened_once(swarm)
    assert not channel["name"].endswith("-2")
    assert swarm.case().channel_id == channel["id"]


def test_timeouts_after_the_summary_and_the_thread_reply_were_posted_find_them_instead_of_posting_again(fast_timeout_swarm):
    swarm = fast_timeout_swarm
    swarm.sandbox.delay_next("chat.postMessage", 2.0, apply=True, times=2)  # the answer in the thread, the summary
    ts, _ = swarm.escalate(MESSAGE, customer="Initech", category="operations")
    swarm.drain()
    _opened_once(swarm)
    assert len(swarm.sandbox.replies("CSUPPORT01", ts)) == 2  # the message and exactly one link to the swarm
    # Each looked before posting again: the channel's history for the summary, the thread for the reply.
    assert (len(swarm.sandbox.calls("conversations.history")), len(swarm.sandbox.calls("conversations.replies"))) == (1, 1)


class Crash(BaseException):
    """Stands in for the process dying (kill -9) right after an external call."""


def _crash_after(step_name: str):
    def crash_then(step: Step) -> Step:
        def act(ctx):
            step.act(ctx)
            raise Crash(step_name)
        return dataclasses.replace(step, act=act)
    return {kind: tuple(crash_then(s) if f"{kind}.{s.name}" == step_name else s for s in steps)
            for kind, steps in WORKFLOWS.items()}


@pytest.mark.parametrize("step", ["open_swarm.create_channel", "open_swarm.invite", "open_swarm.post_summary",
                                  "open_swarm.pin_summary", "notify_source.post_in_source"])
def test_crash_after_each_step_resumes_on_restart_without_duplicates(database_url, slack_sandbox, tmp_path, step):
    # Workers are not woken (no consumer on this queue): the test plays the worker that dies mid-workflow.
    first = start_harness(database_url, slack_sandbox, queue_immediate=False, queue_url=f"sqlite:///{tmp_path / 'q1.db'}")
    ts, _ = first.escalate(MESSAGE, customer="Initech", category="operations")
    crashing = WorkflowRunner(first.container.runner.services, _crash_after(step))
    with pytest.raises(Crash):
        while crashing.run_due():  # the swarm's own workflows, then those it scheduled (the thread's answer)
            pass
    with first.container.store.transaction() as tx:  # a killed worker leaves its lease behind; then it expires
        tx.session.execute(update(WorkflowRow).values(status="running", lease_until=utcnow()))
    first.close()

    restarted = start_harness(database_url, slack_sandbox, queue_url=f"sqlite:///{tmp_path / 'q2.db'}")
    try:
        restarted.drain()
        _opened_once(restarted)
        assert len(slack_sandbox.replies("CSUPPORT01", ts)) == 2  # the message and exactly one link to the swarm
        assert len(slack_sandbox.applied_calls("conversations.create")) == 1
    finally:
        restarted.close()


def _record_never_commits(step_name: str):
    """The process dies while `step_name`'s record is still committing, after the next step's call went out
    beside it (Step.overlaps_previous_record): that record never lands."""
    def crash_instead(step: Step) -> Step:
        def record(session, ctx, result):
            raise Crash(f"{step_name} record")
        return dataclasses.replace(step, record=record)
    return {kind: tuple(crash_instead(s) if f"{kind}.{s.name}" == step_name else s for s in steps)
            for kind, steps in WORKFLOWS.items()}


@pytest.mark.parametrize("step, then", [("open_swarm.create_channel", "conversations.invite"),
                                        ("open_swarm.invite", "chat.postMessage"),  # the summary, not idempotent
                                        ("open_swarm.post_summary", "pins.add")])
def test_a_crash_while_a_record_commits_beside_the_next_call_resumes_without_duplicates(database_url, slack_sandbox, tmp_path,
                                                                                       step, then):
    first = start_harness(database_url, slack_sandbox, queue_immediate=False, queue_url=f"sqlite:///{tmp_path / 'q1.db'}")
    first.escalate(MESSAGE, customer="Initech", category="operations")
    crashing = WorkflowRunner(first.container.runner.services, _record_never_commits(step))
    with pytest.raises(Crash):
        crashing.run_due()
    assert len(slack_sandbox.applied_calls(then)) == 1  # the next step's call went out before the record was lost
    with first.container.store.transaction() as tx:
        tx.session.execute(update(WorkflowRow).values(status="running", lease_until=utcnow()))
    first.close()

    restarted = start_harness(database_url, slack_sandbox, queue_url=f"sqlite:///{tmp_path / 'q2.db'}")
    try:
        restarted.drain()
        channel = _opened_once(restarted)
        assert len(slack_sandbox.applied_calls("conversations.create")) == 1
        case = restarted.case()
        people = {p.user_id: p.invite_status for p in case.participants}
        # Everyone in the channel is on the case, each added once: a repeated invite is answered already_in_channel.
        assert slack_sandbox.members(channel["id"]) - {slack_sandbox.bot_user_id} == set(people)
        assert set(people.values()) <= {"invited", "already_in_channel"}
        # The first invite already asked for everyone, the routing's picks included, though their rows were never
        # committed: the invite took them from the create step's result.
        assert set(slack_sandbox.applied_calls("conversations.invite")[0].params["users"].split(",")) == set(people)
    finally:
        restarted.close()


def test_a_step_that_keeps_failing_is_parked_shown_and_replayable(swarm, monkeypatch, capsys):
    swarm.sandbox.fail_next("conversations.create", 200, body={"ok": False, "error": "restricted_action"})
    swarm.escalate(MESSAGE, customer="Initech", category="operations")
    swarm.drain()
    assert swarm.case_channels() == []
    assert swarm.workflows()[0] == ("open_swarm", "failed", "create_channel: Slack conversations.create: restricted_action")

    settings = swarm.container.settings
    monkeypatch.setenv("SWARM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SWARM_QUEUE_IMMEDIATE", "true")
    monkeypatch.setenv("SLACK_BOT_TOKEN", swarm.sandbox.bot_token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", settings.slack_signing_secret.get_secret_value())
    monkeypatch.setenv("SLACK_API_URL", settings.slack_api_url)
    assert swarm_cli(["cases"]) == 0
    listing = capsys.readouterr().out
    assert "CS-1" in listing and "opening" in listing
    assert "open_swarm failing: create_channel: Slack conversations.create: restricted_action" in listing

    assert swarm_cli(["retry", "CS-1"]) == 0
    assert "replayed 1 workflow(s)" in capsys.readouterr().out
    _opened_once(swarm)
    assert swarm_cli(["case", "CS-1"]) == 0
    shown = capsys.readouterr().out
    assert "workflow_failed" in shown and "swarm_open" in shown and "retry" in shown


def test_transient_errors_that_never_stop_park_after_the_attempt_cap(database_url, slack_sandbox, tmp_path):
    swarm = start_harness(database_url, slack_sandbox, max_attempts=3, queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        slack_sandbox.fail_next("conversations.create", 500, times=5)
        swarm.escalate(MESSAGE, customer="Initech", category="operations")
        swarm.drain()
        kind, status, error = swarm.workflows()[0]
        assert (kind, status) == ("open_swarm", "failed") and "HTTP 500" in error
        assert len(slack_sandbox.calls("conversations.create")) == 3
        assert any("parked after 3 tries" in line for line in swarm.timeline())
    finally:
        swarm.close()
