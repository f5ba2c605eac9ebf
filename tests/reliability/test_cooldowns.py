"""After a 429 with Retry-After, no adapter calls the limited method again before it has passed, whoever asks
(integrations/rate_limits.py): the real clients against the sandboxes, one 429 injected by hand."""

from __future__ import annotations

import pytest

from integrations.jira.ticketing import JiraTicketing
from integrations.rate_limits import COOLDOWNS
from integrations.salesforce.crm import SalesforceCRM
from integrations.slack.chat import SlackChat, make_web_client
from swarm.errors import NotFound, RetryLater


@pytest.fixture(autouse=True)
def no_cool_down_left_over():
    COOLDOWNS.clear()
    yield
    COOLDOWNS.clear()  # the table is the process's: a 30 s window must not reach the next test


@pytest.fixture
def slack(slack_sandbox) -> SlackChat:
    return SlackChat(make_web_client(slack_sandbox.bot_token, base_url=slack_sandbox.base_url + "/api/", timeout=2))


def test_slack_refuses_a_limited_method_without_calling_it_until_retry_after(slack, slack_sandbox):
    slack_sandbox.fail_next("conversations.list", 429, retry_after=30)
    with pytest.raises(RetryLater) as first:
        slack.find_channel("case-1-anything")
    with pytest.raises(RetryLater) as second:  # another workflow, a moment later
        slack.find_channel("case-2-anything")
    assert first.value.retry_after == 30 and 29 < second.value.retry_after <= 30
    assert len(slack_sandbox.calls("conversations.list")) == 1
    assert slack.create_channel("case-3-other-method", private=False).created_by_us  # only that method waits


def test_slack_waits_out_a_short_retry_after_and_then_calls(slack, slack_sandbox):
    slack_sandbox.fail_next("conversations.list", 429, retry_after=1)
    with pytest.raises(RetryLater):
        slack.find_channel("case-1-anything")
    assert slack.find_channel("case-2-anything") is None  # waited here, then asked: no reschedule used up
    first, second = slack_sandbox.calls("conversations.list")
    assert second.at - first.at >= 1.0


def test_a_caller_outside_slack_errors_sees_a_cooling_method_as_the_refusal_slack_would_give(slack_sandbox):
    """E.g. the name lookup of a listener (users.info): it handles SlackApiError, so the cool-down answers with one."""
    from slack_sdk.errors import SlackApiError

    client = make_web_client(slack_sandbox.bot_token, base_url=slack_sandbox.base_url + "/api/", timeout=2)
    slack_sandbox.fail_next("chat.postEphemeral", 429, retry_after=30)
    for _ in range(2):
        with pytest.raises(SlackApiError) as refused:
            client.chat_postEphemeral(channel="C0NOSUCH", user="UAGENT001", text="hi")
        assert refused.value.response.status_code == 429 and refused.value.response["error"] == "ratelimited"
    assert len(slack_sandbox.calls("chat.postEphemeral")) == 1


def test_jira_holds_the_limited_endpoint_and_verb_of_the_site(jira_sandbox):
    jira = JiraTicketing(jira_sandbox.base_url, email="caseswarm-bot@example.com", api_token="sandbox-api-token",
                         projects={}, default_project=("SUP", "Task"), priorities={}, timeout=2)
    jira_sandbox.fail_next("GET issue", 429, retry_after=30)
    for key in ("SUP-1", "SUP-2"):  # two workflows, two issues: one endpoint and verb (Jira Cloud's burst limit)
        with pytest.raises(RetryLater) as held:
            jira.get_ticket(key)
    assert 29 < held.value.retry_after <= 30 and len(jira_sandbox.calls("GET issue")) == 1
    with pytest.raises(NotFound):  # another endpoint still answers (here: no such issue)
        jira.add_note("SUP-2", marker="m", text="hello")


def test_salesforce_holds_the_limited_rest_method_of_the_org(salesforce_sandbox):
    crm = SalesforceCRM(salesforce_sandbox.base_url, access_token="sandbox-access-token", ca_bundle=salesforce_sandbox.ca_bundle,
                        status_map={}, timeout=2)
    salesforce_sandbox.fail_next("query", 429, retry_after=30)
    for _ in range(2):
        with pytest.raises(RetryLater):
            crm.get_record("1001")
    assert len(salesforce_sandbox.calls("query")) == 1
    case_id = next(c["Id"] for c in salesforce_sandbox.records("Case") if c["CaseNumber"] == "00001001")
    assert crm.get_record(case_id).number == "00001001"  # GET Case: another method, not held
