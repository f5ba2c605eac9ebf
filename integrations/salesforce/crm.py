"""Salesforce as CaseSwarm's CRM: the CRM port over simple-salesforce (REST API).

Notes are internal CaseComments (or Chatter FeedItems) ending with a marker line `[caseswarm:<marker>]`; before
writing, a SOQL query looks for that line, so a retry after an ambiguous failure never writes a note twice.
The customer's support tier is read from an Account field, `Tier__c` by default (a custom picklist).
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterator, Literal, Mapping
from urllib.parse import urlparse

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)
from simple_salesforce.format import format_soql

from integrations.notes import note_parts, retry_after_seconds
from integrations.rate_limits import CoolingAdapter
from swarm.errors import NotFound, PermanentFailure, RetryLater
from swarm.model import CaseStatus
from swarm.ports import CrmRef, CustomerContext

log = logging.getLogger(__name__)

REQUEST_LIMIT_BACKOFF = 300.0  # seconds; the daily API limit is a rolling 24-hour window, so retrying at once is futile
_RETRYABLE_STATUSES = {408, 429}
_ACCOUNT_ID = re.compile(r"001[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?")
_CASE_ID = re.compile(r"500[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?")
OPEN_CASES_SUBQUERY = ", (SELECT Id FROM Cases WHERE IsClosed = false)"
_OWN_MARKER_LINE = re.compile(r"\[caseswarm:[^\n]*\]")


@dataclass(frozen=True)
class _NoteKind:
    sobject: str
    body_field: str
    limit: int  # characters
    filterable: bool  # long text areas (FeedItem.Body) cannot be used in a WHERE clause


_NOTE_KINDS = {
    "comment": _NoteKind("CaseComment", "CommentBody", 4000, filterable=True),
    "feed_item": _NoteKind("FeedItem", "Body", 10_000, filterable=False),
}


def is_own_note(body: str) -> bool:
    """True if CaseSwarm wrote this note (its last line is our marker)."""
    return _marker_line(body) is not None


class SalesforceCRM:
    """The CRM port on Salesforce, with an access token (or the JWT bearer flow, see `from_jwt`)."""

    name = "salesforce"

    def __init__(
        self,
        instance_url: str,
        *,
        access_token: str,
        ca_bundle: str | None = None,
        status_map: Mapping[str, str],
        note_kind: Literal["comment", "feed_item"] = "comment",
        api_version: str = "59.0",
        timeout: float = 10,
        tier_field: str | None = "Tier__c",
    ) -> None:
        if note_kind not in _NOTE_KINDS:
            raise ValueError(f"note_kind {note_kind!r} is not one of: {', '.join(_NOTE_KINDS)}")
        self._instance_url = instance_url.rstrip("/")
        self._status_map = dict(status_map)
        self._note = _NOTE_KINDS[note_kind]
        self._tier_field = tier_field
        self._client = Salesforce(
            instance_url=self._instance_url,
            session_id=access_token,
            session=_TimedSession(timeout=timeout, ca_bundle=ca_bundle),
            version=api_version,
        )

    @classmethod
    def from_jwt(
        cls,
        *,
        client_id: str,
        username: str,
        private_key_file: str,
        domain: str = "login",
        status_map: Mapping[str, str],
        note_kind: Literal["comment", "feed_item"] = "comment",
        api_version: str = "59.0",
        timeout: float = 10,
    ) -> "SalesforceCRM":
        """Log in with the OAuth 2.0 JWT bearer flow (SALESFORCE_CLIENT_ID, SALESFORCE_USERNAME,
        SALESFORCE_PRIVATE_KEY_FILE); simple-salesforce logs in again by itself when the session expires."""
        with _salesforce_errors("log in with the JWT bearer flow"):
            client = Salesforce(
                username=username,
                consumer_key=client_id,
                privatekey_file=private_key_file,
                domain=domain,
                session=_TimedSession(timeout=timeout, ca_bundle=None),
                version=api_version,
            )
        crm = cls(f"https://{client.sf_instance}", access_token=client.session_id, status_map=status_map,
                  note_kind=note_kind, api_version=api_version, timeout=timeout)
        crm._client = client  # this one knows how to log in again
        return crm

    # -- the CRM port -----------------------------------------------------------------------------------------
    def find_customer(self, customer: str) -> CustomerContext | None:
        """The account by id or exact name (case-insensitive), with its tier and number of open cases."""
        customer = customer.strip()
        with _salesforce_errors(f"look up customer {customer!r}"):
            account = self._account(customer)
        if account is None:
            return None
        # The open cases come nested in the account's row (a relationship subquery): one API call, not two.
        # Salesforce leaves the relationship null when there are none; totalSize counts them all even when paged.
        open_cases = (account.get("Cases") or {}).get("totalSize", 0)
        tier = account.get(self._tier_field) if self._tier_field else None
        return CustomerContext(account["Id"], account["Name"], tier=tier, open_cases=open_cases)

    def get_record(self, ref: str) -> CrmRef:
        """A case by Id or CaseNumber ('1001' also finds '00001001')."""
        ref = ref.strip()
        with _salesforce_errors(f"read Salesforce case {ref}"):
            case = self._case_by_id(ref) if _CASE_ID.fullmatch(ref) else self._case_by_number(ref)
        return CrmRef(id=case["Id"], number=case["CaseNumber"], url=self._record_url(case["Id"]))

    def add_note(self, record_id: str, *, marker: str, text: str) -> str:
        """Add `text` exactly (in numbered parts past the field's limit) unless a note with `marker` exists."""
        case_id = self._case_id(record_id)
        parts = note_parts(text, marker, limit=self._note.limit, marker_line=lambda m: f"[caseswarm:{m}]")
        with _salesforce_errors(f"add a note to case {record_id}"):
            existing = self._own_note_ids(case_id, marker)
            ids = [existing.get(part.marker_line) or self._create_note(case_id, part.body) for part in parts]
        return ids[0]

    def set_status(self, record_id: str, status: CaseStatus, *, marker: str, note: str | None = None) -> None:
        """Set Case.Status to the value mapped for `status` (none mapped: nothing to do), then add `note`."""
        case_id = self._case_id(record_id)
        target = self._status_map.get(status.value)
        if target:
            with _salesforce_errors(f"set the status of case {record_id} to {target!r}"):
                current = self._client.Case.get(case_id, params={"fields": "Status"})["Status"]
                if current != target:
                    self._client.Case.update(case_id, {"Status": target})
                    log.info("salesforce.case_status case=%s from=%s to=%s", case_id, current, target)
        if note:
            self.add_note(case_id, marker=marker, text=note)

    def create_task(self, record_id: str, *, marker: str, subject: str, due: date, description: str) -> str:
        """A Task on the case (the customer follow-up), found by its marker line if an earlier try created it."""
        case_id = self._case_id(record_id)
        marker_line = f"[caseswarm:{marker}]"
        with _salesforce_errors(f"create a follow-up task on case {record_id}"):
            soql = format_soql("SELECT Id, Description FROM Task WHERE WhatId = {} AND Subject = {}", case_id, subject[:255])
            for task in self._client.query(soql)["records"]:
                if marker_line in (task.get("Description") or ""):
                    return task["Id"]
            created = self._client.Task.create({"WhatId": case_id, "Subject": subject[:255], "ActivityDate": due.isoformat(),
                                                "Status": "Not Started", "Description": f"{description}\n\n{marker_line}"})
        log.info("salesforce.task_created case=%s task=%s", case_id, created["id"])
        return created["id"]

    # -- lookups ----------------------------------------------------------------------------------------------
    def _account(self, customer: str) -> dict[str, Any] | None:
        """The account row (with its open cases nested under "Cases"), or None."""
        # Salesforce rejects a malformed id in a WHERE clause, so ask by Id only for id-shaped input.
        key = "Id" if _ACCOUNT_ID.fullmatch(customer) else "Name"
        fields = "Id, Name" + (f", {self._tier_field}" if self._tier_field else "") + OPEN_CASES_SUBQUERY
        soql = format_soql(f"SELECT {fields} FROM Account WHERE {key} = {{}} ORDER BY CreatedDate LIMIT 1", customer)
        records = self._client.query(soql)["records"]
        return records[0] if records else None

    def _case_by_id(self, case_id: str) -> dict[str, Any]:
        return self._client.Case.get(case_id, params={"fields": "Id,CaseNumber"})

    def _case_by_number(self, number: str) -> dict[str, Any]:
        candidates = [number, number.zfill(8)] if number.isdigit() else [number]
        soql = format_soql("SELECT Id, CaseNumber FROM Case WHERE CaseNumber IN {} LIMIT 1", candidates)
        records = self._client.query(soql)["records"]
        if not records:
            raise NotFound(f"Salesforce has no case with number {number}")
        return records[0]

    def _record_url(self, record_id: str) -> str:
        return f"{self._instance_url}/lightning/r/Case/{record_id}/view"

    def _case_id(self, ref: str) -> str:
        return ref if _CASE_ID.fullmatch(ref) else self.get_record(ref).id

    # -- notes ------------------------------------------------------------------------------------------------
    def _own_note_ids(self, case_id: str, marker: str) -> dict[str, str]:
        """Our notes on the case for this marker, by marker line."""
        kind = self._note
        prefix = f"[caseswarm:{marker}"
        soql = f"SELECT Id, {kind.body_field} FROM {kind.sobject} WHERE ParentId = {{}}"
        if kind.filterable:
            soql += f" AND {kind.body_field} LIKE '%{{:like}}%'"
        records = self._client.query_all(format_soql(soql, case_id, prefix))["records"]
        found: dict[str, str] = {}
        for record in records:
            line = _marker_line(record[kind.body_field] or "")
            if line is not None and line.startswith(prefix):
                found.setdefault(line, record["Id"])
        return found

    def _create_note(self, case_id: str, body: str) -> str:
        fields: dict[str, Any] = {"ParentId": case_id, self._note.body_field: body}
        if self._note.sobject == "CaseComment":
            fields["IsPublished"] = False  # internal: the customer does not see swarm notes in the portal
        return getattr(self._client, self._note.sobject).create(fields)["id"]


class _TimedSession(requests.Session):
    """The HTTP session simple-salesforce uses: a default timeout (it passes none), the given CA bundle, and
    RetryLater for throttling and outages, raised here where the Retry-After header is still at hand."""

    def __init__(self, *, timeout: float, ca_bundle: str | None) -> None:
        super().__init__()
        self.verify = ca_bundle or True
        self.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment would override `verify`
        self._timeout = timeout
        for scheme in ("https://", "http://"):  # after a 429, no call of that REST method before Retry-After
            self.mount(scheme, CoolingAdapter("Salesforce"))

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        response = super().request(method, url, *args, **kwargs)
        if response.status_code in _RETRYABLE_STATUSES or response.status_code >= 500:
            path = urlparse(str(url)).path
            raise RetryLater(f"Salesforce answered {response.status_code} to {method!s} {path}", _retry_after(response))
        return response


@contextlib.contextmanager
def _salesforce_errors(action: str) -> Iterator[None]:
    """Translate simple-salesforce and network errors into the core's errors."""
    try:
        yield
    except SalesforceError as error:
        raise _translate(error, action) from error
    except requests.exceptions.SSLError as error:
        reason = f"Salesforce's TLS certificate was not trusted while trying to {action}; check ca_bundle"
        raise PermanentFailure(reason) from error
    except (requests.Timeout, requests.ConnectionError) as error:
        raise RetryLater(f"Salesforce did not answer while trying to {action} ({type(error).__name__})") from error


def _translate(error: SalesforceError, action: str) -> Exception:
    codes, detail = _error_details(error.content)
    if isinstance(error, SalesforceResourceNotFound):
        return NotFound(f"Salesforce has no such record (while trying to {action})")
    if "REQUEST_LIMIT_EXCEEDED" in codes:
        return RetryLater(
            f"Salesforce's API request limit is exhausted (REQUEST_LIMIT_EXCEEDED) while trying to {action}",
            retry_after=REQUEST_LIMIT_BACKOFF,
        )
    if isinstance(error, SalesforceAuthenticationFailed):
        return PermanentFailure(f"Salesforce login failed while trying to {action}: {error.code}: {error.auth_message}")
    if isinstance(error, SalesforceExpiredSession):
        return PermanentFailure(f"Salesforce rejected the access token ({detail}) while trying to {action}: "
                                "renew the token or use the JWT bearer flow")
    if isinstance(error, SalesforceRefusedRequest):
        return PermanentFailure(f"Salesforce refused to {action} (403 {detail})")
    if error.status in _RETRYABLE_STATUSES or error.status >= 500:
        return RetryLater(f"Salesforce answered {error.status} while trying to {action}")
    return PermanentFailure(f"Salesforce rejected the request to {action} ({error.status} {detail})")


def _error_details(content: Any) -> tuple[list[str], str]:
    """Error codes and a readable summary from Salesforce's [{"errorCode", "message"}] body."""
    if isinstance(content, list):
        items = [e for e in content if isinstance(e, dict)]
        summary = "; ".join(f"{e.get('errorCode')}: {e.get('message')}" for e in items)
        return [e.get("errorCode", "") for e in items], summary
    if isinstance(content, dict):  # OAuth endpoints answer {"error", "error_description"}
        return [content.get("error", "")], f"{content.get('error')}: {content.get('error_description')}"
    return [], str(content)[:300]


def _retry_after(response: requests.Response) -> float | None:
    return retry_after_seconds(response.headers.get("Retry-After"))


# -- note text ---------------------------------------------------------------------------------------------
def _marker_line(body: str) -> str | None:
    last = body.rstrip().rsplit("\n", 1)[-1].strip()
    return last if _OWN_MARKER_LINE.fullmatch(last) else None
