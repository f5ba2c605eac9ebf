"""The Slack sandbox plus the OAuth v2 install flow, for testing distribution to many workspaces.

The sandbox answers one workspace's Web API; this subclass adds what Slack does when someone installs an app:
the authorize page (which, after the person approves, redirects to the app with a one-time code) and
oauth.v2.access (code + client credentials → a bot token for the chosen workspace). Tokens it issues are then
accepted by every Web API method, and auth.test names the workspace the token belongs to.
"""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import parse_qsl, urlencode

from flask import Response, redirect, request

from integrations.slack.sandbox import SlackSandbox


class OAuthSlackSandbox(SlackSandbox):
    def __init__(self, *, client_id: str, client_secret: str, app_id: str = "A0CASESWARM", **kwargs) -> None:
        super().__init__(**kwargs)
        self.client_id, self.client_secret, self.oauth_app_id = client_id, client_secret, app_id
        self._codes: dict[str, dict] = {}  # one-time code → the approval it stands for
        self.issued: dict[str, str] = {}  # bot token → team id
        self.app.add_url_rule("/oauth/v2/authorize", "oauth_authorize", self._authorize, methods=["GET"])

    # -- what a person does in the browser ------------------------------------------------------------------
    def _authorize(self) -> Response:
        """The person picked a workspace (`team`, a test's stand-in for Slack's picker) and pressed Allow."""
        args = request.args
        if args.get("client_id") != self.client_id:
            return Response("invalid_client_id", status=400, mimetype="text/plain")
        team = args.get("team", self.team_id)
        code = secrets.token_hex(8)
        with self.lock:
            self._codes[code] = {"team": team, "scope": args.get("scope", ""), "redirect_uri": args.get("redirect_uri"),
                                 "user": args.get("user", "UAGENT001")}
        target = args.get("redirect_uri") or ""
        return redirect(f"{target}?{urlencode({'code': code, 'state': args.get('state', '')})}", code=302)

    # -- the Web API --------------------------------------------------------------------------------------------
    def _web_api(self, method: str) -> Response:
        if method == "oauth.v2.access":
            return _json(self._oauth_v2_access())
        if method == "auth.test" and (team := self.issued.get(_bearer())):
            body = json.loads(super()._web_api(method).get_data())
            return _json({**body, "team_id": team, "team": f"Workspace {team}"} if body.get("ok") else body)
        return super()._web_api(method)

    def _auth_error(self, params: dict) -> str | None:
        token = _bearer() or params.get("token")
        return None if token in self.issued else super()._auth_error(params)

    def _oauth_v2_access(self) -> dict:
        params = dict(parse_qsl(request.get_data(as_text=True)))
        client_id, client_secret = _basic_auth() or (params.get("client_id"), params.get("client_secret"))
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        with self.lock:
            grant = self._codes.pop(params.get("code", ""), None)  # a code works once
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        if grant["redirect_uri"] and params.get("redirect_uri") != grant["redirect_uri"]:
            return {"ok": False, "error": "bad_redirect_uri"}
        token = f"xoxb-{grant['team']}-{secrets.token_hex(12)}"
        with self.lock:
            self.issued[token] = grant["team"]
        return {"ok": True, "access_token": token, "token_type": "bot", "scope": grant["scope"],
                "bot_user_id": self.bot_user_id, "app_id": self.oauth_app_id,
                "team": {"id": grant["team"], "name": f"Workspace {grant['team']}"}, "enterprise": None,
                "is_enterprise_install": False, "authed_user": {"id": grant["user"]}}

    def tokens_used(self, method: str) -> list[str]:
        """The bearer token of each call of `method`, in order (which workspace's token the app used)."""
        return [r.headers.get("Authorization", "")[len("Bearer "):] for r in self.calls(method)]


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer "):] if header.startswith("Bearer ") else ""


def _basic_auth() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[len("Basic "):]).decode().partition(":")
    return user, password


def _json(body: dict) -> Response:
    return Response(json.dumps(body), status=200, mimetype="application/json")

