"""People in the Microsoft Entra directory: the AAD object id for a configured person's email, and back."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from integrations.teams.graph import TeamsGraph

MISS_TTL = 600.0  # an unknown email is asked again after ten minutes (the account may have been created since)


@dataclass(frozen=True)
class TeamsUser:
    id: str  # AAD object id: what Graph membership and Adaptive Card mentions use
    name: str
    email: str


class TeamsDirectory:
    """Cached lookups through GET /users/{id | UPN}; ids and names rarely change while the app runs."""

    def __init__(self, graph: TeamsGraph):
        self._graph = graph
        self._by_key: dict[str, TeamsUser] = {}
        self._misses: dict[str, float] = {}
        self._lock = threading.Lock()

    def user(self, id_or_email: str) -> TeamsUser | None:
        """The user with this AAD id or email (userPrincipalName), or None if the directory has no such user."""
        key = id_or_email.strip().lower()
        with self._lock:
            if key in self._by_key:
                return self._by_key[key]
            if time.monotonic() < self._misses.get(key, 0.0):
                return None
        found = self._graph.user(id_or_email.strip())
        with self._lock:
            if found is None or not found.id:
                self._misses[key] = time.monotonic() + MISS_TTL
                return None
            user = TeamsUser(found.id, found.display_name or found.mail or found.id,
                             (found.mail or found.user_principal_name or "").lower())
            for alias in {key, user.id.lower(), user.email}:
                if alias:
                    self._by_key[alias] = user
            return user

    def remember(self, user: TeamsUser) -> None:
        """A user seen elsewhere (an Entra group's member list), so looking them up later asks Graph nothing."""
        with self._lock:
            for alias in {user.id.lower(), user.email.lower()}:
                if alias:
                    self._by_key[alias] = user
                    self._misses.pop(alias, None)

    def name_of(self, user_id: str) -> str:
        """A display name for messages; the id itself when the directory does not know it."""
        user = self.user(user_id)
        return user.name if user else user_id
