"""Who sent an activity, in the terms of the case: AAD id, the configured person's name, their department."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from integrations.teams.handlers import activity as inbound
from swarm.errors import ExternalError

log = logging.getLogger("caseswarm.teams")


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str
    department: str | None


def actor(container, activity) -> Actor:
    """The sender, matched to config/departments.yml by the email the directory has for their AAD id."""
    user_id = inbound.user_id(activity)
    return person(container, user_id, fallback_name=activity.from_.name)


def person(container, user_id: str, *, fallback_name: str | None = None) -> Actor:
    try:
        user = container.chats["teams"].directory.user(user_id)
    except ExternalError as exc:  # the directory is busy: act under the name Teams sent rather than fail the action
        log.warning("directory lookup failed user=%s reason=%s", user_id, exc.reason)
        user = None
    configured, department = configured_person(container.config, user.email if user else "")
    name = configured.name if configured else (user.name if user else fallback_name or user_id)
    return Actor(user_id, name, department)


def configured_person(config, email: str):
    """(person, department id) for the member with this email; (manager, None) for a manager who is not a
    member; (None, None) for someone the configuration does not know."""
    email = email.lower()
    if not email:
        return None, None
    for department_id, department in config.departments.items():
        for member in department.members:
            if member.email.lower() == email:
                return member, department_id
    managers = (d.manager for d in config.departments.values())
    return next((m for m in managers if m.email.lower() == email), None), None
