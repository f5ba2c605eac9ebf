"""Sync to the ticketing system and the CRM: link on escalation, decisions, status and resolution.

Adapters are idempotent by marker (a comment or note carrying `decision-<id>` is never added twice) and look for
an issue they may already have created, so a retry after a timeout never doubles anything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.errors import NotFound, PermanentFailure, RetryLater
from swarm.model import CaseStatus
from swarm.store.queries import load_case_summary
from swarm.store.tables import CaseRow, DecisionRow, WorkflowRow
from swarm.usecases.common import note
from workflows.customer_routing import schedule_if_tier_matters, summary_posted
from workflows.steps import Step, StepContext


def _case(ctx: StepContext) -> CaseRow:
    with ctx.services.store.read() as session:
        return session.get(CaseRow, ctx.case_id)


def _refresh(ctx: StepContext, reason: str) -> None:
    ctx.follow_up("refresh_summary", f"refresh_summary:{ctx.case_id}:{reason}:{ctx.workflow_id}", coalesce=True)


# -- ticket --------------------------------------------------------------------------------------------------
def link_ticket(ctx: StepContext) -> dict:
    """Scheduled with the case, so the issue is made while the channel is: the summary, posted once the people are
    in, then shows it (no chat.update to add it). The issue never waits for the channel: it carries the case's channel
    link (swarm/case_links.py), which our web app redirects to the channel once there is one."""
    ticketing = ctx.services.ticketing
    if ticketing is None:
        return {"skipped": "ticketing is not configured"}
    if ctx.services.case_link is None:
        raise PermanentFailure("no key signs case channel links: set SWARM_SECRET_KEY")
    case = _case(ctx)
    ref = ctx.payload.get("ref")
    channel_link = ctx.services.case_link(case.key)
    try:
        if ref:  # an existing issue: link it to the case once (the link is found again by the case key)
            ticket = ticketing.get_ticket(ref)
            ticketing.link_channel(ticket.key, case_key=case.key, channel_url=channel_link)
        else:  # ours: made with the link in the create call itself
            with ctx.services.store.read() as session:
                summary = load_case_summary(session, ctx.case_id)
            ticket = ticketing.ensure_ticket(summary, channel_url=channel_link, maybe_created_earlier=ctx.ambiguous)
    except NotFound as exc:
        raise PermanentFailure(f"{ticketing.name} issue {ref} not found: {exc}") from exc
    _refresh(ctx, "ticket")
    return {"key": ticket.key, "url": ticket.url, "linked": bool(ref)}


def record_ticket(session: Session, ctx: StepContext, result: dict) -> None:
    if "key" not in result:
        return
    case = session.get(CaseRow, ctx.case_id)
    case.ticket_key, case.ticket_url = result["key"], result["url"]
    verb = "Linked" if result.get("linked") else "Created"
    note(session, case, "ticket_linked", f"{verb} ticket {result['key']}")


# -- CRM ---------------------------------------------------------------------------------------------------
def link_customer(ctx: StepContext) -> dict:
    """What the CRM knows about the customer: account, tier, open cases (for the customer card)."""
    crm = ctx.services.crm
    if crm is None:
        return {"skipped": "CRM is not configured"}
    context = crm.find_customer(_case(ctx).customer)
    if context is None:
        return {"found": False}
    _refresh(ctx, "customer")
    return {"found": True, "account_id": context.account_id, "account_name": context.account_name,
            "tier": context.tier, "open_cases": context.open_cases, "system": crm.name}


def record_customer(session: Session, ctx: StepContext, result: dict) -> None:
    if not result.get("found"):
        return
    case = session.get(CaseRow, ctx.case_id, with_for_update=True)  # see schedule_if_tier_matters
    case.customer_context = {k: result[k] for k in ("account_id", "account_name", "tier", "open_cases", "system")}
    note(session, case, "customer_found", f"Customer matched {result['system']} account {result['account_name']}"
         + (f" ({result['tier']})" if result.get("tier") else ""))
    schedule_if_tier_matters(ctx, case, summary_posted=lambda: summary_posted(session, case.id))


def link_crm_record(ctx: StepContext) -> dict:
    crm = ctx.services.crm
    if crm is None:
        return {"skipped": "CRM is not configured"}
    try:
        record = crm.get_record(ctx.payload["ref"])
    except NotFound as exc:
        raise PermanentFailure(f"{crm.name} case {ctx.payload['ref']} not found: {exc}") from exc
    _refresh(ctx, "crm")
    return {"id": record.id, "number": record.number, "url": record.url}


def record_crm_record(session: Session, ctx: StepContext, result: dict) -> None:
    if "id" not in result:
        return
    case = session.get(CaseRow, ctx.case_id)
    case.crm_record_id, case.crm_record_number = result["id"], result["number"]
    note(session, case, "crm_linked", f"Linked CRM case {result['number']}")


# -- decisions and status, to either system ---------------------------------------------------------------
_SYSTEMS = {  # what each system's record is on the case, and the workflow that links it
    "ticket": ("ticketing", "ticket_key", "link_ticket", "the ticket"),
    "crm": ("crm", "crm_record_id", "link_crm_record", "the CRM case"),
}


def _target(ctx: StepContext, system: str):
    """(port, case, record id), or None when the system is off or the case has no record there (after waiting
    for a link that is still being made)."""
    port_name, record_attr, link_kind, what = _SYSTEMS[system]
    port = getattr(ctx.services, port_name)
    if port is None:
        return None
    case = _case(ctx)
    record = getattr(case, record_attr)
    if not record:
        _wait_for_link(ctx, link_kind, what)
        return None
    return port, case, record


def sync_decision(system: str):
    def act(ctx: StepContext) -> dict:
        target = _target(ctx, system)
        if target is None:
            return {"skipped": f"no {system} to sync to"}
        port, case, record = target
        decision = _decision(ctx)
        return {"note_id": port.add_note(record, marker=f"decision-{decision.id}", text=decision_text(case, decision))}
    return act


def sync_status(system: str):
    def act(ctx: StepContext) -> dict:
        target = _target(ctx, system)
        if target is None:
            return {"skipped": f"no {system} to sync to"}
        port, _, record = target
        status = CaseStatus(ctx.payload["status"])
        port.set_status(record, status, marker=f"status-{ctx.workflow_id}", note=ctx.payload.get("note"))
        return {"status": status.value}
    return act


# -- shared ------------------------------------------------------------------------------------------------
def decision_text(case: CaseRow, decision: DecisionRow) -> str:
    """The decision exactly as recorded, with who made it and where."""
    who = f"{decision.author_name} ({decision.department})" if decision.department else decision.author_name
    link = f"\n\nSource: {decision.link}" if decision.link else ""
    return f"Decision recorded in {case.key} by {who}:\n{decision.text}{link}"


def _decision(ctx: StepContext) -> DecisionRow:
    with ctx.services.store.read() as session:
        return session.get(DecisionRow, ctx.payload["decision_id"])


def _wait_for_link(ctx: StepContext, kind: str, what: str) -> None:
    """If a link to `what` is still being made, retry soon; if there is none, there is nothing to sync to."""
    with ctx.services.store.read() as session:
        pending = session.scalar(select(WorkflowRow.id).where(
            WorkflowRow.case_id == ctx.case_id, WorkflowRow.kind == kind, WorkflowRow.status.in_(("pending", "running"))))
    if pending is not None:
        raise RetryLater(f"waiting for {what} to be linked", retry_after=1)


LINK_TICKET = (Step("link_ticket", link_ticket, record_ticket),)
LINK_CUSTOMER = (Step("link_customer", link_customer, record_customer),)
LINK_CRM_RECORD = (Step("link_crm_record", link_crm_record, record_crm_record),)
SYNC_DECISION_TICKET = (Step("add_comment", sync_decision("ticket")),)
SYNC_DECISION_CRM = (Step("add_note", sync_decision("crm")),)
SYNC_STATUS_TICKET = (Step("set_status", sync_status("ticket")),)
SYNC_STATUS_CRM = (Step("set_status", sync_status("crm")),)
