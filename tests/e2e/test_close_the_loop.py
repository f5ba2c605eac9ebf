"""Close the loop: the root cause is captured on resolve (required when configured) and reaches the ticket and
the CRM; a follow-up with the customer is created, synced to the CRM once, reminded, escalated when overdue,
and marked done. Controlled clock: the sweep is called with the time it should believe it is."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from config import load_config
from swarm.store.queries import case_by_key
from swarm.store.tables import FollowUpRow, utcnow
from swarm.usecases.follow_up import follow_up_sweep
from tests.support.harness import AGENT, SUPPORT, start_harness

MESSAGE = "Acme Corp was charged twice for invoice INV-2291\nThe card was billed on the 3rd and the 4th."


def configured(**changes):
    config = load_config()
    resolution = config.resolution.model_copy(update={"require_root_cause": changes.get("require_root_cause", False)})
    channel = config.channel.model_copy(update={"managers_channel": "CMANAGERS1"})
    return replace(config, settings=config.settings.model_copy(update={"resolution": resolution, "channel": channel}))


@pytest.fixture
def strict_swarm(database_url, slack_sandbox, jira_sandbox, salesforce_sandbox, tmp_path):
    harness = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                            config=configured(require_root_cause=True), queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    yield harness
    harness.close()


def open_case(swarm, **values) -> tuple[str, str]:
    ts, _ = swarm.escalate(MESSAGE, customer="Acme Corp", **values)
    swarm.drain()
    return swarm.case().channel_id, ts


def test_root_cause_is_required_when_configured_and_reaches_timeline_ticket_and_crm(strict_swarm, jira_sandbox, salesforce_sandbox):
    swarm = strict_swarm
    channel, _ = open_case(swarm, crm_case="00001001")
    answer = swarm.command("resolve Refunded the duplicate charge", channel=channel)
    assert answer.status_code == 200 and swarm.case().status.value == "open"  # the form opened instead
    form = swarm.sandbox.views()[-1]
    assert form["view"]["callback_id"] == "resolve_modal"
    summary = next(b for b in form["view"]["blocks"] if b["block_id"] == "summary")
    assert summary["element"]["initial_value"] == "Refunded the duplicate charge"

    missing = swarm.driver.submit_view(form["id"], user_id=AGENT, values={}).json()
    assert missing["response_action"] == "errors"
    assert "Choose the root cause" in missing["errors"]["root_cause"]
    assert "owns the process" in missing["errors"]["root_cause_department"]
    assert swarm.case().status.value == "open"

    done = swarm.driver.submit_view(form["id"], user_id=AGENT, values={"root_cause": "billing-error",
                                                                      "root_cause_department": "billing"}).json()
    assert "CS-1 resolved" in json.dumps(done)
    swarm.drain()
    assert "root_cause: Root cause: Billing error (owned by Billing)" in swarm.timeline()
    key = swarm.case().ticket_key
    assert any("Root cause: Billing error (owned by Billing)" in c.body for c in jira_sandbox.comments(key))
    sf_case = next(c for c in salesforce_sandbox.records("Case") if c["CaseNumber"] == "00001001")
    assert any("Root cause: Billing error" in c["CommentBody"] for c in salesforce_sandbox.case_comments(sf_case["Id"]))


def test_an_unknown_root_cause_is_refused_with_the_list(swarm):
    from swarm.errors import InvalidInput
    from swarm.usecases.lifecycle import resolve_case

    channel, _ = open_case(swarm)
    with pytest.raises(InvalidInput) as refused:
        resolve_case(swarm.container.store, channel_id=channel, summary="Fixed", actor_id=AGENT, actor_name="Maya",
                     config=swarm.container.config, root_cause="gremlins", root_cause_department="billing")
    assert refused.value.fields["root_cause"].startswith("Root cause 'gremlins' is not one of: billing-error, product-defect")


def test_follow_up_lifecycle_created_reminded_overdue_done_and_crm_task_once(database_url, slack_sandbox, jira_sandbox,
                                                                              salesforce_sandbox, tmp_path):
    swarm = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                          config=configured(), queue_url=f"sqlite:///{tmp_path / 'q.db'}", salesforce_timeout=1.0)
    try:
        channel, ts = open_case(swarm, crm_case="00001001", severity="sev2")
        salesforce_sandbox.delay_next("POST Task", 1.5, apply=True)  # the task is created, the answer lost
        swarm.command("resolve Refunded the duplicate charge", channel=channel)
        swarm.drain()
        thread = lambda: [m.get("text", "") for m in slack_sandbox.replies(SUPPORT, ts)]  # noqa: E731
        created = [t for t in thread() if "Follow up with Acme Corp" in t]
        assert len(created) == 1 and "<@UAGENT001>" in created[0] and "Draft:" in created[0]
        sf_case = next(c for c in salesforce_sandbox.records("Case") if c["CaseNumber"] == "00001001")
        tasks = [t for t in salesforce_sandbox.records("Task") if t["WhatId"] == sf_case["Id"]]
        assert len(tasks) == 1 and tasks[0]["Subject"] == "Follow up with Acme Corp on CS-1"

        with swarm.container.store.read() as session:
            due = session.scalar(select(FollowUpRow.due_at))
        assert timedelta(hours=23) < due - utcnow() <= timedelta(days=1)  # sev2: a day
        sweep = lambda at: follow_up_sweep(swarm.container.store, config=swarm.container.config, now=at)  # noqa: E731
        assert sweep(due - timedelta(hours=3)) == 0  # too early for anything
        assert sweep(due - timedelta(hours=1)) == 1 and sweep(due - timedelta(minutes=30)) == 0  # one reminder
        swarm.drain()
        assert sum("Reminder: the follow-up with *Acme Corp*" in t for t in thread()) == 1
        assert sweep(due + timedelta(minutes=5)) == 1 and sweep(due + timedelta(hours=5)) == 0  # one overdue notice
        swarm.drain()
        overdue = [m["text"] for m in slack_sandbox.messages("CMANAGERS1") if "Overdue follow-up" in m.get("text", "")]
        assert len(overdue) == 1 and "<@UMGR0001>" in overdue[0]
        assert sum("Overdue follow-up" in t for t in thread()) == 1

        answer = swarm.command("followup done CS-1", channel=SUPPORT)
        assert "Follow-up on CS-1 marked done" in answer.text
        assert "already done" in swarm.command("followup done CS-1", channel=SUPPORT).text
        assert sweep(due + timedelta(days=3)) == 0
        assert any("followed up with Acme Corp" in line for line in swarm.timeline())
    finally:
        swarm.close()


def test_reopening_cancels_the_follow_up_and_the_next_resolution_makes_a_new_one(swarm):
    channel, _ = open_case(swarm)
    swarm.command("resolve Refunded", channel=channel)
    swarm.drain()
    swarm.command("reopen customer charged again", channel=channel)
    swarm.command("resolve Refunded both charges", channel=channel)
    swarm.drain()
    with swarm.container.store.read() as session:
        states = [f.status for f in session.scalars(select(FollowUpRow).order_by(FollowUpRow.id))]
    assert states == ["cancelled", "open"]


def test_root_causes_page_shows_causes_per_department_and_opens_one_jira_item(database_url, slack_sandbox, jira_sandbox,
                                                                               tmp_path):
    swarm = start_harness(database_url, slack_sandbox, jira=jira_sandbox, config=configured(),
                          queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        for n, (cause, owner) in enumerate([("billing-error", "billing"), ("billing-error", "billing"), ("outage", "it")], 1):
            swarm.escalate(f"Customer {n} problem with the invoice run\nDetails {n}.", customer=f"Customer {n}")
            swarm.drain()
            swarm.command(f"resolve Fixed case {n}", channel=swarm.case(f"CS-{n}").channel_id)
            with swarm.container.store.transaction() as tx:  # the modal's choice (tested above), set directly here
                row = case_by_key(tx.session, f"CS-{n}")
                row.root_cause, row.root_cause_department = cause, owner
        swarm.drain()
        web = _signed_in(swarm)
        page = web.get("/dashboard/root-causes")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert html.index("Billing error") < html.index("Outage")  # most cases first
        csv = web.get("/dashboard/export/root_causes.csv").get_data(as_text=True).splitlines()
        assert csv[1].startswith("Billing,Billing error,2,") and csv[2].startswith("IT,Outage,1,")
        token = _csrf(html)
        for _ in range(2):  # a double click asks twice; Jira gets one item
            answer = web.post("/dashboard/root-causes/billing-error/improvement", data={"csrf_token": token, "department": "billing"})
            assert answer.status_code == 302
        swarm.drain()
        items = [i for i in jira_sandbox.issues() if "caseswarm-improvement-billing-error-billing" in i.labels]
        assert len(items) == 1 and items[0].summary == "Remove the root cause: Billing error (Billing, 2 cases)"
        assert web.post("/dashboard/root-causes/billing-error/improvement", data={"department": "billing"}).status_code in (400, 403)
    finally:
        swarm.close()


def _signed_in(swarm):
    from integrations.web.app import create_app
    from integrations.web.dashboard import dashboard_login_token

    client = create_app(swarm.container).test_client()
    login = client.get("/dashboard/login")
    client.post("/dashboard/login", data={"token": dashboard_login_token(swarm.container), "csrf_token": _csrf(login.get_data(as_text=True))})
    return client


def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_weekly_digest_reaches_the_managers_channel_once_with_the_top_root_causes(database_url, slack_sandbox, tmp_path):
    from workflows.digest import post_weekly_digest

    swarm = start_harness(database_url, slack_sandbox, config=configured(), queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        channel, _ = open_case(swarm)
        swarm.command("resolve Refunded", channel=channel)
        with swarm.container.store.transaction() as tx:
            row = case_by_key(tx.session, "CS-1")
            row.root_cause, row.root_cause_department = "billing-error", "billing"
        services = swarm.container.runner.services
        services.clock = lambda: utcnow() + timedelta(days=7)  # the week after: this week is then "last week"
        first, again = post_weekly_digest(services), post_weekly_digest(services)
        assert first is not None and again == first
        [digest] = [m["text"] for m in slack_sandbox.messages("CMANAGERS1") if "Top root causes" in m.get("text", "")]
        assert "Billing error (Billing): 1 case" in digest
    finally:
        swarm.close()
