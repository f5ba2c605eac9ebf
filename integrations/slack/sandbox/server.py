"""SlackSandbox: a stateful fake of Slack's Web API that the real slack_sdk WebClient talks to.

    sandbox = SlackSandbox(); sandbox.seed_demo_workspace(); sandbox.start()
    client = WebClient(token=sandbox.bot_token, base_url=sandbox.base_url + "/api/")

Answers like Slack: HTTP 200 with {"ok": true, ...} or {"ok": false, "error": ...}; injected 429s carry Retry-After.
"""

from __future__ import annotations

import copy
import json
import secrets
from typing import Any

from flask import Response, request

from integrations.sandbox.server import Fault, SandboxServer
from integrations.slack.sandbox.ids import SlackError
from integrations.slack.sandbox.messages import SlackMessaging
from integrations.slack.sandbox.seed import seed_demo_workspace
from integrations.slack.sandbox.views import ViewStore
from integrations.slack.sandbox.web_api import METHODS, Params

API_PREFIX = "/api/"
RESPONSE_URL_PREFIX = "/response-url/"


class SlackSandbox(SlackMessaging, SandboxServer):
    """Slack's Web API for one workspace and one bot token, plus response_url endpoints."""

    name = "slack"

    def __init__(self, bot_token: str = "xoxb-sandbox-token", team_id: str = "T0SANDBOX",
                 team_domain: str = "caseswarm-sandbox") -> None:
        SandboxServer.__init__(self)
        SlackMessaging.__init__(self, team_id=team_id, team_domain=team_domain, lock=self.lock)
        self.bot_token = bot_token
        self.view_store = ViewStore(lock=self.lock, team_id=team_id, app_id=self.app_id, bot_id=self.bot_id)
        self._response_urls: dict[str, dict[str, str | None]] = {}
        self._responses: list[dict[str, Any]] = []
        self.app.add_url_rule(f"{API_PREFIX}<path:method>", "web_api", self._web_api, methods=["GET", "POST"])
        self.app.add_url_rule(f"{RESPONSE_URL_PREFIX}<token>", "response_url", self._response_url, methods=["POST"])

    # -- helpers for tests and the demo ---------------------------------------------------------------------
    def seed_demo_workspace(self) -> None:
        """Add the demo company's people, user groups, #support and #swarm-managers (see seed.py)."""
        seed_demo_workspace(self)

    def issue_trigger_id(self, user_id: str | None = None) -> str:
        """A trigger id as an interaction payload carries: views.open accepts it once, within trigger_ttl s."""
        return self.view_store.issue_trigger_id(user_id)

    @property
    def trigger_ttl(self) -> float:
        return self.view_store.trigger_ttl

    @trigger_ttl.setter
    def trigger_ttl(self, seconds: float) -> None:
        # Tests shorten it to see expired_trigger_id without sleeping 3 s.
        self.view_store.trigger_ttl = seconds

    def views(self) -> list[dict[str, Any]]:
        """Every views.open/update/push/publish in order: {action, id, trigger_id, user_id, view}."""
        return self.view_store.views()

    def view(self, view_id: str) -> dict[str, Any]:
        """The view as it stands now (KeyError if unknown)."""
        return self.view_store.view(view_id)

    def view_opened_with(self, trigger_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
        """The views.open made with `trigger_id`, once it arrives: an app may answer a shortcut first and open its
        form right after (as Slack recommends), so the answer to the shortcut does not mean the form is open."""
        opened = self.view_store.opened_with(trigger_id, timeout=timeout)
        if opened is None:
            raise TimeoutError(f"no views.open with trigger {trigger_id} within {timeout} s")
        return opened

    def view_user(self, view_id: str) -> str | None:
        """The user a modal was opened for (from its trigger id)."""
        return self.view_store.view_owner(view_id)

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        return self.view_store.home_views

    def issue_response_url(self, *, channel_id: str | None, user_id: str) -> str:
        """A response_url as interaction payloads carry; what the app posts there is kept in `responses`."""
        token = secrets.token_urlsafe(12)
        with self.lock:
            self._response_urls[token] = {"channel_id": channel_id, "user_id": user_id}
        return f"{self.base_url}{RESPONSE_URL_PREFIX}{token}"

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Bodies posted to response_urls: {channel_id, user_id, body}."""
        with self.lock:
            return copy.deepcopy(self._responses)

    # -- SandboxServer hooks --------------------------------------------------------------------------------
    def method_name(self) -> str:
        if request.path.startswith(API_PREFIX):
            return request.path[len(API_PREFIX):]
        if request.path.startswith(RESPONSE_URL_PREFIX):
            return "response_url"
        return super().method_name()

    def fault_response(self, fault: Fault) -> Response:
        """429 as Slack sends it (JSON ratelimited + Retry-After); other statuses with a plain body."""
        if fault.status == 429:
            body = fault.body if fault.body is not None else {"ok": False, "error": "ratelimited"}
            response = Response(json.dumps(body), status=429, mimetype="application/json")
            response.headers["Retry-After"] = _seconds(fault.retry_after if fault.retry_after is not None else 1)
        elif isinstance(fault.body, (dict, list)):
            response = Response(json.dumps(fault.body), status=fault.status, mimetype="application/json")
        else:
            text = fault.body if fault.body is not None else f"{fault.status} injected by the Slack sandbox"
            response = Response(str(text), status=fault.status, mimetype="text/plain")
        response.headers.update(fault.headers)
        return response

    # -- routes ---------------------------------------------------------------------------------------------
    def _web_api(self, method: str) -> Response:
        handler = METHODS.get(method)
        params = _call_params()
        if handler is None:
            body = {"ok": False, "error": "unknown_method", "req_method": method}
        elif (auth_error := self._auth_error(params)) is not None:
            body = {"ok": False, "error": auth_error}
        else:
            body = self._answer(handler, params)
        return Response(json.dumps(body), status=200, mimetype="application/json")

    def _answer(self, handler: Any, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return {"ok": True, **handler(self, Params(params))}
        except SlackError as error:
            return error.body()

    def _auth_error(self, params: dict[str, Any]) -> str | None:
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else params.get("token")
        if not token:
            return "not_authed"
        return None if token == self.bot_token else "invalid_auth"

    def _response_url(self, token: str) -> Response:
        with self.lock:
            target = self._response_urls.get(token)
        if target is None:
            return Response("invalid_token", status=404, mimetype="text/plain")
        body = request.get_json(silent=True) or _call_params()
        with self.lock:
            self._responses.append({**target, "body": body})
        self._show_response(target, body)
        return Response("ok", status=200, mimetype="text/plain")

    def _show_response(self, target: dict[str, str | None], body: dict[str, Any]) -> None:
        # In Slack an in_channel response is a bot message; the default response is ephemeral to the user.
        channel_id, user_id = target["channel_id"], target["user_id"]
        if not channel_id or not (body.get("text") or body.get("blocks")):
            return
        try:
            if body.get("response_type") == "in_channel":
                self.post_message(channel_id, text=body.get("text"), blocks=body.get("blocks"))
            elif not (body.get("delete_original") or body.get("replace_original")):
                self.post_ephemeral(channel_id, user_id or "", text=body.get("text"), blocks=body.get("blocks"))
        except SlackError:
            pass  # recorded in `responses` anyway; Slack would not show it either


def _call_params() -> dict[str, Any]:
    """Query string, then form or JSON body: slack_sdk uses each for different methods."""
    values: dict[str, Any] = dict(request.args)
    if request.is_json:
        body = request.get_json(silent=True)
        values.update(body if isinstance(body, dict) else {})
    else:
        values.update(request.form.to_dict())
    return values


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
