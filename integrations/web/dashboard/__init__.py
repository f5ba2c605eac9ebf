"""The managers' dashboard: overview, timings, load, case pages, search, CSV exports, a JSON API and /metrics.

Wire it into the Flask app once, at start-up: `register_dashboard(app, container)`.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from integrations.web.dashboard.api import register_api_routes
from integrations.web.dashboard.auth import csrf_token, current_user, guard, register_auth_routes
from integrations.web.dashboard.oidc import register_oidc_routes
from integrations.web.dashboard.options import DashboardOptions, dashboard_login_token, options_from_settings
from integrations.web.dashboard.pages import DashboardContext
from integrations.web.dashboard.prometheus import register_metrics_route
from integrations.web.dashboard.tables import html_value
from integrations.web.dashboard.views import register_page_routes
from swarm.store.tables import utcnow

__all__ = ["register_dashboard", "dashboard_login_token", "DashboardOptions"]


def register_dashboard(app: Flask, container, *, options: DashboardOptions | None = None, clock=None) -> None:
    """Add /dashboard/... and /metrics to `app`; options default to the container's settings. Calling it again
    on the same app only replaces the options and the clock (tests do, on an app create_app already wired)."""
    options = options or options_from_settings(container)
    app.secret_key = options.secret_key  # the dashboard's sessions are the app's only sessions
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=options.secure_cookies,
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=options.session_hours))
    app.extensions["caseswarm_dashboard"] = DashboardContext(container, options, clock or utcnow)
    if "dashboard" in app.blueprints:
        return  # already wired (by create_app): the views read options and clock from app.extensions, now replaced

    bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
                   static_folder="static", static_url_path="/static")
    bp.before_request(guard)
    bp.after_request(_private_headers)
    bp.context_processor(lambda: {"csrf_token": csrf_token, "current_user": current_user, "cell": html_value})
    bp.register_error_handler(HTTPException, _error_page)
    for register in (register_auth_routes, register_oidc_routes, register_page_routes, register_api_routes):
        register(bp)
    app.register_blueprint(bp)

    metrics_bp = Blueprint("metrics", __name__)
    register_metrics_route(metrics_bp)
    app.register_blueprint(metrics_bp)


def _private_headers(response):
    # Pages carry customer data: never cache them, never frame them, run no script at all.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    return response


def _error_page(error: HTTPException):
    if request.path.startswith("/dashboard/api/"):
        return jsonify(error=error.description), error.code
    return render_template("dashboard/error.html", error=error, page="error"), error.code
