"""A stateful fake of Slack (Web API for our WebClient) and a driver that plays Slack's side toward our app."""

from integrations.slack.sandbox.driver import SlackDriver
from integrations.slack.sandbox.ids import SlackError
from integrations.slack.sandbox.server import SlackSandbox
from integrations.slack.sandbox.state import APP_ID, BOT_ID, BOT_USER_ID

__all__ = ["APP_ID", "BOT_ID", "BOT_USER_ID", "SlackDriver", "SlackError", "SlackSandbox"]
