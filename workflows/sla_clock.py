"""The SLA clock as background work: a sweep, every minute, schedules reminders and breach notices via the outbox.

The unique workflow keys (`sla:<case>:engage:50`, `sla:<case>:resolve:breach`) are the clock's memory: a milestone
is scheduled once, whatever restarts or overlapping sweeps happen, and its post step looks for its message before
posting again. The state each clock was last seen in (cases.sla_*_state) lets the pinned summary change when the
state changes, not on every tick (Slack rate-limits chat.update).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from config.model import SwarmConfig
from swarm.model import CaseStatus, Severity
from swarm.ports import Notice
from swarm.sla import ENGAGE, SlaClock, SlaState, at_risk_share, case_clocks, latest_milestone
from swarm.store.db import Store
from swarm.store.outbox import schedule
from swarm.store.tables import CaseRow, WorkflowRow
from swarm.usecases.common import format_duration, note
from workflows.case_updates import post_notice
from workflows.steps import Step, StepContext, WorkflowServices

log = logging.getLogger("caseswarm.sla")

REMINDER, BREACH = "sla_reminder", "sla_breach"
ACTIVE = (CaseStatus.OPENING.value, CaseStatus.OPEN.value)
STEPPED_OUT = ("declined", "failed")  # experts who are not working the case


# -- the sweep --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseTimes:
    """What the sweep needs to know about one open case."""

    case_id: int
    severity: str
    tier: str | None
    department: str | None  # the primary department: its business hours pause the clock
    created_at: datetime
    engaged_at: datetime | None
    resolved_at: datetime | None
    engage_due: datetime | None
    resolve_due: datetime | None
    engage_state: str | None
    resolve_state: str | None


@dataclass
class SlaWork:
    case_id: int
    changes: dict[str, object] = field(default_factory=dict)  # case columns to set
    schedules: list[tuple[str, str, dict]] = field(default_factory=list)  # (kind, key, payload)


def sla_sweep(store: Store, config: SwarmConfig, now: datetime) -> list[str]:
    """Schedule what the SLA clocks of open cases call for at `now`; returns the workflow keys scheduled."""
    cases, already = _open_cases(store, config)
    work = [w for w in (plan_sla_work(c, config, now=now, already=already) for c in cases) if w.changes or w.schedules]
    if work:
        _apply(store, work)
    keys = [key for w in work for _, key, _ in w.schedules]
    if keys:
        log.info("sla_sweep at=%s scheduled=%s", now.isoformat(), ",".join(keys))
    return keys


def plan_sla_work(case: CaseTimes, config: SwarmConfig, *, now: datetime, already: Collection[str]) -> SlaWork:
    """What one case needs at `now` (pure): due times and states to store, milestones not yet in `already` (the
    workflow keys scheduled before), and a summary refresh when anything shown changed."""
    department = config.departments.get(case.department or "")
    clocks = case_clocks(config.sla, severity=case.severity, tier=case.tier, created_at=case.created_at,
                         engaged_at=case.engaged_at, resolved_at=case.resolved_at, now=now,
                         hours=department.business_hours if department else None)
    work = SlaWork(case.case_id)
    for clock in clocks:
        if getattr(case, f"{clock.name}_due") != clock.due:  # business hours and the customer tier move it
            work.changes[f"sla_{clock.name}_due"] = clock.due
        if clock.running:
            state = clock.state(at_risk_share(config.sla.reminders)).value
            if (getattr(case, f"{clock.name}_state") or SlaState.ON_TRACK.value) != state:
                work.changes[f"sla_{clock.name}_state"] = state
            _plan_milestone(work, clock, config.sla.reminders, already)
    if work.changes:
        minute = now.astimezone(timezone.utc)  # at most one refresh per case and minute, however many sweeps run
        work.schedules.append(("refresh_summary", f"refresh_summary:{case.case_id}:sla:{minute:%Y%m%dT%H%M}", {}))
    return work


def _plan_milestone(work: SlaWork, clock: SlaClock, reminders, already: Collection[str]) -> None:
    milestone = latest_milestone(clock, reminders)
    if milestone is None:
        return
    key = f"sla:{work.case_id}:{clock.name}:{milestone.name}"
    if key not in already:
        payload = {"clock": clock.name, "share": milestone.share, "target": clock.target.total_seconds(),
                   "left": clock.left.total_seconds()}
        work.schedules.append((BREACH if milestone.is_breach else REMINDER, key, payload))


def _open_cases(store: Store, config: SwarmConfig) -> tuple[list[CaseTimes], set[str]]:
    with store.read() as session:
        rows = session.scalars(select(CaseRow).where(CaseRow.status.in_(ACTIVE)).options(selectinload(CaseRow.participants)))
        cases = [_times(row, config) for row in rows]
        already = set(session.scalars(select(WorkflowRow.dedupe_key).join(CaseRow, CaseRow.id == WorkflowRow.case_id)
                                      .where(CaseRow.status.in_(ACTIVE), WorkflowRow.kind.in_((REMINDER, BREACH)))))
    return cases, already


def _times(row: CaseRow, config: SwarmConfig) -> CaseTimes:
    return CaseTimes(case_id=row.id, severity=row.severity, tier=(row.customer_context or {}).get("tier"),
                     department=primary_department(row, config), created_at=row.created_at, engaged_at=row.engaged_at,
                     resolved_at=row.resolved_at, engage_due=row.sla_engage_due, resolve_due=row.sla_resolve_due,
                     engage_state=row.sla_engage_state, resolve_state=row.sla_resolve_state)


def primary_department(row: CaseRow, config: SwarmConfig) -> str | None:
    """The department of the first expert routed in, else the one the category names (None: no business hours)."""
    routed = [p.department for p in row.participants if p.role == "expert" and p.department in config.departments]
    if routed:
        return routed[0]
    return row.category if row.category in config.departments else None


def _apply(store: Store, work: list[SlaWork]) -> None:
    with store.transaction() as tx:
        for item in work:
            case = tx.session.get(CaseRow, item.case_id)
            for column, value in item.changes.items():
                setattr(case, column, value)
            for kind, key, payload in item.schedules:
                schedule(tx, case_id=item.case_id, kind=kind, key=key, payload=payload)


def register_sla_clock(huey, services: WorkflowServices) -> None:
    """Sweep every minute on the huey consumer (called by the composition root; nothing runs at import)."""
    def sweep_sla_clocks() -> int:
        return len(sla_sweep(services.store, services.config, services.clock()))

    huey.periodic_task(crontab(minute="*"), name="sla_sweep")(sweep_sla_clocks)


# -- the workflows it schedules ---------------------------------------------------------------------------------
def compose_reminder(ctx: StepContext) -> dict:
    """The reminder's text, unless the clock stopped since the sweep (then nothing is posted)."""
    case, chat = _case_and_chat(ctx)
    clock = ctx.payload["clock"]
    if not _still_running(case, clock):
        return {"skipped": f"the {clock} clock stopped"}
    share, left, target = ctx.payload["share"], format_duration(ctx.payload["left"]), format_duration(ctx.payload["target"])
    text = f":hourglass_flowing_sand: *{case.key}*: {share:.0%} of the time to {clock} is used ({left} left of {target})."
    if clock == ENGAGE:
        asked = " ".join(chat.user_mention(p.user_id) for p in _experts(case))
        text += f" No expert has written here yet{': ' + asked + ', can you pick this up?' if asked else '.'}"
    return {"text": text, "note": f"SLA reminder: {share:.0%} of the time to {clock} used ({left} left)"}


