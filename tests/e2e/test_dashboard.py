"""The managers' dashboard over real HTTP against the real app: what a manager sees on the pages, in the CSV
files and from the JSON API, and what someone who has not signed in does not see."""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, jsonify, request
from sqlalchemy import insert
from werkzeug.serving import make_server

from config.settings import load_settings
from integrations.web.app import create_app
from integrations.web.dashboard import DashboardOptions, register_dashboard
from integrations.web.dashboard.options import SlackOidc, dashboard_login_token, options_from_settings, parse_managers
from swarm.app.bootstrap import build
from swarm.store.tables import CaseRow, DecisionRow, ParticipantRow, TimelineRow, WorkflowRow

NOW = datetime(2026, 3, 19, 12, 0, tzinfo=timezone.utc)
MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
TOKEN = "let-me-in-0123456789"
ANA, BEN, DEV, GRACE = (("UBILL0001", "Ana Souza", "billing"), ("UBILL0002", "Ben Okafor", "billing"),
                        ("UIT00001", "Dev Patel", "it"), ("UOPS0001", "Grace Kim", "operations"))
FORMULA = "=HYPERLINK(\"http://evil.example\")"


class Server:
    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def close(self):
        self._server.shutdown()


class Cells(HTMLParser):
    """The text of every cell of every <table data-table=...>, by table name (what a reader sees)."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.kpis: dict[str, str] = {}
        self._table = self._row = self._cell = self._kpi = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("data-table"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "div" and "data-kpi" in attrs:
            self._kpi = attrs["data-kpi"]
        elif tag == "dd" and self._kpi:
            self.kpis[self._kpi] = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "dd":
            self._kpi = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._kpi in self.kpis:
            self.kpis[self._kpi] += data.strip()

    def rows(self, table: str) -> dict[str, list[str]]:
        """Body rows keyed by their first cell."""
        return {row[0]: row for row in self.tables[table][1:]}


def add_case(store, *, created, customer, category="billing", severity="sev2", engaged=None, resolved=None,
             experts=(), engage_target=30 * MIN, resolve_target=8 * HOUR, decisions=(), **extra) -> str:
    with store.transaction() as tx:
        row = CaseRow(dedupe_key=f"e2e:{customer}:{created}", title=f"{customer}: {category} problem", customer=customer,
                      category=category, severity=severity, description=f"Reported by {customer}",
                      status="resolved" if resolved else "open", platform="slack", requester_id="UAGENT001",
                      created_at=created, engaged_at=engaged and created + engaged, resolved_at=resolved and created + resolved,
                      sla_engage_due=created + engage_target, sla_resolve_due=created + resolve_target, **extra)
        tx.session.add(row)
        tx.session.flush()
        tx.session.add(ParticipantRow(case_id=row.id, user_id="UAGENT001", name="Maya Chen", role="requester", reason="escalated"))
        for (user_id, name, department), delay in experts:
            tx.session.add(ParticipantRow(case_id=row.id, user_id=user_id, name=name, department=department, role="expert",
                                          reason=f"on call for {department}", first_message_at=delay and created + delay))
        for n, ((user_id, name, department), text) in enumerate(decisions):
            tx.session.add(DecisionRow(case_id=row.id, dedupe_key=f"e2e:{row.id}:{n}", text=text, author_id=user_id,
                                       author_name=name, department=department, recorded_at=created + 20 * MIN))
        tx.session.add(TimelineRow(case_id=row.id, at=created, kind="escalated", text=f"CS-{row.id} escalated"))
        if resolved:
            tx.session.add(TimelineRow(case_id=row.id, at=created + resolved, kind="resolved", text="Resolved by Ana"))
        return row.key


@pytest.fixture
def history(container):
    """Three open swarms (on track, at risk, breached) and five resolved this week: billing engage 10/20/30/40 min,
    resolve 1/2/3/10 h; IT engage 5 min, resolve 30 min."""
    store = container.store
    cases = {
        "acme": add_case(store, created=NOW - HOUR, customer="Acme Corp", engaged=10 * MIN, experts=[(ANA, 10 * MIN)],
                         channel_id="CACME01", channel_name="case-1-acme", ticket_key="SUP-7",
                         ticket_url="https://jira.example.com/browse/SUP-7", crm_record_id="500XY", crm_record_number="00001026",
                         decisions=[(ANA, "Refund the duplicate charge today")]),
        "globex": add_case(store, created=NOW - 230 * MIN, customer="Globex", category="it", severity="sev1",
                           engaged=5 * MIN, experts=[(DEV, 5 * MIN)], engage_target=15 * MIN, resolve_target=4 * HOUR),
        "initech": add_case(store, created=NOW - 3 * HOUR, customer="Initech", category="operations", severity="sev3",
                            experts=[(GRACE, None)], engage_target=2 * HOUR, resolve_target=48 * HOUR),
    }
    for n, (engage, resolve) in enumerate([(10, 1), (20, 2), (30, 3), (40, 10)]):
        cases[f"billing{n}"] = add_case(store, created=NOW - 2 * 24 * HOUR + n * MIN, customer=FORMULA if n == 0 else f"Billing customer {n}",
                                        engaged=engage * MIN, resolved=resolve * HOUR, experts=[((ANA, BEN)[n % 2], engage * MIN)])
    cases["it"] = add_case(store, created=NOW - 24 * HOUR, customer="Hooli", category="it", engaged=5 * MIN, resolved=30 * MIN,
                           experts=[(DEV, 5 * MIN)])
    return cases


@pytest.fixture
def container(database_url, tmp_path):
    return build(load_settings(database_url=database_url, queue_url=f"sqlite:///{tmp_path / 'queue.db'}", queue_immediate=True))


@pytest.fixture
def oidc_slack():
    """A stand-in for Slack's openid.connect.token: the test says which claims a code stands for."""
    app, codes, calls = Flask("fake-slack-oidc"), {}, []

    @app.post("/api/openid.connect.token")
    def token():
        calls.append({"auth": request.authorization, "form": request.form.to_dict()})
        claims = codes.get(request.form.get("code"))
        if claims is None:
            return jsonify(ok=False, error="invalid_code")
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return jsonify(ok=True, access_token="xoxp-1", id_token=f"eyJhbGciOiJSUzI1NiJ9.{body}.c2ln")

    server = Server(app)
    yield server, codes, calls
    server.close()


