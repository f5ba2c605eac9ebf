"""The weekly digest, posted to the managers' channel on Monday morning: last week's swarms, timings per
department, SLA compliance, and the root causes that cost the most (what to fix upstream)."""

from __future__ import annotations

from huey import crontab

from swarm.digest import weekly_digest
from swarm.ports import Notice
from swarm.root_causes import root_cause_report
from workflows.steps import WorkflowServices


def post_weekly_digest(services: WorkflowServices) -> str | None:
    """Post last week's digest once (found again by its effect key if an earlier run posted it); the message id."""
    channel = services.config.channel.managers_channel
    chat = services.chats.get("slack")
    if not channel or chat is None:
        return None
    with services.store.read() as session:
        digest = weekly_digest(session, config=services.config, now=services.clock())
        causes = root_cause_report(session, since=digest.since, until=digest.until)[:3]
    key = f"digest-{digest.since:%Y-%m-%d}"
    if (posted := chat.find_posted(channel, key)) is not None:
        return posted  # several workers each run periodic tasks: the first one posts
    return chat.post(channel, Notice(digest_text(digest.text, causes, services.config)), effect_key=key)


def digest_text(text: str, causes, config) -> str:
    if not causes:
        return text
    labels = config.resolution.root_causes
    lines = [f"• {labels.get(c.cause, c.cause)} ({config.departments[c.department].name if c.department in config.departments else c.department}): "
             f"{c.cases} case{'s' if c.cases != 1 else ''}, {c.swarm_hours} swarm hours ({c.trend:+d} vs the week before)"
             for c in causes]
    return text + "\n*Top root causes*\n" + "\n".join(lines)


def register_weekly_digest(huey, services: WorkflowServices) -> None:
    """Mondays 08:00 UTC on the huey consumer (called by the composition root)."""
    huey.periodic_task(crontab(day_of_week="1", hour="8", minute="0"), name="weekly_digest")(
        lambda: post_weekly_digest(services))
