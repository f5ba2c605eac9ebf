"""Full-text search over past cases on the real database (SQLite FTS5, or PostgreSQL when configured): what a
manager typing in the search box, or the lead's "similar past cases", would get back."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy import text as sql_text

from swarm.search import MARK_END, MARK_START, search_cases, significant_words, similar_cases
from swarm.store.db import Store, make_engine
from swarm.store.migrate import upgrade
from swarm.store.tables import CaseRow, DecisionRow

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=timezone.utc)


def add_case(store, title, *, customer="Acme Corp", description="", decisions=(), resolved=True) -> int:
    with store.transaction() as tx:
        row = CaseRow(dedupe_key=f"s:{title}:{customer}", title=title, customer=customer, category="billing", severity="sev2",
                      description=description, status="resolved" if resolved else "open", platform="slack",
                      requester_id="UAGENT001", created_at=T0, resolved_at=T0 + timedelta(hours=2) if resolved else None)
        tx.session.add(row)
        tx.session.flush()
        for n, text in enumerate(decisions):
            tx.session.add(DecisionRow(case_id=row.id, dedupe_key=f"s:{row.id}:{n}", text=text, author_id="UBILL0001",
                                       author_name="Ana Souza", recorded_at=T0))
        return row.id


def add_decision(store, case_id: int, text: str) -> None:
    with store.transaction() as tx:
        tx.session.add(DecisionRow(case_id=case_id, dedupe_key=f"late:{case_id}:{text}", text=text, author_id="UBILL0001",
                                   author_name="Ana Souza", recorded_at=T0))


def keys(store, query: str) -> list[str]:
    with store.read() as session:
        return [hit.key for hit in search_cases(session, query=query).hits]


@pytest.fixture
def history(store):
    return {
        "double": add_case(store, "Charged twice for invoice INV-2291", description="Card billed on the 3rd and the 4th",
                           decisions=["Refund the duplicate charge today"]),
        "sso": add_case(store, "Cannot log in with SSO", customer="Globex", description="Certificate rotated last night"),
        "customs": add_case(store, "Shipment stuck in customs", customer="Müller Logistik",
                            description="Pallet held at the border", decisions=["Send a replacement by express"]),
        "vat": add_case(store, "Invoice shows the wrong VAT rate", customer="Initech", description="Duplicate invoice sent"),
    }


def test_finds_cases_by_title_customer_description_and_decision_words(store, history):
    assert keys(store, "sso") == [f"CS-{history['sso']}"]
    assert keys(store, "globex") == [f"CS-{history['sso']}"]
    assert keys(store, "border") == [f"CS-{history['customs']}"]
    assert keys(store, "express replacement") == [f"CS-{history['customs']}"]  # words of a decision, any order
    assert keys(store, "nothing-like-this") == []


def test_words_match_their_other_forms_and_accents_are_optional(store, history):
    assert keys(store, "refunded") == [f"CS-{history['double']}"]  # the decision says "refund"
    assert keys(store, "charges") == [f"CS-{history['double']}"]
    assert keys(store, "muller") == [f"CS-{history['customs']}"]


def test_all_words_must_match_phrases_keep_their_order_and_minus_excludes(store, history):
    assert sorted(keys(store, "invoice")) == sorted([f"CS-{history['double']}", f"CS-{history['vat']}"])
    assert keys(store, "invoice vat") == [f"CS-{history['vat']}"]
    assert keys(store, "invoice -vat") == [f"CS-{history['double']}"]
    assert keys(store, '"duplicate invoice"') == [f"CS-{history['vat']}"]
    assert keys(store, '"invoice duplicate"') == []


def test_a_title_match_ranks_above_a_description_match(store):
    in_description = add_case(store, "Late payment", description="The warehouse lost the paperwork")
    in_title = add_case(store, "Warehouse sent the wrong stock")
    assert keys(store, "warehouse") == [f"CS-{in_title}", f"CS-{in_description}"]


def test_a_case_key_finds_that_case(store, history):
    assert keys(store, f"cs-{history['sso']}")[0] == f"CS-{history['sso']}"


def test_the_index_follows_new_decisions_edits_and_deletions(store, history):
    add_decision(store, history["sso"], "Rotate the IdP metadata and flush the session cache")
    assert keys(store, "metadata") == [f"CS-{history['sso']}"]
    with store.transaction() as tx:
        tx.session.execute(update(CaseRow).where(CaseRow.id == history["vat"]).values(title="Invoice rounding error"))
        tx.session.execute(delete(DecisionRow).where(DecisionRow.case_id == history["customs"]))
    assert keys(store, "rounding") == [f"CS-{history['vat']}"] and keys(store, "vat") == []
    assert keys(store, "express") == []
    assert keys(store, "border") == [f"CS-{history['customs']}"]  # the case itself is still found


@pytest.mark.parametrize("query", ['"', '*', 'OR', 'AND NOT', 'NEAR(a b)', "'; DROP TABLE cases; --", "\\", ":*", "a & b | !c",
                                   "title:refund", "(((", "💥", "-", '"unterminated phrase'])
def test_search_syntax_in_the_box_is_just_text(store, history, query):
    with store.read() as session:
        result = search_cases(session, query=query)
    assert result.total >= 0  # no error, whatever was typed


def test_snippets_mark_the_matching_words(store, history):
    with store.read() as session:
        [hit] = search_cases(session, query="customs").hits
    assert f"{MARK_START}customs{MARK_END}" in hit.snippet.lower()
    assert (hit.customer, hit.status) == ("Müller Logistik", "resolved")


def test_similar_cases_are_resolved_cases_sharing_the_most_words(store, history):
    still_open = add_case(store, "Charged twice again", customer="Hooli", resolved=False)
    new_text = "Customer says their card was charged twice for the same invoice and wants the duplicate refunded"
    with store.read() as session:
        similar = similar_cases(session, text=new_text, limit=3)
        without_itself = similar_cases(session, text=new_text, limit=3, exclude_case_id=history["double"])
        nothing = similar_cases(session, text="the and of", limit=3)
    assert similar[0].key == f"CS-{history['double']}"
    assert f"CS-{still_open}" not in [h.key for h in similar]  # only past (resolved) cases
    assert f"CS-{history['double']}" not in [h.key for h in without_itself]
    assert nothing == []


def test_significant_words_drop_stopwords_and_repeats():
    assert significant_words("The customer was charged TWICE, twice! for INV 2291") == ["charged", "twice", "inv"]


def test_cases_that_existed_before_the_migration_are_indexed(database_url):
    engine = make_engine(database_url)
    upgrade(engine, "0002")
    store = Store(engine)
    with store.transaction() as tx:
        tx.session.execute(insert(CaseRow), [_case_values(1, "Refund for order 77 never arrived")])
        tx.session.execute(insert(DecisionRow), [dict(case_id=1, dedupe_key="old:1", text="Escalate to the acquirer",
                                                      author_id="U1", author_name="Ana", recorded_at=T0)])
    upgrade(engine)
    assert keys(store, "refund") == ["CS-1"] and keys(store, "acquirer") == ["CS-1"]
    engine.dispose()


def test_the_index_migration_downgrades_and_upgrades_cleanly(database_url, store, history):
    from alembic import command

    from swarm.store.migrate import alembic_config

    engine = store.engine
    with engine.begin() as connection:
        cfg = alembic_config(database_url)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0002")
    with engine.begin() as connection:  # the 0002 schema: the ORM knows later columns, so write the row by hand
        connection.execute(sql_text(
            "INSERT INTO cases (dedupe_key, title, customer, category, severity, description, status, platform, "
            "requester_id, created_at, resolved_at) VALUES ('s:gone', 'Written while the index was gone', 'Acme Corp', "
            "'billing', 'sev2', '', 'resolved', 'slack', 'UAGENT001', :created, :resolved)"),
            {"created": T0, "resolved": T0 + timedelta(hours=2)})  # no trigger left behind to trip over
    upgrade(engine)
    assert keys(store, "gone") == [f"CS-{history['vat'] + 1}"] and keys(store, "sso") == [f"CS-{history['sso']}"]


def test_search_answers_in_well_under_a_second_on_100000_cases(database_url):
    """100,000 cases and 50,000 decisions, loaded before the index migration (so this also times its backfill)."""
    engine = make_engine(database_url)
    upgrade(engine, "0002")
    rng = random.Random(5)
    words = ("invoice refund charge payment gateway shipment customs delivery warehouse stock login password vpn outage "
             "network certificate tenant pallet carrier tracking duplicate card transfer credit note vat order").split()
    with engine.begin() as conn:
        for start in range(1, 100_001, 20_000):
            conn.execute(insert(CaseRow), [_case_values(i, " ".join(rng.choices(words, k=6)), rng.choices(words, k=30))
                                           for i in range(start, start + 20_000)])
            conn.execute(insert(DecisionRow), [dict(case_id=i, dedupe_key=f"b:{i}", text=" ".join(rng.choices(words, k=8)),
                                                    author_id="U1", author_name="Ana", recorded_at=T0)
                                               for i in range(start, start + 20_000, 2)])
    upgrade(engine)
    store = Store(engine)
    for query in ("refund", "duplicate charge", '"credit note" vat', "customer 4242", "refund -vat invoice", "zebra"):
        started = time.perf_counter()
        with store.read() as session:
            result = search_cases(session, query=query, limit=20)
        took = time.perf_counter() - started
        assert took < 0.5, f"{query!r} took {took:.3f}s"
        assert result.total == 0 if query == "zebra" else result.hits
    started = time.perf_counter()
    with store.read() as session:
        assert len(similar_cases(session, text="charged twice on the card, refund the duplicate payment", limit=5)) == 5
    assert time.perf_counter() - started < 0.5
    engine.dispose()


def _case_values(i: int, title: str, description_words=()) -> dict:
    return dict(id=i, dedupe_key=f"bulk:{i}", title=title, customer=f"Customer {i}", category="billing", severity="sev3",
                description=" ".join(description_words), status="resolved", platform="slack", requester_id="U1",
                created_at=T0, resolved_at=T0 + timedelta(hours=1))