@pytest.fixture
def dashboard(container, history, oidc_slack):
    app = create_app(container)
    oidc = SlackOidc(client_id="123.456", client_secret="oidc-secret", api_url=oidc_slack[0].url + "/api/",
                     authorize_url="https://slack.example/openid/connect/authorize", team_id="T0CASESWARM")
    options = DashboardOptions(login_token=TOKEN, secret_key="test-secret-key", managers=frozenset({"jonas.berg@example.com"}),
                               oidc=oidc, crm_record_url="https://acme.my.salesforce.com/lightning/r/Case/{id}/view")
    register_dashboard(app, container, options=options, clock=lambda: NOW)
    server = Server(app)
    yield server
    server.close()


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


@pytest.fixture
def manager(dashboard) -> requests.Session:
    session = browser()
    form = session.get(dashboard.url + "/dashboard/login")
    signed_in = session.post(dashboard.url + "/dashboard/login", data={"csrf_token": csrf_of(form.text), "token": TOKEN})
    assert signed_in.status_code == 200 and "Open swarms" in signed_in.text
    return session


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/timings", "/dashboard/load", "/dashboard/cases/CS-1",
                                  "/dashboard/search?q=acme", "/dashboard/export/open.csv", "/dashboard/cases/CS-1/timeline.csv"])
