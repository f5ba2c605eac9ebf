"""Validation of what a person typed into the escalation form (Slack modal or Teams card)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from swarm.errors import InvalidInput
from swarm.model import Escalation, Severity

TITLE_MAX = 150
CUSTOMER_MAX = 200
DESCRIPTION_MAX = 3000  # Slack's plain_text_input limit; Teams forms use the same so cases look alike
LINK_MAX = 500  # what the case keeps of a source link
TICKET_MAX = 40  # the form's limit for an issue key
TICKET_KEY = re.compile(r"[A-Z][A-Z0-9_]+-\d+")
CRM_CASE_REF = re.compile(r"\d{1,10}|[A-Za-z0-9]{15}|[A-Za-z0-9]{18}")


@dataclass(frozen=True)
class EscalationForm:
    """The raw fields, as strings or None, before validation."""

    title: str | None
    customer: str | None
    category: str | None
    severity: str | None
    description: str | None
    source_link: str | None = None
    ticket: str | None = None  # an existing ticket key to link, e.g. SUP-123
    crm_case: str | None = None  # an existing CRM case number or id to link


def validate_escalation(
    form: EscalationForm,
    *,
    categories: Collection[str],
    requester: str,
    platform: str,
    dedupe_key: str,
    source_channel: str | None = None,
    source_message: str | None = None,
) -> Escalation:
    """An Escalation, or InvalidInput naming every bad field with a reason a person can act on."""
    errors: dict[str, str] = {}
    title = _required_text(form.title, "Title", TITLE_MAX, errors, "title")
    customer = _required_text(form.customer, "Customer", CUSTOMER_MAX, errors, "customer")
    description = _required_text(form.description, "Description", DESCRIPTION_MAX, errors, "description")
    category = (form.category or "").strip().lower()
    if category not in categories:
        known = ", ".join(categories)
        errors["category"] = f"Category '{form.category or ''}' is not one of: {known}" if category else f"Choose a category: {known}"
    severity = (form.severity or "").strip().lower()
    if severity not in {s.value for s in Severity}:
        errors["severity"] = f"Severity '{form.severity or ''}' is not one of: sev1, sev2, sev3, sev4"
    link = (form.source_link or "").strip()
    if link and not link.startswith(("https://", "http://")):
        errors["source_link"] = "Source message must be a link (https://...), or left empty"
    elif len(link) > LINK_MAX:
        errors["source_link"] = f"Source message link must be at most {LINK_MAX} characters (it has {len(link)})"
    ticket = (form.ticket or "").strip().upper()
    if ticket and (len(ticket) > TICKET_MAX or not TICKET_KEY.fullmatch(ticket)):
        errors["ticket"] = f"'{form.ticket[:TICKET_MAX]}' is not an issue key like SUP-123"
    crm_case = (form.crm_case or "").strip()
    if crm_case and not CRM_CASE_REF.fullmatch(crm_case):
        errors["crm_case"] = f"'{form.crm_case}' is not a case number (digits) or a 15/18-character case id"
    if errors:
        raise InvalidInput(errors)
    return Escalation(
        title=title,
        customer=customer,
        category=category,
        severity=Severity(severity),
        description=description,
        requester=requester,
        platform=platform,
        source_channel=source_channel,
        source_message=source_message,
        source_link=link or None,
        dedupe_key=dedupe_key,
        ticket_ref=ticket or None,
        crm_ref=crm_case or None,
    )


def _required_text(value: str | None, label: str, limit: int, errors: dict[str, str], field: str) -> str:
    text = (value or "").strip()
    if not text:
        errors[field] = f"{label} is required"
    elif len(text) > limit:
        errors[field] = f"{label} must be at most {limit} characters (it has {len(text)})"
    return text


def title_from_message(text: str) -> str:
    """The first non-empty line of a message, cut to fit the title field."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:TITLE_MAX]
    return ""
