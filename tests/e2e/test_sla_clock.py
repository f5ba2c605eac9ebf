"""The SLA clock end to end: the real app and the Slack sandbox, the sweep called with a controlled clock.

What the swarm sees: one reminder at 50% and one at 80% of the time to engage, the pinned summary turning
"at risk" then "breached", the manager mentioned on the breach and told in the managers' channel, nothing twice:
not on a second sweep, not after a restart of the app on the same database.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from config import load_config
from integrations.slack.sandbox.seed import MANAGERS_CHANNEL_ID
from tests.support.fakes import RecordingHuey
from tests.support.harness import start_harness
from workflows.sla_clock import register_sla_clock, sla_sweep

INVOICE_MESSAGE = "Acme Corp's May invoice shows the wrong VAT rate\nThe customer needs a corrected invoice this week."
MANAGER = "UMGR0001"


def around_the_clock_config():
    """The shipped config with Billing working around the clock (business hours have their unit tests) and a
    managers' channel, so the test's times are plain minutes after the escalation."""
    config = load_config()
    billing = config.departments["billing"].model_copy(update={"business_hours": None})
    channel = config.channel.model_copy(update={"managers_channel": MANAGERS_CHANNEL_ID})
    return dataclasses.replace(config, departments={**config.departments, "billing": billing},
                               settings=config.settings.model_copy(update={"channel": channel}))


@pytest.fixture
def app_factory(database_url, slack_sandbox, tmp_path):
    started = []

    def start():
        harness = start_harness(database_url, slack_sandbox, config=around_the_clock_config(),
                                queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
        started.append(harness)
        return harness

    yield start
    for harness in started:
        harness.close()


def sweep(app, minutes: float) -> None:
    """The minute-by-minute sweep, run once at `minutes` after the escalation, then the work it scheduled."""
    case = app.case()
    sla_sweep(app.container.store, app.container.config, case.created_at + timedelta(minutes=minutes))
    app.drain()


def texts(app, channel_id: str) -> list[str]:
    return [m.get("text", "") for m in app.sandbox.messages(channel_id)]


def new_texts(app, channel_id: str, before: list[str]) -> list[str]:
    return texts(app, channel_id)[len(before):]


def summary_text(app, channel_id: str) -> str:
    [pinned] = app.sandbox.pins(channel_id)
    return json.dumps(next(m for m in app.sandbox.messages(channel_id) if m["ts"] == pinned)["blocks"])


def test_reminders_and_breach_are_posted_once_each_even_across_a_restart(app_factory):
    app = app_factory()
    app.escalate(INVOICE_MESSAGE, severity="sev2")  # sev2: 30 minutes to engage, 8 hours to resolve
    app.drain()
    channel = app.case().channel_id
    [expert] = [p for p in app.case().participants if p.role == "expert"]
    seen, managers_seen = texts(app, channel), texts(app, MANAGERS_CHANNEL_ID)
    assert "on track" in summary_text(app, channel)

    sweep(app, 1)
    assert new_texts(app, channel, seen) == []

    sweep(app, 15)
    [half] = new_texts(app, channel, seen)
    assert "50% of the time to engage is used (15m left of 30m)" in half and f"<@{expert.user_id}>" in half
    seen = texts(app, channel)

    updates = len(app.sandbox.calls("chat.update"))
    sweep(app, 16)
    sweep(app, 20)
    assert new_texts(app, channel, seen) == []
    assert len(app.sandbox.calls("chat.update")) == updates  # the summary is not touched while the state holds

    sweep(app, 24)
    [at_risk] = new_texts(app, channel, seen)
    assert "80% of the time to engage is used (6m left of 30m)" in at_risk
    assert "at risk" in summary_text(app, channel)
    seen = texts(app, channel)

    app.close()  # a restart: a new app on the same database remembers what was posted
    app = app_factory()
    sweep(app, 24)
    assert new_texts(app, channel, seen) == []

    sweep(app, 31)
    [breach] = new_texts(app, channel, seen)
    assert "CS-1* missed its time-to-engage target (30m)" in breach and f"<@{MANAGER}>" in breach
    [to_managers] = new_texts(app, MANAGERS_CHANNEL_ID, managers_seen)
    assert "CS-1" in to_managers and f"<#{channel}>" in to_managers and f"<@{MANAGER}>" in to_managers
    assert expert.name in to_managers
    assert "breached" in summary_text(app, channel)

    sweep(app, 31)
    sweep(app, 45)
    assert new_texts(app, channel, seen) == [breach]
    assert new_texts(app, MANAGERS_CHANNEL_ID, managers_seen) == [to_managers]
    sla_notes = [line for line in app.timeline() if line.startswith("sla:")]
    assert len(sla_notes) == 3 and "breached" in sla_notes[-1]


def test_an_expert_writing_stops_the_engage_clock(app_factory):
    app = app_factory()
    app.escalate(INVOICE_MESSAGE, severity="sev2")
    app.drain()
    channel = app.case().channel_id
    [expert] = [p for p in app.case().participants if p.role == "expert"]
    app.driver.user_message(channel, expert.user_id, "Looking at the VAT setup now.")
    app.drain()
    seen = texts(app, channel)

    sweep(app, 31)
    assert new_texts(app, channel, seen) == []
    assert "engaged after" in summary_text(app, channel)


def test_a_resolved_case_gets_no_reminders(app_factory):
    app = app_factory()
    app.escalate(INVOICE_MESSAGE, severity="sev2")
    app.drain()
    channel = app.case().channel_id
    app.command("resolve Sent the corrected invoice", channel=channel)
    app.drain(until=lambda: not app.due())
    seen = texts(app, channel)
    # The case is no longer open, so the sweep has nothing to say about it.
    sweep(app, 600)
    assert new_texts(app, channel, seen) == []


def test_a_reminder_still_queued_when_the_case_is_resolved_is_never_posted(app_factory):
    app = app_factory()
    app.escalate(INVOICE_MESSAGE, severity="sev2")
    app.drain()
    case = app.case()
    store, seen = app.container.store, texts(app, case.channel_id)
    wake, store.wake = store.wake, lambda ids: None  # busy workers: what the sweep schedules waits in the outbox
    sla_sweep(store, app.container.config, case.created_at + timedelta(minutes=15))
    app.command("resolve Sent the corrected invoice", channel=case.channel_id)
    store.wake = wake
    app.drain(until=lambda: not app.due())

    posted = new_texts(app, case.channel_id, seen)
    assert any(t.startswith("CS-1 resolved") for t in posted)
    assert not any("of the time to engage is used" in t for t in posted)


def test_the_periodic_task_sweeps_with_the_services_clock(app_factory):
    app = app_factory()
    app.escalate(INVOICE_MESSAGE, severity="sev2")
    app.drain()
    channel, seen = app.case().channel_id, texts(app, app.case().channel_id)
    services = app.container.runner.services
    huey = RecordingHuey()
    register_sla_clock(huey, dataclasses.replace(services, clock=lambda: app.case().created_at + timedelta(minutes=15)))

    huey.periodic["sla_sweep"]()
    app.drain()
    [half] = new_texts(app, channel, seen)
    assert "50% of the time to engage is used" in half


