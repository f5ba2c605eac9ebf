"""Answering a person from a listener without turning a Slack refusal into a 500 (which Slack shows as an error)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

log = logging.getLogger("caseswarm.slack")
TOO_SLOW = "Slack did not let that form open in time (it allows 3 seconds). Please try again."


def open_form(client, trigger_id: str, view: dict, *, channel: str | None = None, user: str | None = None) -> bool:
    """views.open; on refusal (expired trigger, Slack trouble) tell the person, when we know where they are."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
        return True
    except SlackApiError as exc:
        log.warning("slack.views_open_refused error=%s", exc.response.get("error") if hasattr(exc.response, "get") else exc)
        if channel and user:
            tell(client, channel, user, TOO_SLOW)
        return False


def tell(client, channel: str, user: str, text: str) -> None:
    """An ephemeral answer; if Slack refuses (an archived channel, say) the action itself still stands."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        log.warning("slack.ephemeral_not_delivered channel=%s error=%s", channel,
                    exc.response.get("error") if hasattr(exc.response, "get") else exc)
