"""One swarm for many customers: find the open swarm that is likely the same problem, join it instead of opening
another channel, and send its status updates to every source thread that reported it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from swarm.errors import InvalidInput, NotFound
from swarm.model import CaseStatus, Escalation
from swarm.search import significant_words, similar_cases
from swarm.store.db import Store, is_unique_violation
from swarm.store.outbox import schedule
from swarm.store.queries import case_by_dedupe_key, case_by_key
from swarm.store.tables import CaseRow, LinkedReportRow, ParticipantRow, StatusUpdateRow, utcnow
from swarm.usecases.common import case_in_channel, note

RECENT = timedelta(hours=24)  # "in the last hours": older swarms are not offered
MIN_SHARED_WORDS = 3
MIN_SHARED_SHARE = 0.3  # of the shorter text's significant words
UPDATE_MAX = 3000
OPEN = (CaseStatus.OPENING.value, CaseStatus.OPEN.value)


@dataclass(frozen=True)
class SimilarSwarm:
    key: str
    title: str
    category: str
    channel_id: str | None
    shared_words: tuple[str, ...]


def open_swarms_like(store: Store, *, text: str, now: datetime | None = None, limit: int = 3) -> list[SimilarSwarm]:
    """Open swarms of the last hours whose title and description share enough words with `text`."""
    now = now or utcnow()
    words = set(significant_words(text))
    if len(words) < MIN_SHARED_WORDS:
        return []
    with store.read() as session:
        hits = similar_cases(session, text=text, limit=20, resolved_only=False)
        wanted = [h.case_id for h in hits if h.status in OPEN and h.created_at >= now - RECENT]
        by_id = {c.id: c for c in session.scalars(select(CaseRow).where(CaseRow.id.in_(wanted)))} if wanted else {}
        found = [_similar(by_id[case_id], words) for case_id in wanted if case_id in by_id]  # best match first
    return [s for s in found if s is not None][:limit]


def _similar(case: CaseRow, words: set[str]) -> SimilarSwarm | None:
    theirs = set(significant_words(f"{case.title} {case.description}", most=200))
    shared = words & theirs
    if len(shared) < MIN_SHARED_WORDS or len(shared) / max(min(len(words), len(theirs)), 1) < MIN_SHARED_SHARE:
        return None  # a near miss: a word or two in common is not the same problem
    return SimilarSwarm(case.key, case.title, case.category, case.channel_id, tuple(sorted(shared)))


@dataclass(frozen=True)
class SwarmJoined:
    key: str
    created: bool


def join_swarm(store: Store, *, escalation: Escalation, target_key: str) -> SwarmJoined:
    """Link this escalation to an open swarm: no new channel; the requester is brought in; the source thread told."""
    try:
        return _join_once(store, escalation, target_key)
    except IntegrityError as exc:  # the same submission, delivered twice at once
        if not is_unique_violation(exc):
            raise
        return SwarmJoined(target_key.upper(), created=False)


def _join_once(store: Store, esc: Escalation, target_key: str) -> SwarmJoined:
    with store.transaction() as tx:
        session = tx.session
        existing = session.scalar(select(LinkedReportRow).where(LinkedReportRow.dedupe_key == esc.dedupe_key))
        if existing is not None:
            return SwarmJoined(f"CS-{existing.case_id}", created=False)
        if (already := case_by_dedupe_key(session, esc.dedupe_key)) is not None:
            return SwarmJoined(already.key, created=False)
        try:
            case = case_by_key(session, target_key)
        except NotFound as exc:
            raise InvalidInput({"join": str(exc)}) from exc
        if case.status not in OPEN:
            raise InvalidInput({"join": f"{case.key} is {case.status}; open a new swarm instead"})
        report = LinkedReportRow(case_id=case.id, dedupe_key=esc.dedupe_key, title=esc.title, customer=esc.customer,
                                 requester_id=esc.requester, requester_name=esc.requester_name or esc.requester,
                                 platform=esc.platform, workspace_id=esc.workspace_id, source_channel=esc.source_channel,
                                 source_message=esc.source_message, source_link=esc.source_link)
        session.add(report)
        session.flush()
        note(session, case, "linked", f"{report.requester_name} linked an escalation for {esc.customer}: {esc.title}",
             actor=report.requester_name)
        _bring_in_requester(tx, case, report)
        schedule(tx, case_id=case.id, kind="notify_source", key=f"notify_source:linked:{report.id}",
                 payload=_to_source(report, f":link: Linked to *{case.key}* ({case.title}), already being worked on. "
                                            f"Updates from the swarm will appear in this thread."))
        return SwarmJoined(case.key, created=True)


def _bring_in_requester(tx, case: CaseRow, report: LinkedReportRow) -> None:
    present = tx.session.scalar(select(ParticipantRow).where(ParticipantRow.case_id == case.id,
                                                             ParticipantRow.user_id == report.requester_id))
    if present is not None or (report.platform, report.workspace_id) != (case.platform, case.workspace_id):
        return  # already in, or on the other platform or workspace (they follow in their own thread)
    tx.session.add(ParticipantRow(case_id=case.id, user_id=report.requester_id, name=report.requester_name,
                                  department=None, role="requester", reason=f"reported it for {report.customer}"))
    schedule(tx, case_id=case.id, kind="invite", key=f"invite:{case.id}:{report.requester_id}",
             payload={"text": f":link: {report.requester_name} joined: the same problem for *{report.customer}*"})


def post_status_update(store: Store, *, channel_id: str, text: str | None, author: str, dedupe_key: str) -> tuple[str, int]:
    """Send an update to the swarm's source thread and every linked one, once each; (case key, threads)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput({"text": "Say what to tell the front line, e.g. /swarm update Known issue, fix expected by 14:00"})
    if len(text) > UPDATE_MAX:
        raise InvalidInput({"text": f"An update must be at most {UPDATE_MAX} characters (it has {len(text)})"})
    with store.transaction() as tx:
        case = case_in_channel(tx.session, channel_id)
        if tx.session.scalar(select(StatusUpdateRow).where(StatusUpdateRow.dedupe_key == dedupe_key)) is not None:
            return case.key, len(_threads(tx.session, case))
        update = StatusUpdateRow(case_id=case.id, dedupe_key=dedupe_key, text=text, author=author)
        tx.session.add(update)
        tx.session.flush()
        note(tx.session, case, "status_update", f"Update by {author}: {text}", actor=author)
        message = f":loudspeaker: *Update on {case.key}* ({case.title}) from {author}:\n{text}"
        threads = _threads(tx.session, case)
        for target, source in threads:
            schedule(tx, case_id=case.id, kind="notify_source", key=f"notify_source:update:{update.id}:{target}",
                     payload={**source, "text": message})
        return case.key, len(threads)


def _threads(session, case: CaseRow) -> list[tuple[str, dict]]:
    """Every source thread to tell: the swarm's own, then each linked report's."""
    threads = []
    if case.source_channel:
        threads.append(("case", {"platform": case.platform, "workspace": case.workspace_id, "channel": case.source_channel,
                                 "thread": case.source_message}))
    for report in session.scalars(select(LinkedReportRow).where(LinkedReportRow.case_id == case.id).order_by(LinkedReportRow.id)):
        if report.source_channel:
            threads.append((f"linked{report.id}", _to_source(report, "")))
    return threads


def _to_source(report: LinkedReportRow, text: str) -> dict:
    return {"platform": report.platform, "workspace": report.workspace_id, "channel": report.source_channel,
            "thread": report.source_message, "text": text}
