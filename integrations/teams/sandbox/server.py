"""TeamsSandbox: Microsoft Graph, the Bot Connector and Entra ID / Bot Framework identity for one tenant.

    sandbox = TeamsSandbox(); sandbox.seed_demo_tenant(); sandbox.start()
    chat = TeamsChat(sandbox.teams_settings())

Three servers (as the real services have three hosts) over one tenant state, so what the bot posts through the
connector is what Graph lists. Each keeps its own request log and faults: sandbox.graph.fail_next(...),
sandbox.connector.fail_next(...), sandbox.identity.fail_next(...).
"""

from __future__ import annotations

import secrets
import threading
from typing import Any, Iterable

from pydantic import SecretStr

from integrations.teams.sandbox.connector import ConnectorSandbox
from integrations.teams.sandbox.graph import GraphSandbox
from integrations.teams.sandbox.identity import IdentitySandbox
from integrations.teams.sandbox.messages import ConversationStore
from integrations.teams.sandbox.seed import CHANNEL_OWNER, DemoTenant, aad_id, seed_demo_tenant
from integrations.teams.sandbox.state import TenantDirectory
from integrations.teams.settings import TeamsSettings

TENANT_ID = "72f988bf-0000-4000-8000-00000000cafe"
APP_ID = "8c1a4f2e-0000-4000-8000-0000000a5a2f"
BOT_NAME = "CaseSwarm"


class TeamsSandbox:
    def __init__(self, *, tenant_id: str = TENANT_ID, app_id: str = APP_ID, bot_name: str = BOT_NAME) -> None:
        self.tenant_id, self.app_id, self.bot_name = tenant_id, app_id, bot_name
        self.app_password = secrets.token_urlsafe(24)
        self.lock = threading.RLock()
        self.directory = TenantDirectory(tenant_id=tenant_id, lock=self.lock)
        self.conversations = ConversationStore(self.directory, app_id=app_id, bot_name=bot_name, lock=self.lock)
        self.identity = IdentitySandbox(tenant_id=tenant_id, client_id=app_id, client_secret=self.app_password)
        self.graph = GraphSandbox(self.directory, self.conversations, self.identity)
        self.connector = ConnectorSandbox(self.conversations, self.identity)
        self.demo: DemoTenant | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------
    def seed_demo_tenant(self) -> DemoTenant:
        self.demo = seed_demo_tenant(self)
        return self.demo

    def start(self) -> TeamsSandbox:
        for server in (self.identity, self.graph, self.connector):
            server.start()
        return self

    def stop(self) -> None:
        for server in (self.connector, self.graph, self.identity):
            server.stop()

    def __enter__(self) -> TeamsSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- wiring the app to it -------------------------------------------------------------------------------
    def teams_settings(self, **overrides: Any) -> TeamsSettings:
        assert self.demo is not None, "seed_demo_tenant() first: the settings name the swarm team"
        values = dict(app_id=self.app_id, app_password=SecretStr(self.app_password), tenant_id=self.tenant_id,
                      swarm_team_id=self.demo.swarm_team_id, channel_owner=CHANNEL_OWNER,
                      graph_api_url=self.graph.api_url, bot_api_url=self.connector.base_url,
                      login_url=self.identity.base_url, openid_url=self.identity.openid_url, timeout=2.0)
        return TeamsSettings(**{**values, **overrides})

    # -- looking at the tenant (tests, the demo) -----------------------------------------------------------
    @staticmethod
    def user_id(email: str) -> str:
        return aad_id(email)

    def channels(self) -> list[dict[str, Any]]:
        return self.directory.all_channels()

    def case_channels(self) -> list[dict[str, Any]]:
        return [c for c in self.channels() if c["displayName"].startswith("case-")]

    def channel(self, channel_id: str) -> dict[str, Any]:
        return self.directory.channel_record(channel_id)

    def members(self, channel_id: str) -> set[str]:
        return set(self.channel(channel_id)["members"])

    def messages(self, conversation_id: str, *, thread: str | None = None, include_replies: bool = False) -> list[dict]:
        return self.conversations.messages(conversation_id, thread=thread, include_replies=include_replies)

    def message(self, conversation_id: str, message_id: str) -> dict[str, Any]:
        return self.conversations.message(conversation_id, message_id)

    def add_user(self, display_name: str, email: str | None, *, user_id: str | None = None, in_swarm_team: bool = True,
                 **properties: Any) -> str:
        """Someone who joins the tenant later (by default a member of the swarm team, so case channels can add them);
        `properties`: enabled=False, user_type="Guest", upn=..."""
        user_id = self.directory.add_user(display_name, email, user_id=user_id, **properties)
        if in_swarm_team and self.demo is not None:
            self.directory.add_team_member(self.demo.swarm_team_id, user_id)
        return user_id

    # -- Entra groups (departments' `entra_group`) ---------------------------------------------------------
    def add_group(self, display_name: str, members: Iterable[str] = (), *, group_id: str | None = None) -> str:
        """A group whose members are users (by email or object id) or other groups (by object id)."""
        return self.directory.add_group(display_name, members=self._object_ids(members), group_id=group_id)

    def set_group_members(self, group_id: str, members: Iterable[str]) -> None:
        self.directory.set_group_members(group_id, self._object_ids(members))

    def _object_ids(self, members: Iterable[str]) -> list[str]:
        return [(self.directory.user(m) or {"id": m})["id"] if "@" in m else m for m in members]

    def post_as_user(self, conversation_id: str, user_id: str, text: str, *, thread: str | None = None) -> str:
        return self.conversations.post_as_user(conversation_id, user_id, text, thread=thread)
