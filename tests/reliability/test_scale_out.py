"""Scale-out on the engines a company already runs: PostgreSQL, Redis, two gunicorn web processes and two
`swarm worker` processes, all separate processes on 127.0.0.1, and the Slack sandbox in the test process.

A burst of escalations is split across both web processes (some submissions re-sent by Slack to the other one, at
the same moment); afterwards Slack shows one channel, one summary, one pin and one thread link per escalation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from integrations.slack.sandbox import SlackDriver
from swarm.store.db import Store, make_engine
from swarm.store.tables import CaseRow, WorkflowRow
from tests.reliability import figures, invariants, processes, sizes
from tests.reliability.figures import percentile

SECRET = "scale-out-signing-secret"
SUPPORT, AGENT = "CSUPPORT01", "UAGENT001"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def postgres_url(database_url) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("scale-out needs PostgreSQL: set SWARM_TEST_DATABASE_URL (tests/run does for its second pass)")
    return database_url


@pytest.fixture
def deployment(postgres_url, redis_url, slack_sandbox, tmp_path):
    env = {"SWARM_DATABASE_URL": postgres_url, "SWARM_QUEUE_URL": redis_url, "SLACK_BOT_TOKEN": slack_sandbox.bot_token,
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack_sandbox.base_url + "/api/", "SLACK_TIMEOUT": "5",
           "SWARM_WORKERS": "4", "SWARM_RETRY_BASE_SECONDS": "0.1", "SWARM_RETRY_MAX_SECONDS": "1"}
    migrated = subprocess.run([sys.executable, "-m", "swarm.app.cli", "db", "upgrade"], cwd=tmp_path, capture_output=True,
                              text=True, env={"PATH": os.environ["PATH"], "PYTHONPATH": str(processes.REPO), **env})
    assert migrated.returncode == 0, migrated.stderr  # once per release, before any web process starts
    ports = [processes.free_port(), processes.free_port()]
    started = [processes.gunicorn(f"web-{i}", env, directory=tmp_path, port=port) for i, port in enumerate(ports, 1)]
    started += [processes.swarm_worker(f"worker-{i}", env, directory=tmp_path, threads=4) for i in (1, 2)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            processes.wait_for(lambda url=url: processes.healthy(url), what=f"gunicorn at {url}", timeout=60)
        yield urls, Store(make_engine(postgres_url))
    except BaseException:
        for process in started:
            print(f"--- {process.name}\n{process.output()[-3000:]}")
        raise
    finally:
        processes.stop_all(started)


def test_two_web_processes_and_two_workers_open_every_swarm_exactly_once(deployment, slack_sandbox):
    urls, store = deployment
    count = sizes.current().burst
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        acks = list(pool.map(lambda n: _escalate(slack_sandbox, urls, n), range(count)))
    burst_seconds = time.monotonic() - started
    sources = [ts for ts, _ in acks]
    took = processes.wait_for(lambda: _all_open(slack_sandbox, store, sources), what="every swarm to open", timeout=180)

    with store.read() as session:
        cases = session.scalars(select(CaseRow)).all()
        failed = session.scalars(select(WorkflowRow).where(WorkflowRow.status == "failed")).all()
    assert len(cases) == count and failed == []
    assert len(slack_sandbox.applied_calls("conversations.create")) == count
    assert invariants.cases_with_two_channels(slack_sandbox) == {}
    assert sorted(invariants.channels_by_case(slack_sandbox)) == sorted(c.id for c in cases)
    assert invariants.repeated_posts(slack_sandbox) == []
    assert set(invariants.pin_counts(slack_sandbox, [c.channel_id for c in cases]).values()) == {1}
    assert invariants.reinvites(slack_sandbox) == []
    latencies = [ms for _, timings in acks for ms in timings]
    figures.record("scale-out", escalations=count, resent=sum(len(t) - 1 for _, t in acks), web_processes=2, workers=2,
                   worker_threads=4, burst_seconds=round(burst_seconds, 2), all_open_after_seconds=round(burst_seconds + took, 2),
                   ack_ms_p50=round(percentile(latencies, 0.5)), ack_ms_p95=round(percentile(latencies, 0.95)),
                   ack_ms_max=round(max(latencies)))


def test_a_429_one_process_got_holds_the_method_back_in_every_process(deployment, slack_sandbox):
    """Rate-limit cool-downs are shared through the database: after the 429 one worker process got, no web or worker
    process creates a channel before its Retry-After (calls already on their way, within 0.1 s, counted apart)."""
    urls, store = deployment
    retry_after = 3.0
    slack_sandbox.fail_next("conversations.create", 429, retry_after=retry_after)
    sources = [_escalate(slack_sandbox, urls, 0)[0]]  # its swarm's create gets the 429 ...
    processes.wait_for(lambda: any(c.fault for c in slack_sandbox.calls("conversations.create")), what="the 429")
    with ThreadPoolExecutor(max_workers=4) as pool:  # ... then more swarms, through both web and both worker processes
        sources += [ts for ts, _ in pool.map(lambda n: _escalate(slack_sandbox, urls, n), range(1, 9))]
    processes.wait_for(lambda: _all_open(slack_sandbox, store, sources), what="every swarm to open", timeout=120)

    creates = slack_sandbox.calls("conversations.create")
    [refused] = [c for c in creates if c.fault]
    inside = [c for c in creates if refused.at + 0.1 < c.at < refused.at + retry_after]
    assert inside == [], f"{len(inside)} channels created inside the window, {[round(c.at - refused.at, 2) for c in inside]}"
    assert len(slack_sandbox.applied_calls("conversations.create")) == len(sources)  # and every swarm still opened once


def _escalate(slack, urls: list[str], n: int) -> tuple[str, list[float]]:
    """Shortcut and submit through web process n % 2; every fifth submission Slack also delivers to the other one,
    at the same moment. Returns (source ts, submission latencies in ms)."""
    home, other = urls[n % 2], urls[(n + 1) % 2]
    driver = SlackDriver(slack, home + "/slack/events", SECRET)
    ts = slack.post_as_user(SUPPORT, AGENT, f"Burst case {n}\nThe customer cannot pay.")
    assert driver.message_shortcut(user_id=AGENT, channel_id=SUPPORT, message_ts=ts).status_code == 200
    trigger = driver.last_payload["trigger_id"]
    view = slack.view_opened_with(trigger)
    payload = driver.build_view_submission(view["id"], user_id=AGENT,
                                           values={"customer": "Globex", "category": "it", "severity": "sev2"})
    targets = [home, other] if n % 5 == 0 else [home]
    with ThreadPoolExecutor(max_workers=2) as pool:
        timings = list(pool.map(lambda url: _submit(slack, url, payload), targets))
    driver.close()
    return ts, timings


def _submit(slack, url: str, payload: dict) -> float:
    driver = SlackDriver(slack, url + "/slack/events", SECRET)
    started = time.monotonic()
    response = driver.post_raw(urlencode({"payload": json.dumps(payload)}).encode(), content_type=FORM)
    elapsed = (time.monotonic() - started) * 1000
    driver.close()
    assert response.status_code == 200, response.text
    return elapsed


def _all_open(slack, store: Store, sources: list[str]) -> bool:
    if any(len(slack.replies(SUPPORT, ts)) < 2 for ts in sources):
        return False
    with store.read() as session:
        busy = session.scalar(select(WorkflowRow.id).where(WorkflowRow.status.in_(("pending", "running")),
                                                           WorkflowRow.kind != "archive").limit(1))
    return busy is None
