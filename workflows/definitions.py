"""Which steps each kind of workflow runs: routing as data."""

from workflows.case_updates import ADD_DEPARTMENT, ANNOUNCE, ARCHIVE, INVITE, REFRESH_SUMMARY, REOPEN, RESOLVE
from workflows.customer_routing import ROUTE_FOR_CUSTOMER
from workflows.follow_up import FOLLOW_UP_CRM_TASK, FOLLOW_UP_NOTICE
from workflows.improvements import IMPROVEMENT_ITEM
from workflows.notify_source import NOTIFY_SOURCE
from workflows.open_swarm import OPEN_SWARM
from workflows.replacement import REPLACEMENT_WORKFLOWS
from workflows.sla_clock import SLA_WORKFLOWS
from workflows.sync import (LINK_CRM_RECORD, LINK_CUSTOMER, LINK_TICKET, SYNC_DECISION_CRM, SYNC_DECISION_TICKET,
                            SYNC_STATUS_CRM, SYNC_STATUS_TICKET)

WORKFLOWS = {
    "open_swarm": OPEN_SWARM,
    "route_for_customer": ROUTE_FOR_CUSTOMER,
    "announce": ANNOUNCE,
    "refresh_summary": REFRESH_SUMMARY,
    "invite": INVITE,
    "add_department": ADD_DEPARTMENT,
    "resolve": RESOLVE,
    "archive": ARCHIVE,
    "reopen": REOPEN,
    "notify_source": NOTIFY_SOURCE,
    "improvement_item": IMPROVEMENT_ITEM,
    "follow_up_notice": FOLLOW_UP_NOTICE,
    "follow_up_crm_task": FOLLOW_UP_CRM_TASK,
    "link_ticket": LINK_TICKET,
    "link_customer": LINK_CUSTOMER,
    "link_crm_record": LINK_CRM_RECORD,
    "sync_decision_ticket": SYNC_DECISION_TICKET,
    "sync_decision_crm": SYNC_DECISION_CRM,
    "sync_status_ticket": SYNC_STATUS_TICKET,
    "sync_status_crm": SYNC_STATUS_CRM,
    **SLA_WORKFLOWS,
    **REPLACEMENT_WORKFLOWS,
    # Retired kinds: a row an older version left just ends. The Jira issue now carries the case link in its create
    # call (no link_ticket_channel), and the pinned summary asks the experts (no ask_experts).
    "link_ticket_channel": (),
    "ask_experts": (),
}

# Kinds of which a case runs one workflow at a time (WorkflowRunner one_at_a_time). Each refresh re-renders the
# whole pinned summary from the case as it is when it starts; two at once could land in Slack or Teams out of order
# and leave the older picture pinned. One at a time, the last one to run shows the latest state.
ONE_AT_A_TIME = frozenset({"refresh_summary"})
