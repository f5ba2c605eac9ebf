"""`/swarm <subcommand>`: new, decide, resolve, reopen, status, add, help."""

from __future__ import annotations

from slack_bolt import App

from integrations.slack.listeners import case_channel
from integrations.slack.listeners.case_buttons import open_resolve_modal
from integrations.slack.listeners.escalation import open_empty_form
from swarm.errors import InvalidInput, NotFound

HELP = """*CaseSwarm* — `/swarm` subcommands:
• `/swarm new` — escalate: open the case form
• `/swarm decide <text>` — record a decision (in a case channel)
• `/swarm add <department>` or `/swarm add @person` — bring in more people
• `/swarm link jira SUP-12` / `/swarm link salesforce 00001001` — link an existing ticket or CRM case
• `/swarm update <text>` — tell every source thread that reported this problem (known issue, ETA …)
• `/swarm status` — where the case stands
• `/swarm resolve <summary>` — resolve the case (the channel is archived later)
• `/swarm reopen [reason]` — reopen a resolved case
• `/swarm followup done CS-12` — you called the customer back after the resolution (from any channel)
Or use the message shortcuts *Escalate to swarm* and *Record as decision*."""

SUBCOMMANDS = ("new", "decide", "add", "link", "update", "status", "resolve", "reopen", "followup", "help")


def register(app: App, deps) -> None:
    categories = dict(deps.config.categories)

    @app.command("/swarm")
    def swarm_command(ack, command, client):
        sub, _, rest = (command.get("text") or "").strip().partition(" ")
        sub = sub.lower()
        if sub in ("", "help"):
            return ack(HELP)
        if sub == "new":
            ack()
            return open_empty_form(client, command["trigger_id"], categories, channel=command["channel_id"],
                                   user=command["user_id"])
        if sub == "resolve" and deps.config.resolution.require_root_cause:
            return _resolve_with_form(ack, deps, client, command, rest)
        if sub not in SUBCOMMANDS:
            return ack(f"Unknown subcommand '{sub}'. Try: {', '.join(SUBCOMMANDS)} (or /swarm help).")
        try:
            ack(_run(deps, sub, rest, command))
        except (InvalidInput, NotFound) as exc:
            ack(case_channel.user_error(exc))


def _resolve_with_form(ack, deps, client, command: dict, summary: str) -> None:
    """The root cause is required here: the form asks for it, with the summary already typed in."""
    try:
        key = case_channel.case_key_in(deps, command["channel_id"])
    except NotFound as exc:
        return ack(case_channel.user_error(exc))
    ack()
    open_resolve_modal(client, deps.config, command["trigger_id"], key, command["channel_id"], summary.strip(),
                       user=command["user_id"])


def _run(deps, sub: str, rest: str, command: dict) -> str:
    channel = command["channel_id"]
    who = case_channel.actor(deps.people, {"id": command["user_id"], "name": command.get("user_name")})
    if sub == "decide":
        return case_channel.decide(deps, channel_id=channel, who=who, text=rest, dedupe_key=f"slack:cmd:{command['trigger_id']}",
                                   delivery=command["trigger_id"])
    if sub == "resolve":
        return case_channel.resolve(deps, channel_id=channel, who=who, summary=rest)
    if sub == "reopen":
        return case_channel.reopen(deps, channel_id=channel, who=who, reason=rest.strip())
    if sub == "followup":
        return case_channel.follow_up_done(deps, who=who, text=rest)
    if sub == "update":
        return case_channel.status_update(deps, channel_id=channel, who=who, text=rest, dedupe_key=f"slack:cmd:{command['trigger_id']}")
    if sub == "link":
        return case_channel.link(deps, channel_id=channel, target=rest)
    if sub == "add":
        return case_channel.add(deps, channel_id=channel, who=who, target=rest, request_key=command["trigger_id"])
    return case_channel.status(deps, channel_id=channel)
