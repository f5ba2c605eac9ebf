"""Run the real app (composition root, Teams SDK bot on uvicorn) on 127.0.0.1 against the Teams sandbox.

The TEAMS_* settings point at the sandbox, so the composition root builds the TeamsChat (and wires whatever Teams
needs, like the Entra group refresh) exactly as in production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import requests

from config.settings import load_settings
from integrations.teams import cards
from integrations.teams.bot import build_teams_asgi_app
from integrations.teams.chat import TeamsChat
from integrations.teams.sandbox import FRONTLINE, TeamsDriver, TeamsSandbox
from integrations.teams.sandbox.driver import dialog_card, submitted_data
from integrations.teams.server import TeamsServer
from swarm.app.bootstrap import Container, build
from swarm.store.queries import case_by_key
from swarm.store.tables import utcnow
from tests.support.case_views import CaseViews

AGENT = TeamsSandbox.user_id(FRONTLINE[0])  # Maya Chen, frontline agent


@dataclass
class TeamsHarness(CaseViews):
    container: Container
    sandbox: TeamsSandbox
    driver: TeamsDriver
    server: TeamsServer

    @property
    def chat(self) -> TeamsChat:
        return self.container.chats["teams"]

    @property
    def support_channel(self) -> str:
        return self.sandbox.demo.support_channel_id

    # -- acting like a person on Teams ----------------------------------------------------------------------
    def customer_message(self, text: str, *, user: str = AGENT, conversation: str | None = None) -> str:
        return self.sandbox.post_as_user(conversation or self.support_channel, user, text)

    def open_escalation_form(self, message_id: str, *, user: str = AGENT, conversation: str | None = None) -> requests.Response:
        response = self.driver.open_message_action(user_id=user, conversation_id=conversation or self.support_channel,
                                                   message_id=message_id)
        assert response.status_code == 200, response.text
        return response

    def submit_form(self, message_id: str, card: dict, *, user: str = AGENT, conversation: str | None = None,
                    **values) -> requests.Response:
        return self.driver.submit_message_action(user_id=user, conversation_id=conversation or self.support_channel,
                                                 message_id=message_id, data=submitted_data(card, values))

    def escalate(self, text: str, *, customer: str = "Acme Corp", category: str = "billing", severity: str = "sev2",
                 user: str = AGENT, **values) -> tuple[str, dict]:
        """Post a message, pick "Escalate to swarm", fill in the form, submit: (message id, the invoke answer)."""
        message_id = self.customer_message(text, user=user)
        card = dialog_card(self.open_escalation_form(message_id, user=user))
        response = self.submit_form(message_id, card, user=user, customer=customer, category=category,
                                    severity=severity, **values)
        assert response.status_code == 200, response.text
        return message_id, response.json()

    def click(self, verb: str, *, user: str = AGENT, case_key: str = "CS-1", **inputs) -> requests.Response:
        """Click an Action.Execute button on the case's summary card (typing `inputs` into its form first)."""
        case = self.case(case_key)
        return self.driver.execute_card_action(user_id=user, channel_id=case.channel_id, message_id=self.summary_id(case_key),
                                               verb=verb, data={"case": case.key}, inputs=inputs)

    def answer(self, verb: str, message_id: str, *, user: str, case_key: str = "CS-1", **inputs) -> requests.Response:
        """Click "I'm on it" (cards.ACCEPT) or submit "Can't take it" (cards.DECLINE, with an optional reason) on the
        message asking experts to take the case."""
        case = self.case(case_key)
        return self.driver.execute_card_action(user_id=user, channel_id=case.channel_id, message_id=message_id,
                                               verb=verb, data={"case": case.key}, inputs=inputs)

    def run_periodic(self, name: str) -> None:
        """Run one periodic task the composition root registered, as the huey consumer does every minute."""
        huey = self.container.queue.huey
        [task] = [t for t in huey.read_periodic(utcnow().replace(tzinfo=None)) if t.name == name]
        huey.execute(task)

    def asks(self, user_id: str, key: str = "CS-1") -> list[dict]:
        """The posts in the case channel asking `user_id` to take the case: cards that mention them, with the answer
        buttons."""
        found = []
        for message in self.sandbox.messages(self.case(key).channel_id):
            content = message["attachments"][0]["content"] if message.get("attachments") else {}
            mentioned = [e["mentioned"]["id"] for e in content.get("msteams", {}).get("entities", [])]
            if user_id in mentioned and cards.DECLINE in json.dumps(content.get("actions", [])):
                found.append(message)
        return found

    def channel_texts(self, key: str = "CS-1") -> list[str]:
        """Every bot post in the case channel, as the JSON of its card."""
        return [json.dumps(m["attachments"]) for m in self.sandbox.messages(self.case(key).channel_id)]

    # -- looking at the result ------------------------------------------------------------------------------
    def summary_id(self, key: str = "CS-1") -> str:
        with self.container.store.read() as session:
            return case_by_key(session, key).summary_message_id

    def summary_card(self, key: str = "CS-1") -> dict:
        case = self.case(key)
        return self.sandbox.message(case.channel_id, self.summary_id(key))["attachments"][0]["content"]

    def close(self) -> None:
        self.server.stop()
        self.driver.close()
        self.chat.bridge.close()


def start_teams_harness(database_url: str, sandbox: TeamsSandbox, *, config=None, teams_timeout: float = 2.0,
                        **settings) -> TeamsHarness:
    teams = sandbox.teams_settings(timeout=teams_timeout)
    values = dict(database_url=database_url, queue_immediate=True, retry_base_seconds=0.05, retry_max_seconds=0.5,
                  teams_app_id=teams.app_id, teams_app_password=teams.app_password, teams_tenant_id=teams.tenant_id,
                  teams_swarm_team_id=teams.swarm_team_id, teams_channel_owner=teams.channel_owner,
                  graph_api_url=teams.graph_api_url, teams_bot_api_url=teams.bot_api_url, teams_login_url=teams.login_url,
                  teams_openid_url=teams.openid_url, teams_timeout=teams_timeout)
    values.update(settings)
    container = build(load_settings(**values), config=config)
    server = TeamsServer(build_teams_asgi_app(container), port=0)  # tests run side by side: any free port
    url = server.start()
    return TeamsHarness(container, sandbox, TeamsDriver(sandbox, url + "/api/messages"), server)


# -- pytest fixtures (import them into a test module to use them) ---------------------------------------------

@pytest.fixture
def teams_sandbox():
    sandbox = TeamsSandbox()
    sandbox.seed_demo_tenant()
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def teams_swarm(database_url, teams_sandbox, tmp_path):
    harness = start_teams_harness(database_url, teams_sandbox, queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
    yield harness
    harness.close()
