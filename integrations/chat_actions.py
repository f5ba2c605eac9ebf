"""What a person's action in a case channel answers, on any chat platform: the use case called, the reply worded.

`app` is anything with `.store` and `.config` (the Slack listeners' deps, the Teams handlers' container); `who` has
`.user_id`, `.name` and `.department`.
"""

from __future__ import annotations

from swarm.usecases.common import format_duration
from swarm.usecases.decide import record_decision
from swarm.usecases.lifecycle import reopen_case, resolve_case


def decide(app, *, channel_id: str, who, text: str | None, dedupe_key: str, link: str | None = None) -> str:
    result = record_decision(app.store, channel_id=channel_id, text=text, author_id=who.user_id, author_name=who.name,
                             department=who.department, dedupe_key=dedupe_key, link=link)
    return f"Decision recorded on {result.case_key}." if result.created else f"That decision is already recorded on {result.case_key}."


def resolve(app, *, channel_id: str, who, summary: str | None, root_cause: str | None = None,
            root_cause_department: str | None = None) -> str:
    result = resolve_case(app.store, channel_id=channel_id, summary=summary, actor_id=who.user_id, actor_name=who.name,
                          config=app.config, root_cause=root_cause, root_cause_department=root_cause_department)
    if not result.created:
        return f"{result.case_key} is already resolved."
    archive_after = app.config.channel.archive_after
    later = f" The channel will be archived in {format_duration(archive_after.total_seconds())}." if archive_after else ""
    return f"{result.case_key} resolved after {result.time_to_resolve}.{later}"


def reopen(app, *, channel_id: str, who, reason: str = "") -> str:
    key = reopen_case(app.store, channel_id=channel_id, actor_id=who.user_id, actor_name=who.name, reason=reason)
    return f"{key} reopened."
