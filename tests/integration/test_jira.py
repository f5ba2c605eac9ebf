"""JiraTicketing with the real `jira` client against the Jira sandbox."""

from __future__ import annotations

import datetime
import time
from typing import Callable, Iterator

import pytest
import requests
from jira import JIRA

from integrations.jira.sandbox import JiraSandbox
from integrations.jira.ticketing import JiraTicketing, is_own_comment
from swarm.case_links import case_channel_link
from swarm.errors import NotFound, PermanentFailure, RetryLater
from swarm.model import CaseStatus, CaseSummary, Severity

EMAIL, API_TOKEN, PAT = "caseswarm-bot@example.com", "test-api-token", "test-pat"
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


def case_link(case_key: str = "CS-1") -> str:
    return case_channel_link("https://caseswarm.example.com", "test-link-key", case_key)


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


def test_a_first_attempt_creates_in_one_call_without_searching_reading_back_or_linking(sandbox: JiraSandbox,
                                                                                       ticketing: JiraTicketing):
    ref = ticketing.ensure_ticket(make_case(), channel_url=case_link(), maybe_created_earlier=False)
    assert ref.key == "BIL-1"
    # the link and the property come with the create itself: no search, no read-back, no remote link (nor the
    # applinks probe the jira library makes before one)
    assert [c.method for c in sandbox.calls()] == ["POST issue"]


def test_ensure_ticket_creates_the_issue_in_the_mapped_project(sandbox: JiraSandbox, ticketing: JiraTicketing):
    ref = ticketing.ensure_ticket(make_case(), channel_url=case_link())

    issue = sandbox.issue(ref.key)
    assert (ref.key, ref.url) == ("BIL-1", f"{sandbox.base_url}/browse/BIL-1")  # status: not re-read after create
    assert sandbox.issue("BIL-1").status == "To Do"
    assert (issue.project, issue.issue_type, issue.priority) == ("BIL", "Bug", "Highest")
    assert issue.summary == "CS-1: Invoices show the wrong tax rate"
    assert issue.description.startswith("Since Monday every invoice for Acme applies 25% VAT instead of 20%.")
    assert f"*Source message:* {SOURCE_URL}" in issue.description
    assert f"*Swarm channel:* {case_link()}" in issue.description
    assert "caseswarm-cs-1" in issue.labels
    assert issue.remote_links == []


