"""Run the real app (composition root, Flask, Bolt) on 127.0.0.1 against the Slack sandbox."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from werkzeug.serving import make_server

from config.settings import load_settings
from integrations.slack.sandbox import SlackDriver, SlackSandbox
from integrations.web.app import create_app
from swarm.app.bootstrap import Container, build
from tests.support.case_views import CaseViews

AGENT = "UAGENT001"
JIRA_WEBHOOK_SECRET = "jira-webhook-secret-for-tests"
SUPPORT = "CSUPPORT01"


@dataclass
class SwarmHarness(CaseViews):
    container: Container
    sandbox: SlackSandbox
    driver: SlackDriver
    url: str
    _server: object

    # -- acting like a person on Slack ----------------------------------------------------------------------
    def customer_message(self, text: str, *, user: str = AGENT, channel: str = SUPPORT) -> str:
        return self.sandbox.post_as_user(channel, user, text)

    def open_escalation_form(self, ts: str, *, user: str = AGENT, channel: str = SUPPORT) -> dict:
        """Pick the shortcut; the app answers at once and opens the form right after, on a thread of its own."""
        response = self.driver.message_shortcut(user_id=user, channel_id=channel, message_ts=ts)
        assert response.status_code == 200, response.text
        return self.sandbox.view_opened_with(self.driver.last_payload["trigger_id"])

    def escalate(self, text: str, *, customer: str = "Acme Corp", category: str = "billing", severity: str = "sev2",
                 user: str = AGENT, **values) -> tuple[str, dict]:
        """Post a message, pick the shortcut, fill in the form, submit: returns (message ts, submission response JSON)."""
        ts = self.customer_message(text, user=user)
        view = self.open_escalation_form(ts, user=user)
        response = self.driver.submit_view(view["id"], user_id=user,
                                           values={"customer": customer, "category": category, "severity": severity, **values})
        assert response.status_code == 200, response.text
        return ts, response.json() if response.content else {}

    def command(self, text: str, *, channel: str, user: str = AGENT):
        return self.driver.slash_command(user_id=user, channel_id=channel, text=text)

    # -- looking at the result ------------------------------------------------------------------------------
    def case_channels(self) -> list[dict]:
        return [c for c in self.sandbox.channels() if c["name"].startswith("case-")]

    def jira_webhook(self, payload: dict, *, secret: str | None = JIRA_WEBHOOK_SECRET, delivery: str | None = None):
        """POST a Jira webhook as Jira does: raw JSON body, X-Hub-Signature HMAC (or none, or a wrong one)."""
        import hashlib
        import hmac
        import json as jsonlib

        import requests

        body = jsonlib.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Hub-Signature"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if delivery:
            headers["X-Atlassian-Webhook-Identifier"] = delivery
        session = requests.Session()
        session.trust_env = False
        return session.post(self.url + "/webhooks/jira", data=body, headers=headers, timeout=10)

    def close(self) -> None:
        self._server.shutdown()
        self.driver.close()


def start_harness(database_url: str, sandbox: SlackSandbox, *, config=None, jira=None, salesforce=None,
                  **settings) -> SwarmHarness:
    """The real app on 127.0.0.1 against the sandboxes given (Jira and Salesforce are optional, as in production)."""
    secret = secrets.token_hex(16)
    values = dict(database_url=database_url, slack_bot_token=sandbox.bot_token, slack_signing_secret=secret,
                  slack_api_url=sandbox.base_url + "/api/", queue_immediate=True, slack_timeout=2.0,
                  retry_base_seconds=0.05, retry_max_seconds=0.5)
    if jira is not None:
        values.update(jira_url=jira.base_url, jira_email="caseswarm-bot@example.com", jira_api_token="sandbox-api-token",
                      jira_webhook_secret=JIRA_WEBHOOK_SECRET, jira_timeout=2.0)
    if salesforce is not None:
        values.update(salesforce_instance_url=salesforce.base_url, salesforce_access_token="sandbox-access-token",
                      salesforce_ca_bundle=salesforce.ca_bundle, salesforce_timeout=2.0)
    values.update(settings)
    container = build(load_settings(**values), config=config)
    server = make_server("127.0.0.1", 0, create_app(container), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    driver = SlackDriver(sandbox, url + "/slack/events", secret)
    return SwarmHarness(container, sandbox, driver, url, server)
