"""SlackChat: the ChatPlatform port on Slack's Web API, through the real slack_sdk WebClient."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import urllib.error
from collections.abc import Iterator

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from integrations.rate_limits import COOLDOWNS, Cooldowns
from integrations.slack import blocks
from integrations.slack.cooling_client import CoolingWebClient
from swarm.errors import NameTaken, PermanentFailure, RetryLater
from swarm.ports import ChannelRef, ChatMessage, InviteOutcome

INVITE_BATCH = 100  # conversations.invite takes at most 100 users per call (PLATFORM_NOTES)
EFFECT_EVENT = "caseswarm_effect"
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
PER_USER_OK = {"already_in_channel": "already_in_channel", "cant_invite_self": "already_in_channel"}


def make_web_client(token: str, *, base_url: str, timeout: float, cooldowns: Cooldowns = COOLDOWNS) -> CoolingWebClient:
    """A WebClient that does not retry on its own: our workflows retry, after looking for what a try created. After a
    429 it makes no call of that method before Retry-After, whoever asks (integrations/slack/cooling_client.py)."""
    return CoolingWebClient(token=token, base_url=base_url, timeout=int(timeout) if timeout >= 1 else timeout,
                            retry_handlers=[], cooldowns=cooldowns)


class SlackChat:
    kind = "slack"
    channel_name_limit = 80

    def __init__(self, client: WebClient | None, *, workspaces=None):
        """`client` speaks for the home workspace (SLACK_BOT_TOKEN; None when there is none); `workspaces`
        (integrations.slack.installations.WorkspaceClients) gives the client of any workspace that installed the
        app through OAuth, so each case is worked on with its own workspace's token."""
        self.client = client
        self.workspaces = workspaces
        self._identity: dict | None = None
        self._per_workspace: dict[str, SlackChat] = {}
        self._lock = threading.Lock()

    def for_workspace(self, workspace_id: str | None) -> SlackChat:
        if self.workspaces is None or not workspace_id:
            if self.client is None:
                raise PermanentFailure("Slack: this case has no workspace and there is no SLACK_BOT_TOKEN to use")
            return self
        with self._lock:
            if workspace_id in self._per_workspace:
                return self._per_workspace[workspace_id]
        try:
            chat = SlackChat(self.workspaces.client_for(workspace_id))
        except LookupError as exc:  # NotInstalled: uninstalled since the case opened, or never installed
            raise PermanentFailure(f"Slack: {exc}") from exc
        with self._lock:
            return self._per_workspace.setdefault(workspace_id, chat)


    # -- identity (auth.test once) ----------------------------------------------------------------------
    @property
    def identity(self) -> dict:
        if self._identity is None:
            with slack_errors("auth.test"):
                self._identity = dict(self.client.auth_test().data)
        return self._identity

    @property
    def team_url(self) -> str:
        url = self.identity.get("url") or "https://slack.com/"
        return url if url.endswith("/") else url + "/"

    # -- addressing ------------------------------------------------------------------------------------------
    def address(self, person) -> str | None:
        return getattr(person, "slack_user_id", None)

    def channel_mention(self, channel_id: str) -> str:
        return f"<#{channel_id}>"

    def user_mention(self, user_id: str) -> str:
        return f"<@{user_id}>"

    def channel_url(self, channel_id: str) -> str:
        return f"{self.team_url}archives/{channel_id}"

    def message_url(self, channel_id: str, message_id: str) -> str:
        return f"{self.team_url}archives/{channel_id}/p{message_id.replace('.', '')}"

    # -- channels ----------------------------------------------------------------------------------------------
    def create_channel(self, name: str, *, private: bool) -> ChannelRef:
        try:
            with slack_errors("conversations.create"):
                channel = self.client.conversations_create(name=name, is_private=private)["channel"]
        except PermanentFailure as exc:
            if exc.reason.endswith(": name_taken"):
                raise NameTaken(name) from exc
            raise
        return ChannelRef(id=channel["id"], name=channel["name"], created_by_us=True)

    def find_channel(self, name: str) -> ChannelRef | None:
        for channel in self._all_channels():
            if channel.get("name") == name:
                creator = channel.get("creator")
                return ChannelRef(id=channel["id"], name=name, created_by_us=creator == self.identity.get("user_id"))
        return None

    def _all_channels(self) -> Iterator[dict]:
        cursor = None
        while True:
            with slack_errors("conversations.list"):
                page = self.client.conversations_list(types="public_channel,private_channel", exclude_archived=False,
                                                      limit=1000, cursor=cursor)
            yield from page.get("channels", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def invite(self, channel_id: str, user_ids: list[str]) -> list[InviteOutcome]:
        outcomes: list[InviteOutcome] = []
        for start in range(0, len(user_ids), INVITE_BATCH):
            outcomes += self._invite_batch(channel_id, user_ids[start:start + INVITE_BATCH])
        return outcomes

    def _invite_batch(self, channel_id: str, batch: list[str]) -> list[InviteOutcome]:
        try:
            response = self.client.conversations_invite(channel=channel_id, users=",".join(batch), force=True)
            # With force=true Slack invites whom it can and lists the people it skipped beside ok:true.
            skipped = {e.get("user"): e.get("error") for e in response.get("errors") or []}
            return [_outcome(u, skipped.get(u)) for u in batch]
        except SlackApiError as exc:
            per_user = _per_user_errors(exc, batch)
            if per_user is None:
                with slack_errors("conversations.invite"):
                    raise
            return [_outcome(u, per_user.get(u)) for u in batch]

    def archive(self, channel_id: str) -> None:
        with ignoring("already_archived"), slack_errors("conversations.archive"):
            self.client.conversations_archive(channel=channel_id)

    def unarchive(self, channel_id: str) -> None:
        with ignoring("not_archived"), slack_errors("conversations.unarchive"):
            self.client.conversations_unarchive(channel=channel_id)

    # -- messages ---------------------------------------------------------------------------------------------
    def post(self, channel_id: str, message: ChatMessage, *, effect_key: str, thread: str | None = None) -> str:
        rendered = blocks.render(message, self)
        with slack_errors("chat.postMessage"):
            response = self.client.chat_postMessage(
                channel=channel_id, text=rendered.text, blocks=rendered.blocks, thread_ts=thread,
                unfurl_links=False, metadata={"event_type": EFFECT_EVENT, "event_payload": {"effect_key": effect_key}},
            )
        return response["ts"]

    def find_posted(self, channel_id: str, effect_key: str, *, thread: str | None = None) -> str | None:
        with slack_errors("conversations.history"):
            if thread:
                page = self.client.conversations_replies(channel=channel_id, ts=thread, include_all_metadata=True, limit=200)
            else:
                page = self.client.conversations_history(channel=channel_id, include_all_metadata=True, limit=200)
        for msg in page.get("messages", []):
            payload = (msg.get("metadata") or {}).get("event_payload") or {}
            if payload.get("effect_key") == effect_key:
                return msg["ts"]
        return None

    def update(self, channel_id: str, message_id: str, message: ChatMessage) -> None:
        rendered = blocks.render(message, self)
        with slack_errors("chat.update"):
            self.client.chat_update(channel=channel_id, ts=message_id, text=rendered.text, blocks=rendered.blocks)

    def pin(self, channel_id: str, message_id: str) -> None:
        with ignoring("already_pinned"), slack_errors("pins.add"):
            self.client.pins_add(channel=channel_id, timestamp=message_id)


# -- error translation ---------------------------------------------------------------------------------------
def _status_and_error(exc: SlackApiError) -> tuple[int, str | None, dict]:
    response = exc.response
    if isinstance(response, dict):  # slack_sdk hands a plain dict when the body was not JSON
        return int(response.get("status", 0)), None, dict(response.get("headers") or {})
    error = response.get("error")
    # For a non-JSON body slack_sdk puts a sentence in "error"; only Slack's own codes are worth showing.
    return response.status_code, error if error and " " not in error else None, dict(response.headers or {})


def _header(headers: dict, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else value
    return None


@contextlib.contextmanager
def slack_errors(method: str) -> Iterator[None]:
    """Translate slack_sdk errors into RetryLater / PermanentFailure with a specific reason."""
    try:
        yield
    except SlackApiError as exc:
        status, error, headers = _status_and_error(exc)
        if status == 429 or error == "ratelimited":
            retry_after = _header(headers, "Retry-After")
            raise RetryLater(f"Slack {method}: rate limited", retry_after=float(retry_after) if retry_after else None) from exc
        if status >= 500 or error in TRANSIENT_ERRORS:
            raise RetryLater(f"Slack {method}: {error or f'HTTP {status}'}") from exc
        raise PermanentFailure(f"Slack {method}: {error or f'HTTP {status}'}") from exc
    except (TimeoutError, socket.timeout, urllib.error.URLError, ConnectionError, http.client.HTTPException) as exc:
        raise RetryLater(f"Slack {method}: {type(exc).__name__} {exc}") from exc


@contextlib.contextmanager
def ignoring(*errors: str) -> Iterator[None]:
    """Treat these Slack error codes as success (the thing asked for is already so)."""
    try:
        yield
    except PermanentFailure as exc:
        if not any(exc.reason.endswith(f": {e}") for e in errors):
            raise


def _per_user_errors(exc: SlackApiError, batch: list[str]) -> dict[str, str] | None:
    """Per-user failures of conversations.invite, or None when the whole call failed."""
    status, error, _ = _status_and_error(exc)
    if status != 200 or isinstance(exc.response, dict):
        return None
    detail = exc.response.get("errors")
    if detail:
        return {e.get("user"): e.get("error") for e in detail}
    if len(batch) == 1 and error in {"already_in_channel", "cant_invite_self", "user_not_found", "user_is_restricted",
                                     "cant_invite", "user_disabled", "ura_max_channels"}:
        return {batch[0]: error}
    return None


def _outcome(user_id: str, error: str | None) -> InviteOutcome:
    if error is None:
        return InviteOutcome(user_id, "invited")
    if error in PER_USER_OK:
        return InviteOutcome(user_id, PER_USER_OK[error])
    return InviteOutcome(user_id, "failed", error)
