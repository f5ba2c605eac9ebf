"""The cards' Action.Execute buttons (adaptiveCard/action invokes): on the summary, decide, add people, status,
resolve, reopen; on the ask to take a case, "I'm on it" and "Can't take it". The answer is a message Teams shows to
the person who clicked; what the channel sees comes from the workflows."""

from __future__ import annotations

import asyncio
import hashlib

from integrations.teams import cards
from integrations.teams.handlers import activity as inbound
from integrations.teams.handlers import case_channel
from integrations.teams.handlers.people import Actor, actor
from swarm.errors import ExternalError, InvalidInput, NotFound
from swarm.usecases.responses import accept_case, decline_case

MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"


def register(app, container) -> None:
    @app.on_card_action
    async def on_card_action(ctx):
        return await asyncio.to_thread(handle, container, ctx.activity)


def handle(container, activity) -> dict:
    action = activity.value.action
    channel = inbound.channel_id(activity) or inbound.conversation_base(activity)
    run = VERBS.get(action.verb or "")
    if run is None:
        return _answer(f"Unknown action '{action.verb}'.", status=400)
    try:
        text = run(container, channel, actor(container, activity), action.data or {}, activity)
    except (InvalidInput, NotFound) as exc:
        text = case_channel.user_error(exc)
    except ExternalError:
        text = case_channel.BUSY
    return _answer(text)


def _decide(container, channel: str, who: Actor, data: dict, activity) -> str:
    text = str(data.get("decision") or "")
    # A double click sends the same text from the same card twice: one decision (a new activity id each time).
    digest = hashlib.sha256(text.strip().encode()).hexdigest()[:16]
    key = f"teams:card:{activity.reply_to_id or activity.id}:{who.user_id}:{digest}"
    return case_channel.decide(container, channel_id=channel, who=who, text=text, dedupe_key=key)


def _add(container, channel: str, who: Actor, data: dict, activity) -> str:
    target = str(data.get("person") or data.get("department") or "")
    return case_channel.add(container, channel_id=channel, who=who, target=target, request_key=f"teams:{activity.id}")


def _status(container, channel: str, who: Actor, data: dict, activity) -> str:
    return case_channel.status(container, channel_id=channel)


def _resolve(container, channel: str, who: Actor, data: dict, activity) -> str:
    return case_channel.resolve(container, channel_id=channel, who=who, summary=str(data.get("resolution") or ""),
                                root_cause=data.get("root_cause") or None,
                                root_cause_department=data.get("root_cause_department") or None)


def _reopen(container, channel: str, who: Actor, data: dict, activity) -> str:
    return case_channel.reopen(container, channel_id=channel, who=who)


def _accept(container, channel: str, who: Actor, data: dict, activity) -> str:
    # The same answers as Slack's buttons; a second click (or a re-delivered invoke) finds the answer recorded.
    result = accept_case(container.store, case_key=str(data.get("case") or ""), user_id=who.user_id)
    return f"Thanks, you're on {result.case_key}." if result.recorded else f"You're already on {result.case_key}."


def _decline(container, channel: str, who: Actor, data: dict, activity) -> str:
    result = decline_case(container.store, case_key=str(data.get("case") or ""), user_id=who.user_id,
                          reason=str(data.get("reason") or "") or None)
    return (f"Got it: someone else will be brought into {result.case_key}." if result.recorded
            else f"You already declined {result.case_key}.")


VERBS = {cards.DECIDE: _decide, cards.ADD: _add, cards.STATUS: _status, cards.RESOLVE: _resolve, cards.REOPEN: _reopen,
         cards.ACCEPT: _accept, cards.DECLINE: _decline}


def _answer(text: str, *, status: int = 200) -> dict:
    return {"statusCode": status, "type": MESSAGE_RESPONSE, "value": text}
