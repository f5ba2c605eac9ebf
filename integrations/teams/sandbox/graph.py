"""GraphSandbox: the Microsoft Graph v1.0 endpoints the Teams adapter calls, as msgraph-sdk calls them.

    base URL: sandbox.base_url + "/v1.0"   (GRAPH_API_URL)

Entra groups for `entra_group:` departments: sandbox.add_group("Billing experts", ["ana.souza@example.com", ...]).

Faults are named like Graph's docs: `graph.fail_next("POST /teams/{team-id}/channels", 429, retry_after=3)`.
Every call needs a Bearer token the identity sandbox issued for https://graph.microsoft.com.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from integrations.sandbox.server import Fault, SandboxServer
from integrations.teams.sandbox.identity import IdentitySandbox
from integrations.teams.sandbox.messages import ConversationStore, require_channel_in_team
from integrations.teams.sandbox.state import GraphError, TenantDirectory

PREFIX = "/v1.0"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
_FILTER_NAME = re.compile(r"^\s*displayName\s+eq\s+'((?:[^']|'')*)'\s*$")
_FAULT_CODES = {429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable",
                504: "GatewayTimeout", 403: "Forbidden", 404: "NotFound"}


class GraphSandbox(SandboxServer):
    name = "teams-graph"

    def __init__(self, directory: TenantDirectory, conversations: ConversationStore, identity: IdentitySandbox) -> None:
        super().__init__()
        self.directory = directory
        self.conversations = conversations
        self.identity = identity
        routes: list[tuple[str, Callable[..., Any], str]] = [
            ("/users/<user>", self._get_user, "GET"),
            ("/groups/<group_id>/members", self._group_members, "GET"),
            ("/teams/<team_id>/channels", self._list_channels, "GET"),
            ("/teams/<team_id>/channels", self._create_channel, "POST"),
            ("/teams/<team_id>/channels/<channel_id>", self._get_channel, "GET"),
            ("/teams/<team_id>/channels/<channel_id>/members", self._list_members, "GET"),
            ("/teams/<team_id>/channels/<channel_id>/members", self._add_member, "POST"),
            ("/teams/<team_id>/channels/<channel_id>/archive", self._archive, "POST"),
            ("/teams/<team_id>/channels/<channel_id>/unarchive", self._unarchive, "POST"),
            ("/teams/<team_id>/channels/<channel_id>/messages", self._channel_messages, "GET"),
            ("/teams/<team_id>/channels/<channel_id>/messages/<message_id>/replies", self._replies, "GET"),
            ("/chats/<chat_id>/messages", self._chat_messages, "GET"),
        ]
        for path, handler, method in routes:
            self.app.add_url_rule(PREFIX + path, f"{method} {path}", self._answering(handler), methods=[method])

    @property
    def api_url(self) -> str:
        return self.base_url + PREFIX

    # -- SandboxServer hooks --------------------------------------------------------------------------------
    def method_name(self) -> str:
        """'POST /teams/{team-id}/channels': the route template in Graph's own notation."""
        rule = request.url_rule.rule if request.url_rule else request.path
        template = re.sub(r"<(\w+)>", lambda m: "{" + m.group(1).replace("_", "-") + "}", rule.removeprefix(PREFIX))
        return f"{request.method} {template}"

    def fault_response(self, fault: Fault) -> Response:
        body = fault.body if fault.body is not None else GraphError(
            fault.status, _FAULT_CODES.get(fault.status, "Error"), f"Injected {fault.status} by the Graph sandbox").body()
        response = Response(json.dumps(body), status=fault.status, mimetype="application/json")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(int(fault.retry_after) if float(fault.retry_after).is_integer() else fault.retry_after)
        response.headers.update(fault.headers)
        return response

    # -- routes ---------------------------------------------------------------------------------------------
    def _answering(self, handler: Callable[..., Any]) -> Callable[..., Response]:
        def view(**params: str) -> Response:
            if self.identity.verify(request.headers.get("Authorization", ""), audience=GRAPH_AUDIENCE) is None:
                return _json(GraphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.").body(), 401)
            try:
                status, body = handler(**params)
            except GraphError as error:
                return _json(error.body(), error.status)
            return _json(body, status) if body is not None else Response(status=status)
        return view

    def _get_user(self, user: str):
        found = self.directory.user(user)
        if found is None or not found["accountEnabled"]:
            raise GraphError(404, "Request_ResourceNotFound", f"Resource '{user}' does not exist or one of its "
                                                              "queried reference-property objects are not present.")
        return 200, {"@odata.context": f"{self.api_url}/$metadata#users/$entity", **found}

    def _group_members(self, group_id: str):
        """A page of the group's direct members: $top (default 100, at most 999), $select, and @odata.nextLink with
        an opaque $skiptoken while more remain."""
        members = self.directory.group_members(group_id)
        top = _page_size(request.args.get("$top"))
        start = _skipped(request.args.get("$skiptoken"), group_id)
        fields = [f.strip() for f in request.args.get("$select", "").split(",") if f.strip()]
        page = [_selected(m, fields) for m in members[start:start + top]]
        body: dict[str, Any] = {"@odata.context": f"{self.api_url}/$metadata#directoryObjects" +
                                                  (f"({','.join(fields)})" if fields else ""), "value": page}
        if start + top < len(members):
            query = {"$top": top, "$skiptoken": _skiptoken(group_id, start + top)}
            if fields:  # Graph keeps the request's $select in the next link
                query["$select"] = ",".join(fields)
            body["@odata.nextLink"] = f"{self.api_url}/groups/{group_id}/members?{urlencode(query, safe='$,')}"
        return 200, body

    def _list_channels(self, team_id: str):
        name = None
        if request.args.get("$filter"):
            match = _FILTER_NAME.match(request.args["$filter"])
            if match is None:
                raise GraphError(400, "BadRequest", f"Unsupported $filter: {request.args['$filter']}")
            name = match.group(1).replace("''", "'")
        return 200, {"value": self.directory.list_channels(team_id, display_name=name)}

    def _create_channel(self, team_id: str):
        return 201, self.directory.create_channel(team_id, request.get_json(force=True) or {})

    def _get_channel(self, team_id: str, channel_id: str):
        return 200, self.directory.get_channel(team_id, channel_id)

    def _list_members(self, team_id: str, channel_id: str):
        return 200, {"value": self.directory.channel_members(team_id, channel_id)}

    def _add_member(self, team_id: str, channel_id: str):
        return 201, self.directory.add_channel_member(team_id, channel_id, request.get_json(force=True) or {})

    def _archive(self, team_id: str, channel_id: str):
        self.directory.set_archived(team_id, channel_id, True)
        return 202, None  # archiving is asynchronous on Graph; the sandbox applies it at once

    def _unarchive(self, team_id: str, channel_id: str):
        self.directory.set_archived(team_id, channel_id, False)
        return 202, None

    def _channel_messages(self, team_id: str, channel_id: str):
        require_channel_in_team(self.directory, team_id, channel_id)
        return 200, {"value": self.conversations.graph_messages(channel_id)}

    def _replies(self, team_id: str, channel_id: str, message_id: str):
        require_channel_in_team(self.directory, team_id, channel_id)
        return 200, {"value": self.conversations.graph_messages(channel_id, thread=message_id)}

    def _chat_messages(self, chat_id: str):
        if not self.conversations.chat_exists(chat_id):
            raise GraphError(404, "NotFound", "Chat not found")
        return 200, {"value": self.conversations.graph_messages(chat_id)}


DEFAULT_PROPERTIES = ("businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone",
                      "officeLocation", "preferredLanguage", "surname", "userPrincipalName")  # a user without $select


def _page_size(value: str | None) -> int:
    if value is None:
        return 100
    if not value.isdigit() or not 1 <= int(value) <= 999:
        raise GraphError(400, "Request_BadRequest",
                         f"Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive.")
    return int(value)


def _skiptoken(group_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{group_id}|{offset}".encode()).decode().rstrip("=")


def _skipped(token: str | None, group_id: str) -> int:
    if token is None:
        return 0
    try:
        owner, _, offset = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition("|")
        if owner == group_id and offset.isdigit():
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise GraphError(400, "Request_BadRequest", "The specified page token value has expired or is invalid.")


def _selected(directory_object: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Graph returns the @odata.type of every member, then the selected properties it has (a user's default set
    when nothing is selected; a group's own when it is a group)."""
    kind = directory_object["@odata.type"]
    if not fields:
        fields = list(DEFAULT_PROPERTIES) if kind == "#microsoft.graph.user" else list(directory_object)
    return {"@odata.type": kind, **{f: directory_object[f] for f in fields if f in directory_object and f != "@odata.type"}}


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
