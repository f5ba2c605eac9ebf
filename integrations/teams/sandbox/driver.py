"""TeamsDriver: plays Teams toward our bot, sending activities shaped as Teams sends them, each with a Bot
Framework JWT signed by the identity sandbox (so the Teams SDK validates them exactly as in production).

Messages come from the sandbox, so a message extension invoke carries the message the app can find again.
"""

from __future__ import annotations

import html
import uuid
from datetime import datetime, timezone
from typing import Any

import requests

from integrations.teams.sandbox.messages import split_conversation
from integrations.teams.sandbox.server import TeamsSandbox


class TeamsDriver:
    def __init__(self, sandbox: TeamsSandbox, app_url: str, *, timeout: float = 15) -> None:
        self.sandbox = sandbox
        self.app_url = app_url
        self.timeout = timeout
        self.last_activity: dict[str, Any] | None = None
        self._http = requests.Session()
        self._http.trust_env = False  # never route 127.0.0.1 through a proxy from the environment

    # -- message extension: "Escalate to swarm" on a message -----------------------------------------------
    def open_message_action(self, *, user_id: str, conversation_id: str, message_id: str,
                            command_id: str = "escalate_to_swarm") -> requests.Response:
        """The user picks our action in a message's "..." menu: composeExtension/fetchTask."""
        value = {"commandId": command_id, "commandContext": "message", "requestId": uuid.uuid4().hex,
                 "context": {"theme": "default"}, "messagePayload": self.message_payload(conversation_id, message_id)}
        return self.send(self.invoke("composeExtension/fetchTask", value, user_id=user_id, conversation_id=conversation_id,
                                     thread=self._root(conversation_id, message_id)))

    def submit_message_action(self, *, user_id: str, conversation_id: str, message_id: str, data: dict[str, Any],
                              command_id: str = "escalate_to_swarm", activity_id: str | None = None,
                              with_message: bool = False) -> requests.Response:
        """The user presses the dialog's submit button: composeExtension/submitAction with the card's data.
        Teams documents the message as part of the first invoke only; with_message=True sends it here too."""
        value = {"commandId": command_id, "commandContext": "message", "context": {"theme": "default"}, "data": data}
        if with_message:
            value["messagePayload"] = self.message_payload(conversation_id, message_id)
        activity = self.invoke("composeExtension/submitAction", value, user_id=user_id, conversation_id=conversation_id,
                               thread=self._root(conversation_id, message_id), activity_id=activity_id)
        return self.send(activity)

    # -- Adaptive Card Action.Execute (Universal Actions) --------------------------------------------------
    def execute_card_action(self, *, user_id: str, channel_id: str, message_id: str, verb: str,
                            data: dict[str, Any] | None = None, inputs: dict[str, Any] | None = None) -> requests.Response:
        """The user clicks an Action.Execute button on a card the bot posted: adaptiveCard/action."""
        value = {"action": {"type": "Action.Execute", "verb": verb, "data": {**(data or {}), **(inputs or {})}},
                 "trigger": "manual"}
        activity = self.invoke("adaptiveCard/action", value, user_id=user_id, conversation_id=channel_id,
                               thread=self._root(channel_id, message_id))
        activity["replyToId"] = message_id
        return self.send(activity)

    # -- messages -------------------------------------------------------------------------------------------
    def user_message(self, conversation_id: str, user_id: str, text: str, *, mention_bot: bool = False,
                     thread: str | None = None) -> tuple[str, requests.Response]:
        """A person writes (stored in the sandbox) and Teams delivers it to the bot; with mention_bot it starts
        with "@CaseSwarm", as a channel message addressed to a bot does."""
        mention = f"<at>{self.sandbox.bot_name}</at>"
        full = f"{mention} {text}" if mention_bot else text
        message_id = self.sandbox.post_as_user(conversation_id, user_id, full, thread=thread)
        activity = self._envelope("message", user_id, conversation_id, thread or message_id, activity_id=message_id)
        activity.update(text=full, textFormat="plain")
        if mention_bot:
            activity["entities"].append({"type": "mention", "text": mention,
                                         "mentioned": {"id": self._bot_id(), "name": self.sandbox.bot_name}})
        return message_id, self.send(activity)

    # -- building and sending -------------------------------------------------------------------------------
    def invoke(self, name: str, value: dict[str, Any], *, user_id: str, conversation_id: str, thread: str | None,
               activity_id: str | None = None) -> dict[str, Any]:
        activity = self._envelope("invoke", user_id, conversation_id, thread, activity_id=activity_id)
        activity.update(name=name, value=value)
        return activity

    def send(self, activity: dict[str, Any], *, token: str | None = None, unsigned: bool = False) -> requests.Response:
        """POST the activity with a valid Bot Framework token (or `token`, or none with unsigned=True).
        Send the same activity twice to play a re-delivery."""
        self.last_activity = activity
        headers = {"Content-Type": "application/json"}
        if not unsigned:
            signed = token or self.sandbox.identity.channel_token(app_id=self.sandbox.app_id,
                                                                  service_url=activity["serviceUrl"])
            headers["Authorization"] = f"Bearer {signed}"
        return self._http.post(self.app_url, json=activity, headers=headers, timeout=self.timeout)

    def message_payload(self, conversation_id: str, message_id: str) -> dict[str, Any]:
        """The messagePayload Teams attaches to a message action: the message as Graph would show it."""
        message = self.sandbox.message(conversation_id, message_id)
        sender = message["from"].get("user") or {}
        lines = html.escape(message["text"] or "").split("\n")
        base = split_conversation(conversation_id)[0]
        return {"id": message["id"], "replyToId": message["replyToId"], "messageType": "message",
                "createdDateTime": message["createdDateTime"], "lastModifiedDateTime": message["lastModifiedDateTime"],
                "importance": "normal", "locale": "en-us", "subject": None, "summary": None,
                "linkToMessage": self.sandbox.conversations.link_to_message(base, message["id"]),
                "from": {"user": {"id": sender.get("id"), "displayName": sender.get("displayName"),
                                  "userIdentityType": "aadUser"}, "application": None, "device": None},
                "body": {"contentType": "html", "content": "<p>" + "<br>".join(lines) + "</p>"},
                "attachments": [], "mentions": [], "reactions": []}

    def close(self) -> None:
        self._http.close()

    # -- internals ------------------------------------------------------------------------------------------
    def _envelope(self, kind: str, user_id: str, conversation_id: str, thread: str | None, *,
                  activity_id: str | None = None) -> dict[str, Any]:
        base, _ = split_conversation(conversation_id)
        user = self.sandbox.directory.user(user_id) or {"id": user_id, "displayName": user_id}
        team_id = self.sandbox.directory.team_of_channel(base)
        now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        conversation = {"isGroup": True, "tenantId": self.sandbox.tenant_id,
                        "conversationType": "channel" if team_id else "groupChat",
                        "id": f"{base};messageid={thread}" if team_id and thread else base}
        channel_data: dict[str, Any] = {"tenant": {"id": self.sandbox.tenant_id}}
        if team_id:
            channel_data.update(channel={"id": base}, team={"id": f"19:{team_id.replace('-', '')}@thread.tacv2",
                                                            "aadGroupId": team_id})
        return {"type": kind, "id": activity_id or f"f:{uuid.uuid4().hex}", "timestamp": now, "localTimestamp": now,
                "serviceUrl": self.sandbox.connector.base_url, "channelId": "msteams", "locale": "en-US",
                "from": {"id": f"29:{user['id']}", "name": user["displayName"], "aadObjectId": user["id"]},
                "conversation": conversation, "recipient": {"id": self._bot_id(), "name": self.sandbox.bot_name},
                "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"}],
                "channelData": channel_data}

    def _bot_id(self) -> str:
        return f"28:{self.sandbox.app_id}"

    def _root(self, conversation_id: str, message_id: str) -> str | None:
        message = self.sandbox.message(conversation_id, message_id)
        return message["replyToId"] or message["id"]


def dialog_card(response: requests.Response) -> dict[str, Any]:
    """The Adaptive Card of a `task: continue` answer (fetchTask, or a submit answered with the form again)."""
    task = response.json()["task"]
    assert task["type"] == "continue", f"expected a dialog, got {task}"
    return task["value"]["card"]["content"]


def submitted_data(card: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """What Teams sends when the user fills `values` in and presses the card's Action.Submit: every input's
    value (typed, or the card's prefilled one) merged with the submit action's data."""
    data: dict[str, Any] = {}
    for element in _walk(card.get("body") or []):
        if str(element.get("type", "")).startswith("Input."):
            data[element["id"]] = values.get(element["id"], element.get("value", ""))
    submit = next(a for a in card.get("actions") or [] if a.get("type") == "Action.Submit")
    return {**(submit.get("data") or {}), **data}


def _walk(elements: list[dict[str, Any]]):
    for element in elements:
        yield element
        for key in ("items", "columns"):
            yield from _walk(element.get(key) or [])
