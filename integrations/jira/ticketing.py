"""Jira as CaseSwarm's ticketing system: the Ticketing port over the `jira` library (REST API v2).

Idempotency: an issue carries the label `caseswarm-<case key>` from the create call itself, so after an ambiguous
failure (a timeout after Jira applied the create) the retry finds it instead of creating a second one. Labels, not an
issue property: Jira Cloud's JQL only searches issue properties that an installed app declares for indexing.
The channel link goes into that same create call (description and the `caseswarm` issue property); only an existing
issue linked to a case gets a remote link, once, found again by its globalId.
Notes end with a marker line `{{caseswarm:<marker>}}` (monospace in Jira) that makes them findable, and lets the
inbound webhook recognise our own comments (`is_own_comment`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from typing import Any, Iterator, Mapping
from urllib.parse import urlparse

import requests
from jira import JIRA, JIRAError
from jira.resources import Issue

from integrations.notes import note_parts, retry_after_seconds
from integrations.rate_limits import CoolingAdapter
from swarm.errors import NotFound, PermanentFailure, RetryLater
from swarm.model import CaseStatus, CaseSummary
from swarm.ports import TicketRef

log = logging.getLogger(__name__)

COMMENT_LIMIT = 32_767  # Jira Cloud's limit on a comment body, in characters
SUMMARY_LIMIT = 255
DESCRIPTION_BUDGET = 30_000  # leaves room for the case facts under the description
_COMMENT_PAGE = 100
_OWN_MARKER_LINE = re.compile(r"\{\{caseswarm:[^\n]*\}\}")
_ADF_MARKER_TEXT = re.compile(r"(?:\{\{)?caseswarm:[^\n]*?(?:\}\})?")
_RETRYABLE_STATUSES = {408, 429}
_CLOSED_CASE = {CaseStatus.RESOLVED, CaseStatus.ARCHIVED}
CASE_PROPERTY = "caseswarm"  # the issue property that names the case and its channel link


def is_own_comment(body: str | Mapping[str, Any]) -> bool:
    """True if CaseSwarm wrote this comment (its last line is our marker), so an inbound webhook can ignore it.

    Takes a REST v2 body (wiki text) or a v3 ADF document, where our `{{...}}` line arrives as code-marked text."""
    if isinstance(body, Mapping):
        return _ADF_MARKER_TEXT.fullmatch(_last_adf_block_text(body)) is not None
    return _marker_line(body) is not None


def case_label(case_key: str) -> str:
    """The label that ties an issue to a case, e.g. caseswarm-cs-1."""
    return f"caseswarm-{case_key.lower()}"


class JiraTicketing:
    """The Ticketing port on Jira Cloud or Data Center (basic auth with an API token, or a PAT)."""

    name = "jira"
    is_own_comment = staticmethod(is_own_comment)

    def __init__(
        self,
        url: str,
        *,
        email: str | None = None,
        api_token: str | None = None,
        pat: str | None = None,
        ca_bundle: str | None = None,
        projects: Mapping[str, tuple[str, str]],
        default_project: tuple[str, str],
        priorities: Mapping[str, str],
        done_status: str = "Done",
        reopen_status: str = "To Do",
        timeout: float = 10,
        cloud: bool | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._projects = dict(projects)
        self._default_project = default_project
        self._priorities = dict(priorities)
        self._done_status = done_status
        self._reopen_status = reopen_status
        self._client = JIRA(
            server=self._url,
            **_auth(email, api_token, pat),
            get_server_info=False,  # no call at construction; the app starts even if Jira is down
            max_retries=0,  # the workflow retries, with back-off and Retry-After; the library must not
            timeout=timeout,
            options={"verify": ca_bundle or True},
        )
        for scheme in ("https://", "http://"):  # after a 429, no call of that endpoint and method before Retry-After
            self._client._session.mount(scheme, CoolingAdapter("Jira"))
        on_cloud = _is_cloud(self._url) if cloud is None else cloud
        if on_cloud:
            # Unknown without serverInfo; on Cloud, search must use /search/jql (the old /search is gone there).
            self._client.deploymentType = "Cloud"

    # -- the Ticketing port ---------------------------------------------------------------------------------
    def ensure_ticket(self, case: CaseSummary, *, channel_url: str, maybe_created_earlier: bool = True) -> TicketRef:
        """The case's issue: the linked one, else the one an earlier attempt created, else a new one carrying
        `channel_url` (one call: no remote link). A first attempt (maybe_created_earlier=False) skips the search:
        there is nothing to find yet."""
        with self._jira_errors(f"find or create the ticket for {case.key}"):
            issue = self._linked_or_created_earlier(case) if case.ticket_key or maybe_created_earlier else None
            if issue is None:
                issue = self._create_issue(case, channel_url)
                log.info("jira.ticket_created case_key=%s ticket=%s", case.key, issue.key)
            return self._ref(issue)

    def link_channel(self, ticket_key: str, *, case_key: str, channel_url: str) -> None:
        """An existing issue's remote link to the case channel (one per case, found again by its globalId)."""
        with self._jira_errors(f"link {ticket_key} to the channel of {case_key}"):
            self._link_channel(ticket_key, case_key, channel_url)

    def get_ticket(self, key: str) -> TicketRef:
        """An existing issue (to link to a case); NotFound if Jira has none with this key."""
        with self._jira_errors(f"read ticket {key}"):
            return self._ref(self._client.issue(key, fields="status"))

    def add_note(self, ticket_key: str, *, marker: str, text: str) -> str:
        """Comment `text` exactly (split into numbered parts past Jira's limit) unless it is there already."""
        parts = note_parts(text, marker, limit=COMMENT_LIMIT, marker_line=lambda m: f"{{{{caseswarm:{m}}}}}")
        with self._jira_errors(f"add a note to {ticket_key}"):
            existing = self._own_comment_ids(ticket_key, {part.marker_line for part in parts})
            ids = [existing.get(part.marker_line) or self._post_comment(ticket_key, part.body) for part in parts]
        return ids[0]

    def set_status(self, ticket_key: str, status: CaseStatus, *, marker: str, note: str | None = None) -> None:
        """Resolve (done status) or reopen the issue to match the case; a no-op when it already matches."""
        with self._jira_errors(f"move {ticket_key} to match case status '{status.value}'"):
            current = self._client.issue(ticket_key, fields="status").fields.status
            target = self._target_status(status, current)
            if target is not None:
                self._transition(ticket_key, current.name, target)
                log.info("jira.ticket_transitioned ticket=%s from=%s to=%s", ticket_key, current.name, target)
        if note:
            self.add_note(ticket_key, marker=marker, text=note)

    def create_item(self, *, key: str, summary: str, description: str) -> TicketRef:
        """An issue in the default project labelled `caseswarm-<key>`: found by that label if it exists already."""
        label = f"caseswarm-{key.lower()}"
        with self._jira_errors(f"find or create the item {key}"):
            found = self._client.search_issues(f'labels = "{label}" ORDER BY created ASC', maxResults=1, fields="status")
            if found:
                return self._ref(found[0])
            project_key, issue_type = self._default_project
            issue = self._client.create_issue(fields={
                "project": {"key": project_key}, "issuetype": {"name": issue_type}, "summary": summary[:SUMMARY_LIMIT],
                "description": description[:DESCRIPTION_BUDGET], "labels": ["caseswarm", label]})
            log.info("jira.item_created key=%s ticket=%s", key, issue.key)
            return self._ref(issue)

    # -- finding and creating -------------------------------------------------------------------------------
    def _linked_or_created_earlier(self, case: CaseSummary) -> Any:
        if case.ticket_key:
            return self._client.issue(case.ticket_key, fields="status")
        jql = f'labels = "{case_label(case.key)}" ORDER BY created ASC'
        found = self._client.search_issues(jql, maxResults=1, fields="status")
        return found[0] if found else None

    def _create_issue(self, case: CaseSummary, channel_url: str) -> Any:
        project_key, issue_type = self._projects.get(case.category, self._default_project)
        fields: dict[str, Any] = {
            "project": {"key": project_key},  # dicts, not names: names make the library look them up first
            "issuetype": {"name": issue_type},
            "summary": _summary(case),
            "description": _description(case, channel_url),
            "labels": ["caseswarm", case_label(case.key)],
        }
        priority = self._priorities.get(case.severity.value)
        if priority:
            fields["priority"] = {"name": priority}
        body = {"fields": fields,
                "properties": [{"key": CASE_PROPERTY, "value": {"case": case.key, "channel_url": channel_url}}]}
        # Posted through the client's own session and URL (its auth, TLS, timeout and our CoolingAdapter) because
        # JIRA.create_issue sends only `fields`, and the property must come with the issue: a second call is what
        # this saves, and an issue is never left without it. Non-2xx raises JIRAError there, as create_issue would.
        response = self._client._session.post(self._client._get_url("issue"), data=json.dumps(body))
        return Issue(self._client._options, self._client._session, raw=response.json())  # has the key: no re-read

    def _link_channel(self, issue_key: str, case_key: str, channel_url: str) -> None:
        # Jira updates the link that has the same globalId instead of adding one, so this is safe to repeat.
        self._client.add_remote_link(
            issue_key,
            destination={"url": channel_url, "title": f"Swarm channel for {case_key}"},
            globalId=f"caseswarm:{case_key}",
            application={"type": "com.caseswarm", "name": "CaseSwarm"},
            relationship="swarm channel",
        )

    def _ref(self, issue: Any) -> TicketRef:
        status = getattr(getattr(getattr(issue, "fields", None), "status", None), "name", None)  # unknown right after create
        return TicketRef(key=issue.key, url=f"{self._url}/browse/{issue.key}", status=status)

    # -- notes --------------------------------------------------------------------------------------------
    def _own_comment_ids(self, ticket_key: str, marker_lines: set[str]) -> dict[str, str]:
        """Ids of our comments carrying these marker lines, newest first, paging only as far as needed."""
        found: dict[str, str] = {}
        start = 0
        while True:
            page = self._client.comments(ticket_key, start_at=start, max_results=_COMMENT_PAGE, order_by="-created")
            for comment in page:
                line = _marker_line(comment.body)
                if line in marker_lines:
                    found.setdefault(line, str(comment.id))
            if len(page) < _COMMENT_PAGE or marker_lines <= found.keys():
                return found
            start += len(page)

    def _post_comment(self, ticket_key: str, body: str) -> str:
        return str(self._client.add_comment(ticket_key, body).id)

    # -- status -------------------------------------------------------------------------------------------
    def _target_status(self, status: CaseStatus, current: Any) -> str | None:
        """Where the issue must go, or None. Any status in Jira's 'done' category counts as resolved."""
        is_done = current.statusCategory.key == "done" or current.name.lower() == self._done_status.lower()
        if status in _CLOSED_CASE:
            return None if is_done else self._done_status
        return self._reopen_status if is_done else None

    def _transition(self, ticket_key: str, current: str, target: str) -> None:
        options = self._client.transitions(ticket_key)
        chosen = next((t for t in options if t["to"]["name"].lower() == target.lower()), None)
        if chosen is None:
            offered = ", ".join(f"'{t['name']}' → '{t['to']['name']}'" for t in options) or "none"
            raise PermanentFailure(
                f"Jira offers no transition from '{current}' to '{target}' on {ticket_key} (available: {offered})"
            )
        self._client.transition_issue(ticket_key, str(chosen["id"]))

    # -- errors -------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _jira_errors(self, action: str) -> Iterator[None]:
        """Translate library and network errors into the core's errors."""
        try:
            yield
        except JIRAError as error:
            # `from None`: a JIRAError's str() can include request headers, so it must not reach a log.
            raise _translate(error, action) from None
        except requests.exceptions.SSLError as error:
            reason = f"Jira's TLS certificate was not trusted while trying to {action}; check ca_bundle"
            raise PermanentFailure(reason) from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise RetryLater(f"Jira did not answer while trying to {action} ({type(error).__name__})") from error


