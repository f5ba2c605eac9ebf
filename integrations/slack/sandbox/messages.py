"""Messages, threads, pins and ephemeral messages of the Slack sandbox's workspace."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from integrations.slack.sandbox.ids import SlackError, ts_key, with_block_ids
from integrations.slack.sandbox.state import SlackWorkspace


class SlackMessaging(SlackWorkspace):
    """Adds messages to the workspace: stored per channel in ts order, rendered as Slack returns them."""

    def __init__(self, **workspace: Any) -> None:
        super().__init__(**workspace)
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemerals: list[dict[str, Any]] = []

    # -- helpers for tests and the demo ---------------------------------------------------------------------
    def post_as_user(self, channel_id: str, user_id: str, text: str, *, thread_ts: str | None = None,
                     blocks: list[dict] | None = None) -> str:
        """A human member posts in a channel (as typed in the Slack client); returns the message ts."""
        with self.lock:
            self._require_user(user_id)
            channel = self._require_channel(channel_id)
            if channel["is_archived"]:
                raise SlackError("is_archived")
            if user_id not in self._members[channel_id]:
                raise SlackError("not_in_channel")
            message = {"type": "message", "user": user_id, "text": text, "client_msg_id": str(uuid.uuid4())}
            if blocks:
                message["blocks"] = with_block_ids(blocks)
            return self._store(channel_id, message, thread_ts=thread_ts)["ts"]

    def messages(self, channel_id: str, *, include_replies: bool = False) -> list[dict[str, Any]]:
        """Stored messages oldest first, metadata included; thread replies only if asked."""
        with self.lock:
            self._require_channel(channel_id)
            stored = self._messages.get(channel_id, [])
            return [copy.deepcopy(m) for m in stored if include_replies or _is_top_level(m)]

    def replies(self, channel_id: str, thread_ts: str) -> list[dict[str, Any]]:
        """The thread's parent then its replies, oldest first (empty if there is no such thread)."""
        with self.lock:
            stored = self._messages.get(channel_id, [])
            return [copy.deepcopy(m) for m in stored if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """Ephemeral messages sent so far: {channel, user, ts, text, blocks, thread_ts}."""
        with self.lock:
            return copy.deepcopy(self._ephemerals)

    # -- Web API operations ---------------------------------------------------------------------------------
    def post_message(self, channel_id: str, *, text: str | None, blocks: list[dict] | None,
                     thread_ts: str | None = None, metadata: dict | None = None,
                     reply_broadcast: bool = False) -> dict[str, Any]:
        """chat.postMessage as the bot; returns the message as Slack echoes it."""
        with self.lock:
            channel = self._require_channel(channel_id)
            if channel["is_archived"]:
                raise SlackError("is_archived")
            # Public channels accept posts from non-members (chat:write.public); private ones do not.
            if channel["is_private"] and self.bot_user_id not in self._members[channel_id]:
                raise SlackError("not_in_channel")
            if not text and not blocks:
                raise SlackError("no_text")
            message = self._bot_message(text or "", blocks, metadata)
            if thread_ts and reply_broadcast:
                message["subtype"] = "thread_broadcast"
            return self._render(channel_id, self._store(channel_id, message, thread_ts=thread_ts), True)

    def update_message(self, channel_id: str, ts: str, *, text: str | None, blocks: list[dict] | None,
                       metadata: dict | None = None) -> dict[str, Any]:
        """chat.update of one of the bot's own messages."""
        with self.lock:
            if self._require_channel(channel_id)["is_archived"]:
                raise SlackError("is_archived")
            message = self._require_message(channel_id, ts)
            if message.get("bot_id") != self.bot_id:
                raise SlackError("cant_update_message")
            if text is not None:
                message["text"] = text
            if blocks is not None:
                message["blocks"] = with_block_ids(blocks)
            if metadata:
                message["metadata"] = metadata
            message["edited"] = {"user": self.bot_user_id, "ts": self._ids.new_ts()}
            return self._render(channel_id, message, True)

    def post_ephemeral(self, channel_id: str, user_id: str, *, text: str | None, blocks: list[dict] | None,
                       thread_ts: str | None = None) -> str:
        """chat.postEphemeral: only `user_id` sees it; never stored in the channel's history."""
        with self.lock:
            channel = self._require_channel(channel_id)
            self._require_user(user_id)
            if channel["is_archived"]:
                raise SlackError("is_archived")
            if user_id not in self._members[channel_id]:
                raise SlackError("user_not_in_channel")
            if not text and not blocks:
                raise SlackError("no_text")
            ts = self._ids.new_ts()
            self._ephemerals.append({"channel": channel_id, "user": user_id, "ts": ts, "text": text or "",
                                     "blocks": with_block_ids(blocks), "thread_ts": thread_ts})
            return ts

    def permalink(self, channel_id: str, ts: str) -> str:
        with self.lock:
            message = self._require_message(channel_id, ts)
            link = f"https://{self.team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
            root = message.get("thread_ts")
            return f"{link}?thread_ts={root}&cid={channel_id}" if root and root != ts else link

    def pin(self, channel_id: str, ts: str) -> None:
        """pins.add: the message must exist in that channel."""
        with self.lock:
            self._require_channel(channel_id)
            self._require_message(channel_id, ts)
            self.record_pin(channel_id, ts)

    def pinned_items(self, channel_id: str) -> list[dict[str, Any]]:
        """pins.list items, most recent pin first as Slack lists them."""
        with self.lock:
            self.visible_channel(channel_id)
            items = []
            for pin in reversed(self.pin_records(channel_id)):
                message = self._render(channel_id, self._require_message(channel_id, pin["ts"]), False)
                items.append({"type": "message", "created": pin["created"], "created_by": pin["created_by"],
                              "channel": channel_id, "message": message})
            return items

    def history(self, channel_id: str, *, latest: str | None, oldest: str | None, inclusive: bool,
                include_metadata: bool) -> list[dict[str, Any]]:
        """conversations.history before pagination: top-level messages in the window, newest first."""
        with self.lock:
            self._require_readable(channel_id)
            low, high = ts_key(oldest or "0"), ts_key(latest) if latest else None
            chosen = []
            for message in reversed(self._messages.get(channel_id, [])):
                key = ts_key(message["ts"])
                in_window = (key >= low if inclusive else key > low) and (
                    high is None or (key <= high if inclusive else key < high))
                if in_window and _is_top_level(message):
                    chosen.append(self._render(channel_id, message, include_metadata))
            return chosen

    def thread(self, channel_id: str, ts: str, *, include_metadata: bool) -> list[dict[str, Any]]:
        """conversations.replies: the parent and its replies, oldest first."""
        with self.lock:
            self._require_readable(channel_id)
            message = self._find_message(channel_id, ts)
            if message is None:
                raise SlackError("thread_not_found")
            root = message.get("thread_ts") or ts
            return [self._render(channel_id, m, include_metadata) for m in self.replies(channel_id, root)]

    # -- internals ------------------------------------------------------------------------------------------
    def _bot_message(self, text: str, blocks: list[dict] | None, metadata: dict | None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id,
            "text": text,
            "bot_profile": {"id": self.bot_id, "app_id": self.app_id, "name": "CaseSwarm", "deleted": False,
                            "team_id": self.team_id},
        }
        if blocks:
            message["blocks"] = with_block_ids(blocks)
        if metadata:
            message["metadata"] = metadata
        return message

    def _store(self, channel_id: str, message: dict[str, Any], *, thread_ts: str | None) -> dict[str, Any]:
        message["ts"] = self._ids.new_ts()
        message["team"] = self.team_id
        if thread_ts:
            message["thread_ts"] = self._thread_root(channel_id, thread_ts)
            self._count_reply(channel_id, message)
        self._messages.setdefault(channel_id, []).append(message)
        return message

    def _thread_root(self, channel_id: str, thread_ts: str) -> str:
        # Replying to a reply threads under the same parent, as in Slack.
        parent = self._find_message(channel_id, thread_ts)
        return parent.get("thread_ts", thread_ts) if parent else thread_ts

    def _count_reply(self, channel_id: str, reply: dict[str, Any]) -> None:
        parent = self._find_message(channel_id, reply["thread_ts"])
        if parent is None:
            return
        parent["thread_ts"] = parent["ts"]
        parent["reply_count"] = parent.get("reply_count", 0) + 1
        users = parent.setdefault("reply_users", [])
        if reply["user"] not in users:
            users.append(reply["user"])
        parent["reply_users_count"] = len(users)
        parent["latest_reply"] = reply["ts"]

    def _find_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self._messages.get(channel_id, []) if m["ts"] == ts), None)

    def _require_message(self, channel_id: str, ts: str) -> dict[str, Any]:
        message = self._find_message(channel_id, ts)
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _require_readable(self, channel_id: str) -> None:
        channel = self.visible_channel(channel_id)
        if not channel["is_member"]:
            raise SlackError("not_in_channel")

    def _render(self, channel_id: str, message: dict[str, Any], include_metadata: bool) -> dict[str, Any]:
        rendered = copy.deepcopy(message)
        if not include_metadata:
            rendered.pop("metadata", None)
        if self.is_pinned(channel_id, message["ts"]):
            rendered["pinned_to"] = [channel_id]
        return rendered


def _is_top_level(message: dict[str, Any]) -> bool:
    root = message.get("thread_ts")
    return root is None or root == message["ts"] or message.get("subtype") == "thread_broadcast"
