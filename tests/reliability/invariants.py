"""What the external systems show after a run, computed from the sandboxes' state and request logs alone.

Each function returns the offending things (empty when all is well), so a failing assertion names them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

CASE_CHANNEL = re.compile(r"^case-(\d+)-")
CASE_LABEL = re.compile(r"^caseswarm-cs-(\d+)$")
MARKER = re.compile(r"caseswarm:([^\]}\n]+)")


# -- Slack ---------------------------------------------------------------------------------------------------------
def channels_by_case(slack) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    for channel in slack.channels():
        if match := CASE_CHANNEL.match(channel["name"]):
            found[int(match.group(1))].append(channel)
    return dict(found)


def cases_with_two_channels(slack) -> dict[int, list[str]]:
    return {n: [c["name"] for c in chs] for n, chs in channels_by_case(slack).items() if len(chs) > 1}


def repeated_posts(slack) -> list[tuple[str, str, int]]:
    """(channel, effect key, copies) for any bot post that appears more than once (summaries, notices, replies)."""
    repeated = []
    for channel in slack.channels():
        keys = Counter(_effect_key(m) for m in slack.messages(channel["id"], include_replies=True))
        keys.pop(None, None)
        repeated += [(channel["name"], key, n) for key, n in keys.items() if n > 1]
    return repeated


def _effect_key(message: dict) -> str | None:
    return (((message.get("metadata") or {}).get("event_payload")) or {}).get("effect_key")


def pin_counts(slack, channel_ids) -> dict[str, int]:
    return {channel_id: len(slack.pins(channel_id)) for channel_id in channel_ids}


def reinvites(slack) -> list[tuple[str, str]]:
    """(channel, user) invited again after an invite call that was answered normally: the app saw it succeed."""
    clean = Counter()
    for call in slack.calls("conversations.invite"):
        if call.fault is None:
            params = call.params
            for user in str(params.get("users", "")).split(","):
                clean[(params.get("channel"), user.strip())] += 1
    return [pair for pair, n in clean.items() if n > 1]


def texts_in(slack, channel_id: str) -> list[str]:
    return [m.get("text") or "" for m in slack.messages(channel_id, include_replies=True)]


# -- Jira and Salesforce ----------------------------------------------------------------------------------------------
def jira_issues_by_case(jira) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for issue in jira.issues():
        for label in issue.labels:
            if match := CASE_LABEL.match(label):
                found[int(match.group(1))].append(issue.key)
    return dict(found)


def jira_markers(jira) -> Counter[tuple[str, str]]:
    """(issue key, marker) → how many comments carry it."""
    return Counter((issue.key, m) for issue in jira.issues() for c in issue.comments for m in MARKER.findall(c.body))


def salesforce_markers(salesforce) -> Counter[tuple[str, str]]:
    """(Case id, marker) → how many case comments carry it."""
    return Counter((c["ParentId"], m) for c in salesforce.records("CaseComment") for m in MARKER.findall(c.get("CommentBody") or ""))


def repeated(markers: Counter) -> list[tuple]:
    return [(key, n) for key, n in markers.items() if n > 1]
