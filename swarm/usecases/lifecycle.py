"""Resolve and reopen a case; a resolved swarm is archived after a configurable delay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from swarm.errors import InvalidInput, NotFound
from swarm.model import CaseStatus
from swarm.store.db import Store
from swarm.store.outbox import cancel_pending, schedule
from swarm.store.queries import case_by_key
from swarm.store.tables import utcnow
from swarm.usecases.common import case_in_channel, format_duration, note
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
    archive_after: timedelta | None,
    now: datetime | None = None,
) -> CaseResolved:
    """Mark the case resolved with its summary, post the resolution, and schedule the archive."""
    summary = (summary or "").strip()
    if not summary:
        raise InvalidInput({"summary": "A resolution summary is required, e.g. /swarm resolve Refunded the duplicate charge"})
    if len(summary) > RESOLUTION_MAX:
        raise InvalidInput({"summary": f"Resolution summary must be at most {RESOLUTION_MAX} characters (it has {len(summary)})"})
    now = now or utcnow()
    with store.transaction() as tx:
        case = case_in_channel(tx.session, channel_id) if channel_id else case_by_key(tx.session, case_key or "")
        if case.status in (CaseStatus.RESOLVED.value, CaseStatus.ARCHIVED.value):
            return CaseResolved(case.key, False, format_duration((case.resolved_at - case.created_at).total_seconds()))
        if case.status == CaseStatus.OPENING.value:
            raise NotFound(f"{case.key} is still opening; resolve it once its channel is ready")
        case.status = CaseStatus.RESOLVED.value
        case.resolved_at, case.resolution, case.resolved_by = now, summary, actor_name
        took = format_duration((now - case.created_at).total_seconds())
        note(tx.session, case, "resolved", f"Resolved by {actor_name} after {took}: {summary}", actor=actor_name, at=now)
        stamp = int(now.timestamp())
        archive_in = format_duration(archive_after.total_seconds()) if archive_after else None
        schedule(tx, case_id=case.id, kind="resolve", key=f"resolve:{case.id}:{stamp}", payload={"archive_in": archive_in})
        schedule_status_sync(tx, case, status=CaseStatus.RESOLVED.value, note=f"Resolved by {actor_name}: {summary}", stamp=stamp)
        if archive_after is not None:  # None keeps the channel open for reference
            schedule(tx, case_id=case.id, kind="archive", key=f"archive:{case.id}:{stamp}", run_at=now + archive_after)
        return CaseResolved(case.key, True, took)


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
        case.status = CaseStatus.OPEN.value
        case.resolved_at = case.resolution = case.resolved_by = case.archived_at = None
        note(tx.session, case, "reopened", f"Reopened by {actor_name}" + (f": {reason}" if reason else ""), actor=actor_name, at=now)
        schedule_status_sync(tx, case, status=CaseStatus.OPEN.value, stamp=int(now.timestamp()),
                             note=f"Reopened by {actor_name}" + (f": {reason}" if reason else ""))
        schedule(tx, case_id=case.id, kind="reopen", key=f"reopen:{case.id}:{int(now.timestamp())}",
                 payload={"unarchive": was_archived, "text": f":leftwards_arrow_with_hook: *Reopened* by {actor_name}" + (f": {reason}" if reason else "")})
        return case.key
