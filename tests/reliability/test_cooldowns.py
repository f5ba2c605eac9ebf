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


@pytest.fixture
def shared_table(database_url, tmp_path):
    """The cool-down table in a migrated database, as `swarm serve` and `swarm worker` share it."""
    from config.settings import load_settings
    from swarm.app.bootstrap import build
    from swarm.store.cooldowns import SharedCooldowns

    container = build(load_settings(database_url=database_url, queue_url=f"sqlite:///{tmp_path / 'q.db'}"))
    yield SharedCooldowns(container.store)
    container.store.engine.dispose()


def test_a_429_one_process_got_holds_the_method_back_in_every_other_process(slack_sandbox, shared_table):
    """Two processes: each has its own table (a Cooldowns of its own) and shares it through the database."""
    from slack_sdk.errors import SlackApiError

    from integrations.rate_limits import Cooldowns

    processes = [Cooldowns(), Cooldowns()]
    for table in processes:
        table.share_through(shared_table)
    first, second = (make_web_client(slack_sandbox.bot_token, base_url=slack_sandbox.base_url + "/api/", timeout=2,
                                     cooldowns=table) for table in processes)
    slack_sandbox.fail_next("chat.postMessage", 429, retry_after=30)
    with pytest.raises(SlackApiError):
        first.chat_postMessage(channel="CSUPPORT01", text="from the first process")
    with pytest.raises(SlackApiError) as refused:  # the second process never saw a 429 itself
        second.chat_postMessage(channel="CSUPPORT01", text="from the second process")
    assert refused.value.response["error"] == "ratelimited"
    assert 29 < float(refused.value.response.headers["Retry-After"]) <= 30
    assert len(slack_sandbox.calls("chat.postMessage")) == 1  # only the first process's call reached Slack
    assert second.conversations_list()["ok"]  # other methods are not held back


def test_without_its_database_a_process_still_keeps_its_own_cool_downs(slack_sandbox, shared_table, caplog):
    from slack_sdk.errors import SlackApiError
    from sqlalchemy import text

    from integrations.rate_limits import Cooldowns

    table = Cooldowns()
    table.share_through(shared_table)
    with shared_table._store.engine.begin() as conn:  # the shared table is gone (a database that cannot answer)
        conn.execute(text("DROP TABLE rate_limit_cooldowns"))
    client = make_web_client(slack_sandbox.bot_token, base_url=slack_sandbox.base_url + "/api/", timeout=2, cooldowns=table)
    slack_sandbox.fail_next("chat.postMessage", 429, retry_after=30)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="CSUPPORT01", text="hello")
    assert len(slack_sandbox.calls("chat.postMessage")) == 1
    assert client.conversations_list()["ok"]  # and calls of other methods go on, the failing reads aside
    said = [r.getMessage() for r in caplog.records if r.name == "caseswarm.rate_limits"]
    assert said == ["shared rate-limit cool-downs unavailable; this process's own still apply"]  # once, not per call


def test_the_shared_table_keeps_the_latest_end_a_429_gave(shared_table):
    import time

    now = time.time()
    shared_table.extend("chat.update of a workspace", now + 30)
    shared_table.extend("chat.update of a workspace", now + 10)  # a shorter Retry-After arriving later
    assert shared_table.until("chat.update of a workspace") == pytest.approx(now + 30)
    shared_table.extend("chat.update of a workspace", now + 40)
    assert shared_table.until("chat.update of a workspace") == pytest.approx(now + 40)
    shared_table.extend("a method limited long ago", now - 7200)  # an hour after its end, a row is forgotten
    shared_table.extend("another method", now + 5)
    assert shared_table.until("a method limited long ago") is None and shared_table.until("another method")
