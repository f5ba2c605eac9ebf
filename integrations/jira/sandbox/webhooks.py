"""Changes a person makes in Jira's UI, applied to the sandbox, and the webhook payloads Jira Cloud sends for them.

Shapes follow Jira Cloud admin webhooks (REST v2 representations: comment bodies are plain strings).
"""

from __future__ import annotations

import time
from typing import Any

from integrations.jira.sandbox.store import PRIORITIES, STATUSES, Comment, Issue, JiraJson, JiraStore, User


def change_status(issue: Issue, status: str) -> list[dict[str, Any]]:
    """Move the issue and return the changelog items (status, and resolution when it changes)."""
    if status not in STATUSES:
        raise ValueError(f"Unknown status {status!r}; the sandbox has: {', '.join(STATUSES)}")
    before_status, before_resolution = issue.status, issue.resolution
    issue.move_to(status)
    items = [_item("status", STATUSES[before_status][0], before_status, STATUSES[status][0], status)]
    if before_resolution != issue.resolution:
        old = before_resolution or (None, None)
        new = issue.resolution or (None, None)
        items.append(_item("resolution", old[0], old[1], new[0], new[1]))
    return items


def change_assignee(store: JiraStore, issue: Issue, assignee: str | None) -> list[dict[str, Any]]:
    """Assign (accountId or display name) or unassign (None); return the changelog item."""
    old = store.users.get(issue.assignee) if issue.assignee else None
    new = store.user(assignee) if assignee else None
    issue.assignee = new.account_id if new else None
    item = _item(
        "assignee",
        old.account_id if old else None,
        old.display_name if old else None,
        new.account_id if new else None,
        new.display_name if new else None,
    )
    item.update(tmpFromAccountId=item["from"], tmpToAccountId=item["to"])
    return [item]


def change_priority(issue: Issue, priority: str) -> list[dict[str, Any]]:
    if priority not in PRIORITIES:
        raise ValueError(f"Unknown priority {priority!r}; the sandbox has: {', '.join(PRIORITIES)}")
    old = issue.priority
    issue.priority = priority
    return [_item("priority", PRIORITIES.get(old or ""), old, PRIORITIES[priority], priority)]


def issue_updated(json: JiraJson, issue: Issue, user: User, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The `jira:issue_updated` payload for a change made by `user`."""
    fields = {item["field"] for item in items}
    if "status" in fields:
        event_type = "issue_generic"
    else:
        event_type = "issue_assigned" if fields == {"assignee"} else "issue_updated"
    return {
        "timestamp": _now_ms(),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": event_type,
        "user": json.user(user.account_id),
        "issue": json.issue(issue, wanted=_WEBHOOK_FIELDS),
        "changelog": {"id": str(_now_ms()), "items": items},
    }


def comment_created(json: JiraJson, issue: Issue, comment: Comment) -> dict[str, Any]:
    """The `comment_created` payload: the comment, and the issue with a few fields."""
    return {
        "timestamp": _now_ms(),
        "webhookEvent": "comment_created",
        "comment": json.comment(issue, comment),
        "issue": json.issue(issue, wanted={"summary", "status", "priority", "assignee", "issuetype", "project"}),
    }


_WEBHOOK_FIELDS = {
    "summary", "description", "status", "priority", "assignee", "reporter", "issuetype", "project", "labels",
    "resolution", "created", "updated",
}


def _item(field: str, from_id: str | None, from_text: str | None, to_id: str | None, to_text: str | None) -> dict:
    return {
        "field": field,
        "fieldtype": "jira",
        "fieldId": field,
        "from": from_id,
        "fromString": from_text,
        "to": to_id,
        "toString": to_text,
    }


def _now_ms() -> int:
    return int(time.time() * 1000)
