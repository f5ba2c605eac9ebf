"""Post in a source thread (where the front line escalated): links, and the swarm's status updates."""

from __future__ import annotations

from swarm.ports import Notice
from workflows.steps import Step, StepContext


def post_in_source(ctx: StepContext) -> dict:
    target = ctx.payload
    if not target.get("channel"):
        return {"skipped": "no source thread"}
    chat = ctx.chat_for(target["platform"], target.get("workspace"))
    if ctx.ambiguous and (found := chat.find_posted(target["channel"], ctx.effect_key, thread=target.get("thread"))):
        return {"message_id": found}
    return {"message_id": chat.post(target["channel"], Notice(target["text"], target.get("case_key")), effect_key=ctx.effect_key,
                                    thread=target.get("thread"))}


NOTIFY_SOURCE = (Step("post_in_source", post_in_source),)
