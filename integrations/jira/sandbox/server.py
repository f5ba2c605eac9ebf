"""A stateful fake of Jira Cloud's REST API v2, covering what the `jira` library calls for CaseSwarm.

Call names for fault injection and the request log (`method_name()`):
  GET serverInfo, GET myself, GET field, POST issue, GET issue, PUT issue, GET search, GET search/jql,
  GET properties, GET property, PUT property, POST comment, GET comment, GET transitions, POST transitions,
  GET remotelink, POST remotelink, GET applinks.
Anything else is named "<HTTP method> <path>" and answered with a Jira-shaped 404.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hmac
from typing import Any

from flask import Response, jsonify, request

from integrations.jira.sandbox import webhooks
from integrations.jira.sandbox.jql import JqlError, compile_jql
from integrations.jira.sandbox.store import (
    ISSUE_NOT_FOUND,
    ISSUE_TYPES,
    PRIORITIES,
    SUMMARY_LIMIT,
    TEXT_LIMIT,
    TEXT_TOO_LONG,
    TRANSITIONS,
    Comment,
    Issue,
    JiraJson,
    JiraStore,
    User,
    jira_time,
    now,
    property_errors,
)
from integrations.sandbox.server import Fault, SandboxServer

DEFAULT_PROJECTS = {
    "SUP": ("Support", ("Task", "Bug", "Incident")),
    "OPS": ("Operations", ("Task", "Incident")),
    "BIL": ("Billing", ("Task", "Bug")),
}
BOT_ACCOUNT_ID = "712020:caseswarm-bot"
_UNSET: Any = object()
_CREATE_FIELDS = {"project", "issuetype", "summary", "description", "priority", "labels", "assignee"}
_FAULT_MESSAGES = {
    400: "The request is invalid.",
    401: "You are not authenticated. Authentication required to perform this operation.",
    403: "You do not have permission to perform this operation.",
    404: ISSUE_NOT_FOUND,
    429: "Rate limit exceeded.",
    500: "Internal server error.",
    503: "Service unavailable.",
}


def jira_error(status: int, messages: list[str] = (), errors: dict[str, str] | None = None) -> Response:
    """Jira's error shape: {"errorMessages": [...], "errors": {field: message}}."""
    resp = jsonify({"errorMessages": list(messages), "errors": errors or {}})
    resp.status_code = status
    return resp