def test_without_signing_in_pages_redirect_and_show_no_customer_data(dashboard, path):
    response = browser().get(dashboard.url + path, allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dashboard/login?next=")
    followed = browser().get(dashboard.url + path)
    assert followed.url.startswith(dashboard.url + "/dashboard/login") and "Sign in" in followed.text
    for secret in ("Acme", "Globex", "Initech", "Refund"):
        assert secret not in response.text and secret not in followed.text


@pytest.mark.parametrize("path", ["/dashboard/api/overview", "/dashboard/api/cases/CS-1", "/dashboard/api/search?q=acme",
                                  "/dashboard/api/similar?text=refund"])
def test_without_signing_in_the_api_answers_401(dashboard, path):
    response = browser().get(dashboard.url + path)
    assert response.status_code == 401 and "Sign in first" in response.json()["error"] and "Acme" not in response.text


def test_a_wrong_token_or_a_missing_csrf_token_does_not_sign_in(dashboard):
    session = browser()
    form = session.get(dashboard.url + "/dashboard/login")
    wrong = session.post(dashboard.url + "/dashboard/login", data={"csrf_token": csrf_of(form.text), "token": "guess"})
    assert wrong.status_code == 401 and "That sign-in token is not right" in wrong.text
    no_csrf = session.post(dashboard.url + "/dashboard/login", data={"token": TOKEN})
    assert no_csrf.status_code == 400 and "security token" in no_csrf.text
    assert session.get(dashboard.url + "/dashboard/", allow_redirects=False).status_code == 302


def test_signing_out_needs_the_csrf_token_and_ends_the_session(manager, dashboard):
    page = manager.get(dashboard.url + "/dashboard/")
    assert manager.post(dashboard.url + "/dashboard/logout").status_code == 400  # a forged cross-site sign-out
    assert manager.get(dashboard.url + "/dashboard/", allow_redirects=False).status_code == 200
    manager.post(dashboard.url + "/dashboard/logout", data={"csrf_token": csrf_of(page.text)})
    assert manager.get(dashboard.url + "/dashboard/", allow_redirects=False).status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(dashboard):
    session = browser()
    first = session.get(dashboard.url + "/dashboard/timings?department=it")
    csrf = csrf_of(first.text)
    back = session.post(dashboard.url + "/dashboard/login",
                        data={"csrf_token": csrf, "token": TOKEN, "next": "/dashboard/timings?department=it"})
    assert back.url == dashboard.url + "/dashboard/timings?department=it"
    other = browser()
    csrf = csrf_of(other.get(dashboard.url + "/dashboard/login").text)
    away = other.post(dashboard.url + "/dashboard/login", data={"csrf_token": csrf, "token": TOKEN, "next": "//evil.example/x"},
                      allow_redirects=False)
    assert away.headers["Location"] == "/dashboard/"


def test_overview_shows_open_swarms_with_age_sla_state_and_people(manager, dashboard, history):
    page = Cells(manager.get(dashboard.url + "/dashboard/").text)
    assert page.kpis == {"open": "3", "at_risk": "1", "breached": "1", "resolved": "5",
                         "engage_median": "20m", "resolve_median": "2h 00m"}  # medians of 5/10/20/30/40 min, 0.5/1/2/3/10 h
    open_rows = page.rows("open")
    # Columns: case, title, customer, severity, category, age, SLA, engaged after, departments, people.
    assert list(open_rows) == [history["initech"], history["globex"], history["acme"]]  # breached, at risk, on track
    assert open_rows[history["acme"]][5:] == ["1h 00m", "on track", "10m", "billing", "Maya Chen, Ana Souza"]
    assert open_rows[history["globex"]][5:7] == ["3h 50m", "at risk"]  # 230 of 240 minutes used
    assert open_rows[history["initech"]][5:8] == ["3h 00m", "breached", "—"]  # nobody engaged in 2 h
    assert len(page.rows("resolved")) == 5


def test_filtering_by_department_shows_only_its_swarms(manager, dashboard, history):
    page = Cells(manager.get(dashboard.url + "/dashboard/", params={"department": "it"}).text)
    assert list(page.rows("open")) == [history["globex"]]
    assert list(page.rows("resolved")) == [history["it"]]
    assert page.kpis["open"] == "1" and page.kpis["breached"] == "0"


def test_timings_show_median_and_p90_per_department_and_sla_compliance(manager, dashboard):
    html = manager.get(dashboard.url + "/dashboard/timings").text
    page = Cells(html)
    # billing engage 10/20/30/40 min: median 25m, p90 30 + 0.7 * 10 = 37m; resolve 1/2/3/10 h: 2.5 h, 3 + 0.7 * 7 = 7.9 h
    assert page.rows("by_department")["billing"] == ["billing", "4", "25m", "37m", "2h 30m", "7h 54m"]
    assert page.rows("by_department")["it"] == ["it", "1", "5m", "5m", "30m", "30m"]
    assert page.rows("sla")["billing"] == ["billing", "4", "3", "75.0%", "3", "75.0%"]  # 40 min and 10 h were late
    assert page.rows("by_severity")["sev2"][1] == "5"
    assert page.rows("weekly")["2026-03-16"][1] == "5"  # all resolved in the week starting Monday 16 March
    assert html.count('<svg class="chart"') >= 5 and "<script" not in html


def test_every_table_exports_as_csv_with_the_rows_on_the_page(manager, dashboard, history):
    for name in ("open", "resolved", "by_department", "by_category", "by_severity", "weekly", "sla", "load"):
        response = manager.get(dashboard.url + f"/dashboard/export/{name}.csv")
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv"), name
        assert f'filename="{name}.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(manager.get(dashboard.url + "/dashboard/export/by_department.csv").text)))
    billing = next(r for r in rows if r["Department"] == "billing")
    assert (billing["Engage median (minutes)"], billing["Resolve p90 (minutes)"]) == ("25.0", "474.0")
    resolved = list(csv.DictReader(io.StringIO(manager.get(dashboard.url + "/dashboard/export/resolved.csv").text)))
    assert len(resolved) == 5 and "'" + FORMULA in [r["Customer"] for r in resolved]  # no formula runs in a spreadsheet
    filtered = list(csv.DictReader(io.StringIO(manager.get(dashboard.url + "/dashboard/export/open.csv?department=billing").text)))
    assert [(r["Case"], r["Age (minutes)"], r["SLA"]) for r in filtered] == [(history["acme"], "60.0", "on track")]


def test_the_json_api_gives_the_same_numbers_in_seconds(manager, dashboard):
    body = manager.get(dashboard.url + "/dashboard/api/timings", params={"department": "billing", "days": "7"}).json()
    assert body["filters"]["department"] == "billing" and body["filters"]["days"] == 7
    [billing] = body["tables"]["by_department"]["rows"]
    assert billing == {"group": "billing", "cases": 4, "engage_median": 1500, "engage_p90": 2220,
                       "resolve_median": 9000, "resolve_p90": 28440}
    overview = manager.get(dashboard.url + "/dashboard/api/overview").json()
    assert {k["key"]: k["value"] for k in overview["kpis"]}["resolve_median"] == 7200
    bad = manager.get(dashboard.url + "/dashboard/api/overview", params={"department": "sales"})
    assert bad.status_code == 400 and bad.json()["error"] == "Department 'sales' is not one of: billing, it, operations"


def test_case_page_shows_links_people_decisions_and_the_timeline(manager, dashboard, history):
    key = history["acme"]
    html = manager.get(dashboard.url + f"/dashboard/cases/{key}").text
    assert 'href="https://slack.com/app_redirect?channel=CACME01"' in html
    assert 'href="https://jira.example.com/browse/SUP-7"' in html and "Jira SUP-7" in html
    assert 'href="https://acme.my.salesforce.com/lightning/r/Case/500XY/view"' in html and "CRM case 00001026" in html
    page = Cells(html)
    assert [r[1] for r in page.tables["decisions"][1:]] == ["Ana Souza"]
    assert [r[1] for r in page.tables["timeline"][1:]] == ["escalated"]
    assert page.rows("participants")["Ana Souza"][-1] == "10m"
    timeline = list(csv.DictReader(io.StringIO(manager.get(dashboard.url + f"/dashboard/cases/{key}/timeline.csv").text)))
    assert timeline[0]["What"] == "escalated" and timeline[0]["When"] == (NOW - HOUR).isoformat(timespec="seconds")
    assert manager.get(dashboard.url + f"/dashboard/api/cases/{key}").json()["case"]["engage_seconds"] == 600


def test_search_finds_past_cases_by_decision_text(manager, dashboard, history):
    page = manager.get(dashboard.url + "/dashboard/search", params={"q": "refunded duplicate"}).text
    assert list(Cells(page).rows("search")) == [history["acme"]] and "<mark>" in page
    exported = manager.get(dashboard.url + "/dashboard/export/search.csv", params={"q": "refunded duplicate"}).text
    assert history["acme"] in exported and "<mark>" not in exported


def test_unknown_case_and_bad_filters_get_specific_errors(manager, dashboard):
    missing = manager.get(dashboard.url + "/dashboard/cases/CS-999")
    assert missing.status_code == 404 and "No case &#39;CS-999&#39;" in missing.text
    bad = manager.get(dashboard.url + "/dashboard/", params={"severity": "urgent"})
    assert bad.status_code == 400 and "Severity &#39;urgent&#39; is not one of: sev1, sev2, sev3, sev4" in bad.text


def test_pages_are_never_cached_framed_or_scripted(manager, dashboard):
    headers = manager.get(dashboard.url + "/dashboard/").headers
    assert headers["Cache-Control"] == "no-store" and headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_the_sign_in_token_is_made_once_per_process(container):
    token = dashboard_login_token(container)  # what `swarm serve` prints
    assert token == dashboard_login_token(container) and len(token) >= 32
    options = options_from_settings(container)
    assert options.login_token == token and options.oidc is None and options.managers == frozenset()
    assert parse_managers(" Jonas.Berg@example.com, ana@example.com ,") == {"jonas.berg@example.com", "ana@example.com"}


def test_similar_past_cases_for_a_new_escalation(manager, dashboard, history):
    found = manager.get(dashboard.url + "/dashboard/api/similar", params={"text": "Hooli says IT problem again"}).json()
    assert [s["case"] for s in found["similar"]][:1] == [history["it"]]


def test_metrics_in_prometheus_format(dashboard, container):
    with container.store.transaction() as tx:
        tx.session.execute(insert(WorkflowRow), [
            dict(case_id=1, kind="open_swarm", dedupe_key="w1", payload={}, status="failed", next_run_at=NOW),
            dict(case_id=1, kind="announce", dedupe_key="w2", payload={}, status="pending", next_run_at=NOW),
            dict(case_id=2, kind="announce", dedupe_key="w3", payload={}, status="pending", next_run_at=NOW)])
    response = browser().get(dashboard.url + "/metrics")  # no sign-in: numbers only, no customer data
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    lines = set(response.text.splitlines())
    # sev2 resolved: 1, 2, 3, 10 h and 30 min -> 2 within 1 h, 3 within 2 h, 4 within 4 h, all 5 within 1 day
    for expected in ('caseswarm_swarms_opened_total{severity="sev2"} 6', 'caseswarm_swarms_resolved_total{severity="sev2"} 5',
                     'caseswarm_time_to_resolve_seconds_bucket{severity="sev2",le="3600"} 2',
                     'caseswarm_time_to_resolve_seconds_bucket{severity="sev2",le="7200"} 3',
                     'caseswarm_time_to_resolve_seconds_bucket{severity="sev2",le="14400"} 4',
                     'caseswarm_time_to_resolve_seconds_bucket{severity="sev2",le="86400"} 5',
                     'caseswarm_time_to_resolve_seconds_sum{severity="sev2"} 59400',
                     'caseswarm_time_to_engage_seconds_count{severity="sev2"} 6',
                     'caseswarm_swarms_open{severity="sev1",sla="at_risk"} 1',
                     'caseswarm_workflows_failed{kind="open_swarm"} 1', 'caseswarm_workflow_queue_depth{kind="announce"} 2',
                     "# TYPE caseswarm_time_to_resolve_seconds histogram"):
        assert expected in lines, expected
    assert "Acme" not in response.text


def start_slack_sign_in(dashboard) -> tuple[requests.Session, dict]:
    session = browser()
    go = session.get(dashboard.url + "/dashboard/login/slack", params={"next": "/dashboard/load"}, allow_redirects=False)
    assert go.status_code == 302 and go.headers["Location"].startswith("https://slack.example/openid/connect/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(go.headers["Location"]).query).items()}
    assert query["scope"] == "openid email profile" and query["team"] == "T0CASESWARM" and query["client_id"] == "123.456"
    return session, query


def claims(query: dict, **overrides) -> dict:
    return {"iss": "https://slack.com", "aud": "123.456", "nonce": query["nonce"], "exp": time.time() + 300,
            "email": "jonas.berg@example.com", "email_verified": True, "name": "Jonas Berg",
            "https://slack.com/team_id": "T0CASESWARM", **overrides}


def test_sign_in_with_slack_lets_in_a_manager_on_the_allow_list(dashboard, oidc_slack):
    _, codes, calls = oidc_slack
    session, query = start_slack_sign_in(dashboard)
    codes["good"] = claims(query)
    back = session.get(dashboard.url + "/dashboard/login/slack/callback", params={"code": "good", "state": query["state"]})
    assert back.url == dashboard.url + "/dashboard/load" and "Jonas Berg" in back.text
    assert calls[0]["auth"].username == "123.456" and calls[0]["form"]["redirect_uri"] == query["redirect_uri"]


@pytest.mark.parametrize("overrides, status, message", [
    ({"email": "eve@example.com"}, 403, "eve@example.com is not on the dashboard&#39;s managers list"),
    ({"nonce": "replayed"}, 403, "does not belong to this sign-in"),
    ({"https://slack.com/team_id": "T0OTHER"}, 403, "another Slack workspace"),
    ({"exp": 1}, 403, "has expired"),
])
def test_sign_in_with_slack_refuses_everyone_else(dashboard, oidc_slack, overrides, status, message):
    session, query = start_slack_sign_in(dashboard)
    oidc_slack[1]["code"] = claims(query, **overrides)
    refused = session.get(dashboard.url + "/dashboard/login/slack/callback", params={"code": "code", "state": query["state"]})
    assert refused.status_code == status and message in refused.text
    assert session.get(dashboard.url + "/dashboard/", allow_redirects=False).status_code == 302


def test_a_forged_slack_callback_is_refused(dashboard, oidc_slack):
    session, query = start_slack_sign_in(dashboard)
    oidc_slack[1]["code"] = claims(query)
    forged = session.get(dashboard.url + "/dashboard/login/slack/callback", params={"code": "code", "state": "attacker"})
    assert forged.status_code == 400 and "stale" in forged.text


def test_a_swarm_worked_in_slack_shows_on_the_dashboard(swarm):
    app = create_app(swarm.container)
    register_dashboard(app, swarm.container, options=DashboardOptions(login_token=TOKEN, secret_key="k"))
    server = Server(app)
    swarm.escalate("Globex was charged twice for invoice INV-88\nThe card was billed twice.", customer="Globex")
    swarm.drain()
    channel, expert = swarm.case().channel_id, next(p for p in swarm.case().participants if p.role == "expert")
    swarm.driver.user_message(channel, expert.user_id, "On it")
    swarm.command("decide Refund the second charge through the gateway", channel=channel, user=expert.user_id)
    swarm.command("resolve Refunded", channel=channel, user=expert.user_id)
    swarm.drain()
    session = browser()
    form = session.get(server.url + "/dashboard/login")
    session.post(server.url + "/dashboard/login", data={"csrf_token": csrf_of(form.text), "token": TOKEN})
    page = session.get(server.url + "/dashboard/cases/CS-1").text
    kinds = [row[1] for row in Cells(page).tables["timeline"][1:]]
    assert kinds[0] == "escalated" and {"channel_created", "engaged", "decision", "resolved"} <= set(kinds)
    assert f"https://slack.com/app_redirect?channel={channel}" in page and "Refund the second charge" in page
    assert list(Cells(session.get(server.url + "/dashboard/search?q=gateway").text).rows("search")) == ["CS-1"]
    assert Cells(session.get(server.url + "/dashboard/").text).kpis["resolved"] == "1"
    server.close()
