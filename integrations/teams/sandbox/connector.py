"""ConnectorSandbox: the Bot Framework Connector REST API as Teams serves it, for the bot's own messages.

    service URL: sandbox.base_url   (TEAMS_BOT_API_URL, and serviceUrl on every activity the driver sends)

    POST /v3/conversations                                      new thread in a channel
    POST /v3/conversations/{conversationId}/activities          post (into a thread with ;messageid=...)
    POST /v3/conversations/{conversationId}/activities/{id}     reply to an activity
    PUT  /v3/conversations/{conversationId}/activities/{id}     update (the summary card in place)

Every call needs a Bearer token the identity sandbox issued for https://api.botframework.com.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from integrations.sandbox.server import Fault, SandboxServer
from integrations.teams.sandbox.identity import IdentitySandbox
from integrations.teams.sandbox.messages import ConnectorError, ConversationStore

BOT_AUDIENCE = "https://api.botframework.com"
_FAULT_CODES = {429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable"}


class ConnectorSandbox(SandboxServer):
    name = "teams-connector"

    def __init__(self, conversations: ConversationStore, identity: IdentitySandbox) -> None:
        super().__init__()
        self.conversations = conversations
        self.identity = identity
        self.app.add_url_rule("/v3/conversations", "create_conversation", self._create_conversation, methods=["POST"])
        self.app.add_url_rule("/v3/conversations/<path:conversation_id>/activities", "send", self._send, methods=["POST"])
        self.app.add_url_rule("/v3/conversations/<path:conversation_id>/activities/<activity_id>", "reply",
                              self._reply, methods=["POST"])
        self.app.add_url_rule("/v3/conversations/<path:conversation_id>/activities/<activity_id>", "update",
                              self._update, methods=["PUT"])

    # -- SandboxServer hooks --------------------------------------------------------------------------------
    def method_name(self) -> str:
        names = {"create_conversation": "POST /v3/conversations",
                 "send": "POST /v3/conversations/{conversationId}/activities",
                 "reply": "POST /v3/conversations/{conversationId}/activities/{activityId}",
                 "update": "PUT /v3/conversations/{conversationId}/activities/{activityId}"}
        return names.get(request.endpoint or "", super().method_name())

    def fault_response(self, fault: Fault) -> Response:
        body = fault.body if fault.body is not None else ConnectorError(
            fault.status, _FAULT_CODES.get(fault.status, "Error"), f"Injected {fault.status} by the Bot Connector sandbox").body()
        response = Response(json.dumps(body), status=fault.status, mimetype="application/json")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(int(fault.retry_after) if float(fault.retry_after).is_integer() else fault.retry_after)
        response.headers.update(fault.headers)
        return response

    # -- routes ---------------------------------------------------------------------------------------------
    def _create_conversation(self) -> Response:
        def create(params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            channel = ((params.get("channelData") or {}).get("channel") or {}).get("id")
            if not params.get("isGroup") or not channel:
                raise ConnectorError(400, "BadSyntax", "Only channel conversations (isGroup + channelData.channel) are supported.")
            activity_id = self.conversations.bot_post(channel, params.get("activity") or {})
            return 201, {"id": f"{channel};messageid={activity_id}", "activityId": activity_id}
        return self._answer(create)

    def _send(self, conversation_id: str) -> Response:
        return self._answer(lambda activity: (201, {"id": self.conversations.bot_post(conversation_id, activity)}))

    def _reply(self, conversation_id: str, activity_id: str) -> Response:
        return self._answer(lambda activity: (201, {"id": self.conversations.bot_reply(conversation_id, activity_id, activity)}))

    def _update(self, conversation_id: str, activity_id: str) -> Response:
        return self._answer(lambda activity: (200, {"id": self.conversations.bot_update(conversation_id, activity_id, activity)}))

    def _answer(self, action) -> Response:
        if self.identity.verify(request.headers.get("Authorization", ""), audience=BOT_AUDIENCE) is None:
            return _json({"message": "Authorization has been denied for this request."}, 401)
        try:
            status, body = action(request.get_json(force=True) or {})
        except ConnectorError as error:
            return _json(error.body(), error.status)
        return _json(body, status)


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
