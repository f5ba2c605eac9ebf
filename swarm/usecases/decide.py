"""Record a decision made in the swarm; echo it in the channel and refresh the pinned summary."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from swarm.errors import InvalidInput, NotFound
from swarm.model import CaseStatus
from swarm.store.db import Store, is_unique_violation
from swarm.store.outbox import schedule
from swarm.store.tables import DecisionRow, DeliveryRow, utcnow
from swarm.store.queries import case_by_key
from swarm.usecases.common import case_in_channel, note
from swarm.usecases.sync import schedule_decision_sync

DECISION_MAX = 10_000
REFUSED_AGAIN = ("This request was sent again. It was refused before because the case was not open, so it is not "
                 "recorded now either: send the decision again if it still stands.")


@dataclass(frozen=True)
class DecisionRecorded:
    case_key: str
    created: bool


class CaseNotOpen(NotFound):
    """A decision refused because its case is resolved or archived: the person is told to reopen it first."""


def record_decision(
    store: Store,
    *,
    channel_id: str | None = None,
    case_key: str | None = None,
    text: str | None,
    author_id: str,
    author_name: str,
    department: str | None,
    dedupe_key: str,
    link: str | None = None,
) -> DecisionRecorded:
    """Store the decision exactly as written (once per dedupe_key) and schedule its echo."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput({"text": "Decision text is required, e.g. /swarm decide Refund the duplicate charge today"})
    if len(text) > DECISION_MAX:
        raise InvalidInput({"text": f"Decision must be at most {DECISION_MAX:,} characters (it has {len(text):,})"})
    with store.transaction() as tx:
        session = tx.session
        case = case_in_channel(session, channel_id) if channel_id else case_by_key(session, case_key or "")
        if case.status not in (CaseStatus.OPEN.value, CaseStatus.OPENING.value):
            raise CaseNotOpen(f"{case.key} is {case.status}; reopen it before recording decisions")
        if session.query(DecisionRow.id).filter_by(dedupe_key=dedupe_key).first():
            return DecisionRecorded(case.key, created=False)
        decision = DecisionRow(case_id=case.id, dedupe_key=dedupe_key, text=text, author_id=author_id,
                               author_name=author_name, department=department, link=link, recorded_at=utcnow())
        session.add(decision)
        session.flush()
        who = f"{author_name} ({department})" if department else author_name
        note(session, case, "decision", f"Decision by {who}: {text}", actor=author_name)
        schedule(tx, case_id=case.id, kind="announce", key=f"announce:decision:{decision.id}",
                 payload={"text": f":white_check_mark: *Decision recorded* by {who}:\n{text}"})
        schedule_summary_refresh(tx, case.id, reason=f"decision:{decision.id}")
        schedule_decision_sync(tx, case, decision.id)
        return DecisionRecorded(case.key, created=True)


def schedule_summary_refresh(tx, case_id: int, *, reason: str) -> None:
    """Refresh the pinned summary after a change (one workflow per change; the step itself is cheap)."""
    schedule(tx, case_id=case_id, kind="refresh_summary", key=f"refresh_summary:{case_id}:{reason}", coalesce=True)


@contextlib.contextmanager
def refusal_kept(store: Store, *, delivery_key: str | None) -> Iterator[None]:
    """Record a decision (inside the block) at most as the first delivery of its request was answered.

    A decision refused because its case was not open stays refused when the same request is delivered again (the
    chat platform re-sending the same bytes), even if the case was reopened in between: the person was told "no", and
    a re-send must not turn it into a "yes" nobody asked for again. `delivery_key` names the request itself (Slack's
    trigger id), not the decision: a new click or command after the reopen has a new one and is recorded."""
    if delivery_key is None:
        yield
        return
    key = f"refused_decision:{delivery_key}"
    with store.read() as session:
        if session.get(DeliveryRow, key) is not None:
            raise CaseNotOpen(REFUSED_AGAIN)
    try:
        yield
    except CaseNotOpen:
        _remember_refusal(store, key)
        raise


def _remember_refusal(store: Store, key: str) -> None:
    try:
        with store.transaction() as tx:
            tx.session.add(DeliveryRow(key=key))
    except IntegrityError as exc:  # the same request, refused twice at once: remembered either way
        if not is_unique_violation(exc):
            raise
