"""TeamsChat: the ChatPlatform port on Microsoft Teams.

Channels and members through Microsoft Graph (msgraph-sdk); messages through the Bot Connector (Teams SDK), since
Graph application permissions cannot post channel messages. Both SDKs are async: one AsyncBridge loop runs them.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import quote

from integrations.teams import cards
from integrations.teams.bridge import AsyncBridge
from integrations.teams.directory import TeamsDirectory
from integrations.teams.graph import CASE_CHANNEL_DESCRIPTION, TeamsGraph, make_graph_client
from integrations.teams.sender import BotSender
from integrations.teams.settings import TeamsSettings
from integrations.teams.tokens import AppTokens
from swarm.ports import ChannelRef, ChatMessage, InviteOutcome

TEAMS_WEB = "https://teams.microsoft.com"


class TeamsChat:
    kind = "teams"
    channel_name_limit = 50  # Graph: a channel displayName has at most 50 characters

    def __init__(self, settings: TeamsSettings, *, departments: dict[str, str] | None = None,
                 root_causes: dict[str, str] | None = None):
        self.settings = settings
        self.departments = departments or {}  # id → name, for the summary card's "Add people" form
        self.root_causes = root_causes or {}  # id → label, for the card's "Resolve" form
        self.bridge = AsyncBridge()
        self.tokens = AppTokens(login_url=settings.login_url, tenant_id=settings.tenant_id, client_id=settings.app_id,
                                client_secret=settings.app_password, timeout=settings.timeout)
        client = make_graph_client(base_url=settings.graph_api_url, tokens=self.tokens, timeout=settings.timeout)
        self.graph = TeamsGraph(client, self.bridge, team_id=settings.swarm_team_id, base_url=settings.graph_api_url,
                                timeout=settings.timeout)
        self.directory = TeamsDirectory(self.graph)
        self.sender = BotSender(settings, self.tokens, self.bridge)
        self._channel_urls: dict[str, tuple[str, str]] = {}  # channel id → (name, webUrl)
        self._lock = threading.Lock()

    def for_workspace(self, workspace_id: str | None) -> TeamsChat:
        return self  # one tenant, one team (TEAMS_SWARM_TEAM_ID)

    # -- addressing ------------------------------------------------------------------------------------------
    def address(self, person) -> str | None:
        """The person's AAD object id, found by their email (GET /users/{email}); None if the tenant has no such user."""
        user = self.directory.user(person.email)
        return user.id if user else None

    def channel_mention(self, channel_id: str) -> str:
        name, url = self._channel_link(channel_id)
        return f"[#{name}]({url})"

    def user_mention(self, user_id: str) -> str:
        # The core's own notation; cards turn it into an <at> mention with the person's name (see markup.py).
        return f"<@{user_id}>"

    def channel_url(self, channel_id: str) -> str:
        return self._channel_link(channel_id)[1]

    def message_url(self, channel_id: str, message_id: str) -> str:
        query = f"tenantId={self.settings.tenant_id}&groupId={self.settings.swarm_team_id}&parentMessageId={message_id}"
        return f"{TEAMS_WEB}/l/message/{quote(channel_id, safe='')}/{message_id}?{query}"

    # -- channels -----------------------------------------------------------------------------------------------
    def create_channel(self, name: str, *, private: bool) -> ChannelRef:
        # Always private: Graph adds members only to private (or shared) channels, and a swarm needs its members.
        channel = self.graph.create_private_channel(name, owner=self.settings.channel_owner)
        self._remember(channel)
        return ChannelRef(id=channel.id, name=channel.display_name or name, created_by_us=True)

    def find_channel(self, name: str) -> ChannelRef | None:
        for channel in self.graph.channels_named(name):
            self._remember(channel)
            return ChannelRef(id=channel.id, name=channel.display_name or name,
                              created_by_us=(channel.description or "") == CASE_CHANNEL_DESCRIPTION)
        return None

    def invite(self, channel_id: str, user_ids: list[str]) -> list[InviteOutcome]:
        present = self.graph.member_ids(channel_id)
        return [self._invite_one(channel_id, user_id, present) for user_id in user_ids]

    def _invite_one(self, channel_id: str, user_id: str, present: set[str]) -> InviteOutcome:
        if user_id in present:
            return InviteOutcome(user_id, "already_in_channel")
        failure = self.graph.add_member(channel_id, user_id)
        if failure is None:
            return InviteOutcome(user_id, "invited")
        if failure.status == 409:
            return InviteOutcome(user_id, "already_in_channel")
        return InviteOutcome(user_id, "failed", f"{failure.code}: {failure.message}"[:200])

    def archive(self, channel_id: str) -> None:
        if not self.graph.channel(channel_id).is_archived:
            self.graph.archive(channel_id)

    def unarchive(self, channel_id: str) -> None:
        if self.graph.channel(channel_id).is_archived:
            self.graph.unarchive(channel_id)

    # -- messages -----------------------------------------------------------------------------------------------
    def post(self, channel_id: str, message: ChatMessage, *, effect_key: str, thread: str | None = None) -> str:
        rendered = self._render(message)
        marked = cards.Rendered(rendered.summary, cards.with_effect(rendered.card, effect_key), rendered.mentions)
        return self.sender.send(channel_id, marked, thread=thread)

    def find_posted(self, channel_id: str, effect_key: str, *, thread: str | None = None) -> str | None:
        for message in self._messages(channel_id, thread):
            for attachment in message.attachments or []:
                if attachment.content_type == cards.CARD_TYPE and _effect(attachment.content) == effect_key:
                    return message.id
        return None

    def update(self, channel_id: str, message_id: str, message: ChatMessage) -> None:
        self.sender.update(channel_id, message_id, self._render(message))

    def pin(self, channel_id: str, message_id: str) -> None:
        """Teams offers apps no way to pin a channel post; the summary is the channel's first post and is kept
        current in place (update), which is what the pin is for on Slack."""

    # -- internals ----------------------------------------------------------------------------------------------
    def _render(self, message: ChatMessage) -> cards.Rendered:
        return cards.render(message, name_of=self.directory.name_of, departments=self.departments,
                            root_causes=self.root_causes)

    def _messages(self, conversation_id: str, thread: str | None):
        if conversation_id.endswith("@thread.tacv2") or conversation_id.endswith("@thread.skype"):
            return self.graph.channel_messages(conversation_id, thread=thread)
        return self.graph.chat_messages(conversation_id)  # a group or 1:1 chat: no threads

    def _remember(self, channel) -> None:
        with self._lock:
            self._channel_urls[channel.id] = (channel.display_name or "", channel.web_url or "")

    def _channel_link(self, channel_id: str) -> tuple[str, str]:
        with self._lock:
            known = self._channel_urls.get(channel_id)
        if known and known[1]:
            return known
        channel = self.graph.channel(channel_id)
        self._remember(channel)
        return channel.display_name or "case channel", channel.web_url or f"{TEAMS_WEB}/l/channel/{quote(channel_id, safe='')}"


def _effect(content) -> str | None:
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return None
    return cards.effect_of(content) if isinstance(content, dict) else None
