"""A stateful fake of the Salesforce REST API (/services/data/vXX.X/), served over TLS as simple-salesforce needs.

Call names for fault injection and the request log (`method_name()`): "<HTTP method> <sObject>" for record calls,
e.g. "POST Case", "GET Case", "PATCH Case", "POST CaseComment", "POST FeedItem", "POST Task", "GET Account";
"query" for SOQL. Objects: Account (custom field Tier__c holds the support tier), Case, CaseComment, FeedItem, Task.
"""

from __future__ import annotations

import copy
import dataclasses
import hmac
import json
import shutil
from dataclasses import dataclass
from typing import Any

from flask import Response, request

from integrations.salesforce.sandbox import soql
from integrations.salesforce.sandbox.store import OBJECTS, SalesforceFault, SalesforceStore
from integrations.sandbox.server import Fault, SandboxServer
from integrations.sandbox.tls import LocalCert, make_localhost_cert

REQUEST_LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
_FAULT_BODIES = {
    400: [{"message": "The request is malformed.", "errorCode": "MALFORMED_QUERY"}],
    401: [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    403: REQUEST_LIMIT_EXCEEDED,
    404: [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
    500: [{"message": "An unexpected error occurred. Please include this ErrorId if you contact support: "
                      "1234567890-12345 (-1234567890)", "errorCode": "UNKNOWN_EXCEPTION"}],
    503: [{"message": "Server temporarily unavailable.", "errorCode": "SERVER_UNAVAILABLE"}],
}


@dataclass(frozen=True)
class SeededOrg:
    """Ids of the demo records: accounts by name, cases by CaseNumber."""

    accounts: dict[str, str]
    cases: dict[str, str]


def salesforce_error(status: int, body: list[dict[str, Any]]) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class SalesforceSandbox(SandboxServer):
    """Salesforce, faked: records with real-looking ids, a SOQL subset, Salesforce's error lists, Bearer auth."""

    name = "salesforce"

    def __init__(self, *, access_token: str = "sandbox-access-token") -> None:
        super().__init__()
        self._access_token = access_token
        self.store = SalesforceStore()
        self.tls: LocalCert | None = None
        self.app.before_request(self._authenticate)  # after fault injection, which the base registered first
        self._register_routes()

    # -- lifecycle: always TLS -------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0, ssl_context: Any = None) -> str:
        """Serve over https with a fresh certificate; clients trust `ca_bundle`."""
        if ssl_context is None:
            self.tls = make_localhost_cert()
            ssl_context = self.tls.ssl_context
        return super().start(host, port, ssl_context=ssl_context)

    def stop(self) -> None:
        super().stop()
        if self.tls is not None:
            shutil.rmtree(self.tls.directory, ignore_errors=True)
            self.tls = None

    @property
    def ca_bundle(self) -> str:
        """The CA file a client passes as `verify` (only once started)."""
        if self.tls is None:
            raise RuntimeError("The Salesforce sandbox has no certificate until start()")
        return self.tls.ca_path

    # -- naming and error shapes -----------------------------------------------------------------------------
    def method_name(self) -> str:
        if request.endpoint is None or request.view_args is None:
            return f"{request.method} {request.path}"
        return request.endpoint.format(**request.view_args)

    def fault_response(self, fault: Fault) -> Response:
        if fault.body is None:
            body = _FAULT_BODIES.get(fault.status or 500, [{"message": "Injected error", "errorCode": "UNKNOWN"}])
            fault = dataclasses.replace(fault, body=body)
        return super().fault_response(fault)

    # -- state for tests and the demo ------------------------------------------------------------------------
    def records(self, object_name: str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.store.records[object_name].values()))

    def record(self, object_name: str, record_id: str) -> dict[str, Any]:
        with self.lock:
            found = self.store.get(object_name, record_id)
            if found is None:
                raise KeyError(f"No {object_name} {record_id} in the Salesforce sandbox")
            return copy.deepcopy(found)

    def case_comments(self, case_id: str) -> list[dict[str, Any]]:
        return [c for c in self.records("CaseComment") if c["ParentId"][:15] == case_id[:15]]

    def feed_items(self, parent_id: str) -> list[dict[str, Any]]:
        return [f for f in self.records("FeedItem") if f["ParentId"][:15] == parent_id[:15]]

    def insert(self, object_name: str, **values: Any) -> str:
        """Add a record directly (seeding may set read-only fields such as CaseNumber); return its id."""
        with self.lock:
            return self.store.insert(object_name, values, trusted=True)["Id"]

    def seed_demo_org(self) -> SeededOrg:
        """Acme Corp (Gold, 2 open cases + 1 closed), Globex (Platinum, 1 open), Initech (Standard, 1 open)."""
        accounts = {
            name: self.insert("Account", Name=name, Tier__c=tier, Industry=industry)
            for name, tier, industry in [
                ("Acme Corp", "Gold", "Manufacturing"),
                ("Globex", "Platinum", "Energy"),
                ("Initech", "Standard", "Technology"),
            ]
        }
        cases = {}
        for number, account, subject, status in [
            ("00001001", "Acme Corp", "Invoices show the wrong tax rate", "Working"),
            ("00001002", "Acme Corp", "SSO login loops back to the sign-in page", "New"),
            ("00001003", "Acme Corp", "Refund for duplicate charge", "Closed"),
            ("00001004", "Globex", "API latency above 2 s in EU", "Escalated"),
            ("00001005", "Initech", "TPS report export fails", "New"),
        ]:
            cases[number] = self.insert(
                "Case", CaseNumber=number, AccountId=accounts[account], Subject=subject, Status=status
            )
        return SeededOrg(accounts=accounts, cases=cases)

    # -- internals --------------------------------------------------------------------------------------------
    def _authenticate(self) -> Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), self._access_token.encode()):
            return None
        return salesforce_error(401, _FAULT_BODIES[401])

    def _register_routes(self) -> None:
        base = "/services/data/v<version>"
        self.app.add_url_rule(f"{base}/sobjects/<obj>/", endpoint="POST {obj}", view_func=self._create,
                              methods=["POST"], strict_slashes=False)
        self.app.add_url_rule(f"{base}/sobjects/<obj>/<record_id>", endpoint="GET {obj}", view_func=self._get,
                              methods=["GET"])
        self.app.add_url_rule(f"{base}/sobjects/<obj>/<record_id>", endpoint="PATCH {obj}", view_func=self._update,
                              methods=["PATCH"])
        self.app.add_url_rule(f"{base}/query/", endpoint="query", view_func=self._query, methods=["GET"],
                              strict_slashes=False)
        self.app.register_error_handler(404, self._no_such_resource)
        self.app.register_error_handler(405, self._no_such_resource)
        self.app.register_error_handler(SalesforceFault, self._fault)

    def _no_such_resource(self, _error: Exception) -> Response:
        return salesforce_error(404, [{"message": f"The requested resource does not exist (sandbox: {request.path})",
                                       "errorCode": "NOT_FOUND"}])

    @staticmethod
    def _fault(error: SalesforceFault) -> Response:
        return salesforce_error(error.status, error.body)

    @staticmethod
    def _known(obj: str) -> None:
        if obj not in OBJECTS:
            raise SalesforceFault(404, "NOT_FOUND", f"The requested resource does not exist: sObject type '{obj}'")

    def _create(self, version: str, obj: str) -> Response:
        self._known(obj)
        values = request.get_json(silent=True)
        if not isinstance(values, dict):
            raise SalesforceFault(400, "JSON_PARSER_ERROR", "The request body is not a JSON object.")
        with self.lock:
            record = self.store.insert(obj, values)
        return Response(json.dumps({"id": record["Id"], "success": True, "errors": []}), status=201,
                        mimetype="application/json")

    def _get(self, version: str, obj: str, record_id: str) -> Response:
        self._known(obj)
        wanted = [soql.field_name(obj, f.strip()) for f in request.args.get("fields", "").split(",") if f.strip()]
        with self.lock:
            record = self.store.get(obj, record_id)
            if record is None:
                raise SalesforceFault(404, "NOT_FOUND", "The requested resource does not exist")
            body = self._shape(version, obj, record, wanted or list(record))
        return Response(json.dumps(body), mimetype="application/json")

    def _update(self, version: str, obj: str, record_id: str) -> Response:
        self._known(obj)
        values = request.get_json(silent=True)
        if not isinstance(values, dict):
            raise SalesforceFault(400, "JSON_PARSER_ERROR", "The request body is not a JSON object.")
        with self.lock:
            self.store.update(obj, record_id, values)
        return Response(status=204)

    def _query(self, version: str) -> Response:
        query = soql.parse(request.args.get("q", ""))
        with self.lock:
            rows = [r for r in self.store.records[query.object_name].values() if query.predicate(r)]
            if query.order_by:
                rows.sort(key=lambda r: (r[query.order_by] is None, r[query.order_by]), reverse=query.descending)
            rows = rows[: query.limit] if query.limit is not None else rows
            records = [] if query.is_count else [self._with_children(version, query, r) for r in rows]
        return Response(json.dumps({"totalSize": len(rows), "done": True, "records": records}),
                        mimetype="application/json")

    def _with_children(self, version: str, query, record: dict[str, Any]) -> dict[str, Any]:
        """The row, with each subquery's related records nested under the relationship name (null when none)."""
        row = self._shape(version, query.object_name, record, query.fields)
        for child in query.children:
            related = [self._shape(version, child.object_name, r, child.fields)
                       for r in self.store.records[child.object_name].values()
                       if (r.get(child.lookup) or "")[:15] == record["Id"][:15] and child.predicate(r)]
            row[child.relationship] = {"totalSize": len(related), "done": True, "records": related} if related else None
        return row

    @staticmethod
    def _shape(version: str, obj: str, record: dict[str, Any], fields: Any) -> dict[str, Any]:
        attributes = {"type": obj, "url": f"/services/data/v{version}/sobjects/{obj}/{record['Id']}"}
        return {"attributes": attributes, **{f: record.get(f) for f in fields}}
