"""Bringing in the next person when an expert declines.

The experts a swarm opens with are asked on the pinned summary itself (swarm/summary_text.py `question`, with
"I'm on it" / "Can't take it" where the platform has buttons). `replace_expert` (scheduled by a decline, once per
person and case) picks the next person from the same department, skipping everyone already in the swarm or
declined, invites them and asks them in a message of their own (a summary update would not notify them); when
nobody is left it says so plainly.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from swarm.errors import RetryLater
from swarm.ports import ExpertRequest, Notice
from swarm.store.queries import open_swarm_load
from swarm.store.tables import CaseRow, ParticipantRow
from swarm.usecases.common import note
from workflows.case_updates import refresh_summary_after
from workflows.participants import invite_pending, record_invites
from workflows.routing import not_reachable, reachable_pick
from workflows.steps import Step, StepContext

ADD_HINT = {"slack": "`/swarm add`", "teams": "*Add people* on the summary card"}


def pick_replacement(ctx: StepContext) -> dict:
    """The next person from the decliner's department whom the case's platform can reach, or the sentence saying
    there is nobody. Anyone passed over because the platform cannot reach them is named, with why."""
    case, chat = _case_and_chat(ctx)
    config, declined = ctx.services.config, ctx.payload
    why = f": {declined['reason']}" if declined.get("reason") else ""
    opening = f"{declined['name']} can't take {case.key}{why}."
    department = config.departments.get(declined.get("department") or "")
    if department is None:
        return {"text": f":information_source: {opening} Bring someone else in with {ADD_HINT.get(chat.kind, 'add')}.",
                "note": f"No replacement picked for {declined['name']} (not an expert of a department)"}
    present = {p.user_id for p in case.participants}  # includes everyone who declined
    exclude = [m.id for m in department.members if chat.address(m) in present]
    with ctx.services.store.read() as session:
        load = open_swarm_load(session)
    pick, passed_over = reachable_pick(declined["department"], config, reachable=lambda p: bool(chat.address(p)),
                                       now=ctx.services.clock(), load=load, exclude=exclude)
    skipped = [not_reachable(chat.kind, a.person) for a in passed_over]
    also = f" ({'; '.join(skipped)}.)" if skipped else ""
    if pick is None:
        manager = chat.address(department.manager)
        ask = f" {chat.user_mention(manager)}, can you find someone?" if manager else ""
        return {"text": f":warning: {opening} Nobody else in {department.name} is available "
                        f"(everyone is already in this swarm or has declined).{also}{ask}",
                "note": f"No replacement for {declined['name']}: nobody else in {department.name} is available",
                "skipped": skipped}
    address = chat.address(pick.person)
    return {"user_id": address, "name": pick.person.name, "department": pick.department,
            "reason": f"replacing {declined['name']}: {pick.reason}", "skipped": skipped,
            "text": f":arrows_counterclockwise: {opening} Bringing in {chat.user_mention(address)} from "
                    f"{department.name} ({pick.reason}). Can you take it?{also}"}


def record_replacement(session: Session, ctx: StepContext, result: dict) -> None:
    case = session.get(CaseRow, ctx.case_id)
    for sentence in result.get("skipped", ()):
        note(session, case, "not_reachable", f"Not brought in: {sentence}")
    if not result.get("user_id"):
        note(session, case, "no_replacement", result["note"])
        return
    exists = session.scalar(select(ParticipantRow).where(ParticipantRow.case_id == case.id,
                                                         ParticipantRow.user_id == result["user_id"]))
    if exists is None:
        session.add(ParticipantRow(case_id=case.id, user_id=result["user_id"], name=result["name"],
                                   department=result["department"], role="expert", reason=result["reason"]))
        note(session, case, "routed", f"Brought in {result['name']} ({result['reason']})")


def ask_replacement(ctx: StepContext) -> dict:
    """Tell the channel about the decline; the new person is asked in the same message."""
    case, chat = _case_and_chat(ctx)
    picked = ctx.results["pick"]
    if picked.get("user_id"):
        return _post(ctx, case, chat, ExpertRequest(picked["text"], case.key, experts=(picked["user_id"],)))
    return _post(ctx, case, chat, Notice(picked["text"], case.key))


def _post(ctx: StepContext, case: CaseRow, chat, message: Notice) -> dict:
    if not case.channel_id:
        raise RetryLater("the case channel is not created yet", retry_after=2)
    if ctx.ambiguous and (found := chat.find_posted(case.channel_id, ctx.effect_key)):
        return {"message_id": found}
    return {"message_id": chat.post(case.channel_id, message, effect_key=ctx.effect_key)}


def _case_and_chat(ctx: StepContext):
    with ctx.services.store.read() as session:
        case = session.scalars(select(CaseRow).where(CaseRow.id == ctx.case_id)
                               .options(selectinload(CaseRow.participants))).one()
    return case, ctx.chat_for_case(case)


REPLACE_EXPERT = (
    Step("pick", pick_replacement, record_replacement),
    Step("invite", invite_pending, record_invites),
    Step("ask", ask_replacement, refresh_summary_after),  # the summary shows who declined and who was asked
)
REPLACEMENT_WORKFLOWS = {"replace_expert": REPLACE_EXPERT}
