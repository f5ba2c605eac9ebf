"""`swarm demo`: the whole product on this machine. Starts the app and the sandbox Slack workspace on 127.0.0.1,
then plays a frontline agent and two experts through a real escalation, with signed requests exactly as Slack
sends them, and prints what each person would see."""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from werkzeug.serving import make_server

from config import load_config
from config.settings import load_settings
from integrations.jira.sandbox import JiraSandbox
from integrations.salesforce.sandbox import SalesforceSandbox
from integrations.slack.sandbox import SlackDriver, SlackSandbox
from integrations.web.app import create_app
from swarm.app.bootstrap import build
from swarm.app.demo_view import DemoFailed, Narrator, flatten_blocks, readable
from swarm.store.queries import case_by_key, load_case_summary, timeline

AGENT, SUPPORT = "UAGENT001", "CSUPPORT01"
CUSTOMER_MESSAGE = (
    "Acme Corp was charged twice for invoice INV-2291\n"
    "Their finance lead says the card on file was billed $1,240.00 on Nov 3 and again on Nov 4. "
    "They want the duplicate refunded before their month-end close on Friday and are asking whether "
    "other invoices are affected."
)


def run_demo(*, keep: bool = False) -> int:
    # The narration is the demo's output; the adapters' operational log lines would only interleave with it.
    logging.getLogger("integrations").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="caseswarm-demo-"))
    say = Narrator()
    sandbox = SlackSandbox()
    sandbox.seed_demo_workspace()
    sandbox.start()
    jira, salesforce = JiraSandbox(), SalesforceSandbox()
    jira.start()
    salesforce.seed_demo_org()
    salesforce.start()
    try:
        app = _start_app(workdir, sandbox, jira, salesforce)
        _play(say, sandbox, *app)
        _show_sync(say, jira, salesforce, app[0])
        say.done("Demo complete: one escalation, one case channel, the right owners, a decision, a resolution, an archive.")
        return 0
    except DemoFailed as exc:
        say.fail(str(exc))
        return 1
    finally:
        for server in (sandbox, jira, salesforce):
            server.stop()
        if keep:
            print(f"demo database kept at {workdir / 'caseswarm.db'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _start_app(workdir: Path, sandbox: SlackSandbox, jira: JiraSandbox, salesforce: SalesforceSandbox):
    secret = secrets.token_hex(16)
    settings = load_settings(database_url=f"sqlite:///{workdir / 'caseswarm.db'}", queue_url=f"sqlite:///{workdir / 'queue.db'}",
                             slack_bot_token=sandbox.bot_token, slack_signing_secret=secret,
                             slack_api_url=sandbox.base_url + "/api/", retry_base_seconds=0.2,
                             jira_url=jira.base_url, jira_email="caseswarm-bot@example.com", jira_api_token="sandbox-api-token",
                             salesforce_instance_url=salesforce.base_url, salesforce_access_token="sandbox-access-token",
                             salesforce_ca_bundle=salesforce.ca_bundle)
    config = load_config(settings.config_dir)
    # The demo cannot wait the configured 24 hours before archiving the resolved channel.
    config = replace(config, settings=config.settings.model_copy(update={
        "channel": config.channel.model_copy(update={"archive_after": timedelta(seconds=3)})}))
    container = build(settings, config=config)
    consumer = container.queue.start_consumer(workers=container.settings.workers)
    server = make_server("127.0.0.1", 0, create_app(container), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"
    return container, SlackDriver(sandbox, url, secret), url, consumer, server


def _play(say: Narrator, sandbox: SlackSandbox, container, driver: SlackDriver, url: str, consumer, server) -> None:
    try:
        say.scene(f"CaseSwarm is listening at {url}; sandbox Slack workspace at {sandbox.base_url}")
        ts = sandbox.post_as_user(SUPPORT, AGENT, CUSTOMER_MESSAGE)
        say.person("Maya Chen (frontline) in #support", CUSTOMER_MESSAGE)

        say.scene("Maya picks the message shortcut “Escalate to swarm”")
        driver.message_shortcut(user_id=AGENT, channel_id=SUPPORT, message_ts=ts)
        view = sandbox.view_opened_with(driver.last_payload["trigger_id"])  # opened right after the shortcut's answer
        prefilled = {b["block_id"]: b["element"].get("initial_value", "") for b in view["view"]["blocks"] if b["type"] == "input"}
        say.detail("form title      ", prefilled["title"])
        say.detail("form source link", prefilled["source_link"])

        say.scene("She adds the customer, category billing, severity sev2, Acme's open Salesforce case, and submits")
        started = time.monotonic()
        answer = driver.submit_view(view["id"], user_id=AGENT, values={"customer": "Acme Corp", "category": "billing",
                                                                      "severity": "sev2", "crm_case": "00001001"})
        say.detail("acknowledged in ", f"{(time.monotonic() - started) * 1000:.0f} ms (HTTP {answer.status_code}); the swarm opens in the background")
        key = "CS-1"
        _follow_timeline(say, container, key, until=lambda s: s.status.value == "open" and len(sandbox.replies(SUPPORT, ts)) > 1
                         and s.ticket_key is not None and s.customer_context is not None and s.crm_record is not None)
        _follow_timeline(say, container, key, until=lambda s: "synced" in json.dumps(_pinned(sandbox, s.channel_id)))

        summary = _summary(container, key)
        channel = sandbox.channel(summary.channel_id)
        say.scene(f"Case channel #{channel['name']}")
        names = sorted(sandbox.user(u)["real_name"] for u in sandbox.members(channel["id"]) if u != "UBOT00001")
        say.detail("members         ", ", ".join(names))
        say.block("Pinned case summary", flatten_blocks(_pinned(sandbox, channel["id"]), _names(sandbox)))
        reply = sandbox.replies(SUPPORT, ts)[-1]
        say.person("CaseSwarm, in the #support thread", readable(reply["text"], _names(sandbox)))

        expert = next(p for p in summary.participants if p.role == "expert")
        say.scene(f"{expert.name} ({expert.department}) joins the conversation")
        driver.user_message(channel["id"], expert.user_id, "On it. The Nov 4 charge is a gateway retry: the first capture timed out but went through.")
        decision = "Refund the duplicate $1,240.00 today and re-check Acme's other November invoices; Ben owns the gateway fix"
        answer = driver.slash_command(user_id=expert.user_id, channel_id=channel["id"], text=f"decide {decision}")
        say.person(f"{expert.name}: /swarm decide …", answer.text)
        _follow_timeline(say, container, key, until=lambda s: len(s.decisions) == 1)

        answer = driver.slash_command(user_id=AGENT, channel_id=channel["id"],
                                      text="resolve Duplicate charge refunded; gateway retry bug fixed; Maya called the customer back")
        say.person("Maya: /swarm resolve …", answer.text)
        _follow_timeline(say, container, key, until=lambda s: s.status.value == "archived" and not container.runner.due_ids(), timeout=30)
        resolution = next(m for m in sandbox.messages(channel["id"]) if m.get("text", "").startswith(f"{key} resolved"))
        say.block("Resolution posted in the channel", flatten_blocks(resolution["blocks"], _names(sandbox)))
        _final_checks(say, sandbox, container, key, channel["id"])
    finally:
        server.shutdown()
        consumer.stop(graceful=True)


def _names(sandbox: SlackSandbox) -> dict[str, str]:
    """How Slack's client shows mentions: people by name, channels by #name."""
    names = {u["id"]: u["real_name"] for u in sandbox.users()}
    names.update({c["id"]: c["name"] for c in sandbox.channels()})
    return names


def _pinned(sandbox: SlackSandbox, channel_id: str) -> list[dict]:
    pins = sandbox.pins(channel_id)
    return next((m["blocks"] for m in sandbox.messages(channel_id) if m["ts"] in pins), [])


def _show_sync(say: Narrator, jira: JiraSandbox, salesforce: SalesforceSandbox, container) -> None:
    """What the ticket and the CRM record look like now: nobody copied anything by hand."""
    summary = _summary(container, "CS-1")
    issue = jira.issue(summary.ticket_key)
    say.block(f"Jira {issue.key} (status {issue.status})", [issue.summary] + [
        f"comment: {c.body.splitlines()[0]} … {c.body.splitlines()[1] if len(c.body.splitlines()) > 1 else ''}" for c in issue.comments])
    sf_case = next(c for c in salesforce.records("Case") if c["CaseNumber"] == summary.crm_record)
    comments = [c["CommentBody"].splitlines() for c in salesforce.case_comments(sf_case["Id"])]
    say.block(f"Salesforce case {sf_case['CaseNumber']} (status {salesforce.record('Case', sf_case['Id'])['Status']})",
              [f"comment: {lines[0]} … {lines[1] if len(lines) > 1 else ''}" for lines in comments])
    if not any(summary.decisions[0].text in c.body for c in issue.comments):
        raise DemoFailed("the decision did not reach Jira")


def _follow_timeline(say: Narrator, container, key: str, *, until, timeout: float = 20.0) -> None:
    """Print timeline entries as the background workers add them, until the case reaches a state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with container.store.read() as session:
            for entry in timeline(session, case_by_key(session, key).id):
                say.progress(entry.id, entry.kind, entry.text)
        if until(_summary(container, key)):
            return
        time.sleep(0.1)
    raise DemoFailed(f"{key} did not get there in {timeout:.0f} s; run `swarm cases` to see what is parked")


def _summary(container, key: str):
    with container.store.read() as session:
        return load_case_summary(session, case_by_key(session, key).id)


def _final_checks(say: Narrator, sandbox: SlackSandbox, container, key: str, channel_id: str) -> None:
    summary = _summary(container, key)
    checks = {
        "one case channel": len([c for c in sandbox.channels() if c["name"].startswith("case-")]) == 1,
        "summary pinned once": len(sandbox.pins(channel_id)) == 1,
        "decision recorded": len(summary.decisions) == 1,
        "channel archived": sandbox.channel(channel_id)["is_archived"],
    }
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise DemoFailed("checks failed: " + ", ".join(failed))
    calls: dict[str, int] = {}
    for call in sandbox.calls():
        calls[call.method] = calls.get(call.method, 0) + 1
    engage = summary.engaged_at - summary.created_at if summary.engaged_at else None
    resolve = summary.resolved_at - summary.created_at if summary.resolved_at else None
    say.block("What happened", [
        f"{key} · {summary.title}",
        f"status {summary.status.value}; {len(summary.participants)} people; {len(summary.decisions)} decision",
        f"time to engage {engage.total_seconds():.1f} s · time to resolve {resolve.total_seconds():.1f} s",
        "Slack API calls: " + ", ".join(f"{m} ×{n}" for m, n in sorted(calls.items())),
        "checks: " + ", ".join(f"{name} ✓" for name in checks),
    ])
