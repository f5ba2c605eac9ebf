"""Follow-up completion and time, for the managers' view."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.store.tables import FollowUpRow, utcnow


@dataclass(frozen=True)
class FollowUpStats:
    created: int
    done: int
    done_on_time: int
    open: int
    overdue: int
    median_hours: float | None  # from the resolution to the call back

    @property
    def completion(self) -> float | None:
        return self.done / self.created if self.created else None


def follow_up_stats(session: Session, *, since: datetime, until: datetime, now: datetime | None = None) -> FollowUpStats:
    now = now or utcnow()
    rows = list(session.scalars(select(FollowUpRow).where(FollowUpRow.created_at >= since, FollowUpRow.created_at < until,
                                                          FollowUpRow.status != "cancelled")))
    done = [f for f in rows if f.status == "done"]
    hours = [(f.done_at - f.created_at).total_seconds() / 3600 for f in done]
    return FollowUpStats(
        created=len(rows), done=len(done), done_on_time=sum(f.done_at <= f.due_at for f in done),
        open=sum(f.status == "open" for f in rows), overdue=sum(f.status == "open" and f.due_at < now for f in rows),
        median_hours=round(statistics.median(hours), 1) if hours else None,
    )
