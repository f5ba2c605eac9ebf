"""Events API: messages in case channels start the time-to-engage clock's stop."""

from __future__ import annotations

from datetime import datetime, timezone

from slack_bolt import App

from swarm.usecases.engagement import note_channel_message


def register(app: App, deps) -> None:
    @app.event("message")
    def on_message(event):
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, joins and bot posts are not an expert engaging
        at = datetime.fromtimestamp(float(event["ts"]), tz=timezone.utc)
        note_channel_message(deps.store, channel_id=event["channel"], user_id=event["user"], at=at)
