"""The sandbox tenant: users, teams, channels and their members, held in memory behind one lock.

Rules follow Microsoft Graph v1.0: channel names are unique per team (case-insensitively, archived ones
included) and at most 50 characters; an app-only private channel needs an owner; members are added only to
private or shared channels and only if they belong to the team.
"""

from __future__ import annotations

import copy
import re
import threading
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import quote

CHANNEL_NAME_MAX = 50
_BAD_NAME_CHARS = re.compile(r"[~#%&*{}+/\\:<>?|'\"]")
_USER_BIND = re.compile(r"/users\('([^']+)'\)$")


class GraphError(Exception):
    """An error answer as Graph gives it: {"error": {"code", "message"}} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message,
                          "innerError": {"request-id": str(uuid.uuid4()), "date": now_iso()}}}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


class TenantDirectory:
    """Users, teams and channels. Every public method takes the lock and returns copies."""

    def __init__(self, *, tenant_id: str, lock: threading.RLock) -> None:
        self.tenant_id = tenant_id
        self.lock = lock
        self._users: dict[str, dict[str, Any]] = {}
        self._teams: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._groups: dict[str, dict[str, Any]] = {}

    # -- users ----------------------------------------------------------------------------------------------
    def add_user(self, display_name: str, email: str | None, *, user_id: str | None = None, enabled: bool = True,
                 user_type: str = "Member", upn: str | None = None) -> str:
        """A user; a guest has userType "Guest" and a UPN like "ann_partner.com#EXT#@tenant.onmicrosoft.com"."""
        user_id = user_id or str(uuid.uuid4())
        with self.lock:
            self._users[user_id] = {"id": user_id, "displayName": display_name, "mail": email,
                                    "userPrincipalName": upn or email, "accountEnabled": enabled, "userType": user_type}
        return user_id

    def user(self, id_or_upn: str) -> dict[str, Any] | None:
        """By object id or userPrincipalName/mail (case-insensitive), as GET /users/{id | userPrincipalName}."""
        key = id_or_upn.lower()
        with self.lock:
            found = self._users.get(id_or_upn) or next(
                (u for u in self._users.values() if key in ((u["mail"] or "").lower(), u["userPrincipalName"].lower())), None)
            return copy.deepcopy(found) if found else None

    def users(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self._users.values()))

    # -- Entra groups ---------------------------------------------------------------------------------------
    def add_group(self, display_name: str, *, members: Iterable[str] = (), group_id: str | None = None) -> str:
        """A security group; `members` are object ids of users or of other groups (nested, not expanded)."""
        group_id = group_id or str(uuid.uuid4())
        with self.lock:
            self._groups[group_id] = {"id": group_id, "displayName": display_name, "members": []}
            self.set_group_members(group_id, members)
        return group_id

    def set_group_members(self, group_id: str, members: Iterable[str]) -> None:
        members = list(members)
        with self.lock:
            unknown = [m for m in members if m not in self._users and m not in self._groups]
            if unknown:
                raise KeyError(f"no user or group with the ids {unknown}")
            self._groups[group_id]["members"] = list(dict.fromkeys(members))

    def group_members(self, group_id: str) -> list[dict[str, Any]]:
        """The group's direct members as Graph lists directoryObjects (every property; the route applies $select)."""
        with self.lock:
            group = self._groups.get(group_id)
            if group is None:
                raise GraphError(404, "Request_ResourceNotFound", f"Resource '{group_id}' does not exist or one of its "
                                                                  "queried reference-property objects are not present.")
            return [self._render_directory_object(m) for m in group["members"]]

    # -- teams and channels ---------------------------------------------------------------------------------
    def add_team(self, display_name: str, *, members: Iterable[str], team_id: str | None = None) -> str:
        team_id = team_id or str(uuid.uuid4())
        with self.lock:
            self._teams[team_id] = {"id": team_id, "displayName": display_name, "members": set(members)}
        return team_id

    def add_channel(self, team_id: str, name: str, *, membership: str = "standard", members: Iterable[str] = (),
                    owner: str | None = None) -> str:
        """A channel made by people (not through the app), e.g. the support channel customer messages arrive in."""
        with self.lock:
            channel = self._new_channel(team_id, name, description="", membership=membership)
            channel["members"] = {m: [] for m in members} | ({owner: ["owner"]} if owner else {})
            return channel["id"]

    def add_team_member(self, team_id: str, user_id: str) -> None:
        with self.lock:
            self._require_team(team_id)["members"].add(user_id)

    def team_of_channel(self, channel_id: str) -> str | None:
        with self.lock:
            channel = self._channels.get(channel_id)
            return channel["teamId"] if channel else None

    def channel_record(self, channel_id: str) -> dict[str, Any]:
        """For tests: the channel with its members ({user id: roles}); KeyError if unknown."""
        with self.lock:
            return copy.deepcopy(self._channels[channel_id])

    def all_channels(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self._channels.values()))

    # -- Graph operations (raise GraphError) -----------------------------------------------------------------
    def create_channel(self, team_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            team = self._require_team(team_id)
            name = (body.get("displayName") or "").strip()
            self._check_name(team_id, name)
            membership = body.get("membershipType") or "standard"
            members = [self._member_from(m, team) for m in body.get("members") or []]
            if membership in ("private", "shared") and not any("owner" in roles for _, roles in members):
                raise GraphError(400, "BadRequest", "An owner must be specified when creating a private or shared "
                                                    "channel with application permissions.")
            channel = self._new_channel(team_id, name, description=body.get("description") or "", membership=membership)
            channel["members"] = dict(members)
            return _render_channel(channel)

    def list_channels(self, team_id: str, *, display_name: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            self._require_team(team_id)
            found = [c for c in self._channels.values() if c["teamId"] == team_id]
            if display_name is not None:
                found = [c for c in found if c["displayName"].lower() == display_name.lower()]
            return [_render_channel(c) for c in found]

    def get_channel(self, team_id: str, channel_id: str) -> dict[str, Any]:
        with self.lock:
            return _render_channel(self._require_channel(team_id, channel_id))

    def channel_members(self, team_id: str, channel_id: str) -> list[dict[str, Any]]:
        with self.lock:
            channel = self._require_channel(team_id, channel_id)
            return [self._render_member(channel, user_id, roles) for user_id, roles in channel["members"].items()]

    def add_channel_member(self, team_id: str, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            channel = self._require_channel(team_id, channel_id)
            if channel["membershipType"] not in ("private", "shared"):
                raise GraphError(400, "BadRequest", "Adding members is supported only for private and shared channels.")
            user_id, roles = self._member_from(body, self._teams[team_id])
            if user_id in channel["members"]:
                raise GraphError(409, "Conflict", "The user is already a member of the channel.")
            channel["members"][user_id] = roles
            return self._render_member(channel, user_id, roles)

    def set_archived(self, team_id: str, channel_id: str, archived: bool) -> None:
        with self.lock:
            channel = self._require_channel(team_id, channel_id)
            if channel["isArchived"] == archived:
                state = "already archived" if archived else "not archived"
                raise GraphError(400, "BadRequest", f"The channel is {state}.")
            channel["isArchived"] = archived

    # -- internals ------------------------------------------------------------------------------------------
    def _new_channel(self, team_id: str, name: str, *, description: str, membership: str) -> dict[str, Any]:
        channel_id = f"19:{uuid.uuid4().hex}@thread.tacv2"
        web_url = (f"https://teams.microsoft.com/l/channel/{quote(channel_id, safe='')}/{quote(name)}"
                   f"?groupId={team_id}&tenantId={self.tenant_id}")
        channel = {"id": channel_id, "teamId": team_id, "displayName": name, "description": description,
                   "membershipType": membership, "isArchived": False, "createdDateTime": now_iso(),
                   "webUrl": web_url, "email": "", "members": {}}
        self._channels[channel_id] = channel
        return channel

    def _check_name(self, team_id: str, name: str) -> None:
        if not name:
            raise GraphError(400, "BadRequest", "displayName is required.")
        if len(name) > CHANNEL_NAME_MAX or _BAD_NAME_CHARS.search(name) or name.startswith(("_", ".")):
            raise GraphError(400, "BadRequest", f"Channel name '{name}' is invalid (at most {CHANNEL_NAME_MAX} "
                                                "characters, none of ~ # % & * { } + / \\ : < > ? | ' \").")
        if any(c["teamId"] == team_id and c["displayName"].lower() == name.lower() for c in self._channels.values()):
            raise GraphError(400, "BadRequest", "Channel name already existed, please use other name.")

    def _member_from(self, body: dict[str, Any], team: dict[str, Any]) -> tuple[str, list[str]]:
        match = _USER_BIND.search(body.get("user@odata.bind") or "")
        user = self.user(match.group(1)) if match else None
        if user is None or not user["accountEnabled"]:
            raise GraphError(404, "NotFound", "The user was not found or is disabled.")
        if user["id"] not in team["members"]:
            raise GraphError(400, "BadRequest", "The user must be a member of the team before joining a private channel.")
        return user["id"], list(body.get("roles") or [])

    def _render_directory_object(self, object_id: str) -> dict[str, Any]:
        if object_id in self._groups:
            group = self._groups[object_id]
            return {"@odata.type": "#microsoft.graph.group", "id": object_id, "displayName": group["displayName"],
                    "mail": None, "mailEnabled": False, "securityEnabled": True}
        user = self._users[object_id]
        first, _, last = user["displayName"].partition(" ")
        return {"@odata.type": "#microsoft.graph.user", "id": object_id, "businessPhones": [],
                "displayName": user["displayName"], "givenName": first or None, "jobTitle": None, "mail": user["mail"],
                "mobilePhone": None, "officeLocation": None, "preferredLanguage": None, "surname": last or None,
                "userPrincipalName": user["userPrincipalName"], "accountEnabled": user["accountEnabled"],
                "userType": user["userType"]}

    def _render_member(self, channel: dict[str, Any], user_id: str, roles: list[str]) -> dict[str, Any]:
        user = self._users.get(user_id, {})
        return {"@odata.type": "#microsoft.graph.aadUserConversationMember", "id": f"{channel['id']}:{user_id}",
                "roles": roles, "displayName": user.get("displayName"), "userId": user_id, "email": user.get("mail"),
                "tenantId": self.tenant_id}

    def _require_team(self, team_id: str) -> dict[str, Any]:
        team = self._teams.get(team_id)
        if team is None:
            raise GraphError(404, "NotFound", f"No team found with Group Id {team_id}")
        return team

    def _require_channel(self, team_id: str, channel_id: str) -> dict[str, Any]:
        self._require_team(team_id)
        channel = self._channels.get(channel_id)
        if channel is None or channel["teamId"] != team_id:
            raise GraphError(404, "NotFound", "Channel not found")
        return channel


def _render_channel(channel: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in channel.items() if k not in ("members", "teamId")}
