"""Department members from Slack user groups: a department in departments.yml may name a `usergroup` (S...), and
the people in it become members routing can pick, besides the ones the file lists.

Routing stays pure: `with_members` (integrations/members.py, shared with Microsoft Entra groups) returns a new
SwarmConfig, and the composition root swaps it into the workflow services from a huey periodic task. Slack is asked
at most once per group per refresh period (users.info once per person); when Slack fails, the last members seen are
kept and the next period tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from config.departments import Person
from config.model import SwarmConfig
from integrations.members import with_members
from swarm.store.tables import utcnow

log = logging.getLogger("caseswarm.slack.directory")


class SlackDirectory:
    """Who is in a Slack user group, as Persons (cached for `refresh_every`)."""

    def __init__(self, client: WebClient, *, refresh_every: timedelta = timedelta(minutes=15),
                 clock: Callable[[], datetime] = utcnow):
        self.client = client
        self.refresh_every = refresh_every
        self.clock = clock
        self._groups: dict[str, tuple[datetime, tuple[Person, ...]]] = {}
        self._people: dict[str, Person | None] = {}
        self._lock = threading.Lock()

    def config_with_usergroups(self, config: SwarmConfig) -> SwarmConfig:
        """`config` with each department's user group members added (the file's own people are left as they are)."""
        extra = {d: self.group_members(dept.usergroup) for d, dept in config.departments.items() if dept.usergroup}
        return with_members(config, extra)

    def group_members(self, usergroup_id: str) -> tuple[Person, ...]:
        with self._lock:
            cached = self._groups.get(usergroup_id)
        if cached and self.clock() - cached[0] < self.refresh_every:
            return cached[1]
        try:
            user_ids = self.client.usergroups_users_list(usergroup=usergroup_id)["users"]
        except SlackApiError as exc:
            log.warning("usergroup=%s refresh failed error=%s keeping=%s", usergroup_id, _error(exc),
                        len(cached[1]) if cached else 0)
            return cached[1] if cached else ()
        people = tuple(p for p in (self.person(u) for u in user_ids) if p is not None)
        with self._lock:
            self._groups[usergroup_id] = (self.clock(), people)
        return people

    def person(self, user_id: str) -> Person | None:
        """The Slack user as a Person (users.info once per user); None for bots, deactivated or email-less users."""
        with self._lock:
            if user_id in self._people:
                return self._people[user_id]
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("user=%s users.info failed error=%s", user_id, _error(exc))
            return None  # not cached: asked again at the next refresh
        person = _as_person(user)
        with self._lock:
            self._people[user_id] = person
        return person


def _as_person(user: dict) -> Person | None:
    profile = user.get("profile") or {}
    if user.get("deleted") or user.get("is_bot") or not profile.get("email"):
        return None  # routing must not pick someone who cannot be reached (nor a bot)
    name = profile.get("real_name") or user.get("real_name") or user.get("name") or user["id"]
    try:
        return Person(id=f"slack-{user['id'].lower()}", name=name, email=profile["email"], slack_user_id=user["id"])
    except ValidationError as exc:
        log.warning("user=%s not usable as a department member: %s", user.get("id"), exc.errors()[0]["msg"])
        return None


def _error(exc: SlackApiError) -> str:
    response = exc.response
    return (response.get("error") if not isinstance(response, dict) else None) or str(getattr(response, "status_code", "?"))
