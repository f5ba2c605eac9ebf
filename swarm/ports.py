"""The ports through which the core reaches the world. Each method exists because a use case needs it.

Adapters (integrations/) implement these with the vendors' real client libraries and raise swarm.errors:
RetryLater for transient failures, PermanentFailure otherwise, NameTaken / NotFound where documented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol, Union

from swarm.model import CaseStatus, CaseSummary


@dataclass(frozen=True)
class ChannelRef:
    id: str
    name: str
    created_by_us: bool = True


@dataclass(frozen=True)
class InviteOutcome:
    user_id: str
    status: str  # "invited" | "already_in_channel" | "failed"
    reason: str | None = None


# Messages the core asks a chat platform to show; each adapter renders them its own way (Block Kit, Adaptive Card).
@dataclass(frozen=True)
class SummaryCard:
    case: CaseSummary


@dataclass(frozen=True)
class ResolutionCard:
    case: CaseSummary
    archive_in: str | None = None  # human text, e.g. "24 hours"


@dataclass(frozen=True)
class Notice:
    text: str
    case_key: str | None = None


@dataclass(frozen=True)
class ExpertRequest(Notice):
    """A notice asking experts to take the case, with "I'm on it" / "Can't take it" answers where the platform has
    buttons (a platform that does not know it shows it as the plain Notice it also is)."""

    experts: tuple[str, ...] = ()  # platform user ids asked


ChatMessage = Union[SummaryCard, ResolutionCard, Notice]


class ChatPlatform(Protocol):
    """A chat platform (Slack, Teams) as the swarm workflows use it."""

    kind: str
    channel_name_limit: int  # Slack 80, Teams 50

    def for_workspace(self, workspace_id: str | None) -> ChatPlatform:
        """The adapter speaking for one workspace of an app installed in several (Slack); itself otherwise."""

    def address(self, person) -> str | None:
        """The platform user id for a configured person (Slack user id; Teams resolves by email), if any."""

    def channel_mention(self, channel_id: str) -> str:
        """How to link a channel inside a message on this platform."""

    def user_mention(self, user_id: str) -> str:
        """How to mention a person inside a message on this platform."""

    def create_channel(self, name: str, *, private: bool) -> ChannelRef:
        """Create a case channel; raise NameTaken if the name is used."""

    def find_channel(self, name: str) -> ChannelRef | None:
        """The channel with this name, if any (to recover after an ambiguous create)."""

    def invite(self, channel_id: str, user_ids: list[str]) -> list[InviteOutcome]:
        """Add people to the channel; one outcome per user, per-user errors included, never dropped."""

    def post(self, channel_id: str, message: ChatMessage, *, effect_key: str, thread: str | None = None) -> str:
        """Post a message and return its id. `effect_key` is stored with it so find_posted can recover it."""

    def find_posted(self, channel_id: str, effect_key: str, *, thread: str | None = None) -> str | None:
        """The id of a message posted earlier with this effect_key, if it exists."""

    def update(self, channel_id: str, message_id: str, message: ChatMessage) -> None:
        """Replace a posted message in place (the pinned summary)."""

    def pin(self, channel_id: str, message_id: str) -> None:
        """Pin a message; pinning twice is not an error."""

    def archive(self, channel_id: str) -> None:
        """Archive (or mark done) the channel; archiving twice is not an error."""

    def unarchive(self, channel_id: str) -> None:
        """Bring an archived channel back; unarchiving an active channel is not an error."""

    def channel_url(self, channel_id: str) -> str:
        """A link people can open."""

    def message_url(self, channel_id: str, message_id: str) -> str:
        """A permalink to a message."""


@dataclass(frozen=True)
class TicketRef:
    key: str
    url: str
    status: str | None = None


class Ticketing(Protocol):
    """A ticketing system (Jira first)."""

    name: str

    def ensure_ticket(self, case: CaseSummary, *, channel_url: str, maybe_created_earlier: bool = True) -> TicketRef:
        """The case's ticket: found by its case key if an earlier attempt may have created it, else created, in one
        call, carrying `channel_url` (the case's channel link, valid before the channel exists)."""

    def link_channel(self, ticket_key: str, *, case_key: str, channel_url: str) -> None:
        """Link an existing ticket (not one ensure_ticket made) to the case channel; repeating it changes nothing."""

    def get_ticket(self, key: str) -> TicketRef:
        """An existing ticket to link; raise NotFound if there is none."""

    def add_note(self, ticket_key: str, *, marker: str, text: str) -> str:
        """Add a comment unless one with `marker` exists; return the comment id."""

    def set_status(self, ticket_key: str, status: CaseStatus, *, marker: str, note: str | None = None) -> None:
        """Move the ticket to the status mapped for `status`; a no-op if it is there already."""

    def create_item(self, *, key: str, summary: str, description: str) -> TicketRef:
        """A work item not tied to one case (an improvement for a root cause): found by `key` if it exists."""


@dataclass(frozen=True)
class CustomerContext:
    account_id: str
    account_name: str
    tier: str | None = None
    open_cases: int = 0


@dataclass(frozen=True)
class CrmRef:
    id: str
    number: str
    url: str


class CRM(Protocol):
    """A CRM (Salesforce first). Shaped by what the core needs, not by Salesforce."""

    name: str

    def find_customer(self, customer: str) -> CustomerContext | None:
        """Context on the customer (by account id or name), or None if unknown."""

    def get_record(self, ref: str) -> CrmRef:
        """An existing CRM case by number or id; raise NotFound if there is none."""

    def add_note(self, record_id: str, *, marker: str, text: str) -> str:
        """Add a note/comment unless one with `marker` exists; return its id."""

    def set_status(self, record_id: str, status: CaseStatus, *, marker: str, note: str | None = None) -> None:
        """Set the record's status mapped from `status` (idempotent)."""

    def create_task(self, record_id: str, *, marker: str, subject: str, due: date, description: str) -> str:
        """A to-do on the record (the customer follow-up) unless one with `marker` exists; return its id."""
