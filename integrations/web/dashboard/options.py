"""Dashboard settings: sign-in token, session key, managers' allow-list, Slack OpenID Connect, /metrics token.

Read from the app's Settings when it has the fields (SWARM_SECRET_KEY, SWARM_DASHBOARD_TOKEN,
SWARM_DASHBOARD_MANAGERS, SWARM_OIDC_*, SWARM_METRICS_TOKEN); tests build DashboardOptions directly.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

SLACK_AUTHORIZE_URL = "https://slack.com/openid/connect/authorize"


@dataclass(frozen=True)
class SlackOidc:
    """Sign in with Slack (OpenID Connect): the Slack app's client id and secret, optionally one workspace only."""

    client_id: str
    client_secret: str
    api_url: str = "https://slack.com/api/"  # openid.connect.token goes through slack_sdk at this base URL
    authorize_url: str = SLACK_AUTHORIZE_URL
    team_id: str | None = None


@dataclass(frozen=True)
class DashboardOptions:
    login_token: str
    secret_key: str
    public_url: str = "http://127.0.0.1:3000"
    managers: frozenset[str] = field(default_factory=frozenset)  # lower-case emails allowed to sign in with Slack
    oidc: SlackOidc | None = None
    metrics_token: str | None = None  # when set, GET /metrics needs "Authorization: Bearer <token>"
    crm_record_url: str | None = None  # e.g. "https://acme.my.salesforce.com/lightning/r/Case/{id}/view"
    session_hours: int = 12
    default_days: int = 28

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def dashboard_login_token(container) -> str:
    """The dashboard sign-in token: SWARM_DASHBOARD_TOKEN if set, else a random one made once per process."""
    fixed = _secret(getattr(container.settings, "dashboard_token", None))
    return fixed or container.extras.setdefault("dashboard_login_token", secrets.token_urlsafe(24))


def options_from_settings(container) -> DashboardOptions:
    settings = container.settings
    get = lambda name, default=None: getattr(settings, name, default)  # noqa: E731 - fields the lead may not have added yet
    return DashboardOptions(
        login_token=dashboard_login_token(container),
        # A random key per process means sessions end when `swarm serve` restarts; set SWARM_SECRET_KEY to keep them.
        secret_key=_secret(get("secret_key")) or container.extras.setdefault("dashboard_secret_key", secrets.token_hex(32)),
        public_url=get("public_url", "http://127.0.0.1:3000").rstrip("/"),
        managers=parse_managers(get("dashboard_managers", "") or ""),
        oidc=_oidc(settings, get),
        metrics_token=_secret(get("metrics_token")),
        crm_record_url=_crm_url(get("salesforce_instance_url")),
    )


def parse_managers(value: str | list[str] | tuple[str, ...]) -> frozenset[str]:
    """'a@x.com, B@x.com' → {'a@x.com', 'b@x.com'}."""
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(item.strip().lower() for item in items if item.strip())


def _oidc(settings, get) -> SlackOidc | None:
    client_id, client_secret = get("oidc_client_id"), _secret(get("oidc_client_secret"))
    if not (client_id and client_secret):
        return None
    return SlackOidc(client_id=client_id, client_secret=client_secret, team_id=get("oidc_team_id"),
                     api_url=get("slack_api_url", "https://slack.com/api/"),
                     authorize_url=get("oidc_authorize_url") or SLACK_AUTHORIZE_URL)


def _crm_url(instance_url: str | None) -> str | None:
    return f"{instance_url.rstrip('/')}/lightning/r/Case/{{id}}/view" if instance_url else None


def _secret(value) -> str | None:
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
