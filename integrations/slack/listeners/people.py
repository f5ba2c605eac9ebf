"""Who a Slack user is, in the terms of the case: display name (config first, then Slack) and department."""

from __future__ import annotations

import threading

from slack_sdk.errors import SlackApiError

from swarm.errors import PermanentFailure

CACHE_LIMIT = 10_000


class SlackPeople:
    """Names for user ids: the department directory first, then users.info once per person (cached)."""

    def __init__(self, config, chat):
        self.config = config
        self.chat = chat  # SlackChat: users.info with the token of the user's own workspace
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()

    def name(self, user: dict) -> str:
        user_id = user.get("id", "")
        person = self.config.person_by_slack_id(user_id)
        if person is not None:
            return person.name
        with self._lock:
            cached = self._names.get(user_id)
        if cached:
            return cached
        name = self._lookup(user_id, user.get("team_id")) or user.get("real_name") or user.get("name") or user.get("username") or user_id or "someone"
        with self._lock:
            if len(self._names) >= CACHE_LIMIT:
                self._names.clear()
            self._names[user_id] = name
        return name

    def department_of(self, user_id: str) -> str | None:
        return self.config.department_of(user_id)

    def _lookup(self, user_id: str, team_id: str | None) -> str | None:
        try:
            client = self.chat.for_workspace(team_id).client
            if client.cooling("users.info"):
                return None  # rate limited: the listener answers Slack now rather than wait out the window
            profile = client.users_info(user=user_id)["user"]
        except (SlackApiError, PermanentFailure):
            return None  # a name is nice to have; never fail a request over it
        return (profile.get("profile") or {}).get("real_name") or profile.get("real_name") or profile.get("name")
