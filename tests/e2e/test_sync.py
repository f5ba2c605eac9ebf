"""Every case is tied to its Jira issue and its Salesforce record; what the swarm decides reaches both, exactly
once, whatever the network does. Real `jira` and `simple_salesforce` clients against the sandboxes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from swarm.store.tables import DeliveryRow, TimelineRow
from tests.support.harness import start_harness

MESSAGE = "Acme Corp was charged twice for invoice INV-2291\nThe card was billed $1,240 on the 3rd and the 4th."
DECISION = "Refund the duplicate $1,240 today — Ben owns it ✅\nThen audit November's invoices for the same retry bug."


def open_case(swarm, **values) -> str:
    swarm.escalate(MESSAGE, customer="Acme Corp", **values)
    swarm.drain()
    return swarm.case().channel_id


def pinned_text(swarm, channel: str) -> str:
    [ts] = swarm.sandbox.pins(channel)
    return json.dumps(next(m for m in swarm.sandbox.messages(channel) if m["ts"] == ts)["blocks"], ensure_ascii=False)


def case_link(swarm, key: str = "CS-1") -> str:
    return swarm.container.runner.services.case_link(key)


def test_escalation_creates_the_jira_issue_and_shows_the_customer_card(synced_swarm, jira_sandbox):
    channel = open_case(synced_swarm)
    [issue] = jira_sandbox.issues()
    assert (issue.project, issue.issue_type, issue.priority) == ("SUP", "Task", "High")  # sev2 → High
    assert issue.summary.startswith("CS-1")
    assert synced_swarm.case().source_link in issue.description
    # The channel is reached through the case link (known before the channel is), stored with the issue in the
    # create call: in the description and the `caseswarm` property; no remote link, no second call.
    link = case_link(synced_swarm)
    assert link.startswith("http://127.0.0.1:3000/cases/CS-1/channel?sig=")
    assert f"*Swarm channel:* {link}" in issue.description
    assert issue.properties["caseswarm"] == {"case": "CS-1", "channel_url": link}
    assert issue.remote_links == [] and jira_sandbox.calls("POST remotelink") == []
    assert [c.method for c in jira_sandbox.calls()] == ["POST issue"]
    case = synced_swarm.case()
    assert case.ticket_key == issue.key
    summary = pinned_text(synced_swarm, channel)
    assert f"{issue.key}" in summary and "synced ✓" in summary
    assert "Acme Corp · Gold" in summary and "2 open cases in Salesforce" in summary


def test_the_summary_is_updated_only_when_what_it_shows_changes(synced_swarm):
    from swarm.store.outbox import schedule

    def updates() -> int:
        return len(synced_swarm.sandbox.calls("chat.update"))

    def refresh(reason: str) -> None:
        with synced_swarm.container.store.transaction() as tx:
            schedule(tx, case_id=1, kind="refresh_summary", key=f"refresh_summary:1:{reason}")
        synced_swarm.drain()

    channel = open_case(synced_swarm)
    opened = updates()  # the ticket and the customer card arrive before or after the summary is posted
    assert opened <= 2
    refresh("nothing new")
    assert updates() == opened  # it already shows all this: no call

    expert = next(p for p in synced_swarm.case().participants if p.role == "expert")
    synced_swarm.command("decide Refund the duplicate charge today", channel=channel, user=expert.user_id)
    synced_swarm.drain()
    assert updates() == opened + 1
    assert "Refund the duplicate charge today" in pinned_text(synced_swarm, channel)
    refresh("still nothing new")
    assert updates() == opened + 1


def test_escalation_links_an_existing_issue_and_salesforce_case_named_in_the_form(synced_swarm, jira_sandbox, salesforce_sandbox):
    from jira import JIRA

    client = JIRA(server=jira_sandbox.base_url, basic_auth=("caseswarm-bot@example.com", "sandbox-api-token"), get_server_info=False)
    issue = client.create_issue(project={"key": "SUP"}, summary="Billing retries double-charge cards", issuetype={"name": "Task"})
    open_case(synced_swarm, ticket=issue.key.lower(), crm_case="00001001")
    assert len(jira_sandbox.issues()) == 1  # linked, not created
    case = synced_swarm.case()
    assert case.ticket_key == issue.key and case.crm_record == "00001001"
    [link] = jira_sandbox.issue(issue.key).remote_links  # the existing issue is linked to the case once
    assert link.global_id == "caseswarm:CS-1" and link.body["object"]["url"] == case_link(synced_swarm)
    assert "caseswarm" not in jira_sandbox.issue(issue.key).properties  # not ours: only the link is added


@pytest.mark.parametrize("fault", ["500", "timeout-after-write"])
def test_swarm_link_jira_adds_one_remote_link_whatever_the_network_does(database_url, slack_sandbox, jira_sandbox,
                                                                        tmp_path, fault):
    swarm = start_harness(database_url, slack_sandbox, jira=jira_sandbox, queue_url=f"sqlite:///{tmp_path / 'q.db'}",
                          jira_timeout=1.0)
    try:
        from jira import JIRA

        client = JIRA(server=jira_sandbox.base_url, basic_auth=("caseswarm-bot@example.com", "sandbox-api-token"),
                      get_server_info=False)
        existing = client.create_issue(project={"key": "SUP"}, summary="Cards charged twice",
                                       issuetype={"name": "Task"})
        channel = open_case(swarm)  # creates an issue of its own, which the link then replaces
        if fault == "500":
            jira_sandbox.fail_next("POST remotelink", 500)
        else:
            jira_sandbox.delay_next("POST remotelink", 1.5, apply=True)  # Jira writes it; the answer is lost
        swarm.command(f"link jira {existing.key}", channel=channel)
        swarm.drain(timeout=30)

        assert swarm.case().ticket_key == existing.key
        [link] = jira_sandbox.issue(existing.key).remote_links
        assert link.global_id == "caseswarm:CS-1" and link.body["object"]["url"] == case_link(swarm)
        assert len(jira_sandbox.calls("POST remotelink")) == 2  # the failed try, and the retry that Jira merged
        assert {status for kind, status, _ in swarm.workflows() if kind == "link_ticket"} == {"done"}
    finally:
        swarm.close()


def test_decision_and_resolution_reach_jira_and_salesforce_once(synced_swarm, jira_sandbox, salesforce_sandbox):
    channel = open_case(synced_swarm, crm_case="00001001")
    expert = next(p for p in synced_swarm.case().participants if p.role == "expert")
    synced_swarm.command(f"decide {DECISION}", channel=channel, user=expert.user_id)
    synced_swarm.command("resolve Refunded; retry bug fixed in the gateway", channel=channel)
    synced_swarm.drain()

    key = synced_swarm.case().ticket_key
    texts = [c.body for c in jira_sandbox.comments(key)]
    decisions = [t for t in texts if DECISION in t]
    assert len(decisions) == 1 and "Ana Souza (billing)" in decisions[0]
    assert any("Refunded; retry bug fixed in the gateway" in t for t in texts)
    assert jira_sandbox.issue(key).status == "Done"

    sf_case = next(c for c in salesforce_sandbox.records("Case") if c["CaseNumber"] == "00001001")
    bodies = [c["CommentBody"] for c in salesforce_sandbox.case_comments(sf_case["Id"])]
    assert len([b for b in bodies if DECISION in b]) == 1
    assert salesforce_sandbox.record("Case", sf_case["Id"])["Status"] == "Closed"


def test_a_10000_character_unicode_decision_lands_exactly(synced_swarm, jira_sandbox, salesforce_sandbox):
    channel = open_case(synced_swarm, crm_case="00001002")
    text = ("Überprüfung 🔁 résumé — 中文\n" * 400)[:10_000].strip()
    answer = synced_swarm.command(f"decide {text}", channel=channel)
    assert "Decision recorded" in answer.text
    synced_swarm.drain()
    jira_bodies = [c.body for c in jira_sandbox.comments(synced_swarm.case().ticket_key)]
    assert sum(text in body for body in jira_bodies) == 1
    sf_case = next(c for c in salesforce_sandbox.records("Case") if c["CaseNumber"] == "00001002")
    parts = [c["CommentBody"] for c in salesforce_sandbox.case_comments(sf_case["Id"]) if "(part " in c["CommentBody"]]
    assert len(parts) >= 3 and all(len(p) <= 4000 for p in parts)  # Salesforce's CommentBody limit
    assert text.replace("\n", "")[:500] in "".join(parts).replace("\n", "")


@pytest.mark.parametrize("fault", ["429", "500", "timeout-after-write"])
def test_every_sync_call_survives_faults_without_duplicates(database_url, slack_sandbox, jira_sandbox, salesforce_sandbox,
                                                            tmp_path, fault):
    swarm = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                          queue_url=f"sqlite:///{tmp_path / 'q.db'}", jira_timeout=1.0, salesforce_timeout=1.0)
    try:
        inject = {
            "429": lambda sandbox, m: sandbox.fail_next(m, 429, retry_after=1),
            "500": lambda sandbox, m: sandbox.fail_next(m, 500),
            "timeout-after-write": lambda sandbox, m: sandbox.delay_next(m, 1.5, apply=True),
        }[fault]
        for method in ("create_issue", "add_comment", "do_transition"):
            inject(jira_sandbox, _jira_method(jira_sandbox, method))
        for method in ("POST CaseComment", "PATCH Case"):
            inject(salesforce_sandbox, method)
        channel = open_case(swarm, crm_case="00001001")
        swarm.command(f"decide {DECISION}", channel=channel)
        swarm.command("resolve Refunded", channel=channel)
        swarm.drain(timeout=30)

        assert len(jira_sandbox.issues()) == 1
        key = swarm.case().ticket_key
        assert sum(DECISION in c.body for c in jira_sandbox.comments(key)) == 1
        assert jira_sandbox.issue(key).status == "Done"
        sf_case = next(c for c in salesforce_sandbox.records("Case") if c["CaseNumber"] == "00001001")
        assert sum(DECISION in c["CommentBody"] for c in salesforce_sandbox.case_comments(sf_case["Id"])) == 1
        assert salesforce_sandbox.record("Case", sf_case["Id"])["Status"] == "Closed"
        if fault == "429":
            for sandbox, method in [(jira_sandbox, _jira_method(jira_sandbox, "add_comment")), (salesforce_sandbox, "POST CaseComment")]:
                limited = [c for c in sandbox.calls(method) if c.fault and "429" in c.fault]
                after = [c for c in sandbox.calls(method) if c.at > limited[0].at]
                assert after and after[0].at - limited[0].at >= 1.0  # nothing before Retry-After elapsed
    finally:
        swarm.close()


def _jira_method(sandbox, action: str) -> str:
    """The sandbox's name for the call: it names calls by their Flask endpoint."""
    names = {rule.endpoint for rule in sandbox.app.url_map.iter_rules()}
    wanted = {"create_issue": ("POST issue", "create_issue"), "add_comment": ("POST comment", "add_comment"),
              "do_transition": ("POST transitions", "do_transition")}[action]
    return next(n for n in wanted if n in names)