class JiraSandbox(SandboxServer):
    """Jira Cloud, faked: projects SUP/OPS/BIL, a To Do → In Progress → Done workflow, comments, links, JQL.

    Accepts basic auth (email + API token) and Bearer PATs; a credential set to None is refused.
    """

    name = "jira"

    def __init__(
        self,
        *,
        email: str | None = "caseswarm-bot@example.com",
        api_token: str | None = "sandbox-api-token",
        pat: str | None = "sandbox-pat",
        projects: dict[str, tuple[str, tuple[str, ...]]] | None = None,
        deployment_type: str = "Cloud",
    ) -> None:
        super().__init__()
        self._email, self._api_token, self._pat = email, api_token, pat
        bot = User(account_id=BOT_ACCOUNT_ID, display_name="CaseSwarm", email=email or "caseswarm-bot@example.com")
        self.store = JiraStore(projects or DEFAULT_PROJECTS, bot)
        self.deployment_type = deployment_type
        self.app.before_request(self._authenticate)  # runs after fault injection, which the base registered first
        self._register_routes()

    # -- naming and error shapes ------------------------------------------------------------------------
    def method_name(self) -> str:
        return request.endpoint or f"{request.method} {request.path}"

    def fault_response(self, fault: Fault) -> Response:
        if fault.body is None:
            message = _FAULT_MESSAGES.get(fault.status or 500, f"Injected error {fault.status}.")
            fault = dataclasses.replace(fault, body={"errorMessages": [message], "errors": {}})
        return super().fault_response(fault)

    # -- state for tests and the demo -------------------------------------------------------------------
    def issues(self) -> list[Issue]:
        """Copies of all issues, in creation order."""
        with self.lock:
            return copy.deepcopy(list(self.store.issues.values()))

    def issue(self, key: str) -> Issue:
        with self.lock:
            return copy.deepcopy(self._existing(key))

    def comments(self, key: str) -> list[Comment]:
        return self.issue(key).comments

    def human_update(
        self, key: str, *, status: str | None = None, assignee: str | None = _UNSET, priority: str | None = None,
        author: str = "Alice Agent",
    ) -> dict[str, Any]:
        """Apply a change as a person would in Jira's UI; return the `jira:issue_updated` webhook payload."""
        with self.lock:
            issue = self._existing(key)
            items: list[dict[str, Any]] = []
            if status is not None and status != issue.status:
                items += webhooks.change_status(issue, status)
            if assignee is not _UNSET and assignee != issue.assignee:
                items += webhooks.change_assignee(self.store, issue, assignee)
            if priority is not None and priority != issue.priority:
                items += webhooks.change_priority(issue, priority)
            issue.updated = now()
            return webhooks.issue_updated(self._json, issue, self.store.user(author), items)

    def human_comment(self, key: str, author: str, body: str) -> dict[str, Any]:
        """Add a comment as a person; return the `comment_created` webhook payload."""
        with self.lock:
            issue = self._existing(key)
            comment = self.store.add_comment(issue, self.store.user(author).account_id, body)
            return webhooks.comment_created(self._json, issue, comment)

    # -- internals ---------------------------------------------------------------------------------------
    @property
    def _json(self) -> JiraJson:
        return JiraJson(self.store, self.base_url)

    def _existing(self, key: str) -> Issue:
        issue = self.store.find_issue(key)
        if issue is None:
            raise KeyError(f"No issue {key} in the Jira sandbox")
        return issue

    def _authenticate(self) -> Response | None:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic" and self._basic_ok(credential):
            return None
        if scheme.lower() == "bearer" and self._pat is not None and hmac.compare_digest(credential, self._pat):
            return None
        resp = jira_error(401, [_FAULT_MESSAGES[401]])
        resp.headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
        return resp

    def _basic_ok(self, credential: str) -> bool:
        if self._email is None or self._api_token is None:
            return False
        try:
            given = base64.b64decode(credential, validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(given, f"{self._email}:{self._api_token}".encode())

    def _register_routes(self) -> None:
        api = "/rest/api/2"
        routes = [
            ("GET", "/serverInfo", "GET serverInfo", self._server_info),
            ("GET", "/myself", "GET myself", self._myself),
            ("GET", "/field", "GET field", self._fields),
            ("POST", "/issue", "POST issue", self._create_issue),
            ("GET", "/issue/<key>", "GET issue", self._get_issue),
            ("PUT", "/issue/<key>", "PUT issue", self._edit_issue),
            ("GET", "/search", "GET search", self._search),
            ("GET", "/search/jql", "GET search/jql", self._search_jql),
            ("GET", "/issue/<key>/properties", "GET properties", self._property_keys),
            ("GET", "/issue/<key>/properties/<prop>", "GET property", self._get_property),
            ("PUT", "/issue/<key>/properties/<prop>", "PUT property", self._put_property),
            ("POST", "/issue/<key>/comment", "POST comment", self._add_comment),
            ("GET", "/issue/<key>/comment", "GET comment", self._list_comments),
            ("GET", "/issue/<key>/transitions", "GET transitions", self._transitions),
            ("POST", "/issue/<key>/transitions", "POST transitions", self._do_transition),
            ("GET", "/issue/<key>/remotelink", "GET remotelink", self._remote_links),
            ("POST", "/issue/<key>/remotelink", "POST remotelink", self._put_remote_link),
        ]
        for method, rule, endpoint, view in routes:
            self.app.add_url_rule(api + rule, endpoint=endpoint, view_func=view, methods=[method])
        self.app.add_url_rule(
            "/rest/applinks/latest/listApplicationlinks", endpoint="GET applinks", view_func=self._applinks
        )
        self.app.register_error_handler(404, self._no_such_resource)
        self.app.register_error_handler(405, self._no_such_resource)

    def _no_such_resource(self, _error: Exception) -> Response:
        return jira_error(404, [f"null for uri: {request.url} (not faked by the Jira sandbox)"])

    # -- server, user, fields ------------------------------------------------------------------------------
    def _server_info(self) -> Response:
        return jsonify(
            baseUrl=self.base_url,
            version="1001.0.0-SNAPSHOT",
            versionNumbers=[1001, 0, 0],
            deploymentType=self.deployment_type,
            buildNumber=100270,
            serverTime=jira_time(now()),
            scmInfo="caseswarm-sandbox",
            serverTitle="Jira (CaseSwarm sandbox)",
        )

    def _myself(self) -> Response:
        with self.lock:
            return jsonify(self._json.user(self.store.bot.account_id))

    def _fields(self) -> Response:
        names = {"summary": "Summary", "description": "Description", "status": "Status", "priority": "Priority",
                 "assignee": "Assignee", "labels": "Labels", "issuetype": "Issue Type", "project": "Project"}
        return jsonify([
            {"id": fid, "key": fid, "name": name, "custom": False, "navigable": True, "searchable": True,
             "clauseNames": [fid]}
            for fid, name in names.items()
        ])

    # -- issues ------------------------------------------------------------------------------------------
    def _create_issue(self) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jira_error(400, ["The request body is not valid JSON."])
        fields = body.get("fields") or {}
        properties = [] if body.get("properties") is None else body["properties"]
        if bad_properties := property_errors(properties):  # checked before anything is made, as Jira does
            return jira_error(400, bad_properties)
        with self.lock:
            errors, project, issue_type = self._validate_new_issue(fields)
            if errors:
                return jira_error(400, errors=errors)
            issue = self.store.create_issue(fields, project, issue_type)
            for prop in properties:  # Jira sets issue properties given in the create call with the issue
                issue.properties[prop["key"]] = prop["value"]
            resp = jsonify(self._json.issue_ref(issue))
        resp.status_code = 201
        return resp

    def _validate_new_issue(self, fields: dict[str, Any]) -> tuple[dict[str, str], Any, str]:
        errors = {
            name: f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            for name in fields
            if name not in _CREATE_FIELDS
        }
        project = self._project_of(fields.get("project"))
        if project is None:
            errors["project"] = "valid project is required"
        issue_type = _name_of(fields.get("issuetype"), ISSUE_TYPES)
        if project is not None and issue_type not in project.issue_types:
            errors["issuetype"] = "Specify a valid issue type"
        errors.update(_text_field_errors(fields, required_summary=True))
        return errors, project, issue_type or ""

    def _project_of(self, ref: Any) -> Any:
        ref = ref or {}
        for project in self.store.projects.values():
            if ref.get("key") == project.key or str(ref.get("id")) == project.id:
                return project
        return None

    def _get_issue(self, key: str) -> Response:
        wanted = _field_list(request.args.get("fields"))
        properties = [p for p in request.args.get("properties", "").split(",") if p]
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            return jsonify(self._json.issue(issue, wanted, properties))

    def _edit_issue(self, key: str) -> Response:
        body = request.get_json(silent=True) or {}
        fields = body.get("fields") or {}
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            errors = _text_field_errors(fields, required_summary=False)
            if errors:
                return jira_error(400, errors=errors)
            _apply_edit(issue, fields, body.get("update") or {})
        return Response(status=204)

    # -- search ------------------------------------------------------------------------------------------
    def _matching(self) -> list[Issue] | Response:
        try:
            predicate = compile_jql(request.args.get("jql", ""))
        except JqlError as error:
            return jira_error(400, [str(error)])
        return [issue for issue in self.store.issues.values() if predicate(issue)]

    def _search(self) -> Response:
        start_at = int(request.args.get("startAt", 0))
        max_results = int(request.args.get("maxResults", 50))
        with self.lock:
            found = self._matching()
            if isinstance(found, Response):
                return found
            wanted = _field_list(",".join(request.args.getlist("fields")))
            issues = [self._json.issue(i, wanted) for i in found[start_at : start_at + max_results]]
        return jsonify(expand="names,schema", startAt=start_at, maxResults=max_results, total=len(found), issues=issues)

    def _search_jql(self) -> Response:
        start_at = int(request.args.get("nextPageToken") or 0)
        max_results = int(request.args.get("maxResults", 50))
        with self.lock:
            found = self._matching()
            if isinstance(found, Response):
                return found
            wanted = _field_list(",".join(request.args.getlist("fields")))
            issues = [self._json.issue(i, wanted) for i in found[start_at : start_at + max_results]]
        body: dict[str, Any] = {"issues": issues, "isLast": start_at + max_results >= len(found)}
        if not body["isLast"]:
            body["nextPageToken"] = str(start_at + max_results)
        return jsonify(body)

    # -- properties --------------------------------------------------------------------------------------
    def _property_keys(self, key: str) -> Response:
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            keys = [{"self": f"{self.base_url}/rest/api/2/issue/{issue.id}/properties/{k}", "key": k}
                    for k in issue.properties]
        return jsonify(keys=keys)

    def _get_property(self, key: str, prop: str) -> Response:
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            if prop not in issue.properties:
                return jira_error(404, [f"The property with key '{prop}' does not exist."])
            return jsonify(key=prop, value=issue.properties[prop])

    def _put_property(self, key: str, prop: str) -> Response:
        value = request.get_json(silent=True)
        if value is None:
            return jira_error(400, ["The property value must be valid JSON."])
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            created = prop not in issue.properties
            issue.properties[prop] = value
        return Response(status=201 if created else 200)

    # -- comments ----------------------------------------------------------------------------------------
    def _add_comment(self, key: str) -> Response:
        body = (request.get_json(silent=True) or {}).get("body")
        if not isinstance(body, str):
            return jira_error(400, errors={"comment": "Comment body must be a string (REST v2 takes plain text)."})
        if not body.strip():
            return jira_error(400, errors={"comment": "Comment body can not be empty!"})
        if len(body) > TEXT_LIMIT:
            return jira_error(400, errors={"comment": TEXT_TOO_LONG})
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            comment = self.store.add_comment(issue, self.store.bot.account_id, body)
            resp = jsonify(self._json.comment(issue, comment))
        resp.status_code = 201
        return resp

    def _list_comments(self, key: str) -> Response:
        start_at = int(request.args.get("startAt", 0))
        max_results = int(request.args.get("maxResults", 50))
        newest_first = request.args.get("orderBy", "created") == "-created"
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            ordered = list(reversed(issue.comments)) if newest_first else list(issue.comments)
            return jsonify(self._json.comment_page(issue, ordered, start_at, max_results))

    # -- transitions -------------------------------------------------------------------------------------
    def _transitions(self, key: str) -> Response:
        wanted_id = request.args.get("transitionId")
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            available = [t for t in TRANSITIONS[issue.status] if wanted_id in (None, t[0])]
            return jsonify(expand="transitions", transitions=[self._json.transition(*t) for t in available])

    def _do_transition(self, key: str) -> Response:
        body = request.get_json(silent=True) or {}
        transition_id = str((body.get("transition") or {}).get("id", ""))
        if not transition_id:
            return jira_error(400, ["Missing 'transition' identifier"])
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            target = next((to for tid, _name, to in TRANSITIONS[issue.status] if tid == transition_id), None)
            if target is None:
                return jira_error(400, [f"Transition id '{transition_id}' is not valid for this issue."])
            issue.move_to(target)
            for op in (body.get("update") or {}).get("comment", []):
                self.store.add_comment(issue, self.store.bot.account_id, op["add"]["body"])
        return Response(status=204)

    # -- remote links ------------------------------------------------------------------------------------
    def _remote_links(self, key: str) -> Response:
        global_id = request.args.get("globalId")
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            links = [self._json.remote_link(issue, link) for link in issue.remote_links]
        if global_id is None:
            return jsonify(links)
        match = next((link for link in links if link.get("globalId") == global_id), None)
        return jsonify(match) if match else jira_error(404, ["No remote link with this global id."])

    def _put_remote_link(self, key: str) -> Response:
        body = request.get_json(silent=True) or {}
        obj = body.get("object") or {}
        errors = {name: f"'{name}' is required." for name in ("url", "title") if not obj.get(name)}
        if errors:
            return jira_error(400, errors=errors)
        with self.lock:
            issue = self.store.find_issue(key)
            if issue is None:
                return jira_error(404, [ISSUE_NOT_FOUND])
            link, created = self.store.put_remote_link(issue, body)
            resp = jsonify(self._json.remote_link_ref(issue, link))
        resp.status_code = 201 if created else 200
        return resp

    def _applinks(self) -> Response:
        return jsonify(list=[])  # no application links: the library then uses our globalId as given


def _name_of(ref: Any, ids_by_name: dict[str, str]) -> str | None:
    """A {"name": ...} or {"id": ...} reference resolved to a name."""
    ref = ref or {}
    if "name" in ref:
        return ref["name"]
    return next((name for name, ident in ids_by_name.items() if ident == str(ref.get("id"))), None)


def _text_field_errors(fields: dict[str, Any], *, required_summary: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    summary = fields.get("summary")
    if (summary is None and required_summary) or (summary is not None and not str(summary).strip()):
        errors["summary"] = "You must specify a summary of the issue."
    elif summary is not None and len(summary) > SUMMARY_LIMIT:
        errors["summary"] = "Summary must be less than 255 characters."
    elif summary is not None and ("\n" in summary or "\r" in summary):
        errors["summary"] = "The summary is invalid because it contains newline characters."
    if len(fields.get("description") or "") > TEXT_LIMIT:
        errors["description"] = TEXT_TOO_LONG
    if "priority" in fields and _name_of(fields["priority"], PRIORITIES) not in PRIORITIES:
        errors["priority"] = "The priority selected is invalid."
    for label in fields.get("labels") or []:
        if " " in label:
            errors["labels"] = f"The label '{label}' contains spaces which is invalid."
    return errors


def _apply_edit(issue: Issue, fields: dict[str, Any], update: dict[str, Any]) -> None:
    if "summary" in fields:
        issue.summary = fields["summary"]
    if "description" in fields:
        issue.description = fields["description"]
    if "priority" in fields:
        issue.priority = _name_of(fields["priority"], PRIORITIES)
    if "assignee" in fields:
        assignee = fields["assignee"] or {}
        issue.assignee = assignee.get("accountId") or assignee.get("name")
    if "labels" in fields:
        issue.labels = list(fields["labels"])
    for op in update.get("labels", []):
        if "add" in op and op["add"] not in issue.labels:
            issue.labels.append(op["add"])
        if "remove" in op and op["remove"] in issue.labels:
            issue.labels.remove(op["remove"])
    issue.updated = now()


def _field_list(param: str | None) -> set[str] | None:
    """The `fields` parameter as a set, or None for all fields (*all, *navigable or absent)."""
    names = {f.strip() for f in (param or "").split(",") if f.strip()}
    return None if not names or names & {"*all", "*navigable"} else names
