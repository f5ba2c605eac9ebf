"""kill -9 of a real `swarm worker` in the middle of workflows, and of `swarm serve` in the middle of a request:
after a restart every swarm opens, and Slack shows nothing twice.

A killed worker leaves its workflows `running` under a 5-minute lease. The tests let that time pass by ending the
leases in the database (the one thing they do not wait for); the restarted process's periodic sweep, which runs as
its consumer starts, then picks the work up by itself.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import select, update

from config.settings import load_settings
from integrations.slack.sandbox import SlackDriver
from swarm.app.bootstrap import build
from swarm.store.tables import CaseRow, WorkflowRow, utcnow
from tests.reliability import figures, invariants, processes, sizes
from tests.support.harness import start_harness

SUPPORT, AGENT = "CSUPPORT01", "UAGENT001"
FORM = "application/x-www-form-urlencoded"


def _env(database_url: str, queue_url: str, slack_sandbox, signing_secret: str) -> dict[str, str]:
    return {"SWARM_DATABASE_URL": database_url, "SWARM_QUEUE_URL": queue_url, "SLACK_BOT_TOKEN": slack_sandbox.bot_token,
            "SLACK_SIGNING_SECRET": signing_secret, "SLACK_API_URL": slack_sandbox.base_url + "/api/", "SLACK_TIMEOUT": "5",
            "SWARM_RETRY_BASE_SECONDS": "0.05", "SWARM_RETRY_MAX_SECONDS": "0.5", "SWARM_WORKERS": "2"}


def _end_leases(store) -> int:
    """Five minutes later: the dead process's leases have run out."""
    with store.transaction() as tx:
        return tx.session.execute(update(WorkflowRow).where(WorkflowRow.status == "running").values(lease_until=utcnow())).rowcount


def _unfinished(store) -> list[tuple[str, str]]:
    with store.read() as session:
        return [tuple(r) for r in session.execute(select(WorkflowRow.kind, WorkflowRow.status)
                                                    .where(WorkflowRow.status.in_(("pending", "running", "failed")))
                                                    .where(WorkflowRow.kind != "archive"))]


def _slack_shows_each_swarm_once(slack, store, sources: list[str]) -> None:
    with store.read() as session:
        cases = session.scalars(select(CaseRow)).all()
    assert len(cases) == len(sources)
    assert invariants.cases_with_two_channels(slack) == {}
    assert sorted(c.id for c in cases) == sorted(invariants.channels_by_case(slack))
    assert invariants.repeated_posts(slack) == []
    assert set(invariants.pin_counts(slack, [c.channel_id for c in cases]).values()) == {1}
    assert invariants.reinvites(slack) == []
    assert [len(slack.replies(SUPPORT, ts)) for ts in sources] == [2] * len(sources)  # the message + one link


# -- a worker dies ---------------------------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue_url(request, tmp_path):
    if request.param == "sqlite-queue":
        return f"sqlite:///{tmp_path / 'queue.db'}"
    return request.getfixturevalue("redis_url")


def test_a_worker_killed_mid_workflow_is_replaced_and_nothing_happens_twice(database_url, slack_sandbox, queue_url, tmp_path):
    count = sizes.current().crash_swarms
    web = start_harness(database_url, slack_sandbox, queue_immediate=False, queue_url=queue_url)
    env = _env(database_url, queue_url, slack_sandbox, web.driver.signing_secret)
    # Slack answers invites late (after applying them): a kill lands while the worker waits for the answer.
    slack_sandbox.delay_next("conversations.invite", 1.0, apply=True, times=count)
    worker = processes.swarm_worker("worker-1", env, directory=tmp_path)
    replacement = None
    try:
        sources = [web.escalate(f"Worker crash case {n}\nPayments stuck.", customer="Initech", category="operations")[0]
                   for n in range(1, count + 1)]
        processes.wait_for(lambda: len(slack_sandbox.calls("conversations.invite")) >= 1, what="a worker to invite people")
        worker.kill()
        unfinished_at_kill = len(_unfinished(web.container.store))
        assert unfinished_at_kill > 0, "the worker finished everything before it was killed: nothing was tested"
        _end_leases(web.container.store)

        replacement = processes.swarm_worker("worker-2", env, directory=tmp_path)
        took = processes.wait_for(lambda: not _unfinished(web.container.store), what="the replacement worker", timeout=60)
        _slack_shows_each_swarm_once(slack_sandbox, web.container.store, sources)
        figures.record("crash", what="worker kill -9", queue=queue_url.split(":")[0], swarms=count,
                       unfinished_at_kill=unfinished_at_kill, recovered_in_seconds=round(took, 2))
    except AssertionError:
        print(worker.output(), replacement.output() if replacement else "")
        raise
    finally:
        processes.stop_all([p for p in (worker, replacement) if p])
        web.close()


