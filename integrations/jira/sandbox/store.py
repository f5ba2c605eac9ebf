"""The Jira sandbox's state (projects, users, issues, comments, links) and its REST v2 JSON representations."""

from __future__ import annotations

import datetime
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

# A small workflow: To Do → In Progress → Done, To Do → Done, and Done → To Do ("Reopen").
STATUSES: dict[str, tuple[str, str, int, str]] = {
    # name: (id, category key, category id, category name)
    "To Do": ("10000", "new", 2, "To Do"),
    "In Progress": ("10001", "indeterminate", 4, "In Progress"),
    "Done": ("10002", "done", 3, "Done"),
}
TRANSITIONS: dict[str, list[tuple[str, str, str]]] = {
    # from status: [(transition id, transition name, to status)]
    "To Do": [("11", "Start Progress", "In Progress"), ("31", "Done", "Done")],
    "In Progress": [("21", "Stop Progress", "To Do"), ("31", "Done", "Done")],
    "Done": [("41", "Reopen", "To Do")],
}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
ISSUE_TYPES = {"Task": "10001", "Bug": "10002", "Incident": "10003", "Story": "10004"}
RESOLUTION_DONE = ("10000", "Done")

SUMMARY_LIMIT = 255
TEXT_LIMIT = 32_767  # Jira Cloud's limit for comment bodies and descriptions
TEXT_TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
PROPERTY_KEY_LIMIT = 255  # characters
PROPERTY_VALUE_LIMIT = 32_768  # characters of the value as JSON


def jira_time(at: datetime.datetime) -> str:
    """Jira's timestamp format, e.g. 2024-05-01T12:00:00.000+0000."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}" + at.strftime("%z")


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def property_errors(properties: Any) -> list[str]:
    """What Jira refuses in a create call's `properties` (an array of EntityProperty: `key` and `value`, both
    required; key up to 255 characters, value up to 32,768 as JSON). Jira answers these with a 400 that lists them
    under errorMessages (a property is not a field); the wording here is close to Jira's, not a copy."""
    if not isinstance(properties, list):
        return ["Can not deserialize 'properties': expected an array of {\"key\": ..., \"value\": ...} objects."]
    errors: list[str] = []
    for index, prop in enumerate(properties):
        if not isinstance(prop, dict) or set(prop) - {"key", "value"}:
            errors.append(f"properties[{index}]: an entity property has only 'key' and 'value'.")
        elif not isinstance(prop.get("key"), str) or not prop["key"].strip():
            errors.append(f"properties[{index}]: the property key cannot be null or empty.")
        elif len(prop["key"]) > PROPERTY_KEY_LIMIT:
            errors.append(f"The property key cannot be longer than {PROPERTY_KEY_LIMIT} characters.")
        elif prop.get("value") is None:
            errors.append(f"The value of property '{prop['key']}' cannot be empty.")
        elif (length := len(json.dumps(prop["value"]))) > PROPERTY_VALUE_LIMIT:
            errors.append(f"The value of property '{prop['key']}' is too long: {length} characters, the maximum "
                          f"is {PROPERTY_VALUE_LIMIT}.")
    return errors


@dataclass(frozen=True)
class Project:
    id: str
    key: str
    name: str
    issue_types: tuple[str, ...]


@dataclass(frozen=True)
class User:
    account_id: str
    display_name: str
    email: str


@dataclass
class Comment:
    id: str
    author: str  # accountId
    body: str
    created: datetime.datetime


@dataclass
class RemoteLink:
    id: int
    global_id: str | None
    body: dict[str, Any]


