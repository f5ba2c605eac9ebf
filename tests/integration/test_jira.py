"""JiraTicketing with the real `jira` client against the Jira sandbox."""

from __future__ import annotations

import datetime
import time
from typing import Callable, Iterator

import pytest

from integrations.jira.sandbox import JiraSandbox
from integrations.jira.ticketing import JiraTicketing, is_own_comment
from swarm.errors import NotFound, PermanentFailure, RetryLater
from swarm.model import CaseStatus, CaseSummary, Severity

EMAIL, API_TOKEN, PAT = "caseswarm-bot@example.com", "test-api-token", "test-pat"
CHANNEL_URL = "https://acme.slack.com/archives/C0CASE1"
SOURCE_URL = "https://acme.slack.com/archives/C0FRONT/p1700000000000100"


@pytest.fixture
def sandbox() -> Iterator[JiraSandbox]:
    server = JiraSandbox(email=EMAIL, api_token=API_TOKEN, pat=PAT)
    server.start()
    yield server
    server.stop()


def make_ticketing(sandbox: JiraSandbox, **overrides: object) -> JiraTicketing:
    options: dict = dict(
        email=EMAIL,
        api_token=API_TOKEN,
        projects={"billing": ("BIL", "Bug"), "outage": ("OPS", "Incident")},
        default_project=("SUP", "Task"),
        priorities={"sev1": "Highest", "sev2": "High", "sev3": "Medium", "sev4": "Low"},
        timeout=5,
    )
    options.update(overrides)
    return JiraTicketing(sandbox.base_url, **options)


@pytest.fixture
def ticketing(sandbox: JiraSandbox) -> JiraTicketing:
    return make_ticketing(sandbox)


def make_case(key: str = "CS-1", **overrides: object) -> CaseSummary:
    values: dict = dict(
        key=key,
        number=int(key.split("-")[1]),
        title="Invoices show the wrong tax rate",
        customer="Acme Corp",
        category="billing",
        severity=Severity.SEV1,
        description="Since Monday every invoice for Acme applies 25% VAT instead of 20%.",
        status=CaseStatus.OPEN,
        requester="U0AGENT",
        source_link=SOURCE_URL,
        created_at=datetime.datetime(2024, 5, 1, 9, 30, tzinfo=datetime.timezone.utc),
    )
    values.update(overrides)
    return CaseSummary(**values)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_first_attempt_creates_without_searching_or_reading_back(sandbox: JiraSandbox, ticketing: JiraTicketing):
    ref = ticketing.ensure_ticket(make_case(), channel_url=CHANNEL_URL, maybe_created_earlier=False)
    assert ref.key == "BIL-1"
    # create and the remote link (whose applinks probe the jira library makes on its own): no search, no read-back
    assert [c.method for c in sandbox.calls() if c.method.startswith("GET")] == ["GET applinks"]


def test_ensure_ticket_creates_the_issue_in_the_mapped_project(sandbox: JiraSandbox, ticketing: JiraTicketing):
    ref = ticketing.ensure_ticket(make_case(), channel_url=CHANNEL_URL)

    issue = sandbox.issue(ref.key)
    assert (ref.key, ref.url) == ("BIL-1", f"{sandbox.base_url}/browse/BIL-1")  # status: not re-read after create
    assert sandbox.issue("BIL-1").status == "To Do"
    assert (issue.project, issue.issue_type, issue.priority) == ("BIL", "Bug", "Highest")
    assert issue.summary == "CS-1: Invoices show the wrong tax rate"
    assert issue.description.startswith("Since Monday every invoice for Acme applies 25% VAT instead of 20%.")
    assert SOURCE_URL in issue.description and CHANNEL_URL in issue.description
    assert "caseswarm-cs-1" in issue.labels
    [link] = issue.remote_links
    assert link.global_id == "caseswarm:CS-1" and link.body["object"]["url"] == CHANNEL_URL


def test_unmapped_category_goes_to_the_default_project(sandbox: JiraSandbox, ticketing: JiraTicketing):
    ref = ticketing.ensure_ticket(make_case(category="onboarding", severity=Severity.SEV4), channel_url=None)

    issue = sandbox.issue(ref.key)
    assert (issue.project, issue.issue_type, issue.priority) == ("SUP", "Task", "Low")
    assert issue.remote_links == []


