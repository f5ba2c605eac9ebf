"""Microsoft throttles and fails; the swarm still opens exactly once. Graph 429 + Retry-After and 5xx become
RetryLater (honouring Retry-After), and a create that timed out but happened is found and adopted."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from swarm.store.tables import WorkflowRow, utcnow
from tests.support.teams_harness import start_teams_harness, teams_sandbox, teams_swarm  # noqa: F401 (fixtures)

MESSAGE = "Payments to Globex bounce with code 51\nTheir finance team is blocked on the month-end run."
CREATE_CHANNEL = "POST /teams/{team-id}/channels"
POST_ACTIVITY = "POST /v3/conversations/{conversationId}/activities"


def _open_swarm(swarm) -> WorkflowRow:
    with swarm.container.store.read() as session:
        return session.scalars(select(WorkflowRow).where(WorkflowRow.kind == "open_swarm")).one()


def test_a_throttled_channel_create_waits_for_retry_after_then_opens_once(teams_swarm):
    teams_swarm.sandbox.graph.fail_next(CREATE_CHANNEL, 429, retry_after=30)
    teams_swarm.escalate(MESSAGE)
    waiting = _open_swarm(teams_swarm)
    assert waiting.status == "pending" and "HTTP 429" in waiting.last_error
    assert waiting.next_run_at - utcnow() > timedelta(seconds=25)  # Retry-After: 30 s, not the 0.05 s backoff
    teams_swarm.fast_forward("open_swarm")
    teams_swarm.drain()
    assert len(teams_swarm.sandbox.case_channels()) == 1 and teams_swarm.case().status.value == "open"
    assert [c.fault is not None for c in teams_swarm.sandbox.graph.calls(CREATE_CHANNEL)] == [True, False]


@pytest.mark.parametrize("status", [500, 503])
def test_a_failing_channel_create_is_retried_and_opens_once(teams_swarm, status):
    teams_swarm.sandbox.graph.fail_next(CREATE_CHANNEL, status, times=2)
    teams_swarm.escalate(MESSAGE)
    teams_swarm.drain()
    assert len(teams_swarm.sandbox.case_channels()) == 1 and teams_swarm.case().status.value == "open"
    assert len(teams_swarm.sandbox.graph.applied_calls(CREATE_CHANNEL)) == 1


def test_a_create_that_timed_out_but_happened_is_adopted_not_repeated(database_url, teams_sandbox, tmp_path):
    swarm = start_teams_harness(database_url, teams_sandbox, queue_url=f"sqlite:///{tmp_path / 'q.db'}", teams_timeout=0.5)
    try:
        teams_sandbox.graph.delay_next(CREATE_CHANNEL, 0.8, apply=True)  # the client gives up at 0.5 s
        swarm.escalate(MESSAGE)
        assert "ReadTimeout" in (_open_swarm(swarm).last_error or "")
        deadline = time.monotonic() + 5
        while not teams_sandbox.case_channels() and time.monotonic() < deadline:
            time.sleep(0.05)  # the sandbox finishes the create after the client left
        swarm.drain()
        [channel] = teams_sandbox.case_channels()
        assert swarm.case().channel_id == channel["id"]
        assert len(teams_sandbox.graph.applied_calls(CREATE_CHANNEL)) == 1
        assert teams_sandbox.graph.calls("GET /teams/{team-id}/channels")  # it looked before creating again
    finally:
        swarm.close()


def test_a_throttled_summary_post_is_retried_and_posted_once(teams_swarm):
    teams_swarm.sandbox.connector.fail_next(POST_ACTIVITY, 429, retry_after=1)
    teams_swarm.escalate(MESSAGE)
    teams_swarm.fast_forward("open_swarm")
    teams_swarm.drain()
    posts = teams_swarm.sandbox.messages(teams_swarm.case().channel_id)
    summaries = [p for p in posts if "Record decision" in str(p.get("attachments"))]
    assert len(summaries) == 1 and teams_swarm.summary_id() == summaries[0]["id"]


def test_throttled_member_adds_end_with_everyone_added_once(teams_swarm):
    teams_swarm.sandbox.graph.fail_next("POST /teams/{team-id}/channels/{channel-id}/members", 429, retry_after=1)
    teams_swarm.escalate(MESSAGE)
    teams_swarm.fast_forward("open_swarm")
    teams_swarm.drain()
    case = teams_swarm.case()
    assert {p.invite_status for p in case.participants} <= {"invited", "already_in_channel"}
    assert {p.user_id for p in case.participants} <= teams_swarm.sandbox.members(case.channel_id)


def test_a_sign_in_outage_neither_loses_the_escalation_nor_opens_twice(teams_swarm):
    teams_swarm.sandbox.identity.fail_next("POST /{tenant}/oauth2/v2.0/token", 503, times=3)
    _, answer = teams_swarm.escalate(MESSAGE)
    assert "CS-1 is opening" in answer["task"]["value"]  # recorded, under the name Teams sent
    assert "Teams sign-in: HTTP 503" in (_open_swarm(teams_swarm).last_error or "")
    teams_swarm.drain()
    assert teams_swarm.case().status.value == "open" and len(teams_swarm.sandbox.case_channels()) == 1
