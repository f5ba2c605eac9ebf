"""Escalate to swarm: the message extension action opens the form (composeExtension/fetchTask); submitting it
(composeExtension/submitAction) validates and opens the case, or shows the form again with the errors."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from typing import Any

from integrations.teams import forms
from integrations.teams.handlers import activity as inbound
from integrations.teams.handlers.people import actor
from swarm.errors import InvalidInput
from swarm.usecases.known_issue import join_swarm, open_swarms_like
from swarm.escalation_form import DESCRIPTION_MAX, EscalationForm, title_from_message, validate_escalation
from swarm.store.queries import case_by_dedupe_key
from swarm.usecases.escalate import escalate

COMMAND_ID = "escalate_to_swarm"


@dataclass(frozen=True)
class Source:
    """Where the escalated message lives. One case per source message: the dedupe key makes a re-delivered
    activity and a double submit harmless. Without a message (from the compose box) the form's id stands in."""

    conversation: str | None = None  # channel id, or chat id
    message: str | None = None
    thread: str | None = None  # the thread root to reply under (channels only)
    form: str | None = None

    @property
    def dedupe_key(self) -> str:
        return f"teams:{self.conversation}:{self.message}" if self.message else f"teams:form:{self.form}"

    def as_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


def register(app, container) -> None:
    @app.on_message_ext_open
    async def open_escalation_form(ctx):
        if ctx.activity.value.command_id != COMMAND_ID:
            return None
        return await asyncio.to_thread(open_form, container, ctx.activity)

    @app.on_message_ext_submit
    async def submit_escalation_form(ctx):
        if ctx.activity.value.command_id != COMMAND_ID:
            return None
        return await asyncio.to_thread(submit_form, container, ctx.activity)


def open_form(container, activity) -> dict:
    source = _source_of(activity)
    with container.store.read() as session:
        existing = case_by_dedupe_key(session, source.dedupe_key)
        already = existing.key if existing else None
    if already:
        return forms.dialog_message(f"This message was already escalated as {already}.")
    payload = activity.value.message_payload
    text = inbound.html_to_text(payload.body.content if payload and payload.body else "")
    values = {"title": title_from_message(text), "description": text[:DESCRIPTION_MAX], "severity": "sev3",
              "source_link": (payload.link_to_message if payload else None) or ""}
    return forms.dialog(forms.escalation_form(categories=dict(container.config.categories), values=values,
                                              source=source.as_data(), similar=open_swarms_like(container.store, text=text)))


def submit_form(container, activity) -> dict:
    data = activity.value.data if isinstance(activity.value.data, dict) else {}
    source = _source_of(activity, submitted=data.get("source"))
    categories = dict(container.config.categories)
    who = actor(container, activity)
    form = EscalationForm(**{name: _text(data.get(name)) for name in forms.FIELDS})
    try:
        escalation = validate_escalation(form, categories=categories, requester=who.user_id, platform="teams",
                                         dedupe_key=source.dedupe_key, source_channel=source.conversation,
                                         source_message=source.thread)
    except InvalidInput as exc:
        return forms.dialog(forms.escalation_form(categories=categories, values=data, source=source.as_data(),
                                                  errors=exc.fields))
    escalation = replace(escalation, requester_name=who.name)
    if (target := _text(data.get("join"))) and target != "new":
        try:
            joined = join_swarm(container.store, escalation=escalation, target_key=target)
        except InvalidInput as exc:
            return forms.dialog(forms.escalation_form(categories=categories, values=data, source=source.as_data(),
                                                      errors=exc.fields))
        return forms.dialog_message(f"Linked to {joined.key}: no new channel. You are in the swarm, and its updates "
                                    "will appear in the message thread.")
    opened = escalate(container.store, escalation=escalation, config=container.config)
    verb = "is opening" if opened.created else "was already escalated"
    return forms.dialog_message(f"{opened.key} {verb}. The case channel and the right owners are on their way; "
                                "a link follows in the message thread.")


def _source_of(activity, *, submitted: Any = None) -> Source:
    """From the message Teams attached to the invoke. Teams attaches it to the first invoke (fetchTask) only, so
    the submit finds the source in the form's own data; a form opened from the compose box gets an id instead."""
    payload = activity.value.message_payload
    if payload is None or not payload.id:
        return _carried(submitted) or Source(form=uuid.uuid4().hex)
    channel = inbound.channel_id(activity)
    conversation = channel or inbound.conversation_base(activity)
    thread = (payload.reply_to_id or payload.id) if channel else None  # chats have no threads to reply under
    return Source(conversation=conversation, message=payload.id, thread=thread)


def _carried(submitted: Any) -> Source | None:
    """The Source the form carried in its submit data (only the fields a Source has)."""
    if not isinstance(submitted, dict):
        return None
    known = {name: str(value) for name, value in submitted.items() if name in Source.__dataclass_fields__ and value}
    return Source(**known) if known else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