def test_ensure_ticket_twice_gives_one_issue_and_one_link(sandbox: JiraSandbox, ticketing: JiraTicketing):
    first = ticketing.ensure_ticket(make_case(), channel_url=CHANNEL_URL)
    second = ticketing.ensure_ticket(make_case(), channel_url=CHANNEL_URL)

    assert first.key == second.key
    assert len(sandbox.issues()) == 1
    assert len(sandbox.issue(first.key).remote_links) == 1
    assert len(sandbox.applied_calls("POST issue")) == 1


def test_timeout_after_the_create_was_applied_then_retry_creates_no_second_issue(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, timeout=0.5)
    sandbox.delay_next("POST issue", 2, apply=True)

    with pytest.raises(RetryLater):
        ticketing.ensure_ticket(make_case(), channel_url=CHANNEL_URL)
    wait_until(lambda: len(sandbox.issues()) == 1)  # Jira finished the write after the client gave up
    ref = ticketing.ensure_ticket(make_case(), channel_url=CHANNEL_URL)

    assert [issue.key for issue in sandbox.issues()] == [ref.key]
    assert len(sandbox.calls("POST issue")) == 1


def test_ensure_ticket_returns_an_already_linked_ticket(sandbox: JiraSandbox, ticketing: JiraTicketing):
    existing = ticketing.ensure_ticket(make_case("CS-7"), channel_url=None)

    ref = ticketing.ensure_ticket(make_case("CS-8", ticket_key=existing.key), channel_url=CHANNEL_URL)

    assert ref.key == existing.key and len(sandbox.issues()) == 1
    assert sandbox.issue(existing.key).remote_links[0].global_id == "caseswarm:CS-8"


def test_a_long_unicode_note_arrives_exactly(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=None).key
    text = ("Décision: rollback → v2.3 ✅\n" + "数据 ünïcödé 🚀 " * 20 + "\n\n") * 28
    text = text[:10_000]

    comment_id = ticketing.add_note(key, marker="decision-1", text=text)

    [comment] = sandbox.comments(key)
    assert comment.id == comment_id
    assert comment.body == text + "\n\n{{caseswarm:decision-1}}"


def test_the_same_marker_twice_posts_one_comment(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=None).key

    first = ticketing.add_note(key, marker="decision-1", text="Refund approved")
    second = ticketing.add_note(key, marker="decision-1", text="Refund approved")

    assert first == second
    assert [c.body for c in sandbox.comments(key)] == ["Refund approved\n\n{{caseswarm:decision-1}}"]


def test_a_note_past_the_comment_limit_is_split_into_numbered_parts(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=None).key
    text = "".join(f"line {i:05d} · ¿qué pasó?\n" for i in range(3000))  # ~75,000 characters

    ticketing.add_note(key, marker="timeline", text=text)
    ticketing.add_note(key, marker="timeline", text=text)

    bodies = [c.body for c in sandbox.comments(key)]
    assert len(bodies) == 3 and all(len(b) <= 32_767 for b in bodies)
    rebuilt = ""
    for i, body in enumerate(bodies, start=1):
        header, trailer = f"(part {i}/3)\n", f"\n\n{{{{caseswarm:timeline part {i}/3}}}}"
        assert body.startswith(header) and body.endswith(trailer)
        rebuilt += body[len(header) : -len(trailer)]
    assert rebuilt == text


def test_rate_limit_is_retry_later_with_retry_after(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=None).key
    sandbox.fail_next("POST comment", 429, retry_after=7)

    with pytest.raises(RetryLater) as caught:
        ticketing.add_note(key, marker="m", text="hello")

    assert caught.value.retry_after == 7
    assert sandbox.comments(key) == []


def test_server_error_is_retry_later(sandbox: JiraSandbox, ticketing: JiraTicketing):
    sandbox.fail_next("POST issue", 500)

    with pytest.raises(RetryLater) as caught:
        ticketing.ensure_ticket(make_case(), channel_url=None)

    assert "500" in caught.value.reason and caught.value.retry_after is None
    assert sandbox.issues() == []


def test_unreachable_jira_is_retry_later(sandbox: JiraSandbox):
    sandbox.stop()

    with pytest.raises(RetryLater):
        make_ticketing(sandbox, timeout=1).get_ticket("SUP-1")


def test_wrong_credentials_are_a_permanent_failure(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, api_token="revoked-token")

    with pytest.raises(PermanentFailure) as caught:
        ticketing.ensure_ticket(make_case(), channel_url=None)

    assert "401" in caught.value.reason and "revoked-token" not in caught.value.reason


def test_a_personal_access_token_is_sent_as_bearer(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=None).key

    ref = make_ticketing(sandbox, email=None, api_token=None, pat=PAT).get_ticket(key)

    assert ref.key == key
    assert sandbox.calls("GET issue")[-1].headers["Authorization"] == f"Bearer {PAT}"