@dataclass
class Issue:
    id: str
    key: str
    project: str
    issue_type: str
    summary: str
    description: str | None
    reporter: str
    priority: str | None = "Medium"
    assignee: str | None = None
    status: str = "To Do"
    resolution: tuple[str, str] | None = None
    labels: list[str] = field(default_factory=list)
    created: datetime.datetime = field(default_factory=now)
    updated: datetime.datetime = field(default_factory=now)
    comments: list[Comment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    remote_links: list[RemoteLink] = field(default_factory=list)

    def move_to(self, status: str) -> None:
        """Change status; a done status carries a resolution, leaving it clears the resolution (as Jira does)."""
        self.status = status
        self.resolution = RESOLUTION_DONE if STATUSES[status][1] == "done" else None
        self.updated = now()


class JiraStore:
    """Everything the sandbox knows; callers hold the sandbox lock."""

    def __init__(self, projects: dict[str, tuple[str, tuple[str, ...]]], bot: User) -> None:
        self.projects = {
            key: Project(id=str(10000 + i), key=key, name=name, issue_types=tuple(types))
            for i, (key, (name, types)) in enumerate(projects.items())
        }
        self.users: dict[str, User] = {bot.account_id: bot}
        self.bot = bot
        self.issues: dict[str, Issue] = {}  # by key
        self._issue_ids = itertools.count(10001)
        self._issue_numbers = {key: itertools.count(1) for key in self.projects}
        self._comment_ids = itertools.count(10001)
        self._link_ids = itertools.count(10001)

    # -- lookups ----------------------------------------------------------------------------------------
    def find_issue(self, key_or_id: str) -> Issue | None:
        issue = self.issues.get(key_or_id.upper())
        if issue is None:
            issue = next((i for i in self.issues.values() if i.id == key_or_id), None)
        return issue

    def user(self, who: str) -> User:
        """A user by accountId or display name; an unknown name becomes a new user (convenient for tests)."""
        for user in self.users.values():
            if who in (user.account_id, user.display_name):
                return user
        slug = re.sub(r"[^a-z0-9]+", "-", who.lower()).strip("-") or "user"
        user = User(account_id=f"557058:{slug}", display_name=who, email=f"{slug}@example.com")
        self.users[user.account_id] = user
        return user

    # -- writes -----------------------------------------------------------------------------------------
    def create_issue(self, fields: dict[str, Any], project: Project, issue_type: str) -> Issue:
        number = next(self._issue_numbers[project.key])
        assignee = fields.get("assignee") or {}
        issue = Issue(
            id=str(next(self._issue_ids)),
            key=f"{project.key}-{number}",
            project=project.key,
            issue_type=issue_type,
            summary=fields["summary"],
            description=fields.get("description"),
            reporter=self.bot.account_id,
            priority=(fields.get("priority") or {}).get("name", "Medium"),
            assignee=assignee.get("accountId") or assignee.get("name"),
            labels=list(fields.get("labels") or []),
        )
        self.issues[issue.key] = issue
        return issue

    def add_comment(self, issue: Issue, author: str, body: str) -> Comment:
        comment = Comment(id=str(next(self._comment_ids)), author=author, body=body, created=now())
        issue.comments.append(comment)
        issue.updated = comment.created
        return comment

    def put_remote_link(self, issue: Issue, body: dict[str, Any]) -> tuple[RemoteLink, bool]:
        """Create a link, or update the one with the same globalId (Jira's rule); True if created."""
        global_id = body.get("globalId")
        for link in issue.remote_links:
            if global_id and link.global_id == global_id:
                link.body = body
                return link, False
        link = RemoteLink(id=next(self._link_ids), global_id=global_id, body=body)
        issue.remote_links.append(link)
        return link, True


class JiraJson:
    """REST v2 representations, with `self` URLs under the sandbox's base URL."""

    def __init__(self, store: JiraStore, base_url: str) -> None:
        self.store = store
        self.base = base_url

    def user(self, account_id: str | None) -> dict[str, Any] | None:
        if account_id is None:
            return None
        user = self.store.user(account_id)
        return {
            "self": f"{self.base}/rest/api/2/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "emailAddress": user.email,
            "displayName": user.display_name,
            "active": True,
            "timeZone": "UTC",
            "accountType": "atlassian",
        }

    def status(self, name: str) -> dict[str, Any]:
        status_id, category_key, category_id, category_name = STATUSES[name]
        return {
            "self": f"{self.base}/rest/api/2/status/{status_id}",
            "id": status_id,
            "name": name,
            "statusCategory": {"id": category_id, "key": category_key, "name": category_name},
        }

    def priority(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        return {"self": f"{self.base}/rest/api/2/priority/{PRIORITIES[name]}", "id": PRIORITIES[name], "name": name}

    def project(self, key: str) -> dict[str, Any]:
        project = self.store.projects[key]
        return {
            "self": f"{self.base}/rest/api/2/project/{project.id}", "id": project.id, "key": key, "name": project.name
        }

    def issue_type(self, name: str) -> dict[str, Any]:
        type_id = ISSUE_TYPES.get(name, "10000")
        return {"self": f"{self.base}/rest/api/2/issuetype/{type_id}", "id": type_id, "name": name, "subtask": False}

    def comment(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        return {
            "self": f"{self.base}/rest/api/2/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": self.user(comment.author),
            "body": comment.body,
            "updateAuthor": self.user(comment.author),
            "created": jira_time(comment.created),
            "updated": jira_time(comment.created),
            "jsdPublic": True,
        }

    def comment_page(self, issue: Issue, comments: list[Comment], start_at: int, max_results: int) -> dict[str, Any]:
        page = comments[start_at : start_at + max_results]
        return {
            "startAt": start_at,
            "maxResults": max_results,
            "total": len(comments),
            "comments": [self.comment(issue, c) for c in page],
        }

    def issue_ref(self, issue: Issue) -> dict[str, Any]:
        return {"id": issue.id, "key": issue.key, "self": f"{self.base}/rest/api/2/issue/{issue.id}"}

    def issue(
        self, issue: Issue, wanted: set[str] | None = None, properties: Sequence[str] = ()
    ) -> dict[str, Any]:
        fields = {
            "summary": issue.summary,
            "description": issue.description,
            "status": self.status(issue.status),
            "priority": self.priority(issue.priority),
            "assignee": self.user(issue.assignee),
            "reporter": self.user(issue.reporter),
            "issuetype": self.issue_type(issue.issue_type),
            "project": self.project(issue.project),
            "labels": list(issue.labels),
            "resolution": {"id": issue.resolution[0], "name": issue.resolution[1]} if issue.resolution else None,
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "comment": self.comment_page(issue, issue.comments, 0, 5000),
        }
        if wanted:
            fields = {k: v for k, v in fields.items() if k in wanted}
        body = {"expand": "renderedFields,names,schema,transitions,changelog", **self.issue_ref(issue)}
        body["fields"] = fields
        if properties:
            body["properties"] = {k: issue.properties[k] for k in properties if k in issue.properties}
        return body

    def transition(self, transition_id: str, name: str, to: str) -> dict[str, Any]:
        return {
            "id": transition_id,
            "name": name,
            "to": self.status(to),
            "hasScreen": False,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
        }

    def remote_link_ref(self, issue: Issue, link: RemoteLink) -> dict[str, Any]:
        return {"id": link.id, "self": f"{self.base}/rest/api/2/issue/{issue.key}/remotelink/{link.id}"}

    def remote_link(self, issue: Issue, link: RemoteLink) -> dict[str, Any]:
        return {**self.remote_link_ref(issue, link), **link.body}
