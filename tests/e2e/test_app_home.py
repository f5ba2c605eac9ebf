"""The App Home tab and the weekly digest, through signed Slack events into the real Bolt app and the Slack
sandbox: what a manager or an expert sees when they open the app in Slack."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from werkzeug.serving import make_server

from integrations.slack.home import digest_blocks
from integrations.slack.listeners import app_home
from integrations.slack.sandbox import SlackDriver
from swarm.digest import weekly_digest
from tests.e2e.test_dashboard import ANA, BEN, DEV, GRACE, HOUR, MIN, NOW, add_case

MANAGER, EXPERT, AGENT = "UMGR0001", "UBILL0001", "UAGENT002"
MANAGERS_CHANNEL = "CMANAGERS1"


@pytest.fixture
def history(swarm):
    """Open: Acme (billing, on track), Globex (IT, at risk), Initech (operations, breached); resolved this week:
    billing engage 10/20/30/40 min and resolve 1/2/3/10 h, IT engage 5 min and resolve 30 min."""
    store = swarm.container.store
    cases = {
        "acme": add_case(store, created=NOW - HOUR, customer="Acme Corp", engaged=10 * MIN, experts=[(ANA, 10 * MIN)],
                         channel_id="CACME01"),
        "globex": add_case(store, created=NOW - 230 * MIN, customer="Globex", category="it", severity="sev1",
                           engaged=5 * MIN, experts=[(DEV, 5 * MIN)], engage_target=15 * MIN, resolve_target=4 * HOUR),
        "initech": add_case(store, created=NOW - 3 * HOUR, customer="Initech", category="operations", severity="sev3",
                            experts=[(GRACE, None)], engage_target=2 * HOUR, resolve_target=48 * HOUR),
    }
    for n, (engage, resolve) in enumerate([(10, 1), (20, 2), (30, 3), (40, 10)]):
        add_case(store, created=NOW - 2 * 24 * HOUR + n * MIN, customer=f"Billing customer {n}", engaged=engage * MIN,
                 resolved=resolve * HOUR, experts=[((ANA, BEN)[n % 2], engage * MIN)])
    add_case(store, created=NOW - 24 * HOUR, customer="Hooli", category="it", engaged=5 * MIN, resolved=30 * MIN,
             experts=[(DEV, 5 * MIN)])
    return cases


@pytest.fixture
def slack(swarm, history):
    """The Bolt app with the App Home listener, served over HTTP, and a driver that sends Slack's signed events."""
    settings = swarm.container.settings
    # Only the App Home listener, on a fixed clock (Bolt runs the first listener that matches an event).
    bolt = App(token=settings.slack_bot_token.get_secret_value(), signing_secret=settings.slack_signing_secret.get_secret_value(),
               client=swarm.container.chats["slack"].client, process_before_response=True, token_verification_enabled=False)
    app_home.register(bolt, swarm.container, clock=lambda: NOW)
    handler, web = SlackRequestHandler(bolt), Flask("app-home-test")
    web.add_url_rule("/slack/events", "events", lambda: handler.handle(request), methods=["POST"])
    server = make_server("127.0.0.1", 0, web, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    driver = SlackDriver(swarm.sandbox, f"http://127.0.0.1:{server.server_port}/slack/events",
                         settings.slack_signing_secret.get_secret_value())
    yield driver
    driver.close()
    server.shutdown()


def open_home(slack, user: str, tab: str = "home"):
    response = slack.event({"type": "app_home_opened", "user": user, "channel": f"D{user[1:]}", "tab": tab,
                            "event_ts": "1773921600.000100"})
    assert response.status_code == 200
    return slack.sandbox.home_views.get(user)


def texts(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_a_manager_sees_their_departments_swarms_sla_risks_and_this_weeks_timings(slack, history):
    home = open_home(slack, MANAGER)
    body = texts(home)
    assert home["type"] == "home"
    assert "*Billing* · 1 open · 0 at risk · 0 breached" in body
    assert "*IT* · 1 open · 1 at risk · 0 breached" in body
    assert "*Operations* · 1 open · 0 at risk · 1 breached" in body
    assert f":warning: *{history['globex']}* Globex" in body and "3h 50m old · at risk" in body
    assert f":red_circle: *{history['initech']}* Initech" in body
    # billing this week: engage 10/20/30/40 min -> median 25m, p90 37m; resolve 1/2/3/10 h -> 2h 30m, 7h 54m; 3 of 4 in time
    assert ("This week: 4 resolved · engage median 25m, p90 37m · resolve median 2h 30m, p90 7h 54m · "
            "resolve SLA met 75%") in body
    assert "This week: 1 resolved · engage median 5m, p90 5m · resolve median 30m, p90 30m · resolve SLA met 100%" in body
    assert home["blocks"][-1]["elements"][0]["url"].endswith("/dashboard")


def test_an_expert_sees_the_swarms_they_are_in(slack, history):
    body = texts(open_home(slack, EXPERT))
    assert "Open swarms you are in* (1)" in body
    assert f"*{history['acme']}* Acme Corp" in body and "Globex" not in body and "Billing customer" not in body


def test_someone_in_no_swarm_is_told_so(slack):
    assert "You are in no open swarm right now." in texts(open_home(slack, AGENT))


def test_opening_the_messages_tab_publishes_nothing(slack):
    assert open_home(slack, MANAGER, tab="messages") is None


def test_the_weekly_digest_sums_up_last_week_and_slack_accepts_it(swarm, history):
    next_week = NOW + timedelta(days=7)  # the digest covers Monday 16 to Monday 23 March, when all five were resolved
    with swarm.container.store.read() as session:
        digest = weekly_digest(session, config=swarm.container.config, now=next_week)
    assert (digest.since.isoformat(), digest.resolved, digest.opened, digest.open_now) == ("2026-03-16T00:00:00+00:00", 5, 8, 3)
    assert digest.breached == 3  # a week later, none of the three open swarms made its targets
    lines = digest.text.splitlines()
    assert lines[0] == "*CaseSwarm weekly digest* · week of 16 Mar 2026"
    assert "• *Billing*: 4 resolved · engage median 25m · resolve median 2h 30m, p90 7h 54m, resolve SLA met 75%" in lines
    assert lines[-1].startswith("Slowest: ") and "Billing customer 3 (10h 00m)" in lines[-1]
    client = swarm.container.chats["slack"].client
    posted = client.chat_postMessage(channel=MANAGERS_CHANNEL, text=digest.text,
                                     blocks=digest_blocks(digest, dashboard_url="http://127.0.0.1:3000/dashboard"))
    assert posted["ok"]
    [message] = swarm.sandbox.messages(MANAGERS_CHANNEL)
    assert message["blocks"][0]["text"]["text"] == "Weekly digest · week of 16 Mar 2026"