def test_the_case_link_is_an_issue_property_as_jira_serves_it(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key

    reader = JIRA(server=sandbox.base_url, basic_auth=(EMAIL, API_TOKEN), get_server_info=False, max_retries=0)
    prop = reader.issue_property(key, "caseswarm")  # GET /rest/api/2/issue/BIL-1/properties/caseswarm

    assert prop.key == "caseswarm"
    assert prop.raw["value"] == {"case": "CS-1", "channel_url": case_link()}
    [posted] = sandbox.calls("POST issue")
    assert posted.json()["properties"] == [{"key": "caseswarm", "value": {"case": "CS-1", "channel_url": case_link()}}]


def test_unmapped_category_goes_to_the_default_project(sandbox: JiraSandbox, ticketing: JiraTicketing):
    ref = ticketing.ensure_ticket(make_case(category="onboarding", severity=Severity.SEV4), channel_url=case_link())

    issue = sandbox.issue(ref.key)
    assert (issue.project, issue.issue_type, issue.priority) == ("SUP", "Task", "Low")
    assert issue.remote_links == []


def test_ensure_ticket_twice_gives_one_issue_and_no_remote_link(sandbox: JiraSandbox, ticketing: JiraTicketing):
    first = ticketing.ensure_ticket(make_case(), channel_url=case_link())
    second = ticketing.ensure_ticket(make_case(), channel_url=case_link())

    assert first.key == second.key
    assert len(sandbox.issues()) == 1
    assert sandbox.issue(first.key).remote_links == []
    assert len(sandbox.applied_calls("POST issue")) == 1
    assert sandbox.calls("POST remotelink") == [] and sandbox.calls("GET applinks") == []


def test_timeout_after_the_create_was_applied_then_retry_creates_no_second_issue(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, timeout=0.5)
    sandbox.delay_next("POST issue", 2, apply=True)

    with pytest.raises(RetryLater):
        ticketing.ensure_ticket(make_case(), channel_url=case_link())
    wait_until(lambda: len(sandbox.issues()) == 1)  # Jira finished the write after the client gave up
    ref = ticketing.ensure_ticket(make_case(), channel_url=case_link())

    assert [issue.key for issue in sandbox.issues()] == [ref.key]
    assert len(sandbox.calls("POST issue")) == 1
    assert sandbox.issue(ref.key).properties["caseswarm"]["channel_url"] == case_link()  # came with the issue
    assert sandbox.calls("POST remotelink") == []


def test_ensure_ticket_returns_an_already_linked_ticket_without_linking_it(sandbox: JiraSandbox,
                                                                           ticketing: JiraTicketing):
    existing = ticketing.ensure_ticket(make_case("CS-7"), channel_url=case_link("CS-7"))

    ref = ticketing.ensure_ticket(make_case("CS-8", ticket_key=existing.key), channel_url=case_link("CS-8"))

    assert ref.key == existing.key and len(sandbox.issues()) == 1
    assert sandbox.issue(existing.key).remote_links == []  # a linked issue is linked by link_channel, once


def test_an_existing_issue_gets_one_remote_link_to_the_case(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.create_item(key="other", summary="Raised by a person", description="Not made by a case").key

    ticketing.link_channel(key, case_key="CS-8", channel_url=case_link("CS-8"))
    ticketing.link_channel(key, case_key="CS-8", channel_url=case_link("CS-8"))

    [link] = sandbox.issue(key).remote_links
    assert link.global_id == "caseswarm:CS-8" and link.body["object"]["url"] == case_link("CS-8")


def test_a_remote_link_whose_answer_was_lost_is_not_doubled(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, timeout=0.5)
    key = ticketing.create_item(key="other", summary="Raised by a person", description="Not made by a case").key
    sandbox.delay_next("POST remotelink", 2, apply=True)

    with pytest.raises(RetryLater):
        ticketing.link_channel(key, case_key="CS-8", channel_url=case_link("CS-8"))
    wait_until(lambda: len(sandbox.issue(key).remote_links) == 1)  # Jira applied it after the client gave up
    ticketing.link_channel(key, case_key="CS-8", channel_url=case_link("CS-8"))

    assert len(sandbox.issue(key).remote_links) == 1 and len(sandbox.calls("POST remotelink")) == 2


def test_a_long_unicode_note_arrives_exactly(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key
    text = ("Décision: rollback → v2.3 ✅\n" + "数据 ünïcödé 🚀 " * 20 + "\n\n") * 28
    text = text[:10_000]

    comment_id = ticketing.add_note(key, marker="decision-1", text=text)

    [comment] = sandbox.comments(key)
    assert comment.id == comment_id
    assert comment.body == text + "\n\n{{caseswarm:decision-1}}"


def test_the_same_marker_twice_posts_one_comment(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key

    first = ticketing.add_note(key, marker="decision-1", text="Refund approved")
    second = ticketing.add_note(key, marker="decision-1", text="Refund approved")

    assert first == second
    assert [c.body for c in sandbox.comments(key)] == ["Refund approved\n\n{{caseswarm:decision-1}}"]


def test_a_note_past_the_comment_limit_is_split_into_numbered_parts(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key
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
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key
    sandbox.fail_next("POST comment", 429, retry_after=7)

    with pytest.raises(RetryLater) as caught:
        ticketing.add_note(key, marker="m", text="hello")

    assert caught.value.retry_after == 7
    assert sandbox.comments(key) == []


def test_server_error_is_retry_later(sandbox: JiraSandbox, ticketing: JiraTicketing):
    sandbox.fail_next("POST issue", 500)

    with pytest.raises(RetryLater) as caught:
        ticketing.ensure_ticket(make_case(), channel_url=case_link())

    assert "500" in caught.value.reason and caught.value.retry_after is None
    assert sandbox.issues() == []


def test_unreachable_jira_is_retry_later(sandbox: JiraSandbox):
    sandbox.stop()

    with pytest.raises(RetryLater):
        make_ticketing(sandbox, timeout=1).get_ticket("SUP-1")


def test_wrong_credentials_are_a_permanent_failure(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, api_token="revoked-token")

    with pytest.raises(PermanentFailure) as caught:
        ticketing.ensure_ticket(make_case(), channel_url=case_link())

    assert "401" in caught.value.reason and "revoked-token" not in caught.value.reason


def test_a_personal_access_token_is_sent_as_bearer(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key

    ref = make_ticketing(sandbox, email=None, api_token=None, pat=PAT).get_ticket(key)

    assert ref.key == key
    assert sandbox.calls("GET issue")[-1].headers["Authorization"] == f"Bearer {PAT}"


def test_an_invalid_create_is_a_permanent_failure_naming_the_field(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, default_project=("NOPE", "Task"))

    with pytest.raises(PermanentFailure) as caught:
        ticketing.ensure_ticket(make_case(category="other"), channel_url=case_link())

    assert "400" in caught.value.reason and "valid project is required" in caught.value.reason


def test_a_missing_ticket_is_not_found(ticketing: JiraTicketing):
    with pytest.raises(NotFound):
        ticketing.get_ticket("SUP-404")


def test_resolve_then_reopen(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key

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
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key
    sandbox.human_update(key, status="In Progress")

    ticketing.set_status(key, CaseStatus.OPEN, marker="open-1")

    assert sandbox.issue(key).status == "In Progress"
    assert sandbox.calls("POST transitions") == []


def test_a_done_status_the_workflow_cannot_reach_is_a_permanent_failure(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, done_status="Closed")
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key

    with pytest.raises(PermanentFailure) as caught:
        ticketing.set_status(key, CaseStatus.RESOLVED, marker="r")

    assert "'To Do' to 'Closed'" in caught.value.reason and "'Done'" in caught.value.reason


def test_on_cloud_the_lookup_uses_the_search_jql_endpoint(sandbox: JiraSandbox):
    ticketing = make_ticketing(sandbox, cloud=True)

    first = ticketing.ensure_ticket(make_case(), channel_url=case_link())
    second = ticketing.ensure_ticket(make_case(), channel_url=case_link())

    assert first.key == second.key and len(sandbox.issues()) == 1
    assert len(sandbox.calls("GET search/jql")) == 2 and sandbox.calls("GET search") == []


def test_webhook_payloads_for_human_changes(sandbox: JiraSandbox, ticketing: JiraTicketing):
    key = ticketing.ensure_ticket(make_case(), channel_url=case_link()).key
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


# -- the sandbox keeps Jira's contract for properties in the create call ------------------------------------
def _post_issue(sandbox: JiraSandbox, properties: object) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    body = {"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "Printer on fire"},
            "properties": properties}
    return session.post(f"{sandbox.base_url}/rest/api/2/issue", json=body, auth=(EMAIL, API_TOKEN), timeout=5)


@pytest.mark.parametrize("properties", [
    {"key": "caseswarm", "value": {}},  # an object, not an array
    [{"key": "caseswarm"}],  # no value
    [{"key": "", "value": {"case": "CS-1"}}],
    [{"key": "k" * 256, "value": 1}],
    [{"key": "caseswarm", "value": "x" * 32_768}],  # 32,770 characters as JSON
    [{"key": "caseswarm", "value": 1, "extra": True}],
    ["caseswarm"],
])
def test_sandbox_refuses_malformed_properties_with_jiras_400_and_creates_nothing(sandbox: JiraSandbox, properties):
    response = _post_issue(sandbox, properties)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"errorMessages", "errors"} and body["errorMessages"] and body["errors"] == {}
    assert sandbox.issues() == []


def test_sandbox_stores_properties_from_the_create_call(sandbox: JiraSandbox):
    response = _post_issue(sandbox, [{"key": "caseswarm", "value": {"case": "CS-3"}}, {"key": "other", "value": [1]}])
    assert response.status_code == 201
    key = response.json()["key"]

    reader = JIRA(server=sandbox.base_url, basic_auth=(EMAIL, API_TOKEN), get_server_info=False, max_retries=0)
    assert reader.issue_property(key, "caseswarm").raw == {"key": "caseswarm", "value": {"case": "CS-3"}}
    assert sorted(p.key for p in reader.issue_properties(key)) == ["caseswarm", "other"]
    assert _post_issue(sandbox, None).status_code == 201  # "properties": null is no properties
