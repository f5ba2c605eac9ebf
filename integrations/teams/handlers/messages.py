"""Messages in a case channel: every person's message may stop the time-to-engage clock, and a message that
@mentions the bot is a command: "@CaseSwarm decide <text>", "resolve <summary>", "reopen", "add <who>", "status"."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

from integrations.teams.handlers import activity as inbound
from integrations.teams.handlers import case_channel
from integrations.teams.handlers.people import actor
from swarm.errors import ExternalError, InvalidInput, NotFound
from swarm.usecases.engagement import note_channel_message
from swarm.usecases.follow_up import complete_follow_up
from swarm.usecases.known_issue import post_status_update

HELP = ("**CaseSwarm** — in a case channel, mention me with:\n\n"
        "- `decide <text>` — record a decision\n\n- `add <department or email>` — bring in more people\n\n"
        "- `status` — where the case stands\n\n- `resolve <summary>` — resolve the case (the channel is archived later)\n\n"
        "- `reopen [reason]` — reopen a resolved case\n\n"
        "- `update <text>` — tell every source thread that reported the problem (known issue, ETA …)\n\n"
        "- `followup done CS-12` — you called the customer back after the resolution\n\n"
        "To open a case, use **Escalate to swarm** in a message's ⋯ menu.")
_AT_TAG = re.compile(r"<at>[^<]*</at>")


def register(app, container) -> None:
    @app.on_message
    async def on_message(ctx):
        reply = await asyncio.to_thread(handle, container, ctx.activity)
        if reply:
            await ctx.send(reply)


def handle(container, activity) -> str | None:
    """Note engagement; run a command addressed to the bot. Returns the reply, if any."""
    if inbound.is_from_bot(activity) or not activity.from_.aad_object_id:
        return None
    channel = inbound.channel_id(activity)
    if channel:
        at = activity.timestamp or datetime.now(timezone.utc)
        note_channel_message(container.store, channel_id=channel, user_id=inbound.user_id(activity), at=at)
    if not activity.is_recipient_mentioned():
        return None
    command = _AT_TAG.sub("", activity.text or "").strip()
    if not channel:
        return HELP
    try:
        return _run(container, channel, command, activity)
    except (InvalidInput, NotFound) as exc:
        return case_channel.user_error(exc)
    except ExternalError:
        return case_channel.BUSY


def _run(container, channel: str, command: str, activity) -> str:
    sub, _, rest = command.partition(" ")
    sub, rest = sub.lower(), rest.strip()
    who = actor(container, activity)
    if sub == "decide":
        return case_channel.decide(container, channel_id=channel, who=who, text=rest, dedupe_key=f"teams:message:{activity.id}")
    if sub == "resolve":
        return case_channel.resolve(container, channel_id=channel, who=who, summary=rest)
    if sub == "reopen":
        return case_channel.reopen(container, channel_id=channel, who=who, reason=rest)
    if sub == "add":
        return case_channel.add(container, channel_id=channel, who=who, target=rest, request_key=f"teams:{activity.id}")
    if sub == "status":
        return case_channel.status(container, channel_id=channel)
    if sub == "update":
        key, threads = post_status_update(container.store, channel_id=channel, text=rest, author=who.name,
                                          dedupe_key=f"teams:message:{activity.id}")
        return f"Update sent to {threads} source thread{'s' if threads != 1 else ''} of {key}."
    if sub == "followup":
        action, _, key = rest.partition(" ")
        if action.lower() != "done" or not key.strip():
            raise InvalidInput({"followup": "Say which case: followup done CS-12"})
        return complete_follow_up(container.store, case_key=key.strip(), actor=who.name)
    return HELP
