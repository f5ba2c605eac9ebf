"""Runtime settings from the environment (and a .env file), loaded once at start-up.

Secrets are SecretStr so they never show in a repr or a log line. Platform settings keep the vendors' usual names
(SLACK_BOT_TOKEN, JIRA_URL, ...); CaseSwarm's own carry the SWARM_ prefix.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///caseswarm.db", validation_alias=_env("SWARM_DATABASE_URL"))
    config_dir: Path | None = Field(None, validation_alias=_env("SWARM_CONFIG_DIR"))
    queue_url: str = Field("sqlite:///caseswarm-queue.db", validation_alias=_env("SWARM_QUEUE_URL"))
    queue_immediate: bool = Field(False, validation_alias=_env("SWARM_QUEUE_IMMEDIATE"))
    # Threads per worker process. A swarm opens with three workflows side by side (the swarm, the Jira issue, the
    # customer lookup); with 3 threads none waits for another, so the issue and the customer card are in the first
    # summary. Measured on 2 cores (bench/time_to_swarm.py, everything in one process), time to swarm p95: 3 threads
    # 275-305 ms, 2 threads 332-359 ms, 4 threads 343 ms. With real network latency and a worker process of its own,
    # raise it (SWARM_WORKERS).
    workers: int = Field(3, validation_alias=_env("SWARM_WORKERS"))
    max_attempts: int = Field(8, validation_alias=_env("SWARM_MAX_ATTEMPTS"))
    retry_base_seconds: float = Field(2.0, validation_alias=_env("SWARM_RETRY_BASE_SECONDS"))
    retry_max_seconds: float = Field(300.0, validation_alias=_env("SWARM_RETRY_MAX_SECONDS"))
    public_url: str = Field("http://127.0.0.1:3000", validation_alias=_env("SWARM_PUBLIC_URL"))

    secret_key: SecretStr | None = Field(None, validation_alias=_env("SWARM_SECRET_KEY"))  # sessions, case links
    dashboard_token: SecretStr | None = Field(None, validation_alias=_env("SWARM_DASHBOARD_TOKEN"))
    dashboard_managers: str = Field("", validation_alias=_env("SWARM_DASHBOARD_MANAGERS"))  # comma-separated emails
    oidc_client_id: str | None = Field(None, validation_alias=_env("SWARM_OIDC_CLIENT_ID"))
    oidc_client_secret: SecretStr | None = Field(None, validation_alias=_env("SWARM_OIDC_CLIENT_SECRET"))
    oidc_team_id: str | None = Field(None, validation_alias=_env("SWARM_OIDC_TEAM_ID"))
    oidc_authorize_url: str | None = Field(None, validation_alias=_env("SWARM_OIDC_AUTHORIZE_URL"))
    metrics_token: SecretStr | None = Field(None, validation_alias=_env("SWARM_METRICS_TOKEN"))
    # Fernet keys for secrets stored in the database (Slack installation tokens): comma-separated, the first encrypts,
    # all decrypt. Rotate: new key first, `swarm rotate-keys`, then drop the old one. (Not SWARM_SECRET_KEY above.)
    encryption_keys: SecretStr | None = Field(None, validation_alias=_env("SWARM_SECRET_KEYS"))

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))
    slack_timeout: float = Field(10.0, validation_alias=_env("SLACK_TIMEOUT"))
    slack_client_id: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_ID"))  # OAuth: install into many workspaces
    slack_client_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_CLIENT_SECRET"))
    slack_scopes: str | None = Field(None, validation_alias=_env("SLACK_SCOPES"))  # comma-separated; default: the manifest's

    jira_url: str | None = Field(None, validation_alias=_env("JIRA_URL"))
    jira_email: str | None = Field(None, validation_alias=_env("JIRA_EMAIL"))
    jira_api_token: SecretStr | None = Field(None, validation_alias=_env("JIRA_API_TOKEN"))
    jira_pat: SecretStr | None = Field(None, validation_alias=_env("JIRA_PAT"))
    jira_webhook_secret: SecretStr | None = Field(None, validation_alias=_env("JIRA_WEBHOOK_SECRET"))
    jira_ca_bundle: str | None = Field(None, validation_alias=_env("JIRA_CA_BUNDLE"))
    jira_timeout: float = Field(10.0, validation_alias=_env("JIRA_TIMEOUT"))

    salesforce_instance_url: str | None = Field(None, validation_alias=_env("SALESFORCE_INSTANCE_URL"))
    salesforce_access_token: SecretStr | None = Field(None, validation_alias=_env("SALESFORCE_ACCESS_TOKEN"))
    salesforce_client_id: str | None = Field(None, validation_alias=_env("SALESFORCE_CLIENT_ID"))
    salesforce_username: str | None = Field(None, validation_alias=_env("SALESFORCE_USERNAME"))
    salesforce_private_key_file: str | None = Field(None, validation_alias=_env("SALESFORCE_PRIVATE_KEY_FILE"))
    salesforce_ca_bundle: str | None = Field(None, validation_alias=_env("SALESFORCE_CA_BUNDLE"))
    salesforce_timeout: float = Field(10.0, validation_alias=_env("SALESFORCE_TIMEOUT"))

    teams_app_id: str | None = Field(None, validation_alias=_env("TEAMS_APP_ID"))
    teams_app_password: SecretStr | None = Field(None, validation_alias=_env("TEAMS_APP_PASSWORD"))
    teams_tenant_id: str | None = Field(None, validation_alias=_env("TEAMS_TENANT_ID"))
    teams_swarm_team_id: str | None = Field(None, validation_alias=_env("TEAMS_SWARM_TEAM_ID"))
    teams_channel_owner: str | None = Field(None, validation_alias=_env("TEAMS_CHANNEL_OWNER"))
    graph_api_url: str = Field("https://graph.microsoft.com/v1.0", validation_alias=_env("GRAPH_API_URL"))
    teams_bot_api_url: str = Field("https://smba.trafficmanager.net/teams", validation_alias=_env("TEAMS_BOT_API_URL"))
    teams_login_url: str = Field("https://login.microsoftonline.com", validation_alias=_env("TEAMS_LOGIN_URL"))
    teams_openid_url: str = Field("https://login.botframework.com/v1/.well-known/openidconfiguration",
                                  validation_alias=_env("TEAMS_OPENID_URL"))
    teams_timeout: float = Field(10.0, validation_alias=_env("TEAMS_TIMEOUT"))
    teams_port: int = Field(3978, validation_alias=_env("SWARM_TEAMS_PORT"))

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    @property
    def slack_distribution_enabled(self) -> bool:
        """Installable into many workspaces (OAuth at /slack/install); each workspace's token kept encrypted."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def jira_enabled(self) -> bool:
        """Jira sync is on with a URL and either email + API token (Cloud) or a personal access token."""
        return bool(self.jira_url and (self.jira_pat or (self.jira_email and self.jira_api_token)))

    @property
    def case_link_keys(self) -> list[str]:
        """Keys for the case channel links put in Jira (swarm/case_links.py): the first signs, any verifies.

        SWARM_SECRET_KEY when set; else secrets every process with Jira on already shares (the webhook secret, the
        Jira credential). Not a random key as for dashboard sessions: the links outlive the process, and the worker
        that writes them is not always the web process that checks them."""
        candidates = (self.secret_key, self.jira_webhook_secret, self.jira_pat or self.jira_api_token)
        return [value.get_secret_value() for value in candidates if value is not None and value.get_secret_value()]

    @property
    def salesforce_enabled(self) -> bool:
        jwt = self.salesforce_client_id and self.salesforce_username and self.salesforce_private_key_file
        return bool(self.salesforce_instance_url and self.salesforce_access_token) or bool(jwt)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (tests, the demo) taking precedence."""
    return Settings(**overrides)  # type: ignore[arg-type]
