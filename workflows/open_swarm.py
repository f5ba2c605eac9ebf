"""Open a swarm: pick owners and create the channel, invite, post and pin the summary.

The ticket and the customer lookup are workflows of their own, started with the case (neither needs the channel);
the answer in the source thread starts once the channel exists. None of them waits for the invites, the summary or
the pin.

Each step's result is stored while the next step's call is out (see OPEN_SWARM), and every step's start is durable
before it acts; a step that may have half-run (`ctx.ambiguous`) looks for what it created before creating again.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from swarm.channel_names import candidates, channel_name
from swarm.errors import NameTaken, PermanentFailure
from swarm.model import CaseStatus, CaseSummary
from swarm.ports import SummaryCard
from swarm.store.queries import case_by_channel, load_case_summary, open_swarm_load, refreshed_summary
from swarm.store.tables import CaseRow
from swarm.usecases.common import note
from workflows.case_updates import summary_digest
from workflows.customer_routing import schedule_if_tier_matters
from workflows.participants import add_picks, invite_pending, invite_statuses, pick_of, record_invites
from workflows.routing import case_facts, not_reachable, reachable_plan
from workflows.steps import Step, StepContext


def create_channel(ctx: StepContext) -> dict:
    """Pick the owners (pure routing over config and current load) and create the channel: one step, so one commit
    records both (the picks are only invited once the channel exists; a retry simply routes again)."""
    channel_cfg = ctx.services.config.channel
    with ctx.services.store.read() as session:
        case = session.get(CaseRow, ctx.case_id)
        facts = case_facts(case)  # the customer's tier if the CRM answered already; else route_for_customer adds it
        load = open_swarm_load(session)
        present = invite_statuses(session, case.id)  # the requester, and anyone added before the channel existed
    chat = ctx.chat
    # Among the people the platform can reach (a Slack case cannot invite someone without a Slack id): whoever is
    # passed over is named on the timeline, and the next candidate is picked instead.
    plan, passed_over = reachable_plan(facts, ctx.services.config, reachable=lambda p: bool(chat.address(p)),
                                       now=ctx.services.clock(), load=load)
    base = channel_name(channel_cfg.name_template, number=case.id, title=case.title, category=case.category,
                        severity=case.severity, limit=chat.channel_name_limit)
    created = _create_or_adopt(ctx, chat, base, private=channel_cfg.private)
    # Said in the source thread by its own workflow, beside the rest of the opening (it needs only the channel).
    created["source_text"] = (f":rotating_light: Escalated as *{case.key}* ({case.title}). "
                              f"The swarm is working in {chat.channel_mention(created['channel_id'])}.")
    return created | {"picks": [pick_of(chat, a) for a in plan.assignments], "present": present,
                      "skipped": [not_reachable(chat.kind, a.person) for a in passed_over]}


def _create_or_adopt(ctx: StepContext, chat, base: str, *, private: bool) -> dict:
    for name in candidates(base, limit=chat.channel_name_limit):
        if ctx.ambiguous and (adopted := _adoptable(ctx, chat.find_channel(name))):
            return adopted
        try:
            ref = chat.create_channel(name, private=private)
            return {"channel_id": ref.id, "channel_name": ref.name}
        except NameTaken:
            if adopted := _adoptable(ctx, chat.find_channel(name)):
                return adopted
    raise PermanentFailure(f"channel names {base} .. {name} are all taken")


def _adoptable(ctx: StepContext, ref) -> dict | None:
    """A channel we created for this case on an earlier try whose answer never reached us."""
    if ref is None or not ref.created_by_us:
        return None
    with ctx.services.store.read() as session:
        owner = case_by_channel(session, ref.id)
    if owner is not None and owner.id != ctx.case_id:
        return None
    return {"channel_id": ref.id, "channel_name": ref.name}


def record_channel(session: Session, ctx: StepContext, result: dict) -> None:
    case = session.get(CaseRow, ctx.case_id)
    add_picks(session, case, result)
    case.channel_id, case.channel_name = result["channel_id"], result["channel_name"]
    note(session, case, "channel_created", f"Case channel #{result['channel_name']} created")
    # Nothing for the ticket: the escalation scheduled it, and it carries the case link, which needs no channel.
    if case.source_channel and result.get("source_text"):
        ctx.follow_up("notify_source", f"notify_source:opened:{case.id}",
                      {"platform": case.platform, "workspace": case.workspace_id, "channel": case.source_channel,
                       "thread": case.source_message, "text": result["source_text"], "case_key": case.key})


def read_summary(ctx: StepContext) -> CaseSummary:
    """The summary, read while the invite is out (once the channel's record has landed: it shows the channel)."""
    with ctx.services.store.read() as session:
        return load_case_summary(session, ctx.case_id)


def post_summary(ctx: StepContext) -> dict:
    """Posted while the invites' record commits: it shows the invites' outcomes from their result, and what other
    work changed while the invite was out (the ticket, the customer) from a second, small read."""
    chat = ctx.chat
    with ctx.services.store.read() as session:
        summary = (refreshed_summary(session, ctx.prefetched) if ctx.prefetched is not None
                   else load_case_summary(session, ctx.case_id))
    summary = as_opened(summary, ctx.results.get("invite") or {})
    if ctx.ambiguous and (found := chat.find_posted(summary.channel_id, ctx.effect_key)):
        return {"message_id": found}  # rendered by an earlier try from facts we no longer know: no digest
    return {"message_id": chat.post(summary.channel_id, SummaryCard(summary), effect_key=ctx.effect_key),
            "digest": summary_digest(summary)}


def record_summary(session: Session, ctx: StepContext, result: dict) -> None:
    case = session.get(CaseRow, ctx.case_id, with_for_update=True)  # see schedule_if_tier_matters
    case.summary_message_id, case.summary_digest = result["message_id"], result.get("digest")
    schedule_if_tier_matters(ctx, case, summary_posted=lambda: True)  # the customer may be known already


def pin_summary(ctx: StepContext) -> dict:
    channel_id, message_id = ctx.results["create_channel"]["channel_id"], ctx.results["post_summary"]["message_id"]
    ctx.chat.pin(channel_id, message_id)
    return {}


def record_pin(session: Session, ctx: StepContext, result: dict) -> None:
    # A fact recorded while the summary was being rendered found no summary to update: this refresh sees it (and
    # costs no call when the summary already shows everything). Scheduled after the pin, not beside it: the pin is
    # the last call of the opening, and the refresh's reads would compete with it for the process.
    ctx.follow_up("refresh_summary", f"refresh_summary:{ctx.case_id}:posted", coalesce=True)


def record_invites_and_open(session: Session, ctx: StepContext, result: dict) -> None:
    """The channel exists and the people are in: the swarm is open. In the invites' own transaction: a step of its
    own cost a commit between two calls. The summary, posted while this commits, shows it through as_opened."""
    case = session.get(CaseRow, ctx.case_id)
    record_invites(session, ctx, result)
    if case.status == CaseStatus.OPENING.value:
        case.status = CaseStatus.OPEN.value
    case.opened_at = ctx.services.clock()
    invited = sum(1 for p in case.participants if p.invite_status in ("invited", "already_in_channel"))
    note(session, case, "swarm_open", f"Swarm open in #{case.channel_name} with {invited} people")


def as_opened(summary: CaseSummary, invited: dict) -> CaseSummary:
    """The summary as record_invites_and_open leaves the case, whether or not that record has landed: each person
    still pending shows their invite's outcome, and an opening swarm is open. (A status that moved on since, such
    as a decline, is newer than the outcome and stays.) It must show exactly what a read after the record shows, or
    the refresh after the posting spends a chat.update on nothing."""
    outcomes = {o["user_id"]: o["status"] for o in invited.get("outcomes", ())}
    people = tuple(replace(p, invite_status=outcomes[p.user_id])
                   if p.invite_status == "pending" and p.user_id in outcomes else p for p in summary.participants)
    status = CaseStatus.OPEN if summary.status == CaseStatus.OPENING else summary.status
    return replace(summary, participants=people, status=status)


# Each step after the first goes out while the record of the step before it commits (Step.overlaps_previous_record):
# three commits off the critical path. The invite and the pin are idempotent where they land and need only the
# result of the step before them. The summary is not idempotent, so its start is recorded with the invite's
# (Step.starts_with_previous), before the invite goes out: after a crash it looks for its message before posting.
# It is read while the invite is out (Step.prefetch) and shows the invites' outcomes from their result (as_opened).
OPEN_SWARM = (
    Step("create_channel", create_channel, record_channel),
    Step("invite", invite_pending, record_invites_and_open, overlaps_previous_record=True),
    Step("post_summary", post_summary, record_summary, overlaps_previous_record=True, starts_with_previous=True,
         prefetch=read_summary),
    Step("pin_summary", pin_summary, record_pin, overlaps_previous_record=True),
)