# -- the web process dies --------------------------------------------------------------------------------------------
def test_serve_killed_mid_request_and_mid_workflow_restarts_without_duplicates(database_url, slack_sandbox, tmp_path):
    port, secret = processes.free_port(), "web-crash-signing-secret"
    env = _env(database_url, f"sqlite:///{tmp_path / 'queue.db'}", slack_sandbox, secret)
    driver = SlackDriver(slack_sandbox, f"http://127.0.0.1:{port}/slack/events", secret)
    serve = processes.swarm_serve("serve-1", env, directory=tmp_path, port=port)
    restarted = None
    try:
        processes.wait_for(lambda: processes.healthy(f"http://127.0.0.1:{port}"), what="swarm serve")
        slack_sandbox.delay_next("conversations.invite", 2.0, apply=True, times=4)
        first = [_escalate(driver, slack_sandbox, f"Web crash case {n}\nRefund stuck.") for n in (1, 2)]
        in_flight, retried_ts = _shortcut_in_flight(driver, slack_sandbox)
        processes.wait_for(lambda: len(slack_sandbox.calls("views.open")) >= 3, what="the in-flight request to reach Slack")
        serve.kill()
        in_flight.join(timeout=10)
        store = build(load_settings(database_url=database_url, queue_immediate=True), migrate=False).store
        assert _unfinished(store), "serve finished everything before it was killed: nothing was tested"
        _end_leases(store)

        restarted = processes.swarm_serve("serve-2", env, directory=tmp_path, port=port)
        processes.wait_for(lambda: processes.healthy(f"http://127.0.0.1:{port}"), what="swarm serve to restart")
        resent = driver.post_raw(urlencode({"payload": first[1][1]}).encode(), content_type=FORM)  # Slack re-delivers
        assert resent.status_code == 200 and "already escalated" in resent.text
        third = _escalate(driver, slack_sandbox, ts=retried_ts)  # the agent picks the shortcut again
        processes.wait_for(lambda: not _unfinished(store), what="the swarms to open after the restart", timeout=60)
        _slack_shows_each_swarm_once(slack_sandbox, store, [first[0][0], first[1][0], third[0]])
    except AssertionError:
        print(serve.output(), restarted.output() if restarted else "")
        raise
    finally:
        processes.stop_all([p for p in (serve, restarted) if p])
        driver.close()


def _escalate(driver: SlackDriver, slack, text: str = "", *, ts: str | None = None) -> tuple[str, str]:
    """Shortcut, form, submit; returns (source message ts, the submission's payload JSON for a re-delivery)."""
    ts = ts or slack.post_as_user(SUPPORT, AGENT, text)
    assert driver.message_shortcut(user_id=AGENT, channel_id=SUPPORT, message_ts=ts).status_code == 200
    view = slack.view_opened_with(driver.last_payload["trigger_id"])
    payload = driver.build_view_submission(view["id"], user_id=AGENT,
                                           values={"customer": "Initech", "category": "operations", "severity": "sev2"})
    response = driver.send_interactive(payload)
    assert response.status_code == 200, response.text
    return ts, json.dumps(payload)


def _shortcut_in_flight(driver: SlackDriver, slack) -> tuple[threading.Thread, str]:
    """The agent types `/swarm new` while Slack is slow to open the form: the request is still running at the kill
    (the message shortcut answers first and opens its form after; the command opens it inside the request)."""
    ts = slack.post_as_user(SUPPORT, AGENT, "Web crash case 3\nThe agent tries again after the error.")
    slack.delay_next("views.open", 5.0, apply=False)

    def pick() -> None:
        try:
            driver.slash_command(user_id=AGENT, channel_id=SUPPORT, text="new")
        except requests.RequestException:
            pass  # the connection dies with the process: Slack shows the agent an error

    thread = threading.Thread(target=pick, daemon=True)
    thread.start()
    return thread, ts
