"""What a test sees of the app's own state, shared by the Slack and Teams harnesses: run the workers, read cases."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Callable

from sqlalchemy import select, update

from swarm.model import CaseSummary
from swarm.store.queries import case_by_key, load_case_summary, timeline
from swarm.store.tables import CaseRow, WorkflowRow, utcnow


class CaseViews:
    """Mixed into a harness that has `container` (the app built by the composition root)."""

    container: object

    def drain(self, until: Callable[[], bool] | None = None, timeout: float = 15.0) -> None:
        """Run due workflows until `until()` holds (or nothing is left to do soon, when no condition is given)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.container.runner.run_due()
            if until is not None and until():
                return
            if until is None and not self.due():
                return
            time.sleep(0.05)
        raise AssertionError("workflows did not finish in time: " + repr(self.workflows()))

    def due(self, within: float = 10.0) -> list[int]:
        """Workflows due now or retrying within `within` seconds (a resolved case's archive, hours away, is not)."""
        horizon = utcnow() + timedelta(seconds=within)
        with self.container.store.read() as session:
            return list(session.scalars(select(WorkflowRow.id).where(
                (WorkflowRow.status == "running") | ((WorkflowRow.status == "pending") & (WorkflowRow.next_run_at <= horizon)))))

    def fast_forward(self, kind: str) -> None:
        """Make waiting workflows of `kind` due now (the configured delay, or a Retry-After, has passed)."""
        with self.container.store.transaction() as tx:
            tx.session.execute(update(WorkflowRow).where(WorkflowRow.kind == kind, WorkflowRow.status == "pending")
                               .values(next_run_at=utcnow()))

    def pending(self) -> list[tuple[int, str, str]]:
        with self.container.store.read() as session:
            rows = session.execute(select(WorkflowRow.id, WorkflowRow.kind, WorkflowRow.status)
                                   .where(WorkflowRow.status.in_(("pending", "running"))))
            return [tuple(r) for r in rows]

    def workflows(self) -> list[tuple[str, str, str | None]]:
        with self.container.store.read() as session:
            return [(w.kind, w.status, w.last_error) for w in session.scalars(select(WorkflowRow).order_by(WorkflowRow.id))]

    def case(self, key: str = "CS-1") -> CaseSummary:
        with self.container.store.read() as session:
            return load_case_summary(session, case_by_key(session, key).id)

    def case_count(self) -> int:
        with self.container.store.read() as session:
            return len(session.scalars(select(CaseRow.id)).all())

    def timeline(self, key: str = "CS-1") -> list[str]:
        with self.container.store.read() as session:
            return [f"{e.kind}: {e.text}" for e in timeline(session, case_by_key(session, key).id)]
