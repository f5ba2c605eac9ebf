"""Contract tests of the Slack sandbox (with the real slack_sdk WebClient) and of the driver (with a real Bolt app)."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Iterator

import pytest
from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from werkzeug.serving import make_server

from integrations.slack.sandbox import BOT_USER_ID, SlackDriver, SlackSandbox

SIGNING_SECRET = "sandbox-signing-secret"
SUPPORT = "CSUPPORT01"

MODAL = {
    "type": "modal",
    "callback_id": "swarm_form",
    "private_metadata": "case-42",
    "title": {"type": "plain_text", "text": "Escalate"},
    "submit": {"type": "plain_text", "text": "Open swarm"},
    "blocks": [
        {"type": "input", "block_id": "summary", "label": {"type": "plain_text", "text": "Summary"},
         "element": {"type": "plain_text_input", "action_id": "summary_input", "initial_value": "Card charged twice"}},
        {"type": "input", "block_id": "team", "label": {"type": "plain_text", "text": "Team"},
         "element": {"type": "static_select", "action_id": "team_select",
                     "options": [{"text": {"type": "plain_text", "text": "Billing"}, "value": "billing"},
                                 {"text": {"type": "plain_text", "text": "IT"}, "value": "it"}]}},
        {"type": "input", "block_id": "experts", "optional": True, "label": {"type": "plain_text", "text": "Experts"},
         "element": {"type": "multi_users_select", "action_id": "experts_select"}},
        {"type": "input", "block_id": "notes", "optional": True, "label": {"type": "plain_text", "text": "Notes"},
         "element": {"type": "plain_text_input", "action_id": "notes_input"}},
    ],
}


# -- fixtures ---------------------------------------------------------------------------------------------------
@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    sb = SlackSandbox()
    sb.seed_demo_workspace()
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def client(sandbox: SlackSandbox) -> WebClient:
    return WebClient(token=sandbox.bot_token, base_url=sandbox.base_url + "/api/")


def new_channel(client: WebClient, name: str = "case-0001", **kwargs: Any) -> str:
    return client.conversations_create(name=name, **kwargs)["channel"]["id"]


def slack_error(call: Any, **kwargs: Any) -> dict[str, Any]:
    """The error body of a call that must fail."""
    with pytest.raises(SlackApiError) as failure:
        call(**kwargs)
    return failure.value.response.data


class BoltApp:
    """A tiny Bolt app on 127.0.0.1 whose listeners put what they received on `received`."""

    def __init__(self, sandbox: SlackSandbox) -> None:
        api = WebClient(token=sandbox.bot_token, base_url=sandbox.base_url + "/api/")
        self.bolt = App(signing_secret=SIGNING_SECRET, client=api)  # the token comes from the client
        self.received: queue.Queue[tuple[str, Any]] = queue.Queue()
        flask_app = Flask("bolt-under-test")
        handler = SlackRequestHandler(self.bolt)
        flask_app.add_url_rule("/slack/events", "events", lambda: handler.handle(request), methods=["POST"])
        self._server = make_server("127.0.0.1", 0, flask_app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/slack/events"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def next(self, kind: str) -> Any:
        got_kind, value = self.received.get(timeout=5)
        assert got_kind == kind
        return value

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def bolt(sandbox: SlackSandbox) -> Iterator[BoltApp]:
    app = BoltApp(sandbox)
    yield app
    app.stop()


@pytest.fixture
def driver(sandbox: SlackSandbox, bolt: BoltApp) -> Iterator[SlackDriver]:
    drv = SlackDriver(sandbox, bolt.url, SIGNING_SECRET)
    yield drv
    drv.close()


# -- Web API contract -------------------------------------------------------------------------------------------
def test_auth_test_names_the_bot(client: WebClient) -> None:
    reply = client.auth_test()
    assert (reply["user_id"], reply["team_id"], reply["url"]) == (
        BOT_USER_ID, "T0SANDBOX", "https://caseswarm-sandbox.slack.com/")


def test_wrong_or_missing_token(sandbox: SlackSandbox) -> None:
    api = sandbox.base_url + "/api/"
    assert slack_error(WebClient(token="xoxb-wrong", base_url=api).auth_test)["error"] == "invalid_auth"
    assert slack_error(WebClient(base_url=api).conversations_list)["error"] == "not_authed"


def test_unknown_method_is_http_200(client: WebClient) -> None:
    error = slack_error(client.api_call, api_method="chat.teleport")
    assert error == {"ok": False, "error": "unknown_method", "req_method": "chat.teleport"}


def test_create_channel_and_name_rules(client: WebClient, sandbox: SlackSandbox) -> None:
    channel = client.conversations_create(name="case-0001", is_private=True)["channel"]
    assert channel["is_private"] and channel["creator"] == BOT_USER_ID and channel["is_member"]
    assert sandbox.members(channel["id"]) == {BOT_USER_ID}
    client.conversations_archive(channel=channel["id"])
    assert slack_error(client.conversations_create, name="case-0001")["error"] == "name_taken"  # archived too
    for name, code in [("Case 1", "invalid_name_specials"), ("x" * 81, "invalid_name_maxlength"),
                       ("", "invalid_name_required")]:
        assert slack_error(client.conversations_create, name=name)["error"] == code


def test_invite_reports_each_failed_user(client: WebClient, sandbox: SlackSandbox) -> None:
    channel_id = new_channel(client)
    client.conversations_invite(channel=channel_id, users=["UBILL0001"])
    error = slack_error(client.conversations_invite, channel=channel_id,
                        users=["UBILL0002", "UBILL0001", "UNOBODY01", BOT_USER_ID])
    assert error["error"] == "already_in_channel"
    assert error["errors"] == [
        {"user": "UBILL0001", "ok": False, "error": "already_in_channel"},
        {"user": "UNOBODY01", "ok": False, "error": "user_not_found"},
        {"user": BOT_USER_ID, "ok": False, "error": "cant_invite_self"},
    ]
    assert "UBILL0002" not in sandbox.members(channel_id)  # without force nobody is invited
    forced = client.conversations_invite(channel=channel_id, users="UBILL0002,UNOBODY01", force=True)
    assert forced["errors"] == [{"user": "UNOBODY01", "ok": False, "error": "user_not_found"}]
    assert sandbox.members(channel_id) == {BOT_USER_ID, "UBILL0001", "UBILL0002"}
    too_many = ",".join(f"U{i:08d}" for i in range(101))
    assert slack_error(client.conversations_invite, channel=channel_id, users=too_many)["error"] == "too_many_users"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_message_metadata_threads_and_permalink(client: WebClient, sandbox: SlackSandbox) -> None:
    channel_id = new_channel(client)
    metadata = {"event_type": "swarm_summary", "event_payload": {"case_id": "42"}}
    parent = client.chat_postMessage(channel=channel_id, text="Summary", metadata=metadata)
    reply = client.chat_postMessage(channel=channel_id, text="Decision: refund", thread_ts=parent["ts"])
    assert float(reply["ts"]) > float(parent["ts"])
    plain = client.conversations_history(channel=channel_id)["messages"]
    assert len(plain) == 1 and "metadata" not in plain[0] and plain[0]["reply_count"] == 1
    with_meta = client.conversations_history(channel=channel_id, include_all_metadata=True)["messages"]
    assert with_meta[0]["metadata"] == metadata
    thread = client.conversations_replies(channel=channel_id, ts=parent["ts"])["messages"]
    assert [m["text"] for m in thread] == ["Summary", "Decision: refund"]
    assert thread[1]["thread_ts"] == parent["ts"]
    link = client.chat_getPermalink(channel=channel_id, message_ts=parent["ts"])["permalink"]
    assert link == f"https://caseswarm-sandbox.slack.com/archives/{channel_id}/p{parent['ts'].replace('.', '')}"
    assert slack_error(client.chat_postMessage, channel=channel_id)["error"] == "no_text"
    assert slack_error(client.chat_postMessage, channel="CNOPE", text="x")["error"] == "channel_not_found"


def test_history_pages_with_cursor(client: WebClient, sandbox: SlackSandbox) -> None:
    for i in range(5):
        sandbox.post_as_user(SUPPORT, "UAGENT001", f"message {i}")
    # slack_sdk follows next_cursor; each page replaces the previous one in the same response object.
    texts = [[m["text"] for m in page["messages"]] for page in client.conversations_history(channel=SUPPORT, limit=2)]
    assert texts == [["message 4", "message 3"], ["message 2", "message 1"], ["message 0"]]  # newest first


def test_private_channel_needs_the_bot(client: WebClient, sandbox: SlackSandbox) -> None:
    secret = sandbox.add_channel("secret", members=["UMGR0001"], is_private=True)
    assert slack_error(client.chat_postMessage, channel=secret, text="x")["error"] == "not_in_channel"
    assert slack_error(client.conversations_info, channel=secret)["error"] == "channel_not_found"


def test_update_and_ephemeral(client: WebClient, sandbox: SlackSandbox) -> None:
    posted = client.chat_postMessage(channel=SUPPORT, text="Swarm opening…")
    client.chat_update(channel=SUPPORT, ts=posted["ts"], text="Swarm opened")
    assert sandbox.messages(SUPPORT)[-1]["text"] == "Swarm opened"
    assert slack_error(client.chat_update, channel=SUPPORT, ts="1.000001", text="x")["error"] == "message_not_found"
    ts = client.chat_postEphemeral(channel=SUPPORT, user="UAGENT001", text="Only you")["message_ts"]
    assert sandbox.ephemerals[-1]["ts"] == ts and sandbox.ephemerals[-1]["user"] == "UAGENT001"


def test_pins(client: WebClient, sandbox: SlackSandbox) -> None:
    channel_id = new_channel(client)
    ts = client.chat_postMessage(channel=channel_id, text="Summary")["ts"]
    client.pins_add(channel=channel_id, timestamp=ts)
    assert slack_error(client.pins_add, channel=channel_id, timestamp=ts)["error"] == "already_pinned"
    assert slack_error(client.pins_add, channel=channel_id, timestamp="1.000001")["error"] == "message_not_found"
    assert sandbox.pins(channel_id) == [ts]
    assert client.pins_list(channel=channel_id)["items"][0]["message"]["ts"] == ts


def test_archive_and_unarchive(client: WebClient) -> None:
    channel_id = new_channel(client)
    assert slack_error(client.conversations_unarchive, channel=channel_id)["error"] == "not_archived"
    client.conversations_archive(channel=channel_id)
    assert slack_error(client.conversations_archive, channel=channel_id)["error"] == "already_archived"
    assert slack_error(client.chat_postMessage, channel=channel_id, text="x")["error"] == "is_archived"
    assert slack_error(client.conversations_invite, channel=channel_id, users="UIT00001")["error"] == "is_archived"
    client.conversations_unarchive(channel=channel_id)
    assert not client.conversations_info(channel=channel_id)["channel"]["is_archived"]


def test_views_open_needs_a_fresh_unused_trigger(client: WebClient, sandbox: SlackSandbox) -> None:
    trigger = sandbox.issue_trigger_id("UAGENT001")
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V") and view["state"] == {"values": {}} and view["hash"]
    assert sandbox.view(view["id"])["callback_id"] == "swarm_form"
    assert sandbox.views()[-1]["trigger_id"] == trigger
    assert slack_error(client.views_open, trigger_id=trigger, view=MODAL)["error"] == "exchanged_trigger_id"
    assert slack_error(client.views_open, trigger_id="1.2.made-up", view=MODAL)["error"] == "invalid_trigger_id"
    sandbox.trigger_ttl = 0.05
    stale = sandbox.issue_trigger_id("UAGENT001")
    time.sleep(0.1)
    assert slack_error(client.views_open, trigger_id=stale, view=MODAL)["error"] == "expired_trigger_id"
    updated = client.views_update(view_id=view["id"], view={**MODAL, "private_metadata": "case-43"})["view"]
    assert updated["id"] == view["id"] and sandbox.view(view["id"])["private_metadata"] == "case-43"


def test_users_and_groups(client: WebClient, sandbox: SlackSandbox) -> None:
    assert client.users_lookupByEmail(email="ana.souza@example.com")["user"]["id"] == "UBILL0001"
    assert slack_error(client.users_lookupByEmail, email="nobody@example.com")["error"] == "users_not_found"
    assert client.users_info(user="UMGR0001")["user"]["real_name"] == "Jonas Berg"
    sandbox.add_usergroup("S0ONCALL", "oncall", ["UIT00003"])
    assert client.usergroups_users_list(usergroup="S0ONCALL")["users"] == ["UIT00003"]


# -- faults -----------------------------------------------------------------------------------------------------
def test_injected_429_reaches_the_client_with_retry_after(client: WebClient, sandbox: SlackSandbox) -> None:
    sandbox.fail_next("conversations.create", 429, retry_after=7)
    with pytest.raises(SlackApiError) as failure:
        client.conversations_create(name="case-0001")
    assert failure.value.response.status_code == 429
    assert failure.value.response.headers["Retry-After"] == "7"
    assert failure.value.response["error"] == "ratelimited"
    assert sandbox.channel_by_name("case-0001") is None  # not applied
    assert client.conversations_create(name="case-0001")["ok"]


def test_timeout_after_the_write_was_applied(sandbox: SlackSandbox) -> None:
    impatient = WebClient(token=sandbox.bot_token, base_url=sandbox.base_url + "/api/", timeout=0.2)
    sandbox.delay_next("chat.postMessage", 0.6, apply=True)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel=SUPPORT, text="Did this land?")
    deadline = time.monotonic() + 3
    while not sandbox.messages(SUPPORT) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m["text"] for m in sandbox.messages(SUPPORT)] == ["Did this land?"]


# -- driver against a real Bolt app -----------------------------------------------------------------------------
def test_message_shortcut_then_view_submission(sandbox: SlackSandbox, bolt: BoltApp, driver: SlackDriver) -> None:
    @bolt.bolt.shortcut("escalate_to_swarm")
    def escalate(ack: Any, shortcut: dict, client: WebClient) -> None:
        ack()
        opened = client.views_open(trigger_id=shortcut["trigger_id"], view=MODAL)
        bolt.received.put(("shortcut", (shortcut, opened["view"]["id"])))

    @bolt.bolt.view("swarm_form")
    def submitted(ack: Any, body: dict, view: dict) -> None:
        ack()
        bolt.received.put(("view", (body, view)))

    ts = sandbox.post_as_user(SUPPORT, "UAGENT001", "Customer charged twice for order 1182")
    assert driver.message_shortcut(user_id="UAGENT001", channel_id=SUPPORT, message_ts=ts).status_code == 200
    shortcut, view_id = bolt.next("shortcut")
    assert shortcut["type"] == "message_action" and shortcut["channel"] == {"id": SUPPORT, "name": "support"}
    assert shortcut["message"]["text"] == "Customer charged twice for order 1182"
    assert shortcut["user"]["id"] == "UAGENT001" and shortcut["team"]["id"] == "T0SANDBOX"
    assert sandbox.view_user(view_id) == "UAGENT001"

    response = driver.submit_view(view_id, user_id="UAGENT001",
                                  values={"team_select": "billing", "experts_select": ["UBILL0001"]})
    assert response.status_code == 200
    body, view = bolt.next("view")
    values = view["state"]["values"]
    assert body["type"] == "view_submission" and body["user"]["id"] == "UAGENT001"
    assert view["private_metadata"] == "case-42" and view["id"] == view_id
    assert values["summary"]["summary_input"] == {"type": "plain_text_input", "value": "Card charged twice"}
    assert values["team"]["team_select"]["selected_option"]["value"] == "billing"
    assert values["experts"]["experts_select"]["selected_users"] == ["UBILL0001"]
    assert values["notes"]["notes_input"]["value"] is None

    again = driver.send_interactive(driver.last_payload)  # a double submit: the same payload twice
    assert again.status_code == 200 and bolt.next("view")[1]["id"] == view_id


def test_button_click_and_slash_command(sandbox: SlackSandbox, bolt: BoltApp, driver: SlackDriver,
                                        client: WebClient) -> None:
    @bolt.bolt.action("resolve_case")
    def resolve(ack: Any, body: dict) -> None:
        ack()
        bolt.received.put(("action", body))

    @bolt.bolt.command("/swarm")
    def swarm(ack: Any, command: dict, respond: Any) -> None:
        ack()
        respond("Swarm status: open")
        bolt.received.put(("command", command))

    blocks = [{"type": "actions", "elements": [
        {"type": "button", "action_id": "resolve_case", "value": "case-42",
         "text": {"type": "plain_text", "text": "Resolve"}}]}]
    ts = client.chat_postMessage(channel=SUPPORT, text="Case 42", blocks=blocks)["ts"]
    driver.click_button(user_id="UAGENT002", channel_id=SUPPORT, message_ts=ts, action_id="resolve_case")
    body = bolt.next("action")
    assert body["actions"][0]["value"] == "case-42" and body["container"]["message_ts"] == ts
    assert body["actions"][0]["block_id"] == sandbox.messages(SUPPORT)[-1]["blocks"][0]["block_id"]

    driver.slash_command(user_id="UAGENT001", channel_id=SUPPORT, text="status")
    command = bolt.next("command")
    assert (command["text"], command["channel_name"], command["user_name"]) == ("status", "support", "maya.chen")
    assert sandbox.responses[-1]["body"]["text"] == "Swarm status: open"
    assert sandbox.ephemerals[-1]["user"] == "UAGENT001"


def test_events_and_retries(sandbox: SlackSandbox, bolt: BoltApp, driver: SlackDriver) -> None:
    @bolt.bolt.event("message")
    def on_message(event: dict, body: dict, request: Any) -> None:
        bolt.received.put(("event", (event, body, request.headers.get("x-slack-retry-num"))))

    ts, response = driver.user_message(SUPPORT, "UAGENT002", "Anyone on billing?")
    assert response.status_code == 200
    event, body, retry = bolt.next("event")
    assert (event["ts"], event["user"], event["channel_type"]) == (ts, "UAGENT002", "channel")
    assert body["type"] == "event_callback" and body["authorizations"][0]["user_id"] == BOT_USER_ID
    assert retry is None
    driver.event(body["event"], event_id=body["event_id"], retry_num=1)
    again_event, again_body, retry = bolt.next("event")
    assert again_body["event_id"] == body["event_id"] and retry == ["1"]
    assert driver.url_verification("challenge-123").json() == {"challenge": "challenge-123"}


def test_bolt_rejects_bad_or_stale_signatures(bolt: BoltApp, driver: SlackDriver) -> None:
    body = b'{"type": "event_callback", "event": {"type": "app_mention"}}'
    forged = driver.post_raw(body, content_type="application/json", signing_secret="not-the-secret")
    stale = driver.post_raw(body, content_type="application/json", timestamp=int(time.time()) - 600)
    unsigned = driver.post_raw(body, content_type="application/json", signature="")
    assert (forged.status_code, stale.status_code, unsigned.status_code) == (401, 401, 401)