def test_a_worker_killed_after_the_decision_commit_delivers_it_after_restart_once(database_url, slack_sandbox, jira_sandbox,
                                                                                 salesforce_sandbox, tmp_path):
    first = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                          queue_url=f"sqlite:///{tmp_path / 'q1.db'}")
    channel = open_case(first, crm_case="00001001")
    first.close()
    # The decision is committed but no worker runs (nothing consumes this queue): the process "dies" here.
    dead = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                         queue_immediate=False, queue_url=f"sqlite:///{tmp_path / 'q2.db'}")
    dead.command(f"decide {DECISION}", channel=channel)
    key = dead.case().ticket_key
    assert not any(DECISION in c.body for c in jira_sandbox.comments(key))
    dead.close()

    restarted = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                              queue_url=f"sqlite:///{tmp_path / 'q3.db'}")
    try:
        restarted.drain()
        restarted.drain()
        assert sum(DECISION in c.body for c in jira_sandbox.comments(key)) == 1
        sf_case = next(c for c in salesforce_sandbox.records("Case") if c["CaseNumber"] == "00001001")
        assert sum(DECISION in c["CommentBody"] for c in salesforce_sandbox.case_comments(sf_case["Id"])) == 1
    finally:
        restarted.close()


def test_jira_changes_by_people_reach_the_case_channel(synced_swarm, jira_sandbox):
    channel = open_case(synced_swarm)
    key = synced_swarm.case().ticket_key
    comment = jira_sandbox.human_comment(key, "Alice Agent", "Finance confirms the second capture; refund approved.")
    assert synced_swarm.jira_webhook(comment, delivery="d-1").json() == {"status": "recorded"}
    done = jira_sandbox.human_update(key, status="Done", author="Alice Agent")
    assert synced_swarm.jira_webhook(done, delivery="d-2").json() == {"status": "recorded"}
    synced_swarm.drain()
    texts = [m.get("text", "") for m in synced_swarm.sandbox.messages(channel)]
    assert any("comment by Alice Agent: Finance confirms the second capture; refund approved." in t for t in texts)
    assert any("status To Do → Done (by Alice Agent)" in t and "/swarm resolve" in t for t in texts)


