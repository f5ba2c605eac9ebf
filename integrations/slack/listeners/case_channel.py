"""Actions inside a case channel, shared by slash commands, buttons, modals and shortcuts.

Each returns the text to show the person who asked (ephemerally); the channel echo comes from the workflows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from integrations import chat_actions
from swarm import summary_text
from swarm.errors import InvalidInput
from swarm.model import CaseSummary
from swarm.store.queries import load_case_summary
from swarm.usecases.common import case_in_channel
from swarm.usecases.decide import refusal_kept
from swarm.usecases.follow_up import complete_follow_up
from swarm.usecases.known_issue import post_status_update
from swarm.usecases.membership import add_department, add_person
from swarm.usecases.sync import link_record

USER_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str
    department: str | None


def actor(people, user: dict) -> Actor:
    return Actor(user["id"], people.name(user), people.department_of(user["id"]))


# decide, resolve and reopen read the same on every platform
resolve, reopen = chat_actions.resolve, chat_actions.reopen


def decide(deps, *, channel_id: str, who: Actor, text: str | None, dedupe_key: str, delivery: str | None,
           link: str | None = None) -> str:
    """chat_actions.decide, answered as the first delivery of this Slack request was answered: `delivery` is its
    trigger id, so Slack re-sending a decision refused on a resolved case cannot record it after a reopen."""
    with refusal_kept(deps.store, delivery_key=f"slack:trigger:{delivery}" if delivery else None):
        return chat_actions.decide(deps, channel_id=channel_id, who=who, text=text, dedupe_key=dedupe_key, link=link)


def add(deps, *, channel_id: str, who: Actor, target: str, request_key: str) -> str:
    """`add billing` brings in the department's next owner; `add @person` brings in that person."""
    target = target.strip()
    config = deps.config
    mention = USER_MENTION.match(target)
    if mention:
        user_id = mention.group(1)
        person = config.person_by_slack_id(user_id)
        name = person.name if person else user_id
        key, added = add_person(deps.store, channel_id=channel_id, user_id=user_id, name=name,
                                department=config.department_of(user_id), actor_name=who.name)
        return f"Adding {name} to {key}." if added else f"{name} is already in {key}."
    if not target:
        raise InvalidInput({"department": "Name a department or a person: /swarm add billing, /swarm add @ana"})
    known = {d: dept.name for d, dept in config.departments.items()}
    key = add_department(deps.store, channel_id=channel_id, department=target, known=known, actor_name=who.name,
                         request_key=request_key)
    return f"Bringing in {known[target.lower()]} on {key}."


def status_update(deps, *, channel_id: str, who: Actor, text: str, dedupe_key: str) -> str:
    key, threads = post_status_update(deps.store, channel_id=channel_id, text=text, author=who.name, dedupe_key=dedupe_key)
    return f"Update sent to {threads} source thread{'s' if threads != 1 else ''} of {key}."


def link(deps, *, channel_id: str, target: str) -> str:
    system, _, ref = target.strip().partition(" ")
    key = link_record(deps.store, channel_id=channel_id, system=system, ref=ref)
    return f"Linking {system.lower()} {ref.strip()} to {key}."


def follow_up_done(deps, *, who: Actor, text: str) -> str:
    action, _, key = text.strip().partition(" ")
    if action.lower() != "done" or not key.strip():
        raise InvalidInput({"followup": "Say which case: /swarm followup done CS-12"})
    return complete_follow_up(deps.store, case_key=key.strip(), actor=who.name)


def case_key_in(deps, channel_id: str) -> str:
    with deps.store.read() as session:
        return case_in_channel(session, channel_id).key


def status(deps, *, channel_id: str) -> str:
    with deps.store.read() as session:
        summary = load_case_summary(session, case_in_channel(session, channel_id).id)
    return status_text(summary)


def status_text(case: CaseSummary) -> str:
    return "\n".join(summary_text.status_lines(case, bold="*", warning=":warning:"))


def user_error(exc: Exception) -> str:
    return summary_text.user_error_text(exc)