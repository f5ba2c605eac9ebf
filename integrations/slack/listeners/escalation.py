"""Escalate to swarm: the message shortcut and `/swarm new` open the form; its submission opens the case."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from integrations.slack import views
from integrations.slack.listeners.replies import open_form
from swarm.errors import InvalidInput
from swarm.escalation_form import DESCRIPTION_MAX, EscalationForm, title_from_message, validate_escalation
from swarm.store.queries import case_by_dedupe_key
from swarm.usecases.escalate import escalate
from swarm.usecases.known_issue import join_swarm, open_swarms_like

log = logging.getLogger("caseswarm.slack")

# Where a shortcut's form is opened once its answer has gone back: views.open must come within the trigger's 3 s.
_AFTER_THE_ANSWER = ThreadPoolExecutor(max_workers=8, thread_name_prefix="caseswarm-form")


def register(app: App, deps) -> None:
    config, store = deps.config, deps.store
    categories = dict(config.categories)

    def open_form_from_message(shortcut, client):
        channel, message = shortcut["channel"]["id"], shortcut["message"]
        key = source_key(shortcut["team"]["id"], channel, message["ts"])
        with store.read() as session:
            existing = case_by_dedupe_key(session, key)
            already = (existing.key, existing.channel_id) if existing else None
        if already:
            text = f"This message was already escalated as *{already[0]}*" + (f": <#{already[1]}>" if already[1] else " (opening…)")
            open_form(client, shortcut["trigger_id"], views.confirmation("Already escalated", text),
                      channel=channel, user=shortcut["user"]["id"])
            return
        text = message.get("text", "")
        view = views.escalation_modal(categories=categories, title=title_from_message(text), description=text[:DESCRIPTION_MAX],
                                      source_link=_permalink(client, channel, message["ts"]),
                                      metadata={"channel": channel, "ts": message["ts"]},
                                      similar=open_swarms_like(store, text=text))
        open_form(client, shortcut["trigger_id"], view, channel=channel, user=shortcut["user"]["id"])

    # The shortcut's answer carries nothing, so it goes back at once: the listener hands the rest to a thread and
    # returns (with process_before_response, Bolt answers when it returns). The form then opens while the trigger is
    # fresh: the link to the message, the open swarms like it and views.open no longer count against Slack's 3
    # seconds, and nothing is lost if the process dies in between (nothing is recorded before the submit; the agent
    # picks the shortcut again). Not a Bolt lazy listener: that deep-copies the whole request for its thread, which
    # was most of what this answer cost beyond a bare ack.
    @app.shortcut("escalate_to_swarm")
    def escalate_from_message(ack, shortcut, client):
        ack()
        _AFTER_THE_ANSWER.submit(_logged, open_form_from_message, shortcut, client)

    @app.view(views.ESCALATION_MODAL)
    def submit_escalation(ack, body, view):
        meta, values, user = views.metadata(view), views.form_values(view), body["user"]
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        has_source = bool(meta.get("channel") and meta.get("ts"))
        form = EscalationForm(values.get("title"), values.get("customer"), values.get("category"), values.get("severity"),
                              values.get("description"), values.get("source_link"), values.get("ticket"), values.get("crm_case"))
        try:
            escalation = validate_escalation(
                form, categories=categories, requester=user["id"], platform="slack",
                dedupe_key=source_key(team, meta["channel"], meta["ts"]) if has_source else f"slack:view:{view['id']}",
                source_channel=meta.get("channel"), source_message=meta.get("ts"))
        except InvalidInput as exc:
            ack(response_action="errors", errors=exc.fields)
            return
        escalation = replace(escalation, requester_name=deps.people.name(user), workspace_id=team or None)
        target = values.get("join")
        if target and target != "new":
            return _join(ack, store, escalation, target)
        opened = escalate(store, escalation=escalation, config=config)
        verb = "is opening" if opened.created else "was already escalated"
        ack(response_action="update", view=views.confirmation(
            opened.key, f"*{opened.key}* {verb}. The case channel and the right owners are on their way; "
                        "you will get a link in the message thread."))


def _join(ack, store, escalation, target: str) -> None:
    try:
        joined = join_swarm(store, escalation=escalation, target_key=target)
    except InvalidInput as exc:
        return ack(response_action="errors", errors=exc.fields)
    ack(response_action="update", view=views.confirmation(
        joined.key, f"Linked to *{joined.key}*: no new channel. You are in the swarm, and its updates will "
                    "appear in the message thread."))


def open_empty_form(client, trigger_id: str, categories: dict[str, str], *, channel: str | None = None,
                    user: str | None = None) -> None:
    """`/swarm new`: the same form with nothing prefilled."""
    open_form(client, trigger_id, views.escalation_modal(categories=categories), channel=channel, user=user)


def source_key(team: str, channel: str, ts: str) -> str:
    """One case per source message: the dedupe key that makes double clicks and re-sends harmless."""
    return f"slack:{team}:{channel}:{ts}"


def _logged(work, *args) -> None:
    try:
        work(*args)
    except Exception:  # nobody waits for this thread: say it here (the agent sees no form, and may try again)
        log.exception("opening the escalation form failed")


def _permalink(client, channel: str, ts: str) -> str:
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    except SlackApiError as exc:  # the form still works without it; the agent can paste a link
        log.warning("permalink unavailable channel=%s error=%s", channel, exc.response.get("error"))
        return ""
