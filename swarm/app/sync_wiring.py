"""Building the ticketing and CRM adapters from settings and the YAML mappings (part of the composition root)."""

from __future__ import annotations

from functools import partial
from typing import Callable

from config import SwarmConfig
from config.settings import Settings
from swarm.case_links import case_channel_link
from swarm.model import CaseStatus, Severity
from swarm.ports import CRM, Ticketing


def build_ticketing(settings: Settings, config: SwarmConfig) -> Ticketing | None:
    if not settings.jira_enabled:
        return None
    from integrations.jira.ticketing import JiraTicketing

    jira = config.ticketing.jira
    return JiraTicketing(
        settings.jira_url,
        email=settings.jira_email,
        api_token=_secret(settings.jira_api_token),
        pat=_secret(settings.jira_pat),
        ca_bundle=settings.jira_ca_bundle,
        projects={category: (p.project, p.issue_type) for category, p in jira.projects.items()},
        default_project=(jira.default_project, jira.default_issue_type),
        priorities={s.value: jira.priority_for(s) for s in Severity},
        done_status=jira.done_status,
        reopen_status=jira.reopen_status,
        timeout=settings.jira_timeout,
    )


def case_link_builder(settings: Settings) -> Callable[[str], str] | None:
    """case key → the signed link to its channel on our web app; None when no key can sign one (Jira is off)."""
    keys = settings.case_link_keys
    return partial(case_channel_link, settings.public_url, keys[0]) if keys else None


def build_crm(settings: Settings, config: SwarmConfig) -> CRM | None:
    if not settings.salesforce_enabled:
        return None
    from integrations.salesforce.crm import SalesforceCRM

    sf = config.crm.salesforce
    status_map = {status.value: sf.status.for_case(status) for status in CaseStatus}
    if settings.salesforce_access_token is None:
        return SalesforceCRM.from_jwt(client_id=settings.salesforce_client_id, username=settings.salesforce_username,
                                      private_key_file=settings.salesforce_private_key_file, status_map=status_map,
                                      note_kind=sf.note_kind, timeout=settings.salesforce_timeout)
    return SalesforceCRM(settings.salesforce_instance_url, access_token=settings.salesforce_access_token.get_secret_value(),
                         ca_bundle=settings.salesforce_ca_bundle, status_map=status_map, note_kind=sf.note_kind,
                         timeout=settings.salesforce_timeout)


def _secret(value) -> str | None:
    return value.get_secret_value() if value is not None else None
