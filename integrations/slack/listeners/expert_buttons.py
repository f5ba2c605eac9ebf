"""The "I'm on it" / "Can't take it" buttons on the message that asks experts to take a case.

"I'm on it" answers at once. "Can't take it" opens a small form for an optional reason; its submission records the
decline, which brings in the next person once, however often the button is clicked or the form submitted.
"""

from __future__ import annotations

import json

from slack_bolt import App

from integrations.slack.listeners.replies import open_form, tell

from integrations.slack import views
from swarm.errors import NotFound
from swarm.usecases.responses import accept_case, decline_case

EXPERT_ACCEPT, EXPERT_DECLINE = "expert_accept", "expert_decline"
DECLINE_MODAL = "expert_decline_modal"
REASON_MAX = 200


def register(app: App, deps) -> None:
    @app.action(EXPERT_ACCEPT)
    def accept(ack, body, client):
        ack()
        user, channel, case_key = body["user"]["id"], body["channel"]["id"], body["actions"][0]["value"]
        try:
            result = accept_case(deps.store, case_key=case_key, user_id=user)
            text = f"Thanks, you're on {result.case_key}." if result.recorded else f"You're already on {result.case_key}."
        except NotFound as exc:
            text = str(exc)
        tell(client, channel, user, text)

    @app.action(EXPERT_DECLINE)
    def ask_for_reason(ack, body, client):
        ack()
        open_form(client, body["trigger_id"], decline_modal(body["actions"][0]["value"], body["channel"]["id"]),
                  channel=body["channel"]["id"], user=body["user"]["id"])

    @app.view(DECLINE_MODAL)
    def decline(ack, body, view):
        case_key, reason = views.metadata(view).get("case", ""), views.form_values(view).get("reason")
        try:
            result = decline_case(deps.store, case_key=case_key, user_id=body["user"]["id"], reason=reason)
        except NotFound as exc:
            return ack(response_action="errors", errors={"reason": str(exc)})
        text = (f"Got it: someone else will be brought into {result.case_key}." if result.recorded
                else f"You already declined {result.case_key}.")
        ack(response_action="update", view=views.confirmation("Thanks", text))


def decline_modal(case_key: str, channel_id: str) -> dict:
    """The form behind "Can't take it": an optional reason, shown in the case channel."""
    return {
        "type": "modal", "callback_id": DECLINE_MODAL, "title": _plain("Can't take it"), "submit": _plain("Decline"),
        "close": _plain("Cancel"), "private_metadata": json.dumps({"case": case_key, "channel": channel_id}),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"Someone else will be brought into *{case_key}* instead."}},
            {"type": "input", "block_id": "reason", "optional": True, "label": _plain("Why? (optional, shown in the case channel)"),
             "element": {"type": "plain_text_input", "action_id": "reason", "max_length": REASON_MAX,
                         "placeholder": _plain("e.g. on leave until Monday")}},
        ],
    }


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}
