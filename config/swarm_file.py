"""swarm.yml: categories, channel naming, ticketing and CRM mappings, resolution and follow-up."""

from __future__ import annotations

import re
import string
from datetime import timedelta
from typing import Annotated, Iterator, Literal

from pydantic import AfterValidator, Field

from config.values import Duration, Finding, Identifier, Identifiers, SeverityName, Strict, known
from swarm.model import CaseStatus, Severity


CHANNEL_PLACEHOLDERS = ("number", "slug", "category", "severity")
_SLACK_CHANNEL_NAME_MAX = 80


def _channel_template(template: str) -> str:
    names = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    for name in names:
        if name not in CHANNEL_PLACEHOLDERS:
            raise ValueError(f"unknown placeholder '{{{name}}}' in channel name template {known(CHANNEL_PLACEHOLDERS)}")
    if "number" not in names:
        raise ValueError("channel name template needs {number}, so every case gets its own channel")
    try:
        template.format(number=1, slug="x", category="billing", severity="sev1")
    except (ValueError, IndexError) as error:
        raise ValueError(f"bad channel name template: {error}") from None
    return template


def _channel_id(value: str | None) -> str | None:
    # An id, because a name can be renamed (and Slack posts by id); "#swarm-managers" is the usual slip.
    if value is not None and (not value.strip() or value.startswith("#") or any(c.isspace() for c in value)):
        raise ValueError(f"managers_channel must be a channel id (like C0123ABCD), not '{value}'")
    return value


class ChannelSettings(Strict):
    """How case channels are named and kept."""

    name_template: Annotated[str, AfterValidator(_channel_template)] = "case-{number}-{slug}"
    private: bool = False
    archive_after: Duration | None = timedelta(hours=24)  # after resolution; null keeps the channel open
    # Where SLA breaches are announced for the managers, besides the case channel (a channel id); null: nowhere else.
    managers_channel: Annotated[str | None, AfterValidator(_channel_id)] = None

    def name_for(self, *, number: int, slug: str, category: str, severity: Severity | str) -> str:
        """The channel name for a case: lowercase letters, digits, '-' and '_', at most 80 characters (Slack's rule)."""
        raw = self.name_template.format(number=number, slug=slug, category=category, severity=Severity(severity).value)
        cleaned = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9_-]+", "-", raw.lower()))
        return cleaned[:_SLACK_CHANNEL_NAME_MAX].strip("-")


_JIRA_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]+")


def _jira_project_key(value: str) -> str:
    if not _JIRA_PROJECT_KEY.fullmatch(value):
        raise ValueError(f"'{value}' is not a Jira project key (uppercase, like SUP)")
    return value


JiraProjectKey = Annotated[str, AfterValidator(_jira_project_key)]


class JiraProject(Strict):
    project: JiraProjectKey
    issue_type: str = "Task"


class JiraPriorities(Strict):
    sev1: str = "Highest"
    sev2: str = "High"
    sev3: str = "Medium"
    sev4: str = "Low"


class JiraSettings(Strict):
    """Where a case's Jira ticket goes and how case states map to Jira."""

    default_project: JiraProjectKey = "SUP"
    default_issue_type: str = "Task"
    projects: dict[Identifier, JiraProject] = {}  # by case category
    priority: JiraPriorities = JiraPriorities()
    done_status: str = "Done"
    reopen_status: str = "To Do"

    def project_for(self, category: str) -> JiraProject:
        fallback = JiraProject(project=self.default_project, issue_type=self.default_issue_type)
        return self.projects.get(category, fallback)

    def priority_for(self, severity: Severity | str) -> str:
        return getattr(self.priority, Severity(severity).value)


class TicketingSettings(Strict):
    jira: JiraSettings = JiraSettings()


class SalesforceStatuses(Strict):
    """The Salesforce Case Status picklist value for each case state."""

    opening: str = "New"
    open: str = "Working"
    resolved: str = "Closed"
    archived: str = "Closed"

    def for_case(self, status: CaseStatus) -> str:
        return getattr(self, CaseStatus(status).value)


class SalesforceSettings(Strict):
    status: SalesforceStatuses = SalesforceStatuses()
    note_kind: Literal["comment", "feed_item"] = "comment"  # CaseComment or Chatter FeedItem


class CrmSettings(Strict):
    salesforce: SalesforceSettings = SalesforceSettings()


DEFAULT_ROOT_CAUSES = {
    "billing-error": "Billing error", "product-defect": "Product defect", "shipping-delay": "Shipping delay",
    "stock-out": "Stock-out", "outage": "Outage", "access-sso": "Access / SSO", "process-gap": "Process gap",
    "customer-error": "Customer error", "other": "Other",
}


class ResolutionSettings(Strict):
    """What resolving asks for: the root cause (from this list) and the department that owns the upstream process."""

    root_causes: dict[Identifier, str] = Field(default_factory=lambda: dict(DEFAULT_ROOT_CAUSES), min_length=1)
    require_root_cause: bool = False  # true: a case cannot be resolved without a root cause and its owner


def _default_follow_up_due() -> dict:
    return {Severity.SEV1: timedelta(hours=4), Severity.SEV2: timedelta(days=1), Severity.SEV3: timedelta(days=2),
            Severity.SEV4: timedelta(days=3)}


class FollowUpSettings(Strict):
    """After resolving, someone calls the customer back: by when, per severity, and when to remind."""

    due_after: dict[SeverityName, Duration] = Field(default_factory=_default_follow_up_due)
    remind_before: Duration = timedelta(hours=2)  # a reminder this long before it is due; the manager hears when overdue

    def due_for(self, severity: Severity | str) -> timedelta:
        return self.due_after.get(Severity(severity), timedelta(days=2))


class SwarmFile(Strict):
    """swarm.yml: case categories, customer tiers, channel naming, ticketing and CRM mappings, resolution, follow-up."""

    categories: dict[Identifier, str] = Field(min_length=1)  # id → label shown in the escalation form
    customer_tiers: Identifiers = ("standard", "gold", "platinum")
    channel: ChannelSettings = ChannelSettings()
    ticketing: TicketingSettings = TicketingSettings()
    crm: CrmSettings = CrmSettings()
    resolution: ResolutionSettings = ResolutionSettings()
    follow_up: FollowUpSettings = FollowUpSettings()

    def problems(self) -> Iterator[Finding]:
        for category in self.ticketing.jira.projects:
            if category not in self.categories:
                yield ("ticketing", "jira", "projects", category), (
                    f"Jira project for unknown category '{category}' {known(self.categories)}"
                )
