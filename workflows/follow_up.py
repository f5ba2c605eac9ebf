"""Follow-up notices (created, reminder, overdue) where the front line works, and the CRM task."""

from __future__ import annotations

from swarm.model import CaseStatus
from swarm.ports import Notice
from swarm.store.tables import CaseRow, FollowUpRow
from workflows.steps import Step, StepContext
from workflows.sync import _wait_for_link


def post_follow_up_notice(ctx: StepContext) -> dict:
    with ctx.services.store.read() as session:
        follow_up = session.get(FollowUpRow, ctx.payload["follow_up_id"])
        case = session.get(CaseRow, follow_up.case_id)
    stage = ctx.payload["stage"]
    if follow_up.status != "open":
        return {"skipped": f"follow-up is {follow_up.status}"}
    chat = ctx.chat_for_case(case)
    text = _text(ctx, stage, case, follow_up, chat)
    posted = {}
    for name, (channel, thread) in _places(ctx, stage, case).items():
        key = f"{ctx.effect_key}-{name}"
        if ctx.ambiguous and (found := chat.find_posted(channel, key, thread=thread)):
            posted[name] = found
            continue
        posted[name] = chat.post(channel, Notice(text, case.key), effect_key=key, thread=thread)
    return posted


def _places(ctx: StepContext, stage: str, case: CaseRow) -> dict[str, tuple[str, str | None]]:
    """Where the front line will see it: the source thread (or the case channel while it is open); overdue
    notices also go to the managers' channel."""
    places: dict[str, tuple[str, str | None]] = {}
    if case.source_channel:
        places["source"] = (case.source_channel, case.source_message)
    elif case.channel_id and case.status != CaseStatus.ARCHIVED.value:
        places["case"] = (case.channel_id, None)
    managers = ctx.services.config.channel.managers_channel
    if stage == "overdue" and managers:
        places["managers"] = (managers, None)
    return places


def _text(ctx: StepContext, stage: str, case: CaseRow, follow_up: FollowUpRow, chat) -> str:
    owner = chat.user_mention(follow_up.owner_id)
    due = f"{follow_up.due_at:%Y-%m-%d %H:%M} UTC"
    done = f"When done: `/swarm followup done {case.key}`"
    if stage == "created":
        return (f":telephone_receiver: *Follow up with {case.customer}* on {case.key} — {owner}, by {due}.\n"
                f"Draft: _{follow_up.draft}_\n{done}")
    if stage == "reminder":
        return f":alarm_clock: Reminder: the follow-up with *{case.customer}* on {case.key} is due {due} — {owner}.\n{done}"
    managers = " ".join(chat.user_mention(m) for m in _manager_ids(ctx, case, chat)) or "Managers"
    return (f":warning: *Overdue follow-up*: nobody has confirmed calling *{case.customer}* back on {case.key} "
            f"(due {due}, {owner}). {managers}: please make sure it happens.\n{done}")


def _manager_ids(ctx: StepContext, case: CaseRow, chat) -> list[str]:
    config = ctx.services.config
    departments = {case.root_cause_department, case.category} & set(config.departments)
    ids = {chat.address(config.departments[d].manager) for d in departments}
    return sorted(i for i in ids if i)


def create_crm_task(ctx: StepContext) -> dict:
    crm = ctx.services.crm
    if crm is None:
        return {"skipped": "CRM is not configured"}
    with ctx.services.store.read() as session:
        follow_up = session.get(FollowUpRow, ctx.payload["follow_up_id"])
        case = session.get(CaseRow, follow_up.case_id)
    if not case.crm_record_id:
        _wait_for_link(ctx, "link_crm_record", "the CRM case")
        return {"skipped": "no CRM case linked"}
    task = crm.create_task(case.crm_record_id, marker=f"followup-{follow_up.id}",
                           subject=f"Follow up with {case.customer} on {case.key}",
                           due=follow_up.due_at.date(), description=follow_up.draft)
    return {"task_id": task}


FOLLOW_UP_NOTICE = (Step("post_notice", post_follow_up_notice),)
FOLLOW_UP_CRM_TASK = (Step("create_task", create_crm_task),)