def compose_breach(ctx: StepContext) -> dict:
    """What the case channel and the managers' channel are told when a target is missed."""
    case, chat = _case_and_chat(ctx)
    clock, target = ctx.payload["clock"], format_duration(ctx.payload["target"])
    if not _still_running(case, clock):
        return {"skipped": f"the {clock} clock stopped"}
    managers = " ".join(chat.user_mention(m) for m in _manager_ids(case, ctx.services.config, chat))
    missing = " No expert has written here yet." if clock == ENGAGE else ""
    people = ", ".join(f"{p.name} ({p.department})" for p in _experts(case)) or "nobody yet"
    step_in = f" {managers}, please step in." if managers else ""
    where = f" in {chat.channel_mention(case.channel_id)}" if case.channel_id else ""
    return {
        "text": f":rotating_light: *{case.key}* missed its time-to-{clock} target ({target}).{missing}{step_in}",
        "managers_text": f":rotating_light: *{case.key}* · {case.title} ({case.customer}, {Severity(case.severity).label}) "
                         f"missed its time-to-{clock} target ({target}).{missing} Swarm: {people}{where}.{step_in}",
        "note": f"SLA breached: time to {clock} passed its {target} target",
    }


def record_milestone(session: Session, ctx: StepContext, result: dict) -> None:
    if result.get("note"):
        note(session, session.get(CaseRow, ctx.case_id), "sla", result["note"], at=ctx.services.clock())


def post_to_managers(ctx: StepContext) -> dict:
    """The breach, in the configured managers' channel too (once: the post is found again after a timeout)."""
    channel = ctx.services.config.channel.managers_channel
    text = ctx.results.get("compose", {}).get("managers_text")
    if not channel or not text:
        return {"skipped": "no managers channel configured" if text else "nothing to tell"}
    case, chat = _case_and_chat(ctx)
    effect = f"{ctx.effect_key}-managers"
    if ctx.ambiguous and (found := chat.find_posted(channel, effect)):
        return {"message_id": found}
    return {"message_id": chat.post(channel, Notice(text, case.key), effect_key=effect)}


def _case_and_chat(ctx: StepContext):
    with ctx.services.store.read() as session:
        case = session.scalars(select(CaseRow).where(CaseRow.id == ctx.case_id)
                               .options(selectinload(CaseRow.participants))).one()
    return case, ctx.chat_for_case(case)


def _still_running(case: CaseRow, clock: str) -> bool:
    if case.status not in ACTIVE or case.resolved_at is not None:
        return False
    return clock != ENGAGE or case.engaged_at is None


def _experts(case: CaseRow) -> list:
    return [p for p in case.participants if p.role == "expert" and p.invite_status not in STEPPED_OUT]


def _manager_ids(case: CaseRow, config: SwarmConfig, chat) -> list[str]:
    """The managers of the departments working the case (the primary one first), each once."""
    departments = [primary_department(case, config)] + [p.department for p in case.participants if p.role == "expert"]
    ids = [chat.address(config.departments[d].manager) for d in departments if d in config.departments]
    return list(dict.fromkeys(i for i in ids if i))


SLA_REMINDER = (Step("compose", compose_reminder, record_milestone), Step("post_notice", post_notice))
SLA_BREACH = (Step("compose", compose_breach, record_milestone), Step("post_notice", post_notice),
              Step("post_to_managers", post_to_managers))
SLA_WORKFLOWS = {REMINDER: SLA_REMINDER, BREACH: SLA_BREACH}
