"""Routing rules on the customer's tier: the tier comes from Salesforce, usually after the swarm was first routed.
The shipped rule `platinum-urgent` (platinum, sev1/sev2: two people per department and the manager) must apply
whichever answers first, and add nobody twice."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from swarm.store.tables import WorkflowRow
from tests.support.harness import start_harness

MESSAGE = "Invoices doubled for Globex since the gateway retry\nTheir finance team is blocked."


def _roles(swarm) -> Counter:
    return Counter((p.department, p.role) for p in swarm.case().participants if p.role != "requester")


def test_a_platinum_customer_found_after_routing_brings_in_what_the_rule_adds_once(synced_swarm):
    # The tests' queue runs the swarm's opening first, then the customer lookup: the tier arrives after routing.
    ts, _ = synced_swarm.escalate(MESSAGE, customer="Globex", category="billing", severity="sev2")
    synced_swarm.drain()

    assert _roles(synced_swarm) == Counter({("billing", "expert"): 2, ("billing", "manager"): 1})
    channel = synced_swarm.case().channel_id
    [notice] = [m["text"] for m in synced_swarm.sandbox.messages(channel) if "Platinum customer" in m.get("text", "")]
    assert notice.startswith(":star: Globex is a Platinum customer: bringing in <@")
    added = {p.role: p for p in synced_swarm.case().participants if f"<@{p.user_id}>" in notice}
    assert set(added) == {"expert", "manager"} and "platinum-urgent" in added["manager"].reason
    assert all(p.invite_status in ("invited", "already_in_channel") for p in synced_swarm.case().participants)
    invited = [u for c in synced_swarm.sandbox.calls("conversations.invite") for u in c.params["users"].split(",")]
    assert len(invited) == len(set(invited))  # nobody invited twice
    with synced_swarm.container.store.read() as session:  # started once the invites were out: it never waited
        rerouted = session.scalars(select(WorkflowRow).where(WorkflowRow.kind == "route_for_customer")).all()
    assert [(w.status, w.attempts) for w in rerouted] == [("done", 0)]


def test_a_gold_customer_changes_nothing(synced_swarm):
    synced_swarm.escalate(MESSAGE.replace("Globex", "Acme Corp"), customer="Acme Corp", category="billing", severity="sev2")
    synced_swarm.drain()
    assert _roles(synced_swarm) == Counter({("billing", "expert"): 1})
    assert not any("customer: bringing in" in m.get("text", "") for m in synced_swarm.sandbox.messages(synced_swarm.case().channel_id))
    with synced_swarm.container.store.read() as session:  # no rule names gold: nothing to re-route
        assert session.scalar(select(WorkflowRow.id).where(WorkflowRow.kind == "route_for_customer")) is None


def test_a_tier_known_before_routing_is_used_by_the_first_routing(database_url, slack_sandbox, jira_sandbox,
                                                                    salesforce_sandbox, tmp_path):
    swarm = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                          queue_immediate=False, queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        swarm.escalate(MESSAGE, customer="Globex", category="billing", severity="sev2")
        with swarm.container.store.read() as session:
            lookup = session.scalar(select(WorkflowRow.id).where(WorkflowRow.kind == "link_customer"))
        swarm.container.runner.run(lookup)  # Salesforce answers before the swarm is routed
        swarm.drain()
        assert _roles(swarm) == Counter({("billing", "expert"): 2, ("billing", "manager"): 1})
        routed = [e for e in swarm.timeline() if e.startswith("routed:")]
        assert len(routed) == 3 and any("manager (rule 'platinum-urgent')" in e for e in routed)
        assert not any("customer: bringing in" in m.get("text", "") for m in slack_sandbox.messages(swarm.case().channel_id))
    finally:
        swarm.close()


def test_a_tier_found_while_the_invites_are_held_up_is_applied_once_they_are_out(database_url, slack_sandbox,
                                                                                 jira_sandbox, salesforce_sandbox,
                                                                                 tmp_path):
    swarm = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                          queue_immediate=False, queue_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        slack_sandbox.fail_next("conversations.invite", 500)  # the swarm stops after routing, before the invites
        swarm.escalate(MESSAGE, customer="Globex", category="billing", severity="sev2")
        with swarm.container.store.read() as session:
            opening, lookup = (session.scalar(select(WorkflowRow.id).where(WorkflowRow.kind == kind))
                               for kind in ("open_swarm", "link_customer"))
        assert swarm.container.runner.run(opening) == "pending"
        swarm.container.runner.run(lookup)  # Salesforce answers now: the tier is known, the invites are not out
        with swarm.container.store.read() as session:
            assert session.scalar(select(WorkflowRow.id).where(WorkflowRow.kind == "route_for_customer")) is None
        swarm.drain()  # the invites go out, and only then is the tier's routing started

        assert _roles(swarm) == Counter({("billing", "expert"): 2, ("billing", "manager"): 1})
        with swarm.container.store.read() as session:
            rerouted = session.scalars(select(WorkflowRow).where(WorkflowRow.kind == "route_for_customer")).all()
        assert [(w.status, w.attempts) for w in rerouted] == [("done", 0)]
        channel = swarm.case().channel_id
        assert len([m for m in slack_sandbox.messages(channel) if "Platinum customer" in m.get("text", "")]) == 1
    finally:
        swarm.close()
