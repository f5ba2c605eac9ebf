"""SlackDriver: plays Slack's side toward our app, sending signed requests shaped exactly as Slack sends them.

Interactive payloads go form-encoded as `payload=<json>`, slash commands as form fields, events as JSON.
Messages, views and trigger ids come from the sandbox, so what the app receives matches what it created.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from integrations.slack.sandbox.server import SlackSandbox
from integrations.slack.sandbox.view_state import view_state_values

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class SlackDriver:
    """Sends Slack's shortcuts, commands, view submissions, button clicks and events to `app_url`."""

    def __init__(self, sandbox: SlackSandbox, app_url: str, signing_secret: str, *,
                 api_app_id: str = "A0CASESWARM", timeout: float = 10, team_id: str | None = None) -> None:
        self.sandbox = sandbox
        self.team_id = team_id or sandbox.team_id  # the workspace the requests come from (one app, many installs)
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.api_app_id = api_app_id
        self.timeout = timeout
        self.last_payload: dict[str, Any] | None = None
        self._http = requests.Session()
        self._http.trust_env = False  # never route 127.0.0.1 through a proxy from the environment

    # -- shortcuts and commands -----------------------------------------------------------------------------
    def message_shortcut(self, *, user_id: str, channel_id: str, message_ts: str,
                         callback_id: str = "escalate_to_swarm") -> requests.Response:
        """The user picks our shortcut in a message's context menu ("message_action")."""
        message = self._message(channel_id, message_ts)
        payload = {
            "type": "message_action", "token": "sandbox-verification-token", "action_ts": _action_ts(),
            "team": self._team(), "user": self._user(user_id), "channel": self._channel(channel_id),
            "is_enterprise_install": False, "enterprise": None, "callback_id": callback_id,
            "trigger_id": self.sandbox.issue_trigger_id(user_id), "message_ts": message_ts, "message": message,
            "response_url": self.sandbox.issue_response_url(channel_id=channel_id, user_id=user_id),
        }
        return self.send_interactive(payload)

    def global_shortcut(self, *, user_id: str, callback_id: str) -> requests.Response:
        """The user picks our shortcut from the shortcuts menu ("shortcut": no channel, no response_url)."""
        payload = {
            "type": "shortcut", "token": "sandbox-verification-token", "action_ts": _action_ts(),
            "team": self._team(), "user": self._user(user_id), "is_enterprise_install": False,
            "enterprise": None, "callback_id": callback_id, "trigger_id": self.sandbox.issue_trigger_id(user_id),
        }
        return self.send_interactive(payload)

    def slash_command(self, *, user_id: str, channel_id: str, text: str, command: str = "/swarm") -> requests.Response:
        """A slash command: form fields, not a JSON payload."""
        fields = {
            "token": "sandbox-verification-token", "team_id": self.team_id,
            "team_domain": self.sandbox.team_domain, "channel_id": channel_id,
            "channel_name": self._channel(channel_id)["name"], "user_id": user_id,
            "user_name": self._user(user_id)["username"], "command": command, "text": text,
            "api_app_id": self.api_app_id, "is_enterprise_install": "false",
            "response_url": self.sandbox.issue_response_url(channel_id=channel_id, user_id=user_id),
            "trigger_id": self.sandbox.issue_trigger_id(user_id),
        }
        self.last_payload = fields
        return self.post_raw(urlencode(fields).encode(), content_type=FORM)

    # -- views and buttons ----------------------------------------------------------------------------------
    def build_view_submission(self, view_id: str, *, user_id: str,
                              values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The view_submission payload for the sandbox's view, with `values` (action_id → value) typed in."""
        view = self.sandbox.view(view_id)
        view["state"] = {"values": view_state_values(view["blocks"], values or {})}
        if self.team_id != self.sandbox.team_id:  # a view opened by the app in another workspace that installed it
            view.update(team_id=self.team_id, app_installed_team_id=self.team_id)
        return {
            "type": "view_submission", "team": self._team(), "user": self._user(user_id),
            "api_app_id": self.api_app_id, "token": "sandbox-verification-token",
            "trigger_id": self.sandbox.issue_trigger_id(user_id), "view": view, "response_urls": [],
            "is_enterprise_install": False, "enterprise": None,
        }

    def submit_view(self, view_id: str, *, user_id: str, values: dict[str, Any] | None = None) -> requests.Response:
        """The user presses the modal's submit button."""
        return self.send_interactive(self.build_view_submission(view_id, user_id=user_id, values=values))

    def click_button(self, *, user_id: str, channel_id: str, message_ts: str, action_id: str,
                     value: str | None = None, block_id: str | None = None) -> requests.Response:
        """The user clicks a button in a message ("block_actions")."""
        message = self._message(channel_id, message_ts)
        found_block_id, element = _find_action(message.get("blocks", []), action_id, block_id)
        action = {
            "type": element.get("type", "button"), "action_id": action_id, "block_id": found_block_id,
            "text": element.get("text", {"type": "plain_text", "text": action_id}),
            "value": value if value is not None else element.get("value"), "action_ts": _action_ts(),
        }
        payload = {
            "type": "block_actions", "user": self._user(user_id), "api_app_id": self.api_app_id,
            "token": "sandbox-verification-token",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                          "is_ephemeral": False},
            "trigger_id": self.sandbox.issue_trigger_id(user_id), "team": self._team(),
            "enterprise": None, "is_enterprise_install": False, "channel": self._channel(channel_id),
            "message": message, "state": {"values": {}},
            "response_url": self.sandbox.issue_response_url(channel_id=channel_id, user_id=user_id),
            "actions": [action],
        }
        return self.send_interactive(payload)

    def send_interactive(self, payload: dict[str, Any]) -> requests.Response:
        """Send any interactive payload as Slack does (form field `payload`); call twice to double-submit."""
        self.last_payload = payload
        return self.post_raw(urlencode({"payload": json.dumps(payload)}).encode(), content_type=FORM)

    # -- events ---------------------------------------------------------------------------------------------
    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None,
              retry_reason: str | None = None) -> requests.Response:
        """Deliver an Events API event; with retry_num it is Slack's re-delivery of the same event_id."""
        envelope = {
            "token": "sandbox-verification-token", "team_id": self.team_id, "api_app_id": self.api_app_id,
            "event": event, "type": "event_callback", "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()), "event_context": f"4-{uuid.uuid4().hex}",
            "authorizations": [{"enterprise_id": None, "team_id": self.team_id,
                                "user_id": self.sandbox.bot_user_id, "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason or "http_timeout"}
        self.last_payload = envelope
        return self.post_raw(json.dumps(envelope).encode(), content_type=JSON, headers=headers)

    def user_message(self, channel_id: str, user_id: str, text: str, *,
                     thread_ts: str | None = None) -> tuple[str, requests.Response]:
        """A member posts in the channel (stored in the sandbox) and Slack sends the `message` event."""
        ts = self.sandbox.post_as_user(channel_id, user_id, text, thread_ts=thread_ts)
        stored = self._message(channel_id, ts)
        event = {
            "type": "message", "channel": channel_id, "user": user_id, "text": text, "ts": ts, "event_ts": ts,
            "channel_type": "group" if self._channel_record(channel_id)["is_private"] else "channel",
            "team": self.team_id, "client_msg_id": stored.get("client_msg_id"),
        }
        if stored.get("thread_ts"):
            event["thread_ts"] = stored["thread_ts"]
        return ts, self.event(event)

    def url_verification(self, challenge: str) -> requests.Response:
        """The handshake Slack does when the Request URL is saved."""
        body = {"token": "sandbox-verification-token", "challenge": challenge, "type": "url_verification"}
        self.last_payload = body
        return self.post_raw(json.dumps(body).encode(), content_type=JSON)

    # -- raw ------------------------------------------------------------------------------------------------
    def post_raw(self, body: bytes, *, content_type: str, timestamp: int | None = None,
                 signing_secret: str | None = None, signature: str | None = None,
                 headers: dict[str, str] | None = None) -> requests.Response:
        """POST `body` signed as Slack does; override timestamp/secret/signature to test rejections."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        verifier = SignatureVerifier(signing_secret if signing_secret is not None else self.signing_secret)
        signed = {
            "Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature if signature is not None else verifier.generate_signature(
                timestamp=stamp, body=body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        return self._http.post(self.app_url, data=body, headers={**signed, **(headers or {})}, timeout=self.timeout)

    def close(self) -> None:
        self._http.close()

    # -- internals ------------------------------------------------------------------------------------------
    def _team(self) -> dict[str, str]:
        return {"id": self.team_id, "domain": self.team_id.lower() if self.team_id != self.sandbox.team_id else self.sandbox.team_domain}

    def _user(self, user_id: str) -> dict[str, str]:
        name = next((u["name"] for u in self.sandbox.users() if u["id"] == user_id), user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _channel_record(self, channel_id: str) -> dict[str, Any]:
        return self.sandbox.channel(channel_id)

    def _channel(self, channel_id: str) -> dict[str, str]:
        return {"id": channel_id, "name": self._channel_record(channel_id)["name"]}

    def _message(self, channel_id: str, ts: str) -> dict[str, Any]:
        found = next((m for m in self.sandbox.messages(channel_id, include_replies=True) if m["ts"] == ts), None)
        if found is None:
            raise LookupError(f"no message {ts} in {channel_id} in the sandbox")
        found.pop("metadata", None)  # Slack does not promise metadata in payloads: the app must not rely on it
        return found


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _find_action(blocks: list[dict[str, Any]], action_id: str,
                 block_id: str | None) -> tuple[str, dict[str, Any]]:
    """The block_id and element of the interactive element with `action_id` (ValueError if absent)."""
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = list(block.get("elements", [])) if block.get("type") == "actions" else []
        candidates += [block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)]
        for element in candidates:
            if element.get("action_id") == action_id:
                return block["block_id"], element
    if block_id is not None:
        return block_id, {"type": "button"}  # a stale message: Slack would still send what the client showed
    raise ValueError(f"no element with action_id={action_id!r} in the message's blocks")
