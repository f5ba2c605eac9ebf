"""The runner's head start: a step that goes out while the step before it is still committing, and a step's reads
made while the step before it is out (the steps that check the overlap wait for each other, so run one after the
other they would time out instead of passing)."""

from __future__ import annotations

import threading
import time

from swarm.errors import ExternalError
from swarm.outbound_calls import going_out
from swarm.store.db import Store
from swarm.store.outbox import schedule
from swarm.store.tables import CaseRow, StepRow, utcnow
from workflows.runner import WorkflowRunner
from workflows.steps import Step, WorkflowServices

WAIT_S = 5.0


def new_workflow(store: Store, steps: tuple[Step, ...]) -> tuple[WorkflowRunner, int]:
    with store.transaction() as tx:
        case = CaseRow(dedupe_key="k1", title="t", customer="c", category="billing", severity="sev3", description="d",
                       status="open", platform="slack", requester_id="U1", created_at=utcnow())
        tx.session.add(case)
        tx.session.flush()
        workflow_id = schedule(tx, case_id=case.id, kind="test", key="test:1", wake=False)
    return WorkflowRunner(WorkflowServices(store=store, chats={}, config=None, clock=utcnow), {"test": steps}), workflow_id


def run_workflow(store: Store, steps: tuple[Step, ...]) -> tuple[str, int]:
    runner, workflow_id = new_workflow(store, steps)
    return runner.run(workflow_id), workflow_id


def test_a_step_goes_out_while_the_step_before_it_commits_and_both_are_recorded(store):
    next_call_out, record_saw_it = threading.Event(), []

    def slow_record(session, ctx, result):  # the commit of "create" lasts until the next step's call is out
        record_saw_it.append(next_call_out.wait(WAIT_S))

    def invite(ctx):
        next_call_out.set()
        return {"channel": ctx.results["create"]["channel"]}

    steps = (Step("create", lambda ctx: {"channel": "C1"}, slow_record),
             Step("invite", invite, overlaps_previous_record=True))
    status, workflow_id = run_workflow(store, steps)
    assert status == "done"
    with store.read() as session:
        rows = {name: (done, result) for name, done, result in
                session.query(StepRow.name, StepRow.done, StepRow.result).filter(StepRow.workflow_id == workflow_id)}
    assert rows == {"create": (True, {"channel": "C1"}), "invite": (True, {"channel": "C1"})}
    assert record_saw_it == [True]


def test_a_step_that_fails_beside_the_record_before_it_leaves_that_record_in_place(store):
    def refused(ctx):
        raise ExternalError("Slack conversations.invite: not_in_channel", retryable=True)

    status, workflow_id = run_workflow(store, (Step("create", lambda ctx: {"channel": "C1"}),
                                               Step("invite", refused, overlaps_previous_record=True)))
    assert status == "pending"  # retried later, from the invite: the channel is recorded
    with store.read() as session:
        rows = {name: done for name, done in
                session.query(StepRow.name, StepRow.done).filter(StepRow.workflow_id == workflow_id)}
    assert rows == {"create": True, "invite": False}


def test_a_step_s_prefetch_reads_while_the_step_before_it_is_out_and_reaches_that_step(store):
    prefetch_ran, seen = threading.Event(), []

    def invite(ctx):  # the call in flight: it returns only once the next step's read has run beside it
        seen.append(("invite waited", prefetch_ran.wait(WAIT_S)))
        return {}

    def read_ahead(ctx):
        prefetch_ran.set()
        return {"history": 3}

    def post(ctx):
        seen.append(("post got", ctx.prefetched))
        return {}

    status, _ = run_workflow(store, (Step("invite", invite), Step("post", post, prefetch=read_ahead)))
    assert status == "done"
    assert seen == [("invite waited", True), ("post got", {"history": 3})]


def test_a_failed_prefetch_leaves_the_step_to_read_for_itself(store):
    seen = []

    def read_ahead(ctx):
        raise RuntimeError("database went away")

    status, _ = run_workflow(store, (Step("invite", lambda ctx: {}),
                                               Step("post", lambda ctx: seen.append(ctx.prefetched), prefetch=read_ahead)))
    assert status == "done"
    assert seen == [None]


def test_the_first_step_of_a_run_has_nothing_prefetched(store):
    seen = []
    status, _ = run_workflow(store, (Step("post", lambda ctx: seen.append(ctx.prefetched), prefetch=lambda ctx: "x"),))
    assert (status, seen) == ("done", [None])


def test_an_overlapped_record_starts_once_the_next_step_s_call_goes_out(store):
    record_started, seen = threading.Event(), []

    def record(session, ctx, result):
        record_started.set()

    def invite(ctx):
        time.sleep(0.05)  # building the request: the record must not take the process from it yet
        seen.append(("before the call", record_started.is_set()))
        going_out()  # what the Slack client and the Teams bridge say as a request leaves
        seen.append(("while it is out", record_started.wait(WAIT_S)))
        return {}

    status, _ = run_workflow(store, (Step("create", lambda ctx: {}, record),
                                     Step("invite", invite, overlaps_previous_record=True)))
    assert status == "done"
    assert seen == [("before the call", False), ("while it is out", True)]


def test_what_follows_a_claim_is_handed_on_once_the_first_call_goes_out(store):
    handed_on, seen = threading.Event(), []

    def create(ctx):
        time.sleep(0.05)  # routing, naming: the other workflows must not be woken into this yet
        seen.append(("before the call", handed_on.is_set()))
        going_out()
        seen.append(("while it is out", handed_on.wait(WAIT_S)))
        return {}

    runner, workflow_id = new_workflow(store, (Step("create", create),))
    assert runner.run(workflow_id, then=handed_on.set) == "done"
    assert seen == [("before the call", False), ("while it is out", True)]
    finished = []  # nothing left to claim: handed on at once, before run returns
    assert runner.run(workflow_id, then=lambda: finished.append(True)) == "skipped"
    assert finished == [True]
