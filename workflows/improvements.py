"""Create the improvement item for a root cause in the ticketing system (found again by its label, never doubled)."""

from __future__ import annotations

from sqlalchemy import func, select

from swarm.store.tables import CaseRow
from workflows.steps import Step, StepContext


def create_improvement_item(ctx: StepContext) -> dict:
    ticketing = ctx.services.ticketing
    if ticketing is None:
        return {"skipped": "ticketing is not configured"}
    config = ctx.services.config
    cause, department = ctx.payload["cause"], ctx.payload.get("department")
    label = config.resolution.root_causes.get(cause, cause)
    owner = config.departments[department].name if department in config.departments else "the owning team"
    with ctx.services.store.read() as session:
        query = select(CaseRow.id, CaseRow.title).where(CaseRow.root_cause == cause)
        if department:
            query = query.where(CaseRow.root_cause_department == department)
        cases = session.execute(query.order_by(CaseRow.id.desc()).limit(20)).all()
        total = session.scalar(select(func.count()).select_from(query.subquery()))
    examples = "\n".join(f"- CS-{case_id}: {title}" for case_id, title in cases)
    ref = ticketing.create_item(
        key=f"improvement-{cause}-{department or 'any'}",
        summary=f"Remove the root cause: {label} ({owner}, {total} cases)",
        description=(f"Customer cases keep coming from the same upstream cause: {label}, owned by {owner}.\n"
                     f"{total} resolved cases so far, most recent:\n{examples}\n\nRequested from the CaseSwarm dashboard."))
    return {"key": ref.key, "url": ref.url}


IMPROVEMENT_ITEM = (Step("create_item", create_improvement_item),)
