"""One click from a root cause to an improvement item in the ticketing system, owned by the department."""

from __future__ import annotations

from sqlalchemy import select

from swarm.errors import InvalidInput
from swarm.store.db import Store
from swarm.store.outbox import schedule
from swarm.store.tables import CaseRow


def request_improvement(store: Store, *, config, cause: str, department: str | None, requested_by: str) -> str:
    """Schedule the item (once per cause and department); returns the case that anchors it, e.g. 'CS-12'."""
    if cause not in config.resolution.root_causes:
        raise InvalidInput({"cause": f"Root cause '{cause}' is not one of: {', '.join(config.resolution.root_causes)}"})
    if department and department not in config.departments:
        raise InvalidInput({"department": f"Department '{department}' is not one of: {', '.join(config.departments)}"})
    with store.transaction() as tx:
        query = select(CaseRow).where(CaseRow.root_cause == cause)
        if department:
            query = query.where(CaseRow.root_cause_department == department)
        latest = tx.session.scalars(query.order_by(CaseRow.resolved_at.desc()).limit(1)).first()
        if latest is None:
            raise InvalidInput({"cause": f"No resolved case has the root cause '{cause}' yet"})
        schedule(tx, case_id=latest.id, kind="improvement_item", key=f"improvement_item:{cause}:{department or 'any'}",
                 payload={"cause": cause, "department": department, "requested_by": requested_by})
        return latest.key