def _translate(error: JIRAError, action: str) -> Exception:
    status, detail = error.status_code, (error.text or "").strip()
    if status is None:
        return PermanentFailure(f"Could not {action}: {detail or 'unknown Jira error'}")
    if status == 404:
        return NotFound(f"Jira: {detail or 'not found'} (while trying to {action})")
    if status in _RETRYABLE_STATUSES or status >= 500:
        return RetryLater(f"Jira answered {status} to the request to {action}", _retry_after(error.response))
    if status == 401:
        return PermanentFailure(
            f"Jira rejected the credentials (401) while trying to {action}: check the email and API token, or the PAT"
        )
    if status == 403:
        return PermanentFailure(f"Jira refused to {action} (403): {detail or 'the account lacks a permission'}")
    return PermanentFailure(f"Jira rejected the request to {action} ({status}): {detail}")


def _retry_after(response: requests.Response | None) -> float | None:
    return retry_after_seconds(response.headers.get("Retry-After") if response is not None else None)


def _auth(email: str | None, api_token: str | None, pat: str | None) -> dict[str, Any]:
    if pat:
        return {"token_auth": pat}
    if email and api_token:
        return {"basic_auth": (email, api_token)}
    raise ValueError("JiraTicketing needs email and api_token (Jira Cloud) or pat (Jira Data Center)")


