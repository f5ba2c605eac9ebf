"""The pinned summary is re-rendered by one refresh at a time per case, so the picture left pinned is the latest:
two renders of the same message in flight at once could land in Slack out of order."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import select, update

from swarm.store.outbox import schedule
from swarm.store.tables import WorkflowRow, utcnow
from tests.support.harness import start_harness

MESSAGE = "Acme Corp's May invoice shows the wrong VAT rate\nThe customer needs a corrected invoice this week."


@pytest.fixture
def swarm(database_url, slack_sandbox, tmp_path):
    """Workflows run only when the test says so (no immediate queue), so two can be made to overlap."""
    harness = start_harness(database_url, slack_sandbox, queue_immediate=False, slack_timeout=5.0,
                            queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
    yield harness
    harness.close()


def pending_refresh(swarm) -> int:
    with swarm.container.store.read() as session:
        [workflow_id] = session.scalars(select(WorkflowRow.id).where(
            WorkflowRow.kind == "refresh_summary", WorkflowRow.status == "pending")).all()
    return workflow_id


def pinned_summary(swarm, channel: str) -> str:
    [pinned] = swarm.sandbox.pins(channel)
    return json.dumps(next(m for m in swarm.sandbox.messages(channel) if m["ts"] == pinned)["blocks"])


def test_a_second_refresh_waits_for_the_one_in_flight_and_the_latest_state_stays_pinned(swarm):
    swarm.escalate(MESSAGE)
    swarm.drain()
    channel = swarm.case().channel_id
    runner, updates = swarm.container.runner, lambda: len(swarm.sandbox.calls("chat.update"))

    swarm.command("decide Refund the VAT difference on the May invoice", channel=channel)
    first, before = pending_refresh(swarm), updates()
    swarm.sandbox.delay_next("chat.update", 1.5)  # Slack takes its time answering the first re-render
    in_flight = threading.Thread(target=runner.run, args=(first,))
    in_flight.start()
    deadline = time.monotonic() + 5
    while updates() == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert updates() == before + 1, "the first refresh never reached Slack"

    swarm.command("decide Send the corrected invoice by Friday", channel=channel)
    second = pending_refresh(swarm)  # a new one: the first has started, so it cannot stand in for this change
    assert second != first
    assert runner.run(second) == "waiting"
    assert updates() == before + 1  # no second render while the first is in flight
    in_flight.join(timeout=10)

    swarm.drain()  # the second one now runs, from the case as it is after both decisions
    assert updates() == before + 2
    summary = pinned_summary(swarm, channel)
    assert "Refund the VAT difference" in summary and "Send the corrected invoice by Friday" in summary
    with swarm.container.store.read() as session:
        statuses = session.scalars(select(WorkflowRow.status).where(WorkflowRow.id.in_((first, second)))).all()
    assert statuses == ["done", "done"]


def test_a_refresh_that_comes_after_the_archive_leaves_the_archived_channel_alone(swarm):
    swarm.escalate(MESSAGE)
    swarm.drain()
    channel = swarm.case().channel_id
    swarm.command("resolve Corrected invoice sent", channel=channel)
    swarm.drain()
    with swarm.container.store.transaction() as tx:  # the configured archive delay has passed
        tx.session.execute(update(WorkflowRow).where(WorkflowRow.kind == "archive").values(next_run_at=utcnow()))
    swarm.drain()
    assert swarm.sandbox.channel(channel)["is_archived"]
    updates = len(swarm.sandbox.calls("chat.update"))

    with swarm.container.store.transaction() as tx:  # e.g. a Jira status change that arrives after the archive
        schedule(tx, case_id=1, kind="refresh_summary", key="refresh_summary:1:late")
    swarm.drain()
    assert len(swarm.sandbox.calls("chat.update")) == updates  # nothing sent to an archived channel
    with swarm.container.store.read() as session:
        assert session.scalar(select(WorkflowRow.status).where(WorkflowRow.dedupe_key == "refresh_summary:1:late")) == "done"


def test_the_summary_posted_beside_the_invites_record_shows_their_outcomes_and_costs_no_update(swarm):
    # The summary goes out while the invites' record is still committing (workflows/open_swarm.py), so it takes the
    # outcomes from the invite's answer: a refused invite is shown at once, and the refresh after the posting finds
    # the summary already right.
    swarm.sandbox.fail_next("conversations.invite", 200,
                            body={"ok": False, "error": "user_not_found",
                                  "errors": [{"user": "UBILL0001", "ok": False, "error": "user_not_found"}]})
    swarm.escalate(MESSAGE, customer="Acme Corp", category="billing")
    swarm.drain()
    channel = swarm.case().channel_id
    assert {p.user_id: p.invite_status for p in swarm.case().participants}["UBILL0001"] == "failed"
    summary = pinned_summary(swarm, channel)
    assert "could not add: failed" in summary
    assert summary.count("could not add") == 1 and "pending" not in summary
    assert swarm.sandbox.calls("chat.update") == []
