"""The Bolt app: request verification, then the listeners. HTTP mode, mounted in Flask by integrations.web."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from integrations.slack.chat import SlackChat, make_web_client
from integrations.slack.distribution import oauth_settings_from
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
    oauth = oauth_settings_from(settings, container.store.engine)
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        # One workspace: the bot token's client. Many (OAuth): Bolt authorizes each request with that workspace's
        # token from our installation store, on a client that carries none of its own.
        client=chat.client if oauth is None else make_web_client(None, base_url=settings.slack_api_url,
                                                                 timeout=settings.slack_timeout),
        oauth_settings=oauth,
        # Listeners only write to the database (and open a form); the ack goes back once they return, so a
        # test, the demo and Slack all see the outcome of the request in its response.
        process_before_response=True,
        token_verification_enabled=False,
    )
    deps = SlackDeps(container.store, container.config, chat, SlackPeople(container.config, chat), container.settings)
    for module in (escalation, commands, case_buttons, events, app_home, expert_buttons):
        module.register(app, deps)
    return app
