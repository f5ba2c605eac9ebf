"""Buttons on the pinned summary, the forms they open, and the "Record as decision" message shortcut."""

from __future__ import annotations

from slack_bolt import App

from integrations.slack import views
from integrations.slack.listeners import case_channel
from integrations.slack.listeners.replies import open_form, tell
from swarm.errors import InvalidInput, NotFound


def register(app: App, deps) -> None:
    config = deps.config
    departments = {d: dept.name for d, dept in config.departments.items()}

    @app.action("case_decide")
    def open_decision_form(ack, body, client):
        ack()
        open_form(client, body["trigger_id"], views.decision_modal(body["actions"][0]["value"], body["channel"]["id"]),
                  channel=body["channel"]["id"], user=body["user"]["id"])

    @app.action("case_resolve")
    def open_resolve_form(ack, body, client):
        ack()
        open_resolve_modal(client, deps.config, body["trigger_id"], body["actions"][0]["value"], body["channel"]["id"],
                           user=body["user"]["id"])

    @app.action("case_add_department")
    def open_add_form(ack, body, client):
        ack()
        view = views.add_department_modal(body["actions"][0]["value"], body["channel"]["id"], departments)
        open_form(client, body["trigger_id"], view, channel=body["channel"]["id"], user=body["user"]["id"])

    @app.action("case_status")
    def show_status(ack, body, client):
        ack()
        _tell(client, body["channel"]["id"], body["user"]["id"], _safely(lambda: case_channel.status(deps, channel_id=body["channel"]["id"])))

    @app.action("case_reopen")
    def reopen(ack, body, client):
        ack()
        who = case_channel.actor(deps.people, body["user"])
        text = _safely(lambda: case_channel.reopen(deps, channel_id=body["channel"]["id"], who=who))
        _tell(client, body["channel"]["id"], who.user_id, text)

    @app.view(views.DECISION_MODAL)
    def submit_decision(ack, body, view):
        channel, who = views.metadata(view).get("channel", ""), case_channel.actor(deps.people, body["user"])
        _submit(ack, "text", lambda: case_channel.decide(deps, channel_id=channel, who=who,
                                                          text=views.form_values(view).get("text"), dedupe_key=f"slack:view:{view['id']}",
                                                          delivery=body.get("trigger_id")))

    @app.view(views.RESOLVE_MODAL)
    def submit_resolution(ack, body, view):
        channel, who = views.metadata(view).get("channel", ""), case_channel.actor(deps.people, body["user"])
        values = views.form_values(view)
        _submit(ack, "summary", lambda: case_channel.resolve(deps, channel_id=channel, who=who, summary=values.get("summary"),
                                                              root_cause=values.get("root_cause"),
                                                              root_cause_department=values.get("root_cause_department")))

    @app.view(views.ADD_DEPARTMENT_MODAL)
    def submit_add(ack, body, view):
        channel, who, values = views.metadata(view).get("channel", ""), case_channel.actor(deps.people, body["user"]), views.form_values(view)
        target = f"<@{values['person']}>" if values.get("person") else (values.get("department") or "")
        _submit(ack, "department", lambda: case_channel.add(deps, channel_id=channel, who=who, target=target, request_key=view["id"]))

    @app.shortcut("record_decision")
    def record_message_as_decision(ack, shortcut, client):
        ack()
        channel, message = shortcut["channel"]["id"], shortcut["message"]
        who = case_channel.actor(deps.people, shortcut["user"])
        link = deps.chat.for_workspace((shortcut.get("team") or {}).get("id")).message_url(channel, message["ts"])
        text = _safely(lambda: case_channel.decide(deps, channel_id=channel, who=who, text=message.get("text"),
                                                    dedupe_key=f"slack:message:{channel}:{message['ts']}", link=link,
                                                    delivery=shortcut["trigger_id"]))
        _tell(client, channel, who.user_id, text)


def open_resolve_modal(client, config, trigger_id: str, case_key: str, channel_id: str, summary: str = "",
                       user: str | None = None) -> None:
    departments = {d: dept.name for d, dept in config.departments.items()}
    view = views.resolve_modal(case_key, channel_id, root_causes=dict(config.resolution.root_causes), departments=departments,
                               required=config.resolution.require_root_cause, summary=summary)
    open_form(client, trigger_id, view, channel=channel_id, user=user)


def _submit(ack, field: str, action) -> None:
    """Run a form's action; a person-fixable error goes back onto its field (or the form's main field)."""
    try:
        text = action()
    except InvalidInput as exc:
        return ack(response_action="errors", errors=_on_fields(exc.fields, field))
    except NotFound as exc:
        return ack(response_action="errors", errors={field: str(exc)})
    ack(response_action="update", view=views.confirmation("Done", text))


def _on_fields(errors: dict[str, str], main: str) -> dict[str, str]:
    known = {"root_cause", "root_cause_department", "department", "summary", "text"}
    placed: dict[str, str] = {}
    for name, reason in errors.items():
        target = name if name in known else main
        placed[target] = f"{placed[target]} {reason}" if target in placed else reason
    return placed


def _safely(action) -> str:
    try:
        return action()
    except (InvalidInput, NotFound) as exc:
        return case_channel.user_error(exc)


def _tell(client, channel: str, user: str, text: str) -> None:
    tell(client, channel, user, text)
