"""Resolve and reopen a case; a resolved swarm is archived after a configurable delay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from swarm.errors import InvalidInput, NotFound
from swarm.model import CaseStatus
from swarm.store.db import Store
from swarm.store.outbox import cancel_pending, schedule
from swarm.store.queries import case_by_key
from swarm.store.tables import utcnow
from swarm.usecases.common import case_in_channel, format_duration, note
from swarm.usecases.follow_up import cancel_follow_ups, create_follow_up
from swarm.usecases.sync import schedule_status_sync

RESOLUTION_MAX = 3000


@dataclass(frozen=True)
class CaseResolved:
    case_key: str
    created: bool
    time_to_resolve: str


def resolve_case(
    store: Store,
    *,
    channel_id: str | None = None,
    case_key: str | None = None,
    summary: str | None,
    actor_id: str,
    actor_name: str,
    config,
    root_cause: str | None = None,
    root_cause_department: str | None = None,
    now: datetime | None = None,
) -> CaseResolved:
    """Mark the case resolved with its summary and root cause; post the resolution, create the customer
    follow-up, sync the ticket and CRM, and schedule the archive."""
    summary = _valid_summary(summary)
    cause, owner = _valid_root_cause(config, root_cause, root_cause_department)
    now = now or utcnow()
    with store.transaction() as tx:
        case = case_in_channel(tx.session, channel_id) if channel_id else case_by_key(tx.session, case_key or "")
        if case.status in (CaseStatus.RESOLVED.value, CaseStatus.ARCHIVED.value):
            return CaseResolved(case.key, False, format_duration((case.resolved_at - case.created_at).total_seconds()))
        if case.status == CaseStatus.OPENING.value:
            raise NotFound(f"{case.key} is still opening; resolve it once its channel is ready")
        case.status = CaseStatus.RESOLVED.value
        case.resolved_at, case.resolution, case.resolved_by = now, summary, actor_name
        case.root_cause, case.root_cause_department = cause, owner
        took = format_duration((now - case.created_at).total_seconds())
        cause_text = root_cause_text(config, case)
        note(tx.session, case, "resolved", f"Resolved by {actor_name} after {took}: {summary}", actor=actor_name, at=now)
        if cause_text:
            note(tx.session, case, "root_cause", cause_text, actor=actor_name, at=now)
        stamp = int(now.timestamp() * 1_000_000)  # microseconds: resolve, reopen, resolve may share a second
        archive_after = config.channel.archive_after
        archive_in = format_duration(archive_after.total_seconds()) if archive_after else None
        schedule(tx, case_id=case.id, kind="resolve", key=f"resolve:{case.id}:{stamp}", payload={"archive_in": archive_in})
        sync_note = f"Resolved by {actor_name}: {summary}" + (f"\n{cause_text}" if cause_text else "")
        schedule_status_sync(tx, case, status=CaseStatus.RESOLVED.value, note=sync_note, stamp=stamp)
        create_follow_up(tx, case, config=config, now=now, stamp=stamp)
        if archive_after is not None:  # None keeps the channel open for reference
            schedule(tx, case_id=case.id, kind="archive", key=f"archive:{case.id}:{stamp}", run_at=now + archive_after)
        return CaseResolved(case.key, True, took)


def _valid_summary(summary: str | None) -> str:
    summary = (summary or "").strip()
    if not summary:
        raise InvalidInput({"summary": "A resolution summary is required, e.g. /swarm resolve Refunded the duplicate charge"})
    if len(summary) > RESOLUTION_MAX:
        raise InvalidInput({"summary": f"Resolution summary must be at most {RESOLUTION_MAX} characters (it has {len(summary)})"})
    return summary


def _valid_root_cause(config, cause: str | None, owner: str | None) -> tuple[str | None, str | None]:
    """The root cause and its owning department, checked against the config (required when it says so)."""
    causes, departments = config.resolution.root_causes, config.departments
    cause, owner = (cause or "").strip().lower() or None, (owner or "").strip().lower() or None
    errors = {}
    if cause and cause not in causes:
        errors["root_cause"] = f"Root cause '{cause}' is not one of: {', '.join(causes)}"
    if owner and owner not in departments:
        errors["root_cause_department"] = f"Department '{owner}' is not one of: {', '.join(departments)}"
    if config.resolution.require_root_cause:
        if not cause:
            errors.setdefault("root_cause", f"Choose the root cause: {', '.join(causes)}")
        if not owner:
            errors.setdefault("root_cause_department", "Choose the department that owns the process to fix")
    if errors:
        raise InvalidInput(errors)
    return cause, owner


def root_cause_text(config, case) -> str | None:
    """'Root cause: Billing error (owned by Billing)' for the timeline, the ticket and the CRM."""
    if not case.root_cause:
        return None
    label = config.resolution.root_causes.get(case.root_cause, case.root_cause)
    owner = config.departments[case.root_cause_department].name if case.root_cause_department in config.departments else None
    return f"Root cause: {label}" + (f" (owned by {owner})" if owner else "")


def reopen_case(store: Store, *, channel_id: str | None = None, case_key: str | None = None, actor_id: str, actor_name: str,
                reason: str = "", now: datetime | None = None) -> str:
    """Reopen a resolved or archived case: cancel the pending archive, unarchive, tell the channel."""
    now = now or utcnow()
    with store.transaction() as tx:
        case = case_in_channel(tx.session, channel_id) if channel_id else case_by_key(tx.session, case_key or "")
        if case.status not in (CaseStatus.RESOLVED.value, CaseStatus.ARCHIVED.value):
            raise NotFound(f"{case.key} is {case.status}, not resolved; nothing to reopen")
        was_archived = case.status == CaseStatus.ARCHIVED.value
        cancel_pending(tx, case_id=case.id, kind="archive")
        cancel_follow_ups(tx, case)
        case.status = CaseStatus.OPEN.value
        case.resolved_at = case.resolution = case.resolved_by = case.archived_at = None
        note(tx.session, case, "reopened", f"Reopened by {actor_name}" + (f": {reason}" if reason else ""), actor=actor_name, at=now)
        schedule_status_sync(tx, case, status=CaseStatus.OPEN.value, stamp=int(now.timestamp() * 1_000_000),
                             note=f"Reopened by {actor_name}" + (f": {reason}" if reason else ""))
        schedule(tx, case_id=case.id, kind="reopen", key=f"reopen:{case.id}:{int(now.timestamp() * 1_000_000)}",
                 payload={"unarchive": was_archived, "text": f":leftwards_arrow_with_hook: *Reopened* by {actor_name}" + (f": {reason}" if reason else "")})
        return case.key
