"""Conversations and their messages: channel posts, thread replies and chats, written by people or by the bot.

One store behind both sandboxes, so what the bot posts through the Bot Connector is what Graph lists (with the
same numeric message ids Teams uses for both).
"""

from __future__ import annotations

import copy
import html
import itertools
import json
import threading
import time
import uuid
from typing import Any, Iterable
from urllib.parse import quote

from integrations.teams.sandbox.state import GraphError, TenantDirectory, now_iso


class ConnectorError(Exception):
    """An error answer as the Bot Connector gives it."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class ConversationStore:
    def __init__(self, directory: TenantDirectory, *, app_id: str, bot_name: str, lock: threading.RLock) -> None:
        self.directory = directory
        self.app_id = app_id
        self.bot_name = bot_name
        self.lock = lock
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._chats: dict[str, set[str]] = {}
        self._bot_teams: set[str] = set()
        self._bot_chats: set[str] = set()
        self._ids = itertools.count(int(time.time() * 1000))  # Teams message ids are numeric, rising (epoch ms)

    # -- setting up -------------------------------------------------------------------------------------------
    def install_bot(self, *, team_id: str | None = None, chat_id: str | None = None) -> None:
        with self.lock:
            self._bot_teams.update([team_id] if team_id else [])
            self._bot_chats.update([chat_id] if chat_id else [])

    def add_chat(self, members: Iterable[str], *, with_bot: bool = True) -> str:
        chat_id = f"19:{uuid.uuid4().hex}@thread.v2"
        with self.lock:
            self._chats[chat_id] = set(members)
            if with_bot:
                self._bot_chats.add(chat_id)
        return chat_id

    # -- people write -----------------------------------------------------------------------------------------
    def post_as_user(self, conversation_id: str, user_id: str, text: str, *, thread: str | None = None) -> str:
        user = self.directory.user(user_id) or {"id": user_id, "displayName": user_id}
        sender = {"user": {"id": user["id"], "displayName": user["displayName"], "userIdentityType": "aadUser"}}
        with self.lock:
            return self._store(conversation_id, thread, sender, {"text": text})["id"]

    # -- the bot writes (Bot Connector) -----------------------------------------------------------------------
    def bot_post(self, conversation_id: str, activity: dict[str, Any]) -> str:
        base, thread = split_conversation(conversation_id)
        with self.lock:
            self._require_bot_can_post(base)
            return self._store(base, thread, self._bot(), activity)["id"]

    def bot_reply(self, conversation_id: str, activity_id: str, activity: dict[str, Any]) -> str:
        base, thread = split_conversation(conversation_id)
        with self.lock:
            self._require_bot_can_post(base)
            parent = self._require_message(base, activity_id)
            return self._store(base, parent.get("replyToId") or thread or parent["id"], self._bot(), activity)["id"]

    def bot_update(self, conversation_id: str, activity_id: str, activity: dict[str, Any]) -> str:
        base, _ = split_conversation(conversation_id)
        with self.lock:
            message = self._require_message(base, activity_id)
            if "application" not in message["from"]:
                raise ConnectorError(403, "Forbidden", "The bot can only update its own messages.")
            message["history"].append({k: message[k] for k in ("text", "attachments", "lastModifiedDateTime")})
            message.update(text=activity.get("text"), attachments=activity.get("attachments") or [],
                           entities=activity.get("entities") or [], lastModifiedDateTime=now_iso())
            return activity_id

    # -- reading (tests, and Graph) ---------------------------------------------------------------------------
    def messages(self, conversation_id: str, *, thread: str | None = None, include_replies: bool = False) -> list[dict]:
        base, _ = split_conversation(conversation_id)
        with self.lock:
            found = self._messages.get(base, [])
            if thread is not None:
                found = [m for m in found if m["replyToId"] == thread]
            elif not include_replies:
                found = [m for m in found if m["replyToId"] is None]
            return copy.deepcopy(found)

    def message(self, conversation_id: str, message_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._require_message(split_conversation(conversation_id)[0], message_id))

    def graph_messages(self, conversation_id: str, *, thread: str | None = None) -> list[dict[str, Any]]:
        """Messages as Graph's chatMessage resources (card content is a JSON string, as Graph returns it)."""
        return [self._as_chat_message(m) for m in self.messages(conversation_id, thread=thread)]

    def chat_exists(self, chat_id: str) -> bool:
        with self.lock:
            return chat_id in self._chats

    def link_to_message(self, channel_id: str, message_id: str) -> str:
        team = self.directory.team_of_channel(channel_id) or ""
        return (f"https://teams.microsoft.com/l/message/{quote(channel_id, safe='')}/{message_id}"
                f"?tenantId={self.directory.tenant_id}&groupId={team}&parentMessageId={message_id}")

    # -- internals --------------------------------------------------------------------------------------------
    def _bot(self) -> dict[str, Any]:
        return {"application": {"id": self.app_id, "displayName": self.bot_name, "applicationIdentityType": "bot"}}

    def _store(self, base: str, thread: str | None, sender: dict[str, Any], activity: dict[str, Any]) -> dict[str, Any]:
        if thread is not None:
            self._require_message(base, thread)
        stamp = now_iso()
        message = {"id": str(next(self._ids)), "replyToId": thread, "from": sender, "text": activity.get("text"),
                   "attachments": activity.get("attachments") or [], "entities": activity.get("entities") or [],
                   "createdDateTime": stamp, "lastModifiedDateTime": stamp, "history": []}
        self._messages.setdefault(base, []).append(message)
        return message

    def _require_message(self, base: str, message_id: str) -> dict[str, Any]:
        found = next((m for m in self._messages.get(base, []) if m["id"] == message_id), None)
        if found is None:
            raise ConnectorError(404, "ActivityNotFoundInConversation", f"Activity {message_id} not found")
        return found

    def _require_bot_can_post(self, base: str) -> None:
        team = self.directory.team_of_channel(base)
        if team is None and base not in self._chats:
            raise ConnectorError(404, "ConversationNotFound", "Conversation not found.")
        if (team is not None and team not in self._bot_teams) or (team is None and base not in self._bot_chats):
            raise ConnectorError(403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
        if team is not None and self.directory.channel_record(base)["isArchived"]:
            raise ConnectorError(403, "Forbidden", "The channel is archived.")

    def _as_chat_message(self, message: dict[str, Any]) -> dict[str, Any]:
        attachments = [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, message["id"] + str(i))),
                        "contentType": a.get("contentType"), "contentUrl": None,
                        "content": json.dumps(a.get("content")) if not isinstance(a.get("content"), str) else a["content"],
                        "name": None, "thumbnailUrl": None} for i, a in enumerate(message["attachments"])]
        content = "".join(f'<attachment id="{a["id"]}"></attachment>' for a in attachments)
        content = content or f"<p>{html.escape(message['text'] or '')}</p>"
        return {"id": message["id"], "replyToId": message["replyToId"], "messageType": "message",
                "createdDateTime": message["createdDateTime"], "lastModifiedDateTime": message["lastModifiedDateTime"],
                "from": message["from"], "body": {"contentType": "html", "content": content}, "attachments": attachments}


def split_conversation(conversation_id: str) -> tuple[str, str | None]:
    """'19:x@thread.tacv2;messageid=123' → ('19:x@thread.tacv2', '123')."""
    base, _, rest = conversation_id.partition(";messageid=")
    return base, (rest or None)


def require_channel_in_team(directory: TenantDirectory, team_id: str, channel_id: str) -> None:
    if directory.team_of_channel(channel_id) != team_id:
        raise GraphError(404, "NotFound", "Channel not found")
