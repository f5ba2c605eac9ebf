"""The Microsoft Graph calls the Teams adapter makes, through msgraph-sdk, made synchronous by the AsyncBridge."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import httpx
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.groups.item.members.members_request_builder import MembersRequestBuilder
from msgraph.generated.models.aad_user_conversation_member import AadUserConversationMember
from msgraph.generated.models.channel import Channel
from msgraph.generated.models.channel_membership_type import ChannelMembershipType
from msgraph.generated.models.chat_message import ChatMessage
from msgraph.generated.models.user import User
from msgraph.generated.teams.item.channels.channels_request_builder import ChannelsRequestBuilder
from msgraph.generated.teams.item.channels.item.archive.archive_post_request_body import ArchivePostRequestBody
from msgraph_core import GraphClientFactory

from integrations.teams.bridge import AsyncBridge
from integrations.teams.errors import CallFailure, as_error, describe
from integrations.teams.tokens import AppTokens
from swarm.errors import NameTaken

CASE_CHANNEL_DESCRIPTION = "CaseSwarm case channel"  # how find_channel recognises a channel this app created
# What a department needs of a group member; accountEnabled and userType are not in Graph's default set.
MEMBER_FIELDS = ["id", "displayName", "mail", "userPrincipalName", "accountEnabled", "userType"]


def make_graph_client(*, base_url: str, tokens: AppTokens, timeout: float) -> GraphServiceClient:
    """A GraphServiceClient on `base_url` that never retries by itself: the workflows retry, after looking for
    what an earlier try created, and honour Retry-After across restarts."""
    no_retry = RetryHandlerOption(max_retries=0, should_retry=lambda *_: False)
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(timeout=timeout), options={RetryHandlerOption.get_key(): no_retry})
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(tokens.graph_provider()), client=http)
    adapter.base_url = base_url.rstrip("/")  # must be set before the client is built (PLATFORM_NOTES)
    return GraphServiceClient(request_adapter=adapter)


class TeamsGraph:
    """Users, the swarm team's channels, their members and messages."""

    def __init__(self, client: GraphServiceClient, bridge: AsyncBridge, *, team_id: str, base_url: str, timeout: float):
        self.client = client
        self.bridge = bridge
        self.team_id = team_id
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    # -- users ------------------------------------------------------------------------------------------------
    def user(self, id_or_email: str) -> User | None:
        """GET /users/{id | userPrincipalName}; None when there is no such (enabled) user."""
        try:
            return self._run("Graph GET /users", self.client.users.by_user_id(id_or_email).get(), handled=(404,))
        except _Answered:
            return None

    def group_members(self, group_id: str, *, page_size: int = 999) -> list[User] | None:
        """GET /groups/{id}/members, every page (following @odata.nextLink): the users among the group's direct
        members (nested groups, devices and service principals are left out). None when there is no such group."""
        members = self.client.groups.by_group_id(group_id).members
        query = MembersRequestBuilder.MembersRequestBuilderGetQueryParameters(select=MEMBER_FIELDS, top=page_size)
        what = "Graph GET /groups/{id}/members"
        try:
            page = self._run(what, members.get(request_configuration=RequestConfiguration(query_parameters=query)),
                             handled=(404,))
        except _Answered:
            return None
        found = list(page.value or [])
        while page.odata_next_link:
            page = self._run(what, members.with_url(page.odata_next_link).get())
            found += page.value or []
        return [member for member in found if isinstance(member, User)]

    # -- channels ---------------------------------------------------------------------------------------------
    def create_private_channel(self, name: str, *, owner: str) -> Channel:
        owner_member = AadUserConversationMember(roles=["owner"], additional_data={"user@odata.bind": self._user_url(owner)})
        body = Channel(display_name=name, description=CASE_CHANNEL_DESCRIPTION,
                       membership_type=ChannelMembershipType.Private, members=[owner_member])
        try:
            return self._run("Graph POST /teams/{id}/channels", self._channels.post(body), handled=(400, 409))
        except _Answered as exc:
            if exc.failure.status == 409 or "already exist" in exc.failure.message.lower():
                raise NameTaken(name) from exc
            raise as_error(exc.failure, "Graph POST /teams/{id}/channels") from exc

    def channels_named(self, name: str) -> list[Channel]:
        """Channels of the swarm team with this display name (Teams compares names case-insensitively)."""
        escaped = name.replace("'", "''")
        query = ChannelsRequestBuilder.ChannelsRequestBuilderGetQueryParameters(filter=f"displayName eq '{escaped}'")
        page = self._run("Graph GET /teams/{id}/channels",
                         self._channels.get(request_configuration=RequestConfiguration(query_parameters=query)))
        return [c for c in (page.value or []) if (c.display_name or "").lower() == name.lower()]

    def channel(self, channel_id: str) -> Channel:
        return self._run("Graph GET /teams/{id}/channels/{id}", self._channels.by_channel_id(channel_id).get())

    def member_ids(self, channel_id: str) -> set[str]:
        page = self._run("Graph GET channel members", self._channels.by_channel_id(channel_id).members.get())
        return {getattr(m, "user_id", None) for m in (page.value or [])} - {None}

    def add_member(self, channel_id: str, user_id: str) -> CallFailure | None:
        """Add one person; their own failure (unknown, disabled, not in the team) comes back, throttling raises."""
        member = AadUserConversationMember(roles=[], additional_data={"user@odata.bind": self._user_url(user_id)})
        try:
            self._run("Graph POST channel members", self._channels.by_channel_id(channel_id).members.post(member),
                      handled=(400, 404, 409))
        except _Answered as exc:
            return exc.failure
        return None

    def archive(self, channel_id: str) -> None:
        self._run("Graph POST channel archive", self._channels.by_channel_id(channel_id).archive.post(ArchivePostRequestBody()))

    def unarchive(self, channel_id: str) -> None:
        self._run("Graph POST channel unarchive", self._channels.by_channel_id(channel_id).unarchive.post())

    # -- messages ---------------------------------------------------------------------------------------------
    def channel_messages(self, channel_id: str, *, thread: str | None = None) -> list[ChatMessage]:
        """Top-level posts (or a thread's replies); [] for a channel outside the swarm team, which Graph cannot
        reach through this team (a source channel elsewhere): the caller then posts again."""
        messages = self._channels.by_channel_id(channel_id).messages
        request = messages.by_chat_message_id(thread).replies.get() if thread else messages.get()
        try:
            page = self._run("Graph GET channel messages", request, handled=(404,))
        except _Answered:
            return []
        return list(page.value or [])

    def chat_messages(self, chat_id: str) -> list[ChatMessage]:
        page = self._run("Graph GET /chats/{id}/messages", self.client.chats.by_chat_id(chat_id).messages.get())
        return list(page.value or [])

    # -- internals --------------------------------------------------------------------------------------------
    @property
    def _channels(self):
        return self.client.teams.by_team_id(self.team_id).channels

    def _user_url(self, user: str) -> str:
        return f"{self.base_url}/users('{user}')"

    def _run(self, what: str, coroutine: Coroutine[Any, Any, Any], *, handled: tuple[int, ...] = ()) -> Any:
        """Run on the bridge. Answers with a status in `handled` raise _Answered for the caller to interpret;
        every other failure becomes RetryLater or PermanentFailure."""
        try:
            return self.bridge.run(coroutine, timeout=self.timeout + 2)
        except Exception as exc:
            failure = describe(exc)
            if failure is None:
                raise
            if failure.status in handled:
                raise _Answered(failure) from exc
            raise as_error(failure, what) from exc


class _Answered(Exception):
    """A definite answer (404, 400, 409) the caller knows how to read."""

    def __init__(self, failure: CallFailure):
        self.failure = failure
        super().__init__(failure.message)
