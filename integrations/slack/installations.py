"""Slack installations in our database, so one deployment serves many workspaces (OAuth distribution).

slack_sdk's SQLAlchemy stores do the queries; we only change what they keep: tokens and webhook URLs are encrypted
at rest (integrations/secrets_at_rest.py), and an OAuth state can be consumed once even when two web processes
receive the same redirect at the same moment. The tables come from migration 0007, never from create_all().
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Table
from sqlalchemy.engine import Engine

from integrations.secrets_at_rest import EncryptedText, Keyring, reencrypt_columns
from integrations.slack.chat import make_web_client

SECRET_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")


def reencrypt_stored_secrets(engine: Engine, keys_setting: object) -> int:
    """`swarm rotate-keys`: every stored token re-encrypted with the first key of SWARM_SECRET_KEYS."""
    store = EncryptedInstallationStore(client_id="", engine=engine, keyring=Keyring.from_setting(keys_setting))
    return store.reencrypt()


class NotInstalled(LookupError):
    """No installation of the app for this workspace (never installed, or uninstalled)."""


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """Bolt's installation store on our database, with every token encrypted by the keyring."""

    def __init__(self, *, client_id: str, engine: Engine, keyring: Keyring):
        super().__init__(client_id=client_id, engine=engine)
        self.keyring = keyring
        for table in (self.bots, self.installations):
            _encrypt_secret_columns(table, keyring)

    def create_tables(self) -> None:
        raise RuntimeError("installation tables come from the migrations: run `swarm db upgrade`")

    def reencrypt(self) -> int:
        """Re-encrypt every stored token with the keyring's first key (key rotation); returns values changed."""
        return sum(reencrypt_columns(self.engine, table, _secret_columns(table), self.keyring)
                   for table in (self.bots, self.installations))


class OneTimeOAuthStateStore(SQLAlchemyOAuthStateStore):
    """OAuth `state` values that can be consumed once: the DELETE decides, not a read before it."""

    def __init__(self, *, engine: Engine, expiration_seconds: int = 600):
        super().__init__(expiration_seconds=expiration_seconds, engine=engine)

    def create_tables(self) -> None:
        raise RuntimeError("the OAuth state table comes from the migrations: run `swarm db upgrade`")

    def issue(self, *args, **kwargs) -> str:
        self._forget_expired()
        return super().issue(*args, **kwargs)

    def consume(self, state: str) -> bool:
        c = self.oauth_states.c
        with self.engine.begin() as conn:
            deleted = conn.execute(self.oauth_states.delete().where(c.state == state, c.expire_at > _now()))
        return deleted.rowcount == 1

    def _forget_expired(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.oauth_states.delete().where(self.oauth_states.c.expire_at <= _now()))


class WorkspaceClients:
    """A WebClient per installed workspace, with that workspace's bot token (cached; dropped on uninstall)."""

    def __init__(self, store: SQLAlchemyInstallationStore, *, base_url: str, timeout: float):
        self.store = store
        self.base_url = base_url
        self.timeout = timeout
        self._clients: dict[tuple[str | None, str | None], WebClient] = {}
        self._lock = threading.Lock()

    def client_for(self, team_id: str | None, *, enterprise_id: str | None = None) -> WebClient:
        key = (enterprise_id, team_id)
        with self._lock:
            if key in self._clients:
                return self._clients[key]
        bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise NotInstalled(f"CaseSwarm is not installed in Slack workspace {team_id}: install it at /slack/install")
        client = make_web_client(bot.bot_token, base_url=self.base_url, timeout=self.timeout)
        with self._lock:
            self._clients[key] = client
        return client

    def forget(self, team_id: str | None, *, enterprise_id: str | None = None) -> None:
        with self._lock:
            self._clients.pop((enterprise_id, team_id), None)


def _encrypt_secret_columns(table: Table, keyring: Keyring) -> None:
    for name in _secret_columns(table):
        table.c[name].type = EncryptedText(keyring)


def _secret_columns(table: Table) -> list[str]:
    return [name for name in SECRET_COLUMNS if name in table.c]


def _now() -> datetime:
    return normalize_datetime_for_db(datetime.now(timezone.utc))
