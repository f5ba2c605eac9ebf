"""What the Teams side needs from the app settings, as one value (secrets stay SecretStr)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

GRAPH_API_URL = "https://graph.microsoft.com/v1.0"
BOT_API_URL = "https://smba.trafficmanager.net/teams"  # the Bot Connector service URL for proactive messages
LOGIN_URL = "https://login.microsoftonline.com"
OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"


@dataclass(frozen=True)
class TeamsSettings:
    """The app registration, the team swarms open in, and where each Microsoft service lives."""

    app_id: str
    app_password: SecretStr
    tenant_id: str
    swarm_team_id: str
    # Graph refuses an app-only private channel without an owner: the account (AAD id or UPN) that owns case channels.
    channel_owner: str
    graph_api_url: str = GRAPH_API_URL
    bot_api_url: str = BOT_API_URL
    login_url: str = LOGIN_URL
    openid_url: str = OPENID_URL
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings) -> TeamsSettings | None:
        """The Teams settings from config.settings.Settings, or None when Teams is not configured (Teams is off)."""
        values = {name: getattr(settings, f"teams_{name}", None) for name in
                  ("app_id", "app_password", "tenant_id", "swarm_team_id", "channel_owner")}
        if any(value is None for value in values.values()):
            return None
        optional = {
            "graph_api_url": getattr(settings, "graph_api_url", None),
            "bot_api_url": getattr(settings, "teams_bot_api_url", None),
            "login_url": getattr(settings, "teams_login_url", None),
            "openid_url": getattr(settings, "teams_openid_url", None),
            "timeout": getattr(settings, "teams_timeout", None),
        }
        return cls(**values, **{k: v for k, v in optional.items() if v is not None})
