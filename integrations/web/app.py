"""Flask application factory. Routes only translate HTTP into the Bolt app or a use case."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from flask import Flask, jsonify, request
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

log = logging.getLogger("caseswarm.web")


def create_app(container) -> Flask:
    app = Flask("caseswarm")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # Slack payloads are far smaller; refuse anything bigger
    _slack_routes(app, container)
    if container.settings.jira_webhook_secret is not None:
        from integrations.jira import webhook

        webhook.register(app, container)

    from integrations.web.case_links import register_case_links
    from integrations.web.dashboard import register_dashboard

    register_case_links(app, container)
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
    from slack_bolt.adapter.flask.handler import to_flask_response

    from integrations.payloads import BadPayload
    from integrations.slack import inbound
    from integrations.slack.app import build_bolt_app

    handler = SlackRequestHandler(build_bolt_app(container))
    verifier = SignatureVerifier(container.settings.slack_signing_secret.get_secret_value())

    @app.post("/slack/events")
    def slack_events():
        # Bolt parses the body before it checks the signature, so a malformed unsigned body would be a 500:
        # verify first, here, and only then let Bolt parse.
        if not _signed_by_slack(verifier, request):
            return jsonify(error="invalid or missing Slack signature"), 401
        # Signed, but Bolt and the listeners trust the shape of what Slack sends: hold the body against it first.
        try:
            inbound.check(request.get_data(cache=True), _content_type(request))
        except BadPayload as exc:
            log.warning("slack.malformed_payload reason=%s", exc)
            return jsonify(error=f"not a request Slack sends: {exc}"), 400
        rewritten = inbound.rewritten_for_bolt(request, verifier)  # a form Bolt would misread, re-encoded
        return handler.handle(request) if rewritten is None else to_flask_response(handler.app.dispatch(rewritten))

    if container.settings.slack_distribution_enabled:
        from integrations.slack.distribution import register_install_routes

        register_install_routes(app, handler)  # GET /slack/install and /slack/oauth_redirect: a browser, unsigned


def _content_type(req) -> str:
    return req.headers.get("Content-Type", "").split(";")[0]


def _signed_by_slack(verifier: SignatureVerifier, req) -> bool:
    body = req.get_data(cache=True)
    try:
        return verifier.is_valid_request(body, dict(req.headers))
    except UnicodeDecodeError:
        # slack_sdk decodes the body before hashing it, but Slack signs bytes: check those, so that a signed body
        # which is not UTF-8 is refused for what it is (400, by inbound.check), not as unsigned.
        return _signed_bytes(verifier, body, req.headers)
    except (ValueError, TypeError):  # e.g. a timestamp that is not a number
        return False


def _signed_bytes(verifier: SignatureVerifier, body: bytes, headers) -> bool:
    timestamp, signature = headers.get("X-Slack-Request-Timestamp", ""), headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 5 * 60:  # Slack's replay window, as slack_sdk
        return False
    digest = hmac.new(verifier.signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest(f"v0={digest.hexdigest()}", signature)
