"""Department members from outside departments.yml: a Slack user group (`usergroup:`) and a Microsoft Entra group
(`entra_group:`) on a department add their people to it, besides the ones the file lists.

Each source is a function from a config to the same config with its groups' members added (the source's own cache
decides when its platform is asked). One periodic task applies every source, in turn, to the configured departments,
so the two sources add to each other and never undo each other; routing stays pure and gets the result through
`services.config`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence

from huey import crontab

from config.departments import Person
from config.model import SwarmConfig

MemberSource = Callable[[SwarmConfig], SwarmConfig]


def with_members(config: SwarmConfig, extra: Mapping[str, Iterable[Person]]) -> SwarmConfig:
    """A copy of `config` whose departments also list the `extra` people. Anyone already in the configuration (by
    Slack id or by email, whatever its case) is skipped, so a person stays in one department and keeps the skills the
    file gives them; the first source to bring someone in wins."""
    known = {key for d in config.departments.values() for m in d.members for key in _keys(m)}
    departments = {}
    for department_id, department in config.departments.items():
        added = []
        for person in extra.get(department_id, ()):
            keys = _keys(person)
            if not keys & known:
                known |= keys
                added.append(person)
        departments[department_id] = (department.model_copy(update={"members": department.members + tuple(added)})
                                      if added else department)
    return dataclasses.replace(config, departments=departments)


def member_sources(chats: Mapping[str, object], config: SwarmConfig, *, clock) -> list[MemberSource]:
    """The sources this configuration names and the configured platforms can serve (called by the composition root)."""
    sources: list[MemberSource] = []
    slack_client = getattr(chats.get("slack"), "client", None)  # None when every workspace installs through OAuth
    if slack_client is not None and any(d.usergroup for d in config.departments.values()):
        from integrations.slack.directory import SlackDirectory

        sources.append(SlackDirectory(slack_client, clock=clock).config_with_usergroups)
    if "teams" in chats and any(d.entra_group for d in config.departments.values()):
        from integrations.teams.groups import EntraGroups

        teams = chats["teams"]
        sources.append(EntraGroups(teams.graph, directory=teams.directory, clock=clock).config_with_groups)
    return sources


def keep_department_members_fresh(huey, services, sources: Sequence[MemberSource]) -> None:
    """Every minute, give the workflows the configured departments plus every source's members. Nothing is asked
    of Slack or Graph at wiring time."""
    configured = services.config

    def refresh_department_members() -> None:
        config = configured
        for source in sources:
            config = source(config)
        services.config = config

    huey.periodic_task(crontab(minute="*"), name="refresh_department_members")(refresh_department_members)


def _keys(person: Person) -> set[str]:
    return {f"email:{person.email_key}"} | ({f"slack:{person.slack_user_id}"} if person.slack_user_id else set())
