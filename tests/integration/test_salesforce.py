"""SalesforceCRM with the real simple-salesforce client against the Salesforce sandbox, over verified TLS."""

from __future__ import annotations

import time
from typing import Callable, Iterator

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from integrations.salesforce.crm import REQUEST_LIMIT_BACKOFF, SalesforceCRM
from integrations.salesforce.sandbox import REQUEST_LIMIT_EXCEEDED, SalesforceSandbox, SeededOrg
from swarm.errors import NotFound, PermanentFailure, RetryLater
from swarm.model import CaseStatus

TOKEN = "test-access-token"
STATUS_MAP = {"open": "Working", "resolved": "Closed", "archived": "Closed"}


@pytest.fixture
def sandbox() -> Iterator[SalesforceSandbox]:
    server = SalesforceSandbox(access_token=TOKEN)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def org(sandbox: SalesforceSandbox) -> SeededOrg:
    return sandbox.seed_demo_org()


def make_crm(sandbox: SalesforceSandbox, **overrides: object) -> SalesforceCRM:
    options: dict = dict(access_token=TOKEN, ca_bundle=sandbox.ca_bundle, status_map=STATUS_MAP, timeout=5)
    options.update(overrides)
    return SalesforceCRM(sandbox.base_url, **options)


@pytest.fixture
def crm(sandbox: SalesforceSandbox) -> SalesforceCRM:
    return make_crm(sandbox)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_find_customer_by_name_gives_tier_and_open_cases(org: SeededOrg, crm: SalesforceCRM):
    acme = crm.find_customer("Acme Corp")

    assert acme is not None
    assert (acme.account_id, acme.account_name, acme.tier, acme.open_cases) == (
        org.accounts["Acme Corp"], "Acme Corp", "Gold", 2
    )
    assert crm.find_customer("  acme corp ") == acme  # SOQL's = ignores case


def test_find_customer_by_account_id(org: SeededOrg, crm: SalesforceCRM):
    globex = crm.find_customer(org.accounts["Globex"])

    assert globex is not None and (globex.account_name, globex.tier, globex.open_cases) == ("Globex", "Platinum", 1)
    assert crm.find_customer(org.accounts["Globex"][:15]) == globex  # 15-character ids work too


def test_the_customer_card_costs_one_query_and_counts_only_open_cases(sandbox: SalesforceSandbox, org: SeededOrg,
                                                                       crm: SalesforceCRM):
    quiet = sandbox.store.insert("Account", {"Name": "Hooli", "Tier__c": "Silver"})
    sandbox.store.insert("Case", {"Subject": "Old invoice", "Status": "Closed", "AccountId": quiet["Id"]})
    before = len(sandbox.calls())

    hooli, acme = crm.find_customer("Hooli"), crm.find_customer("Acme Corp")

    assert (hooli.account_name, hooli.tier, hooli.open_cases) == ("Hooli", "Silver", 0)
    assert acme.open_cases == 2
    assert [c.method for c in sandbox.calls()[before:]] == ["query", "query"]  # one call per customer


def test_an_unknown_customer_is_none(org: SeededOrg, crm: SalesforceCRM):
    assert crm.find_customer("Umbrella Corp") is None


def test_get_record_by_number_or_id(sandbox: SalesforceSandbox, org: SeededOrg, crm: SalesforceCRM):
    by_number = crm.get_record("00001001")

    assert by_number.id == org.cases["00001001"] and by_number.number == "00001001"
    assert by_number.url == f"{sandbox.base_url}/lightning/r/Case/{by_number.id}/view"
    assert crm.get_record("1001") == by_number
    assert crm.get_record(org.cases["00001001"]) == by_number


def test_a_missing_record_is_not_found(org: SeededOrg, crm: SalesforceCRM):
    with pytest.raises(NotFound):
        crm.get_record("00009999")
    with pytest.raises(NotFound):
        crm.get_record("500Hs00000ZZZZZAAA")


def test_a_note_arrives_exactly_as_an_internal_comment(sandbox: SalesforceSandbox, org: SeededOrg, crm: SalesforceCRM):
    case_id = org.cases["00001001"]
    text = "Décision : remboursement approuvé ✅\n第二行 — ünïcödé 🚀\n\n  indented line"

    comment_id = crm.add_note(case_id, marker="decision-1", text=text)

    [comment] = sandbox.case_comments(case_id)
    assert comment["Id"] == comment_id
    assert comment["CommentBody"] == text + "\n\n[caseswarm:decision-1]"
    assert comment["IsPublished"] is False


def test_a_note_past_4000_characters_is_split(sandbox: SalesforceSandbox, org: SeededOrg, crm: SalesforceCRM):
    case_id = org.cases["00001001"]
    text = "".join(f"{i:04d} ☕ timeline entry\n" for i in range(200))[:4500]

    crm.add_note(case_id, marker="timeline", text=text)

    bodies = [c["CommentBody"] for c in sandbox.case_comments(case_id)]
    assert len(bodies) == 2 and all(len(b) <= 4000 for b in bodies)
    rebuilt = ""
    for i, body in enumerate(bodies, start=1):
        header, trailer = f"(part {i}/2)\n", f"\n\n[caseswarm:timeline part {i}/2]"
        assert body.startswith(header) and body.endswith(trailer)
        rebuilt += body[len(header) : -len(trailer)]
    assert rebuilt == text


def test_the_same_marker_twice_creates_one_comment(sandbox: SalesforceSandbox, org: SeededOrg, crm: SalesforceCRM):
    case_id = org.cases["00001002"]

    first = crm.add_note(case_id, marker="decision_1", text="Escalated to billing")
    second = crm.add_note(case_id, marker="decision_1", text="Escalated to billing")
    crm.add_note(case_id, marker="decision_10", text="A different note whose marker shares a prefix")

    assert first == second
    assert len(sandbox.case_comments(case_id)) == 2
    assert len(sandbox.applied_calls("POST CaseComment")) == 2


