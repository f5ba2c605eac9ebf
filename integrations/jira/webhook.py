"""POST /webhooks/jira: Jira's admin webhooks, HMAC-verified before anything is read or written."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Literal

from flask import Flask, jsonify, request
from pydantic import StringConstraints

from integrations.jira.ticketing import is_own_comment
from integrations.payloads import BadPayload, Shape, load_json, validate
from swarm.usecases.ticket_events import TicketChange, TicketEvent, record_ticket_event

WATCHED_FIELDS = ("status", "assignee", "priority")
ACTOR_MAX = 200  # what the timeline keeps of a name (Jira allows 255)
DELIVERY_ID_MAX = 128  # Jira's identifiers are UUIDs; ours are remembered as inbound_deliveries keys
ADF_DEPTH_MAX = 50  # real comments nest a few levels (a list in a table cell); the text is read recursively


def register(app: Flask, container) -> None:
    secret = container.settings.jira_webhook_secret.get_secret_value().encode()

    @app.post("/webhooks/jira")
    def jira_webhook():
        body = request.get_data(cache=True)
        if not signature_ok(secret, body, request.headers.get("X-Hub-Signature", "")):
            return jsonify(error="invalid or missing X-Hub-Signature (HMAC-SHA256 of the body with the webhook secret)"), 401
        delivery = request.headers.get("X-Atlassian-Webhook-Identifier") or hashlib.sha256(body).hexdigest()
        try:
            if len(delivery) > DELIVERY_ID_MAX:
                raise BadPayload(f"X-Atlassian-Webhook-Identifier is longer than {DELIVERY_ID_MAX} characters")
            event = parse_event(load_json(_text(body)), delivery_id=delivery)
        except BadPayload as exc:
            return jsonify(error=f"not a Jira webhook payload: {exc}"), 400
        if event is None:
            return jsonify(status="ignored")
        return jsonify(status=record_ticket_event(container.store, event=event))


def signature_ok(secret: bytes, body: bytes, header: str) -> bool:
    algorithm, _, given = header.partition("=")
    if algorithm != "sha256" or not given:
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip())


# -- the fields the swarm reads, with the types Jira sends them in ------------------------------------------------------
class JiraUser(Shape):
    displayName: str | None = None


class StatusCategory(Shape):
    key: str | None = None


class Status(Shape):
    statusCategory: StatusCategory | None = None


class IssueFields(Shape):
    status: Status | None = None


class Issue(Shape):
    key: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    fields: IssueFields | None = None


class ChangeItem(Shape):
    field: str | None = None
    fromString: str | None = None
    toString: str | None = None


class Changelog(Shape):
    items: list[ChangeItem] | None = None


class AdfNode(Shape):
    """A node of an Atlassian Document Format comment (REST v3 webhooks)."""

    type: str = ""
    text: str = ""
    content: list[AdfNode] = []


class Comment(Shape):
    body: str | AdfNode | None = None
    author: JiraUser | None = None


class CommentCreated(Shape):
    webhookEvent: Literal["comment_created"]
    issue: Issue
    comment: Comment | None = None


class IssueUpdated(Shape):
    webhookEvent: Literal["jira:issue_updated"]
    issue: Issue
    user: JiraUser | None = None
    changelog: Changelog | None = None


def parse_event(payload: object, *, delivery_id: str) -> TicketEvent | None:
    """The parts of issue-updated and comment-created webhooks the swarm cares about; None for any other event;
    BadPayload (a 400) when a field the swarm reads does not have the type Jira sends it in."""
    if not isinstance(payload, dict):
        raise BadPayload("expected a JSON object")
    kind = payload.get("webhookEvent")
    if kind == "comment_created":
        return _comment_event(validate(CommentCreated, payload), delivery_id)
    if kind == "jira:issue_updated":
        return _update_event(validate(IssueUpdated, payload), delivery_id)
    return None


def _comment_event(event: CommentCreated, delivery_id: str) -> TicketEvent | None:
    comment = event.comment or Comment()
    body = comment.body
    if isinstance(body, AdfNode):
        if _depth(body) > ADF_DEPTH_MAX:
            raise BadPayload(f"comment.body nests deeper than {ADF_DEPTH_MAX} levels")
        body = body.model_dump(exclude_unset=True)
    if body is None or is_own_comment(body):
        return None  # our own decision or status note coming back
    text = body if isinstance(body, str) else _adf_text(body)
    return TicketEvent(delivery_id=delivery_id, ticket_key=event.issue.key, actor=_name(comment.author),
                       comment=text[:3000])


def _update_event(event: IssueUpdated, delivery_id: str) -> TicketEvent | None:
    items = (event.changelog.items if event.changelog else None) or []
    changes = tuple(TicketChange(i.field, i.fromString, i.toString) for i in items if i.field in WATCHED_FIELDS)
    if not changes:
        return None
    fields = event.issue.fields
    category = fields.status.statusCategory if fields and fields.status else None
    moved_to_done = bool(category and category.key == "done") and any(c.field == "status" for c in changes)
    return TicketEvent(delivery_id=delivery_id, ticket_key=event.issue.key, actor=_name(event.user), changes=changes,
                       now_done=moved_to_done)


def _name(user: JiraUser | None) -> str:
    return ((user.displayName if user else None) or "someone")[:ACTOR_MAX]


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload("the body is not UTF-8 text") from None


def _depth(node: AdfNode) -> int:
    deepest, pending = 0, [(node, 1)]
    while pending:
        current, depth = pending.pop()
        deepest = max(deepest, depth)
        pending += [(child, depth + 1) for child in current.content or []]
    return deepest


def _adf_text(node) -> str:
    """Plain text of an Atlassian Document Format comment (Jira Cloud REST v3 webhooks)."""
    if isinstance(node, dict):
        if node.get("type") == "text":
            return node.get("text", "")
        parts = [_adf_text(child) for child in node.get("content", [])]
        return ("\n" if node.get("type") in ("doc",) else "").join(parts)
    return ""
