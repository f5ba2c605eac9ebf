"""The opening's summary is read while the invite is out, then brought up to date with one short read before it is
posted (workflows/open_swarm.py): what it shows must equal a full read made at that moment, or the refresh after
the posting spends a chat.update on a difference."""

from __future__ import annotations

from swarm.store.outbox import schedule
from swarm.store.queries import load_case_summary, refreshed_summary
from swarm.store.tables import CaseRow, LinkedReportRow, WorkflowRow, utcnow


def _case(store) -> int:
    with store.transaction() as tx:
        case = CaseRow(dedupe_key="k1", title="Invoice charged twice", customer="Acme Corp", category="billing",
                       severity="sev2", description="Charged twice on the 3rd", status="opening", platform="slack",
                       requester_id="U1", created_at=utcnow())
        tx.session.add(case)
        tx.session.flush()
        return case.id


def _full_read(store, case_id):
    with store.read() as session:
        return load_case_summary(session, case_id)


def _brought_up_to_date(store, summary):
    with store.read() as session:
        return refreshed_summary(session, summary)


def test_an_unchanged_case_reads_the_same(store):
    case_id = _case(store)
    earlier = _full_read(store, case_id)
    assert _brought_up_to_date(store, earlier) == earlier


def test_what_other_work_changed_after_the_first_read_is_shown(store):
    case_id = _case(store)
    earlier = _full_read(store, case_id)
    with store.transaction() as tx:  # the ticket and the customer land; a sync fails; another customer's report joins
        case = tx.session.get(CaseRow, case_id)
        case.ticket_key, case.ticket_url = "OPS-7", "https://jira.example/browse/OPS-7"
        case.crm_record_number, case.customer_context = "00001026", {"account_name": "Acme Corp", "tier": "Gold"}
        tx.session.add(LinkedReportRow(case_id=case_id, dedupe_key="r2", title="Double charge", customer="Globex",
                                       requester_id="U2", requester_name="Ana", platform="slack"))
        workflow_id = schedule(tx, case_id=case_id, kind="link_customer", key="link_customer:1", wake=False)
    with store.transaction() as tx:
        workflow = tx.session.get(WorkflowRow, workflow_id)
        workflow.status, workflow.last_error = "failed", "query: Salesforce REQUEST_LIMIT_EXCEEDED"
    now = _brought_up_to_date(store, earlier)
    assert now == _full_read(store, case_id)
    assert (now.ticket_key, now.crm_record, now.linked_customers) == ("OPS-7", "00001026", ("Globex",))
    assert now.sync_notes == ("CRM sync failing (link_customer): query: Salesforce REQUEST_LIMIT_EXCEEDED",)
