"""What the company already knows about a customer when a case opens: their earlier cases and how they ended.

The second failure is the one that loses the customer (17% leave after one, 40% after two), so a repeat
escalation within 30 days is called out in the summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from swarm.store.tables import CaseRow, case_key

REPEAT_WINDOW = timedelta(days=30)
RECENT_SHOWN = 3


@dataclass(frozen=True)
class PriorCase:
    key: str
    title: str
    status: str
    created_at: datetime
    resolution: str | None


@dataclass(frozen=True)
class CustomerHistory:
    prior_cases: int  # earlier cases for this customer, any status
    open_cases: int  # of those, still open
    escalations_in_window: int  # this one included: 2 means "2nd escalation in 30 days"
    last_contact: datetime | None  # when the customer last had a case opened or resolved
    recent: tuple[PriorCase, ...]

    @property
    def repeat_callout(self) -> str | None:
        n = self.escalations_in_window
        if n < 2:
            return None
        return f"{_ordinal(n)} escalation in {REPEAT_WINDOW.days} days"


def customer_history(session: Session, *, customer: str, before_case_id: int, at: datetime) -> CustomerHistory:
    """Earlier cases of the same customer (matched case-insensitively on the name or account id typed)."""
    recent = session.execute(_EARLIER_CASES, {"customer": _normalised(customer), "before": before_case_id, "at": at,
                                              "window_start": at - REPEAT_WINDOW}).all()
    if not recent:
        return CustomerHistory(prior_cases=0, open_cases=0, escalations_in_window=1, last_contact=None, recent=())
    totals = recent[0]
    contacts = [t for t in (totals.last_opened, totals.last_resolved) if t is not None]
    return CustomerHistory(
        prior_cases=totals.prior,
        open_cases=totals.still_open,
        escalations_in_window=totals.in_window + 1,
        last_contact=max(contacts),
        recent=tuple(PriorCase(case_key(r.id), r.title, r.status, r.created_at, r.resolution) for r in recent),
    )


def _normalised(customer: str) -> str:
    return customer.strip().lower()


# One query, built once (building it cost more than running it): the few cases shown, each carrying the counts over
# all of the customer's earlier cases (window aggregates, computed before the limit). Every summary render asks, and
# a customer with years of cases must not cost a read of each.
_EARLIER_CASES = (
    select(CaseRow.id, CaseRow.title, CaseRow.status, CaseRow.created_at, CaseRow.resolution,
           func.count().over().label("prior"),
           func.count().filter(CaseRow.status.in_(("opening", "open"))).over().label("still_open"),
           func.count().filter(CaseRow.created_at >= bindparam("window_start")).over().label("in_window"),
           func.max(CaseRow.created_at).over().label("last_opened"),
           func.max(CaseRow.resolved_at).over().label("last_resolved"))
    .where(func.lower(func.trim(CaseRow.customer)) == bindparam("customer"),  # as migration 0011 indexes it
           CaseRow.id != bindparam("before"), CaseRow.created_at <= bindparam("at"))
    .order_by(CaseRow.created_at.desc(), CaseRow.id.desc())
    .limit(RECENT_SHOWN)
)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
