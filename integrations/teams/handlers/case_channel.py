"""Actions inside a case channel, shared by the summary card's buttons and "@CaseSwarm <command>" messages.

Each returns the text to show the person who asked; what the whole channel sees comes from the workflows.
"""

from __future__ import annotations

import re

from integrations.teams.handlers.people import Actor, person
from integrations import chat_actions
from swarm import summary_text
from swarm.errors import InvalidInput
from swarm.model import CaseSummary
from swarm.store.queries import load_case_summary
from swarm.usecases.common import case_in_channel
from swarm.usecases.membership import add_department, add_person

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BUSY = "Microsoft Teams is busy right now and nothing was changed; please try again in a moment."


# decide, resolve and reopen read the same on every platform
decide, resolve, reopen = chat_actions.decide, chat_actions.resolve, chat_actions.reopen


def add(container, *, channel_id: str, who: Actor, target: str, request_key: str) -> str:
    """A department id (`billing`), a person's AAD id (the card's people picker) or their email."""
    target = (target or "").strip()
    known = {d: dept.name for d, dept in container.config.departments.items()}
    if not target:
        raise InvalidInput({"department": f"Name a department ({', '.join(known)}) or a person's email"})
    if target.lower() in known:
        key = add_department(container.store, channel_id=channel_id, department=target, known=known,
                             actor_name=who.name, request_key=request_key)
        return f"Bringing in {known[target.lower()]} on {key}."
    return _add_person(container, channel_id=channel_id, who=who, target=target, known=known)


def _add_person(container, *, channel_id: str, who: Actor, target: str, known: dict[str, str]) -> str:
    user = container.chats["teams"].directory.user(target)
    if user is None:
        what = "No one in the directory has the email" if EMAIL.match(target) else "Not a department or a person:"
        raise InvalidInput({"department": f"{what} '{target}' (departments: {', '.join(known)})"})
    added = person(container, user.id)
    key, new = add_person(container.store, channel_id=channel_id, user_id=added.user_id, name=added.name,
                          department=added.department, actor_name=who.name)
    return f"Adding {added.name} to {key}." if new else f"{added.name} is already in {key}."


def status(container, *, channel_id: str) -> str:
    with container.store.read() as session:
        summary = load_case_summary(session, case_in_channel(session, channel_id).id)
    return status_text(summary)


def status_text(case: CaseSummary) -> str:
    return "\n\n".join(summary_text.status_lines(case, bold="**", warning="⚠️"))


def user_error(exc: Exception) -> str:
    return summary_text.user_error_text(exc)