"""`swarm demo --platform teams`: the same swarm in Microsoft Teams. Starts the app's Teams bot (the Teams SDK on
uvicorn) and the sandbox Microsoft Graph + Bot Connector + sign-in on 127.0.0.1, then plays a frontline agent
with JWT-signed activities exactly as Teams sends them."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from config import load_config
from config.settings import load_settings
from integrations.teams.bot import build_teams_asgi_app
from integrations.teams.chat import TeamsChat
from integrations.teams.sandbox import FRONTLINE, TeamsDriver, TeamsSandbox
from integrations.teams.sandbox.driver import dialog_card, submitted_data
from integrations.teams.server import TeamsServer
from swarm.app.bootstrap import build
from swarm.app.demo_view import DemoFailed, Narrator
from swarm.store.queries import case_by_key, load_case_summary, timeline

MESSAGE = ("Globex: nobody can sign in since this morning's SSO change\n"
           "All 40 seats get 'invalid assertion' from the identity provider; their payroll run is due at 17:00.")


def run_teams_demo(*, keep: bool = False) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="caseswarm-teams-demo-"))
    say = Narrator()
    sandbox = TeamsSandbox()
    sandbox.seed_demo_tenant()
    sandbox.start()
    container = _build(workdir, sandbox)
    server = TeamsServer(build_teams_asgi_app(container), port=0)
    consumer = container.queue.start_consumer(workers=container.settings.workers)
    try:
        url = server.start() + "/api/messages"
        _play(say, sandbox, container, TeamsDriver(sandbox, url), url)
        say.done("Teams demo complete: the same core, routing and workflows as Slack, in a Teams channel.")
        return 0
    except DemoFailed as exc:
        say.fail(str(exc))
        return 1
    finally:
        consumer.stop(graceful=True)
        server.stop()
        container.chats["teams"].bridge.close()
        sandbox.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _build(workdir: Path, sandbox: TeamsSandbox):
    settings = load_settings(database_url=f"sqlite:///{workdir / 'caseswarm.db'}", queue_url=f"sqlite:///{workdir / 'queue.db'}",
                             retry_base_seconds=0.2)
    config = load_config(settings.config_dir)
    config = replace(config, settings=config.settings.model_copy(update={
        "channel": config.channel.model_copy(update={"archive_after": timedelta(seconds=3)})}))
    container = build(settings, config=config)
    departments = {d: dept.name for d, dept in config.departments.items()}
    container.chats["teams"] = TeamsChat(sandbox.teams_settings(), departments=departments)
    return container


def _play(say: Narrator, sandbox: TeamsSandbox, container, driver: TeamsDriver, url: str) -> None:
    agent, support = TeamsSandbox.user_id(FRONTLINE[0]), sandbox.demo.support_channel_id
    say.scene(f"CaseSwarm's Teams bot is listening at {url}; sandbox Graph at {sandbox.graph.api_url}, Bot Connector at {sandbox.connector.base_url}")
    message_id = sandbox.post_as_user(support, agent, MESSAGE)
    say.person("Maya Chen (frontline) in Support › Frontline", MESSAGE)

    say.scene("Maya picks the message action “Escalate to swarm”; the form opens prefilled")
    card = dialog_card(driver.open_message_action(user_id=agent, conversation_id=support, message_id=message_id))
    answer = driver.submit_message_action(user_id=agent, conversation_id=support, message_id=message_id,
                                          data=submitted_data(card, {"customer": "Globex", "category": "it", "severity": "sev1"}))
    say.detail("answer          ", answer.json()["task"]["value"])
    _follow(say, container, lambda s: s.status.value == "open" and _summary_id(container) is not None)

    summary = _summary(container)
    channel = sandbox.channel(summary.channel_id)
    say.scene(f"Private channel “{channel['displayName']}” in the swarm team")
    say.detail("members         ", ", ".join(sorted(p.name for p in summary.participants)))
    card = sandbox.message(summary.channel_id, _summary_id(container))["attachments"][0]["content"]
    say.block("Summary card", _card_lines(card))

    expert = next(p for p in summary.participants if p.role == "expert")
    say.scene(f"{expert.name} ({expert.department}) records a decision by mentioning the bot")
    driver.user_message(summary.channel_id, expert.user_id, "decide Roll back the SAML certificate change now; Dev owns it",
                        mention_bot=True)
    driver.user_message(summary.channel_id, agent, "resolve Certificate rolled back; Globex confirmed sign-in works",
                        mention_bot=True)
    _follow(say, container, lambda s: s.status.value == "archived", timeout=30)
    if not sandbox.channel(summary.channel_id).get("isArchived"):
        raise DemoFailed("the case channel was not archived")
    say.detail("channel         ", "archived after the resolution (the configured delay is 3 s in the demo)")


def _follow(say: Narrator, container, until, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with container.store.read() as session:
            for entry in timeline(session, case_by_key(session, "CS-1").id):
                say.progress(entry.id, entry.kind, entry.text)
        if until(_summary(container)):
            return
        time.sleep(0.1)
    raise DemoFailed(f"CS-1 did not get there in {timeout:.0f} s; run `swarm cases` to see what is parked")


def _summary(container):
    with container.store.read() as session:
        return load_case_summary(session, case_by_key(session, "CS-1").id)


def _summary_id(container) -> str:
    with container.store.read() as session:
        return case_by_key(session, "CS-1").summary_message_id


def _card_lines(card: dict) -> list[str]:
    """An Adaptive Card's text, the way a person reads it."""
    lines: list[str] = []
    for element in card.get("body", []):
        lines += _texts(element)
    lines += [f"[ {a['title']} ]" for a in card.get("actions", [])]
    return lines


def _texts(element: dict) -> list[str]:
    if element.get("type") == "TextBlock":
        return element.get("text", "").splitlines()
    if element.get("type") == "FactSet":
        return [f"{f['title']}: {f['value']}" for f in element.get("facts", [])]
    return [line for child in element.get("items", []) + element.get("columns", []) for line in _texts(child)]
