"""Flask application factory. Routes only translate HTTP into the Bolt app or a use case."""

from __future__ import annotations

from flask import Flask, jsonify, request
from slack_bolt.adapter.flask import SlackRequestHandler
from sqlalchemy import text


def create_app(container) -> Flask:
    app = Flask("caseswarm")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # Slack payloads are far smaller; refuse anything bigger
    _slack_routes(app, container)
    if container.settings.jira_webhook_secret is not None:
        from integrations.jira import webhook

        webhook.register(app, container)

    from integrations.web.dashboard import register_dashboard

    register_dashboard(app, container)

    @app.get("/healthz")
    def healthz():
        with container.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return jsonify(status="ok", slack=bool(container.chats.get("slack")))

    return app


def _slack_routes(app: Flask, container) -> None:
    if "slack" not in container.chats or container.settings.slack_signing_secret is None:
        return
    from integrations.slack.app import build_bolt_app

    handler = SlackRequestHandler(build_bolt_app(container))

    @app.post("/slack/events")
    def slack_events():
        return handler.handle(request)
