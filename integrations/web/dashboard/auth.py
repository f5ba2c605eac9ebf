"""Who may see the dashboard: token sign-in, the session cookie, CSRF tokens, and the guard on every page.

Nobody sees customer data without signing in: pages and CSV exports redirect to the sign-in form, the JSON API
answers 401. Every POST carries the session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for

PUBLIC_ENDPOINTS = {"login", "login_submit", "slack_login", "slack_callback", "static"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_token() -> str:
    """This session's CSRF token (made on first use); templates put it in every form."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def current_user() -> dict | None:
    return session.get("user")


def sign_in(*, name: str, email: str | None, via: str) -> None:
    # A fresh session on sign-in, so a session id planted before sign-in (fixation) is worthless.
    session.clear()
    session.permanent = True
    session["user"] = {"name": name, "email": email, "via": via,
                       "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    csrf_token()


def safe_next(target: str | None) -> str:
    """Only paths inside the dashboard, so the sign-in form cannot be used to bounce people to another site."""
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and parts.path.startswith("/dashboard") and "\\" not in target:
        return target
    return url_for("dashboard.overview")


def guard() -> object | None:
    """before_request for the dashboard blueprint: check CSRF on writes, then that someone is signed in."""
    if request.method in UNSAFE_METHODS:
        _check_csrf()
    endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
    if endpoint in PUBLIC_ENDPOINTS or current_user():
        return None
    if request.path.startswith("/dashboard/api/"):
        return jsonify(error="Sign in first: open /dashboard/login in a browser (or send the session cookie)."), 401
    return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))


def _check_csrf() -> None:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="The form's security token is missing or out of date. Reload the page and try again.")


def register_auth_routes(bp: Blueprint) -> None:
    @bp.get("/login")
    def login():
        if current_user():
            return redirect(safe_next(request.args.get("next")))
        return _login_page()

    @bp.post("/login")
    def login_submit():
        options = current_app.extensions["caseswarm_dashboard"].options
        given = (request.form.get("token") or "").strip()
        if not hmac.compare_digest(given.encode(), options.login_token.encode()):
            return _login_page(error="That sign-in token is not right. Use the token `swarm serve` printed.", status=401)
        sign_in(name="Local manager", email=None, via="token")
        return redirect(safe_next(request.form.get("next")))

    @bp.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("dashboard.login"))


def _login_page(*, error: str | None = None, status: int = 200):
    options = current_app.extensions["caseswarm_dashboard"].options
    html = render_template("dashboard/login.html", error=error, next=request.values.get("next", ""),
                           slack_enabled=options.oidc is not None)
    return html, status
