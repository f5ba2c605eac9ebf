"""Sign in with Slack (OpenID Connect, authorization code flow) for the managers on SWARM_DASHBOARD_MANAGERS.

The ID token comes straight from Slack's token endpoint over TLS, so, as OpenID Connect Core 3.1.3.7 allows, its
issuer is trusted from the TLS connection instead of a signature check; its audience, nonce, expiry, workspace
and verified email are still checked.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, redirect, request, session
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from integrations.web.dashboard.auth import safe_next, sign_in
from integrations.web.dashboard.options import DashboardOptions, SlackOidc

SLACK_ISSUER = "https://slack.com"
TEAM_CLAIM = "https://slack.com/team_id"


class SignInRefused(Exception):
    """Slack answered, but this person may not see the dashboard (the message says why)."""


def register_oidc_routes(bp: Blueprint) -> None:
    @bp.get("/login/slack")
    def slack_login():
        options = _options()
        if options.oidc is None:
            abort(404, description="Sign in with Slack is not set up (SWARM_OIDC_CLIENT_ID, SWARM_OIDC_CLIENT_SECRET).")
        session["oidc"] = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
                           "next": request.args.get("next", "")}
        return redirect(authorize_url(options, session["oidc"]["state"], session["oidc"]["nonce"]))

    @bp.get("/login/slack/callback")
    def slack_callback():
        options = _options()
        pending = session.pop("oidc", None)
        if options.oidc is None or not pending or request.args.get("state") != pending["state"]:
            abort(400, description="This sign-in link is stale or was not started here. Start again from the sign-in page.")
        if request.args.get("error"):
            abort(403, description=f"Slack did not sign you in: {request.args['error']}")
        try:
            claims = exchange_code(options, code=request.args.get("code", ""), nonce=pending["nonce"])
        except SignInRefused as refused:
            abort(403, description=str(refused))
        sign_in(name=claims.get("name") or claims["email"], email=claims["email"], via="slack")
        return redirect(safe_next(pending.get("next")))


def redirect_uri(options: DashboardOptions) -> str:
    return f"{options.public_url}/dashboard/login/slack/callback"


def authorize_url(options: DashboardOptions, state: str, nonce: str) -> str:
    oidc = options.oidc
    params = {"response_type": "code", "scope": "openid email profile", "client_id": oidc.client_id,
              "state": state, "nonce": nonce, "redirect_uri": redirect_uri(options)}
    if oidc.team_id:
        params["team"] = oidc.team_id
    return f"{oidc.authorize_url}?{urlencode(params)}"


def exchange_code(options: DashboardOptions, *, code: str, nonce: str) -> dict:
    """Trade the code for an ID token at Slack and return its claims, if this person is an allowed manager."""
    oidc: SlackOidc = options.oidc
    client = WebClient(base_url=oidc.api_url, timeout=10)
    try:
        answer = client.openid_connect_token(client_id=oidc.client_id, client_secret=oidc.client_secret,
                                             code=code, redirect_uri=redirect_uri(options))
    except SlackApiError as error:
        raise SignInRefused(f"Slack refused the sign-in code: {error.response.get('error', 'unknown error')}") from None
    claims = _claims(answer.get("id_token", ""))
    check_claims(claims, options=options, nonce=nonce)
    return claims


def check_claims(claims: dict, *, options: DashboardOptions, nonce: str, now: float | None = None) -> None:
    oidc = options.oidc
    audience = claims.get("aud")
    problems = [
        (claims.get("iss") != SLACK_ISSUER, "the ID token was not issued by Slack"),
        (oidc.client_id not in (audience if isinstance(audience, list) else [audience]), "the ID token is for another app"),
        (claims.get("nonce") != nonce, "the ID token does not belong to this sign-in"),
        (float(claims.get("exp", 0)) < (now or time.time()), "the ID token has expired"),
        (bool(oidc.team_id) and claims.get(TEAM_CLAIM) != oidc.team_id, "you signed in to another Slack workspace"),
        (not claims.get("email") or claims.get("email_verified") is False, "Slack did not share a verified email"),
    ]
    for failed, reason in problems:
        if failed:
            raise SignInRefused(f"Sign-in refused: {reason}.")
    if claims["email"].lower() not in options.managers:
        raise SignInRefused(f"{claims['email']} is not on the dashboard's managers list (SWARM_DASHBOARD_MANAGERS).")


def _claims(id_token: str) -> dict:
    try:
        payload = id_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        raise SignInRefused("Slack sent no readable ID token.") from None


def _options() -> DashboardOptions:
    return current_app.extensions["caseswarm_dashboard"].options
