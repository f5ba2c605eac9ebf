"""Installing CaseSwarm into many Slack workspaces: Bolt's OAuth flow on our database.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, GET /slack/install starts Slack's OAuth v2 flow and
GET /slack/oauth_redirect finishes it: Bolt exchanges the code (oauth.v2.access), our installation store keeps the
workspace's bot token encrypted, and every later request from that workspace is authorized with its own token.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, request
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.oauth.oauth_settings import OAuthSettings
from sqlalchemy.engine import Engine

from integrations.secrets_at_rest import Keyring
from integrations.slack.installations import EncryptedInstallationStore, OneTimeOAuthStateStore

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes of app_manifest.yml (a test keeps the two lists equal).
DEFAULT_SCOPES = ("channels:manage", "groups:write", "channels:read", "groups:read", "channels:history", "groups:history",
                  "chat:write", "chat:write.public", "pins:write", "commands", "users:read", "users:read.email",
                  "usergroups:read")


def oauth_settings(*, client_id: str, client_secret: str, engine: Engine, keyring: Keyring, api_url: str,
                   public_url: str, scopes: Sequence[str] = DEFAULT_SCOPES) -> OAuthSettings:
    """Bolt's OAuth settings with our stores; Slack's authorize page lives beside its Web API (or the sandbox's)."""
    return OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(scopes),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        redirect_uri=public_url.rstrip("/") + REDIRECT_PATH,
        authorization_url=authorize_url(api_url),
        installation_store=EncryptedInstallationStore(client_id=client_id, engine=engine, keyring=keyring),
        installation_store_bot_only=True,
        state_store=OneTimeOAuthStateStore(engine=engine),
    )


def oauth_settings_from(settings, engine: Engine) -> OAuthSettings | None:
    """From the app's settings; None when distribution is off (single-workspace SLACK_BOT_TOKEN mode)."""
    if not settings.slack_distribution_enabled:
        return None
    return oauth_settings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret.get_secret_value(),
        engine=engine, keyring=Keyring.from_setting(settings.encryption_keys), api_url=settings.slack_api_url,
        public_url=settings.public_url, scopes=parse_scopes(settings.slack_scopes) or DEFAULT_SCOPES)


def parse_scopes(value: str | None) -> tuple[str, ...]:
    return tuple(s.strip() for s in (value or "").split(",") if s.strip())


def authorize_url(api_url: str) -> str:
    """https://slack.com/api/ → https://slack.com/oauth/v2/authorize (the same host serves both)."""
    base = api_url.rstrip("/")
    base = base[: -len("/api")] if base.endswith("/api") else base
    return base + "/oauth/v2/authorize"


def register_install_routes(app: Flask, handler: SlackRequestHandler) -> None:
    """GET /slack/install and /slack/oauth_redirect: Bolt's handler serves both (it routes GETs by path)."""

    @app.get(INSTALL_PATH)
    def slack_install():
        return handler.handle(request)

    @app.get(REDIRECT_PATH)
    def slack_oauth_redirect():
        return handler.handle(request)