def test_timeout_after_the_write_then_retry_creates_no_duplicate(sandbox: SalesforceSandbox, org: SeededOrg):
    crm = make_crm(sandbox, timeout=0.5)
    case_id = org.cases["00001001"]
    sandbox.delay_next("POST CaseComment", 2, apply=True)

    with pytest.raises(RetryLater):
        crm.add_note(case_id, marker="decision-2", text="Credit note issued")
    wait_until(lambda: len(sandbox.case_comments(case_id)) == 1)  # Salesforce finished after the client gave up
    crm.add_note(case_id, marker="decision-2", text="Credit note issued")

    assert len(sandbox.case_comments(case_id)) == 1
    assert len(sandbox.calls("POST CaseComment")) == 1


def test_request_limit_exceeded_is_a_back_off(sandbox: SalesforceSandbox, org: SeededOrg, crm: SalesforceCRM):
    sandbox.fail_next("query", 403, body=REQUEST_LIMIT_EXCEEDED)

    with pytest.raises(RetryLater) as caught:
        crm.find_customer("Acme Corp")

    assert "REQUEST_LIMIT_EXCEEDED" in caught.value.reason
    assert caught.value.retry_after == REQUEST_LIMIT_BACKOFF


def test_unavailable_with_retry_after_is_retry_later(sandbox: SalesforceSandbox, org: SeededOrg, crm: SalesforceCRM):
    sandbox.fail_next("POST CaseComment", 503, retry_after=30)

    with pytest.raises(RetryLater) as caught:
        crm.add_note(org.cases["00001001"], marker="m", text="hello")

    assert caught.value.retry_after == 30
    assert sandbox.case_comments(org.cases["00001001"]) == []


def test_an_invalid_token_is_a_permanent_failure(sandbox: SalesforceSandbox, org: SeededOrg):
    crm = make_crm(sandbox, access_token="expired-token")

    with pytest.raises(PermanentFailure) as caught:
        crm.find_customer("Acme Corp")

    assert "INVALID_SESSION_ID" in caught.value.reason and "expired-token" not in caught.value.reason


def test_set_status_closes_the_case_once(sandbox: SalesforceSandbox, org: SeededOrg, crm: SalesforceCRM):
    case_id = org.cases["00001001"]

    crm.set_status(case_id, CaseStatus.RESOLVED, marker="resolved-1", note="Resolved: tax table fixed")
    crm.set_status(case_id, CaseStatus.RESOLVED, marker="resolved-1", note="Resolved: tax table fixed")

    case = sandbox.record("Case", case_id)
    assert (case["Status"], case["IsClosed"]) == ("Closed", True)
    assert len(sandbox.applied_calls("PATCH Case")) == 1
    assert [c["CommentBody"] for c in sandbox.case_comments(case_id)] == [
        "Resolved: tax table fixed\n\n[caseswarm:resolved-1]"
    ]
    assert crm.find_customer("Acme Corp").open_cases == 1


def test_set_status_accepts_a_case_number(sandbox: SalesforceSandbox, org: SeededOrg, crm: SalesforceCRM):
    crm.set_status("00001002", CaseStatus.OPEN, marker="open-1")

    assert sandbox.record("Case", org.cases["00001002"])["Status"] == "Working"


def test_a_status_outside_the_picklist_is_a_permanent_failure(sandbox: SalesforceSandbox, org: SeededOrg):
    crm = make_crm(sandbox, status_map={"resolved": "Resolved"})

    with pytest.raises(PermanentFailure) as caught:
        crm.set_status(org.cases["00001001"], CaseStatus.RESOLVED, marker="r")

    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in caught.value.reason


def test_notes_as_feed_items(sandbox: SalesforceSandbox, org: SeededOrg):
    crm = make_crm(sandbox, note_kind="feed_item")
    case_id = org.cases["00001004"]

    first = crm.add_note(case_id, marker="decision-1", text="Failover to EU-2")
    second = crm.add_note(case_id, marker="decision-1", text="Failover to EU-2")

    assert first == second and first.startswith("0D5")
    assert [f["Body"] for f in sandbox.feed_items(case_id)] == ["Failover to EU-2\n\n[caseswarm:decision-1]"]


def test_tls_is_verified_against_the_generated_ca(sandbox: SalesforceSandbox, org: SeededOrg):
    without_ca = make_crm(sandbox, ca_bundle=None)
    with pytest.raises(PermanentFailure) as caught:
        without_ca.find_customer("Acme Corp")
    assert "TLS" in caught.value.reason

    plain = requests.Session()
    plain.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        plain.get(f"{sandbox.base_url}/services/data/v59.0/query/", params={"q": "SELECT Id FROM Account"})

    assert make_crm(sandbox).find_customer("Acme Corp") is not None


def test_the_sandbox_enforces_the_comment_length_limit(sandbox: SalesforceSandbox, org: SeededOrg):
    session = requests.Session()
    session.verify, session.trust_env = sandbox.ca_bundle, False
    sf = Salesforce(instance_url=sandbox.base_url, session_id=TOKEN, session=session, version="59.0")

    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.CaseComment.create({"ParentId": org.cases["00001001"], "CommentBody": "x" * 4001})

    assert caught.value.content[0]["errorCode"] == "STRING_TOO_LONG"
    assert caught.value.content[0]["fields"] == ["CommentBody"]
    assert sf.CaseComment.create({"ParentId": org.cases["00001001"], "CommentBody": "x" * 4000})["success"]