def test_our_own_comments_coming_back_are_not_echoed(synced_swarm, jira_sandbox):
    channel = open_case(synced_swarm)
    synced_swarm.command(f"decide {DECISION}", channel=channel)
    synced_swarm.drain()
    key = synced_swarm.case().ticket_key
    ours = next(c for c in jira_sandbox.comments(key) if DECISION in c.body)
    payload = jira_sandbox.human_comment(key, "Alice Agent", "x")
    payload["comment"]["body"] = ours.body
    assert synced_swarm.jira_webhook(payload, delivery="echo").json() == {"status": "ignored"}


def test_unsigned_or_wrongly_signed_webhooks_are_rejected_and_write_nothing(synced_swarm, jira_sandbox):
    open_case(synced_swarm)
    key = synced_swarm.case().ticket_key
    payload = jira_sandbox.human_comment(key, "Mallory", "close this please")
    before = _timeline_count(synced_swarm)
    unsigned = synced_swarm.jira_webhook(payload, secret=None)
    forged = synced_swarm.jira_webhook(payload, secret="not-the-secret")
    assert (unsigned.status_code, forged.status_code) == (401, 401)
    assert "X-Hub-Signature" in unsigned.json()["error"]
    assert _timeline_count(synced_swarm) == before
    with synced_swarm.container.store.read() as session:
        assert session.scalars(select(DeliveryRow)).all() == []


