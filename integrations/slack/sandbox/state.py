"""The Slack sandbox's workspace: users, channels, members, pins and user groups, as the bot sees them.

Messages live in `messages.py` and views in `views.py`; `SlackSandbox` puts the three together.
Methods used by the Web API raise `SlackError` with Slack's own error codes. Every method holds `self.lock`;
helpers return copies so a test can never change the sandbox's state by accident.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from typing import Any, Iterable

from integrations.slack.sandbox.ids import IdMaker, SlackError

BOT_USER_ID = "UBOT00001"
BOT_USER_NAME = "caseswarm"
BOT_ID = "B0CASESWRM"
APP_ID = "A0CASESWARM"

CHANNEL_NAME_CHARS = re.compile(r"[a-z0-9_-]+")
CHANNEL_NAME_MAX = 80


class SlackWorkspace:
    """Users, channels and pins of one workspace (thread-safe; all helpers return copies)."""

    bot_user_id = BOT_USER_ID
    bot_id = BOT_ID
    app_id = APP_ID
    max_invite_users = 100  # Slack's current limit per conversations.invite call (older docs said 1000)

    def __init__(self, *, team_id: str, team_domain: str, team_name: str = "CaseSwarm Sandbox",
                 lock: threading.RLock | None = None) -> None:
        self.lock = lock or threading.RLock()
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self._ids = IdMaker()
        self._users: dict[str, dict[str, Any]] = {}
        self._usergroups: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._members: dict[str, set[str]] = {}
        self._pins: dict[str, list[dict[str, Any]]] = {}
        self.add_user(BOT_USER_ID, BOT_USER_NAME, real_name="CaseSwarm", is_bot=True)

    # -- users ----------------------------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, *, email: str | None = None, real_name: str | None = None,
                 is_bot: bool = False) -> dict[str, Any]:
        """Add (or replace) a workspace member; returns the user object users.info would return."""
        profile: dict[str, Any] = {"real_name": real_name or name, "display_name": name, "team": self.team_id}
        if email:
            profile["email"] = email
        if is_bot:
            profile["bot_id"] = self.bot_id
        user = {
            "id": user_id, "team_id": self.team_id, "name": name, "deleted": False, "real_name": real_name or name,
            "tz": "UTC", "tz_offset": 0, "is_admin": False, "is_owner": False, "is_bot": is_bot,
            "is_app_user": False, "updated": int(time.time()), "profile": profile,
        }
        with self.lock:
            self._users[user_id] = user
            return copy.deepcopy(user)

    def user(self, user_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._require_user(user_id))

    def user_by_email(self, email: str) -> dict[str, Any]:
        with self.lock:
            for user in self._users.values():
                if user["profile"].get("email", "").lower() == email.lower():
                    return copy.deepcopy(user)
        raise SlackError("users_not_found")

    def users(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self._users.values()))

    def add_usergroup(self, usergroup_id: str, handle: str, users: Iterable[str]) -> None:
        """Add a user group (e.g. "S0BILLING", "billing-experts") with these members."""
        with self.lock:
            self._usergroups[usergroup_id] = {"id": usergroup_id, "handle": handle, "users": list(users)}

    def usergroup_users(self, usergroup_id: str) -> list[str]:
        with self.lock:
            group = self._usergroups.get(usergroup_id)
            if group is None:
                raise SlackError("no_such_subteam")
            return list(group["users"])

    def _require_user(self, user_id: str) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        return user

    # -- channels: helpers ----------------------------------------------------------------------------------
    def add_channel(self, name: str, *, members: Iterable[str] = (), is_private: bool = False,
                    creator: str = BOT_USER_ID, channel_id: str | None = None) -> str:
        """Create a channel whose members are exactly `members` (include BOT_USER_ID for the bot); returns its id."""
        with self.lock:
            for user_id in members:
                self._require_user(user_id)
            channel = self._new_channel(name, is_private=is_private, creator=creator, channel_id=channel_id)
            self._members[channel["id"]] = set(members)
            return channel["id"]

    def channel(self, channel_id: str) -> dict[str, Any]:
        """The channel object as conversations.info returns it (plus num_members)."""
        with self.lock:
            return self._render_channel(self._require_channel(channel_id))

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            found = next((c for c in self._channels.values() if c["name"] == name), None)
            return self._render_channel(found) if found else None

    def channels(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self._render_channel(c) for c in self._channels.values()]

    def members(self, channel_id: str) -> set[str]:
        with self.lock:
            self._require_channel(channel_id)
            return set(self._members[channel_id])

    # -- channels: Web API operations -----------------------------------------------------------------------
    def create_channel(self, name: str, *, is_private: bool) -> dict[str, Any]:
        """conversations.create: the bot creates the channel and is its only member."""
        with self.lock:
            channel = self._new_channel(name, is_private=is_private, creator=self.bot_user_id)
            self._members[channel["id"]] = {self.bot_user_id}
            return self._render_channel(channel)

    def visible_channel(self, channel_id: str) -> dict[str, Any]:
        """The channel if the bot may read it: a private channel the bot is not in looks nonexistent."""
        with self.lock:
            channel = self._require_channel(channel_id)
            if channel["is_private"] and self.bot_user_id not in self._members[channel_id]:
                raise SlackError("channel_not_found")
            return self._render_channel(channel)

    def list_channels(self, *, types: set[str], exclude_archived: bool) -> list[dict[str, Any]]:
        with self.lock:
            listed = []
            for channel in self._channels.values():
                kind = "private_channel" if channel["is_private"] else "public_channel"
                hidden = channel["is_private"] and self.bot_user_id not in self._members[channel["id"]]
                if kind in types and not hidden and not (exclude_archived and channel["is_archived"]):
                    listed.append(self._render_channel(channel))
            return listed

    def invite(self, channel_id: str, user_ids: list[str], *, force: bool) -> tuple[dict[str, Any], list[dict]]:
        """conversations.invite: all-or-nothing, unless `force` (then the valid users join and errors are listed)."""
        with self.lock:
            channel = self._writable_channel(channel_id)
            if not user_ids:
                raise SlackError("no_user")
            if len(user_ids) > self.max_invite_users:
                raise SlackError("too_many_users")
            errors = [e for e in (self._invite_error(channel_id, u) for u in user_ids) if e]
            failed = {e["user"] for e in errors}
            valid = [u for u in user_ids if u not in failed]
            if errors and (not force or not valid):
                raise SlackError(errors[0]["error"], errors=errors)
            self._members[channel_id].update(valid)
            return self._render_channel(channel), errors

    def join(self, channel_id: str) -> tuple[dict[str, Any], bool]:
        """conversations.join: returns the channel and whether the bot was already a member."""
        with self.lock:
            channel = self._require_channel(channel_id)
            if channel["is_private"]:
                raise SlackError("method_not_supported_for_channel_type")
            if channel["is_archived"]:
                raise SlackError("is_archived")
            already = self.bot_user_id in self._members[channel_id]
            self._members[channel_id].add(self.bot_user_id)
            return self._render_channel(channel), already

    def archive(self, channel_id: str) -> None:
        with self.lock:
            channel = self._require_channel(channel_id)
            if channel["is_archived"]:
                raise SlackError("already_archived")
            self._require_bot_member(channel_id)
            if channel["is_general"]:
                raise SlackError("cant_archive_general")
            channel["is_archived"] = True

    def unarchive(self, channel_id: str) -> None:
        with self.lock:
            channel = self._require_channel(channel_id)
            if not channel["is_archived"]:
                raise SlackError("not_archived")
            channel["is_archived"] = False

    def set_about(self, channel_id: str, field: str, value: str) -> dict[str, Any]:
        """conversations.setTopic / setPurpose (`field` is "topic" or "purpose")."""
        with self.lock:
            channel = self._writable_channel(channel_id)
            channel[field] = {"value": value, "creator": self.bot_user_id, "last_set": int(time.time())}
            return self._render_channel(channel)

    # -- pins -----------------------------------------------------------------------------------------------
    def pins(self, channel_id: str) -> list[str]:
        """The ts of each pinned message in the channel, oldest pin first."""
        with self.lock:
            self._require_channel(channel_id)
            return [pin["ts"] for pin in self._pins.get(channel_id, [])]

    def pin_records(self, channel_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._pins.get(channel_id, []))

    def record_pin(self, channel_id: str, ts: str) -> None:
        """Pin an existing message (the caller checked it exists); already_pinned if it is."""
        with self.lock:
            self._require_bot_member(channel_id)
            pins = self._pins.setdefault(channel_id, [])
            if any(pin["ts"] == ts for pin in pins):
                raise SlackError("already_pinned")
            pins.append({"ts": ts, "created": int(time.time()), "created_by": self.bot_user_id})

    def remove_pin(self, channel_id: str, ts: str) -> None:
        with self.lock:
            pins = self._pins.get(channel_id, [])
            if not any(pin["ts"] == ts for pin in pins):
                raise SlackError("no_pin")
            self._pins[channel_id] = [pin for pin in pins if pin["ts"] != ts]

    def is_pinned(self, channel_id: str, ts: str) -> bool:
        with self.lock:
            return any(pin["ts"] == ts for pin in self._pins.get(channel_id, []))

    # -- internals ------------------------------------------------------------------------------------------
    def _new_channel(self, name: str, *, is_private: bool, creator: str, channel_id: str | None = None) -> dict:
        self._check_channel_name(name)
        channel_id = channel_id or self._ids.new_id("C")
        now = int(time.time())
        channel = {
            "id": channel_id, "name": name, "name_normalized": name, "is_channel": True, "is_group": False,
            "is_im": False, "is_mpim": False, "is_private": is_private, "created": now, "creator": creator,
            "is_archived": False, "is_general": False, "unlinked": 0, "is_shared": False, "is_ext_shared": False,
            "is_org_shared": False, "pending_shared": [], "is_pending_ext_shared": False,
            "context_team_id": self.team_id, "updated": now * 1000, "previous_names": [],
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }
        self._channels[channel_id] = channel
        self._members[channel_id] = set()
        return channel

    def _check_channel_name(self, name: str) -> None:
        # Slack's order: required, length, characters, then uniqueness (archived channels keep their names).
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > CHANNEL_NAME_MAX:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME_CHARS.fullmatch(name):
            raise SlackError("invalid_name_specials")
        if not name.strip("-_"):
            raise SlackError("invalid_name_punctuation")
        if any(c["name"] == name for c in self._channels.values()):
            raise SlackError("name_taken")

    def _invite_error(self, channel_id: str, user_id: str) -> dict[str, Any] | None:
        if user_id not in self._users:
            code = "user_not_found"
        elif user_id == self.bot_user_id:
            code = "cant_invite_self"
        elif user_id in self._members[channel_id]:
            code = "already_in_channel"
        else:
            return None
        return {"user": user_id, "ok": False, "error": code}

    def _require_channel(self, channel_id: str) -> dict[str, Any]:
        channel = self._channels.get(channel_id or "")
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _writable_channel(self, channel_id: str) -> dict[str, Any]:
        channel = self._require_channel(channel_id)
        if channel["is_archived"]:
            raise SlackError("is_archived")
        self._require_bot_member(channel_id)
        return channel

    def _require_bot_member(self, channel_id: str) -> None:
        if self.bot_user_id not in self._members[channel_id]:
            raise SlackError("not_in_channel")

    def _render_channel(self, channel: dict[str, Any]) -> dict[str, Any]:
        rendered = copy.deepcopy(channel)
        members = self._members[channel["id"]]
        rendered["is_member"] = self.bot_user_id in members
        rendered["num_members"] = len(members)
        return rendered
