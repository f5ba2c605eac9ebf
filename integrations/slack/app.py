"""The Bolt app: request verification, then the listeners. HTTP mode, mounted in Flask by integrations.web."""

from __future__ import annotations

from slack_bolt import App

from integrations.slack.listeners import case_buttons, commands, escalation, events


def build_bolt_app(container) -> App:
    settings = container.settings
    chat = container.chats["slack"]
    app = App(
        token=settings.slack_bot_token.get_secret_value(),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=chat.client,
        # Listeners only write to the database (and open a form); the ack goes back once they return, so a
        # test, the demo and Slack all see the outcome of the request in its response.
        process_before_response=True,
        token_verification_enabled=False,
    )
    for module in (escalation, commands, case_buttons, events):
        module.register(app, container)
    return app