def test_an_invalid_create_is_a_permanent_failure_naming_the_field(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, default_project=("NOPE", "Task"))

    with pytest.raises(PermanentFailure) as caught:
        ticketing.ensure_ticket(make_case(category="other"), channel_url=None)

    assert "400" in caught.value.reason and "valid project is required" in caught.value.reason


def test_a_missing_ticket_is_not_found(ticketing: JiraTicketing):
    with pytest.raises(NotFound):
        ticketing.get_ticket("SUP-404")


def test_resolve_then_reopen(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=None).key

    ticketing.set_status(key, CaseStatus.RESOLVED, marker="resolved-1", note="Resolved: tax table fixed")
    ticketing.set_status(key, CaseStatus.RESOLVED, marker="resolved-1", note="Resolved: tax table fixed")
    assert sandbox.issue(key).status == "Done" and sandbox.issue(key).resolution is not None
    assert len(sandbox.applied_calls("POST transitions")) == 1
    assert [c.body for c in sandbox.comments(key)] == ["Resolved: tax table fixed\n\n{{caseswarm:resolved-1}}"]

    ticketing.set_status(key, CaseStatus.OPEN, marker="reopened-1")
    ticketing.set_status(key, CaseStatus.OPEN, marker="reopened-1")
    assert sandbox.issue(key).status == "To Do" and sandbox.issue(key).resolution is None
    assert len(sandbox.applied_calls("POST transitions")) == 2
    assert ticketing.get_ticket(key).status == "To Do"


def test_an_open_case_leaves_an_in_progress_ticket_alone(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=None).key
    sandbox.human_update(key, status="In Progress")

    ticketing.set_status(key, CaseStatus.OPEN, marker="open-1")

    assert sandbox.issue(key).status == "In Progress"
    assert sandbox.calls("POST transitions") == []


def test_a_done_status_the_workflow_cannot_reach_is_a_permanent_failure(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, done_status="Closed")
    key = ticketing.ensure_ticket(make_case(), channel_url=None).key

    with pytest.raises(PermanentFailure) as caught:
        ticketing.set_status(key, CaseStatus.RESOLVED, marker="r")

    assert "'To Do' to 'Closed'" in caught.value.reason and "'Done'" in caught.value.reason


def test_on_cloud_the_lookup_uses_the_search_jql_endpoint(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, cloud=True)

    first = ticketing.ensure_ticket(make_case(), channel_url=None)
    second = ticketing.ensure_ticket(make_case(), channel_url=None)

    assert first.key == second.key and len(sandbox.issues()) == 1
    assert len(sandbox.calls("GET search/jql")) == 2 and sandbox.calls("GET search") == []


def test_webhook_payloads_for_human_changes(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=None).key
    ticketing.add_note(key, marker="summary", text="Swarm opened")

    updated = sandbox.human_update(key, status="Done", assignee="Dana Ops", priority="High", author="Dana Ops")
    commented = sandbox.human_comment(key, "Dana Ops", "Customer confirmed the fix")

    assert updated["webhookEvent"] == "jira:issue_updated" and updated["issue"]["key"] == key
    changes = {item["field"]: (item["fromString"], item["toString"]) for item in updated["changelog"]["items"]}
    assert changes["status"] == ("To Do", "Done") and changes["priority"] == ("Highest", "High")
    assert changes["assignee"] == (None, "Dana Ops") and changes["resolution"] == (None, "Done")
    assert updated["user"]["displayName"] == "Dana Ops"
    assert commented["webhookEvent"] == "comment_created"
    assert commented["comment"]["body"] == "Customer confirmed the fix"
    assert commented["comment"]["author"]["displayName"] == "Dana Ops"
    assert not is_own_comment(commented["comment"]["body"])
    assert is_own_comment(sandbox.comments(key)[0].body)
    assert sandbox.issue(key).status == "Done"


def test_own_comments_are_recognised_in_adf_bodies_too():
    def adf(*paragraphs: list[dict]) -> dict:
        return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": p} for p in paragraphs]}

    ours = adf([{"type": "text", "text": "Refund approved"}],
               [{"type": "text", "text": "caseswarm:decision-1", "marks": [{"type": "code"}]}])
    human = adf([{"type": "text", "text": "Thanks, caseswarm:decision-1 looks right"}])

    assert is_own_comment(ours)
    assert not is_own_comment(human)
    assert not is_own_comment({"type": "doc", "version": 1, "content": []})
