"""What the company already knows about a customer when a case opens: their earlier cases and how they ended.

The second failure is the one that loses the customer (17% leave after one, 40% after two), so a repeat
escalation within 30 days is called out in the summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.store.tables import CaseRow

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
    same_customer = (func.lower(func.trim(CaseRow.customer)) == customer.strip().lower()) & (CaseRow.id != before_case_id)
    earlier = list(session.scalars(select(CaseRow).where(same_customer, CaseRow.created_at <= at)
                                   .order_by(CaseRow.created_at.desc())))
    window_start = at - REPEAT_WINDOW
    in_window = sum(1 for c in earlier if c.created_at >= window_start) + 1
    contacts = [t for c in earlier for t in (c.created_at, c.resolved_at) if t is not None]
    return CustomerHistory(
        prior_cases=len(earlier),
        open_cases=sum(1 for c in earlier if c.status in ("opening", "open")),
        escalations_in_window=in_window,
        last_contact=max(contacts) if contacts else None,
        recent=tuple(PriorCase(c.key, c.title, c.status, c.created_at, c.resolution) for c in earlier[:RECENT_SHOWN]),
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