def _is_cloud(url: str) -> bool:
    return (urlparse(url).hostname or "").endswith((".atlassian.net", ".jira.com"))


# -- text --------------------------------------------------------------------------------------------------
def _summary(case: CaseSummary) -> str:
    summary = " ".join(f"{case.key}: {case.title}".split())  # Jira refuses newlines in a summary
    return summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1] + "…"


def _description(case: CaseSummary, channel_url: str) -> str:
    text = case.description
    if len(text) > DESCRIPTION_BUDGET:
        text = text[:DESCRIPTION_BUDGET] + "\n… (truncated; the full text is in the swarm channel)"
    facts = [
        f"*Customer:* {case.customer}",
        f"*Severity:* {case.severity.label}",
        f"*Category:* {case.category}",
    ]
    if case.source_link:
        facts.append(f"*Source message:* {case.source_link}")
    facts.append(f"*Swarm channel:* {channel_url}")
    facts.append(f"Opened by CaseSwarm as case {case.key}.")
    return "\n".join([text, "", "----", *facts])


def _last_adf_block_text(document: Mapping[str, Any]) -> str:
    blocks = [block for block in document.get("content") or [] if block.get("content")]
    return "".join(node.get("text", "") for node in blocks[-1]["content"]).strip() if blocks else ""


def _marker_line(body: str) -> str | None:
    last = body.rstrip().rsplit("\n", 1)[-1].strip()
    return last if _OWN_MARKER_LINE.fullmatch(last) else None