def test_a_replayed_webhook_is_processed_once(synced_swarm, jira_sandbox):
    channel = open_case(synced_swarm)
    payload = jira_sandbox.human_comment(synced_swarm.case().ticket_key, "Alice Agent", "Customer called again.")
    answers = [synced_swarm.jira_webhook(payload, delivery="same-delivery").json()["status"] for _ in range(3)]
    assert answers == ["recorded", "duplicate", "duplicate"]
    synced_swarm.drain()
    assert sum("Customer called again." in m.get("text", "") for m in synced_swarm.sandbox.messages(channel)) == 1


def test_malformed_webhook_gets_a_400_with_the_reason(synced_swarm):
    response = synced_swarm.jira_webhook({"webhookEvent": "comment_created", "issue": {}})
    assert response.status_code == 400 and "issue.key is missing" in response.json()["error"]


def test_sync_is_off_when_jira_and_salesforce_are_not_configured(swarm):
    swarm.escalate(MESSAGE)
    swarm.drain()
    kinds = {kind: status for kind, status, _ in swarm.workflows()}
    assert kinds["link_ticket"] == "done" and kinds["link_customer"] == "done"
    assert swarm.case().ticket_key is None


def _timeline_count(swarm) -> int:
    with swarm.container.store.read() as session:
        return len(session.scalars(select(TimelineRow.id)).all())


def test_the_ticket_is_made_beside_the_channel_and_never_waits_for_it(database_url, slack_sandbox, jira_sandbox,
                                                                      salesforce_sandbox, tmp_path):
    from swarm.store.tables import WorkflowRow

    swarm = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                          queue_immediate=False, queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        swarm.escalate(MESSAGE, customer="Acme Corp")
        with swarm.container.store.read() as session:
            scheduled = {w.kind: w.id for w in session.scalars(select(WorkflowRow))}
        assert {"open_swarm", "link_ticket", "link_customer"} <= set(scheduled)  # all three start with the case
        for kind in ("link_ticket", "link_customer"):  # they answer before the channel exists
            swarm.container.runner.run(scheduled[kind])
        [issue] = jira_sandbox.issues()
        assert issue.properties["caseswarm"]["channel_url"] == case_link(swarm)  # the link, before the channel

        swarm.drain()
        channel = swarm.case().channel_id
        assert jira_sandbox.issue(issue.key).remote_links == [] and jira_sandbox.calls("POST remotelink") == []
        assert "link_ticket_channel" not in {kind for kind, _, _ in swarm.workflows()}
        summary = pinned_text(swarm, channel)
        assert issue.key in summary and "Acme Corp · Gold" in summary
        assert slack_sandbox.calls("chat.update") == []  # posted with both: nothing to update
    finally:
        swarm.close()


def test_a_link_ticket_channel_row_left_by_an_older_version_just_ends(synced_swarm, jira_sandbox):
    from swarm.store.outbox import schedule

    open_case(synced_swarm)
    calls = len(jira_sandbox.calls())
    with synced_swarm.container.store.transaction() as tx:
        schedule(tx, case_id=1, kind="link_ticket_channel", key="link_ticket_channel:1:SUP-1")
    synced_swarm.drain()
    assert ("link_ticket_channel", "done", None) in synced_swarm.workflows()
    assert len(jira_sandbox.calls()) == calls
