"""Department members from Microsoft Entra groups: a department in departments.yml may name an `entra_group` (the
group's object id), and the users in it become members routing can pick, besides the ones the file lists.

The same shape as the Slack user groups (integrations/slack/directory.py): Graph is asked at most once per group per
refresh period (GET /groups/{id}/members, every page); when Graph fails, the last members seen are kept and the next
period tries again. A member is a Person keyed by email, with no Slack id: Teams finds them by email, Slack skips them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from msgraph.generated.models.user import User
from pydantic import ValidationError

from config.departments import Person
from config.model import SwarmConfig
from integrations.members import with_members
from integrations.teams.directory import TeamsDirectory, TeamsUser
from integrations.teams.graph import TeamsGraph
from swarm.errors import ExternalError
from swarm.store.tables import utcnow

log = logging.getLogger("caseswarm.teams.groups")


class EntraGroups:
    """Who is in an Entra group, as Persons (cached for `refresh_every`)."""

    def __init__(self, graph: TeamsGraph, *, directory: TeamsDirectory | None = None,
                 refresh_every: timedelta = timedelta(minutes=15), clock: Callable[[], datetime] = utcnow,
                 page_size: int = 999):
        self.graph = graph
        self.directory = directory  # told the AAD ids seen, so inviting a member needs no GET /users by email
        self.refresh_every = refresh_every
        self.clock = clock
        self.page_size = page_size
        self._groups: dict[str, tuple[datetime, tuple[Person, ...]]] = {}
        self._lock = threading.Lock()

    def config_with_groups(self, config: SwarmConfig) -> SwarmConfig:
        """`config` with each department's Entra group members added (the file's own people are left as they are)."""
        extra = {d: self.group_members(dept.entra_group) for d, dept in config.departments.items() if dept.entra_group}
        return with_members(config, extra)

    def group_members(self, group_id: str) -> tuple[Person, ...]:
        with self._lock:
            cached = self._groups.get(group_id)
        if cached and self.clock() - cached[0] < self.refresh_every:
            return cached[1]
        try:
            users = self.graph.group_members(group_id, page_size=self.page_size)
        except ExternalError as exc:  # the reason is Graph's status, code and message: no token, no secret
            log.warning("entra_group=%s refresh failed reason=%s keeping=%s", group_id, exc.reason,
                        len(cached[1]) if cached else 0)
            return cached[1] if cached else ()
        if users is None:
            log.warning("entra_group=%s not found in the directory (check entra_group in departments.yml)", group_id)
            users = []
        people = tuple(p for p in (self._person(u) for u in users) if p is not None)
        with self._lock:
            self._groups[group_id] = (self.clock(), people)
        return people

    def _person(self, user: User) -> Person | None:
        person = as_person(user)
        if person is not None and self.directory is not None:
            self.directory.remember(TeamsUser(user.id, person.name, person.email_key))
        return person


def as_person(user: User) -> Person | None:
    """A group member as a department Person; None for a disabled account or one without an email address."""
    if user.account_enabled is False or not user.id:
        return None  # Graph cannot add a disabled account to a channel, so routing must not pick it
    email = user.mail or (user.user_principal_name if "#EXT#" not in (user.user_principal_name or "") else None)
    if not email:
        return None  # a guest's UPN (name_domain#EXT#@tenant) is no address; without mail it cannot be found by email
    try:
        return Person(id=f"entra-{user.id.lower()}", name=user.display_name or email, email=email)
    except ValidationError as exc:
        log.warning("entra user=%s not usable as a department member: %s", user.id, exc.errors()[0]["msg"])
        return None
