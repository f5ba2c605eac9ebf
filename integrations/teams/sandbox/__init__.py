"""A stateful fake of Microsoft Teams (Graph, Bot Connector, identity) and a driver that plays Teams toward our bot."""

from integrations.teams.sandbox.driver import TeamsDriver
from integrations.teams.sandbox.seed import CHANNEL_OWNER, FRONTLINE, OUTSIDER
from integrations.teams.sandbox.server import APP_ID, TENANT_ID, TeamsSandbox

__all__ = ["APP_ID", "CHANNEL_OWNER", "FRONTLINE", "OUTSIDER", "TENANT_ID", "TeamsDriver", "TeamsSandbox"]
