"""POST /webhooks/jira: Jira's admin webhooks, HMAC-verified before anything is read or written."""

from __future__ import annotations

import hashlib
import hmac
import json

from flask import Flask, jsonify, request

from integrations.jira.ticketing import is_own_comment
from swarm.usecases.ticket_events import TicketChange, TicketEvent, record_ticket_event

WATCHED_FIELDS = ("status", "assignee", "priority")


class BadPayload(ValueError):
    """A webhook body that is not what Jira sends."""


def register(app: Flask, container) -> None:
    secret = container.settings.jira_webhook_secret.get_secret_value().encode()

    @app.post("/webhooks/jira")
    def jira_webhook():
        body = request.get_data(cache=True)
        if not signature_ok(secret, body, request.headers.get("X-Hub-Signature", "")):
            return jsonify(error="invalid or missing X-Hub-Signature (HMAC-SHA256 of the body with the webhook secret)"), 401
        delivery = request.headers.get("X-Atlassian-Webhook-Identifier") or hashlib.sha256(body).hexdigest()
        try:
            event = parse_event(json.loads(body), delivery_id=delivery)
        except (ValueError, BadPayload) as exc:
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


def parse_event(payload: dict, *, delivery_id: str) -> TicketEvent | None:
    """The parts of issue-updated and comment-created webhooks the swarm cares about; None for anything else."""
    if not isinstance(payload, dict):
        raise BadPayload("expected a JSON object")
    kind = payload.get("webhookEvent")
    issue = payload.get("issue") or {}
    if not isinstance(issue, dict):
        raise BadPayload("issue must be an object")
    key = issue.get("key")
    if kind not in ("jira:issue_updated", "comment_created"):
        return None
    if not isinstance(key, str) or not key:
        raise BadPayload("issue.key is missing")
    if kind == "comment_created":
        return _comment_event(payload, key, delivery_id)
    return _update_event(payload, issue, key, delivery_id)


def _comment_event(payload: dict, key: str, delivery_id: str) -> TicketEvent | None:
    comment = payload.get("comment") or {}
    body = comment.get("body")
    if body is None or is_own_comment(body):
        return None  # our own decision or status note coming back
    text = body if isinstance(body, str) else _adf_text(body)
    author = (comment.get("author") or {}).get("displayName") or "someone"
    return TicketEvent(delivery_id=delivery_id, ticket_key=key, actor=author, comment=text[:3000])


def _update_event(payload: dict, issue: dict, key: str, delivery_id: str) -> TicketEvent | None:
    items = (payload.get("changelog") or {}).get("items") or []
    changes = tuple(TicketChange(i.get("field"), i.get("fromString"), i.get("toString"))
                    for i in items if isinstance(i, dict) and i.get("field") in WATCHED_FIELDS)
    if not changes:
        return None
    status = ((issue.get("fields") or {}).get("status") or {})
    done = (status.get("statusCategory") or {}).get("key") == "done"
    moved_to_done = done and any(c.field == "status" for c in changes)
    actor = (payload.get("user") or {}).get("displayName") or "someone"
    return TicketEvent(delivery_id=delivery_id, ticket_key=key, actor=actor, changes=changes, now_done=moved_to_done)


def _adf_text(node) -> str:
    """Plain text of an Atlassian Document Format comment (Jira Cloud REST v3 webhooks)."""
    if isinstance(node, dict):
        if node.get("type") == "text":
            return node.get("text", "")
        parts = [_adf_text(child) for child in node.get("content", [])]
        return ("\n" if node.get("type") in ("doc",) else "").join(parts)
    return ""
