"""Domain values of a case swarm: plain data, no storage and no platform."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Severity(str, enum.Enum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"

    @property
    def label(self) -> str:
        return {"sev1": "SEV1 · critical", "sev2": "SEV2 · high", "sev3": "SEV3 · medium", "sev4": "SEV4 · low"}[self.value]


class CaseStatus(str, enum.Enum):
    OPENING = "opening"  # recorded; the swarm workflow is still creating the channel, invites, summary
    OPEN = "open"
    RESOLVED = "resolved"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class Platform:
    """Where a conversation lives: 'slack' or 'teams', plus that platform's ids."""

    kind: str
    channel_id: str
    message_id: str | None = None  # Slack ts / Teams message id


@dataclass(frozen=True)
class Escalation:
    """What a frontline agent submitted to open a case (validated)."""

    title: str
    customer: str
    category: str
    severity: Severity
    description: str
    requester: str  # platform user id
    requester_name: str = ""
    platform: str = "slack"
    workspace_id: str | None = None  # the Slack workspace it came from, when the app is installed in several
    source_channel: str | None = None
    source_message: str | None = None
    source_link: str | None = None
    dedupe_key: str = ""  # one case per source message (or per modal when there is none)
    ticket_ref: str | None = None  # an existing Jira issue to link instead of creating one
    crm_ref: str | None = None  # an existing CRM case (number or id) to link


@dataclass(frozen=True)
class CaseSummary:
    """Everything a chat platform needs to render a case summary (no ORM objects leave the store)."""

    key: str
    number: int
    title: str
    customer: str
    category: str
    severity: Severity
    description: str
    status: CaseStatus
    requester: str
    source_link: str | None
    created_at: datetime
    channel_id: str | None = None
    channel_name: str | None = None
    ticket_key: str | None = None
    ticket_url: str | None = None
    crm_record: str | None = None
    participants: tuple["ParticipantView", ...] = ()
    decisions: tuple["DecisionView", ...] = ()
    sla_engage_due: datetime | None = None
    sla_resolve_due: datetime | None = None
    sla_engage_state: str | None = None  # on_track | at_risk | breached, as the SLA sweep last saw it
    sla_resolve_state: str | None = None
    engaged_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    sync_notes: tuple[str, ...] = field(default_factory=tuple)
    customer_context: dict | None = None  # from the CRM: account_name, tier, open_cases, system
    history: object | None = None  # swarm.customer_history.CustomerHistory: our earlier cases for this customer
    linked_customers: tuple[str, ...] = ()  # other customers whose escalations joined this swarm
    similar: tuple[tuple[str, str, str | None], ...] = ()  # resolved past cases like this one: (key, title, resolution)


@dataclass(frozen=True)
class ParticipantView:
    user_id: str
    name: str
    department: str | None
    role: str  # requester | expert
    reason: str
    invite_status: str


@dataclass(frozen=True)
class DecisionView:
    text: str
    author: str
    department: str | None
    recorded_at: datetime
    link: str | None = None
