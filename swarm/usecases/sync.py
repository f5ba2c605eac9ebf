"""What reaches the ticket and the CRM record: scheduled in the same transaction as the change (the outbox).

One workflow per system and change, so a failing Jira never holds back Salesforce (or the swarm itself).
Workflows for a system that is not configured finish at once without doing anything.
"""

from __future__ import annotations

from swarm.errors import InvalidInput
from swarm.escalation_form import CRM_CASE_REF, TICKET_KEY
from swarm.store.db import Store, Transaction
from swarm.store.outbox import schedule
from swarm.store.tables import CaseRow
from swarm.usecases.common import case_in_channel

TICKET, CRM = "ticket", "crm"


def schedule_customer_links(tx: Transaction, case: CaseRow, *, crm_ref: str | None = None) -> None:
    """On escalation (the case is new in `tx`): the customer's CRM context (and the CRM case, if one was named)."""
    schedule(tx, case_id=case.id, kind="link_customer", key=f"link_customer:{case.id}", new_case=True)
    if crm_ref:
        schedule(tx, case_id=case.id, kind="link_crm_record", key=f"link_crm_record:{case.id}:{crm_ref}",
                 payload={"ref": crm_ref}, new_case=True)


def ticket_link_key(case_id: int, ref: str | None) -> str:
    return f"link_ticket:{case_id}:{ref or 'auto'}"


def schedule_crm_link(tx: Transaction, case: CaseRow, ref: str) -> None:
    schedule(tx, case_id=case.id, kind="link_crm_record", key=f"link_crm_record:{case.id}:{ref}", payload={"ref": ref})


def schedule_decision_sync(tx: Transaction, case: CaseRow, decision_id: int) -> None:
    for system in (TICKET, CRM):
        schedule(tx, case_id=case.id, kind=f"sync_decision_{system}", key=f"sync_decision_{system}:{decision_id}",
                 payload={"decision_id": decision_id})


def schedule_status_sync(tx: Transaction, case: CaseRow, *, status: str, note: str, stamp: int) -> None:
    for system in (TICKET, CRM):
        schedule(tx, case_id=case.id, kind=f"sync_status_{system}", key=f"sync_status_{system}:{case.id}:{status}:{stamp}",
                 payload={"status": status, "note": note})


def link_record(store: Store, *, channel_id: str, system: str, ref: str) -> str:
    """`/swarm link jira SUP-12` or `/swarm link salesforce 00001001`: link an existing ticket or CRM case."""
    system, ref = system.strip().lower(), ref.strip()
    if system not in ("jira", "salesforce"):
        raise InvalidInput({"system": f"Link to 'jira' or 'salesforce', not '{system}': /swarm link jira SUP-12"})
    if system == "jira" and not TICKET_KEY.fullmatch(ref.upper()):
        raise InvalidInput({"ref": f"'{ref}' is not an issue key like SUP-123"})
    if system == "salesforce" and not CRM_CASE_REF.fullmatch(ref):
        raise InvalidInput({"ref": f"'{ref}' is not a case number (digits) or a 15/18-character case id"})
    with store.transaction() as tx:
        case = case_in_channel(tx.session, channel_id)
        if system == "jira":
            schedule(tx, case_id=case.id, kind="link_ticket", key=ticket_link_key(case.id, ref.upper()),
                     payload={"ref": ref.upper()})
        else:
            schedule_crm_link(tx, case, ref)
        return case.key
