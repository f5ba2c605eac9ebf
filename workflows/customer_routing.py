"""Routing rules on the customer's tier, which only the CRM knows.

The CRM lookup runs beside the swarm's opening, so the first routing usually happens before the tier is known. When
the customer is found with a tier and the swarm's summary is posted (its first invites are out by then: the summary
shows them), `route_for_customer` compares the plan
with the tier against the plan without it and brings in only what the tier adds (a rule's departments, its
manager): nobody already in the swarm, and never a second person for a department that is already covered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.errors import RetryLater
from swarm.store.queries import open_swarm_load
from swarm.store.tables import CaseRow, ParticipantRow, StepRow, WorkflowRow
from workflows.case_updates import post_notice, refresh_summary_after
from workflows.participants import add_picks, invite_pending, pick_of, record_invites
from workflows.routing import case_facts, not_reachable, plan_swarm, reachable_plan
from workflows.steps import Step, StepContext


def schedule_if_tier_matters(ctx: StepContext, case: CaseRow, *, summary_posted: Callable[[], bool]) -> None:
    """Re-route once for the customer's tier, if a routing rule names it, when both the customer is known and the
    swarm's summary is posted. Called by both records (the customer's, and open_swarm's summary's), with the case
    row locked: whichever commits second sees the other and schedules it, so it never waits on a retry.
    `summary_posted` is asked only when a rule names the tier (for the customer's record it is a query).

    Why after the summary, not after the first invites: the re-route then runs while the opening's last call (the
    pin) is in flight, instead of taking the process from the opening's summary and pin (bench/time_to_swarm.py)."""
    tier = ((case.customer_context or {}).get("tier") or "").lower()
    if tier and any(tier in rule.when.customer_tier for rule in ctx.services.config.rules) and summary_posted():
        ctx.follow_up("route_for_customer", f"route_for_customer:{case.id}")


def route_for_customer(ctx: StepContext) -> dict:
    with ctx.services.store.read() as session:
        case = session.get(CaseRow, ctx.case_id)
        if not summary_posted(session, case.id):  # not scheduled so, unless by an older version
            raise RetryLater("waiting for the swarm's summary before adding what the customer tier brings",
                             retry_after=1)
        present = set(session.scalars(select(ParticipantRow.user_id).where(ParticipantRow.case_id == case.id)))
        load = open_swarm_load(session)
    config, now, chat = ctx.services.config, ctx.services.clock(), ctx.chat_for_case(case)
    with_tier = case_facts(case)
    if not with_tier.customer_tier:
        return {"picks": []}
    without_tier = case_facts(case, with_tier=False)
    covered = Counter((a.department, a.role) for a in plan_swarm(without_tier, config, now=now, load=load).assignments)
    plan, passed_over = reachable_plan(with_tier, config, reachable=lambda p: bool(chat.address(p)), now=now, load=load)
    wanted = Counter((a.department, a.role) for a in plan.assignments) - covered  # the places the tier adds
    added = []
    for a in plan.assignments:  # filled by people not in the swarm yet, in the plan's order of preference
        if wanted[(a.department, a.role)] > 0 and chat.address(a.person) not in present:
            wanted[(a.department, a.role)] -= 1
            added.append(a)
    if not added:
        return {"picks": []}
    picks = [pick_of(chat, a) for a in added]
    who = ", ".join(f"{chat.user_mention(p['user_id'])} ({p['reason']})" for p in picks)
    return {"picks": picks, "skipped": [not_reachable(chat.kind, a.person) for a in passed_over],
            "text": f":star: {case.customer} is a {case.customer_context['tier']} customer: bringing in {who}."}


def record_customer_picks(session: Session, ctx: StepContext, result: dict) -> None:
    if result["picks"]:
        add_picks(session, session.get(CaseRow, ctx.case_id), result)


def summary_posted(session: Session, case_id: int) -> bool:
    return session.scalar(select(StepRow.id).join(WorkflowRow, WorkflowRow.id == StepRow.workflow_id).where(
        WorkflowRow.case_id == case_id, WorkflowRow.kind == "open_swarm", StepRow.name == "post_summary", StepRow.done)) is not None


def refresh_summary_if_added(session: Session, ctx: StepContext, result: dict) -> None:
    """Show who the tier brought in; a tier that adds nobody changes nothing the summary shows."""
    if ctx.results["route"]["picks"]:
        refresh_summary_after(session, ctx, result)


ROUTE_FOR_CUSTOMER = (
    Step("route", route_for_customer, record_customer_picks),
    Step("invite", invite_pending, record_invites),
    Step("post_notice", post_notice, refresh_summary_if_added),
)
