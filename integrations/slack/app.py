"""The Bolt app: request verification, then the listeners. HTTP mode, mounted in Flask by integrations.web."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from integrations.slack.chat import SlackChat
from integrations.slack.listeners import app_home, case_buttons, commands, escalation, events, expert_buttons
from integrations.slack.listeners.people import SlackPeople
from swarm.store.db import Store


@dataclass(frozen=True)
class SlackDeps:
    """What the listeners use: the store and config for the use cases, Slack for names and links."""

    store: Store
    config: object
    chat: SlackChat
    people: SlackPeople
    settings: object  # for links back to the app (the dashboard)


def build_bolt_app(container) -> App:
    settings = container.settings
    chat = container.chats["slack"]
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=chat.client,
        # Listeners only write to the database (and open a form); the ack goes back once they return, so a
        # test, the demo and Slack all see the outcome of the request in its response.
        process_before_response=True,
        token_verification_enabled=False,
    )
    deps = SlackDeps(container.store, container.config, chat, SlackPeople(container.config, chat.client), container.settings)
    for module in (escalation, commands, case_buttons, events, app_home, expert_buttons):
        module.register(app, deps)
    return app
