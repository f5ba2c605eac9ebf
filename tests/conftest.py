"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when SWARM_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from integrations.slack.sandbox import SlackSandbox
from tests.support.harness import start_harness

# Real tokens in a developer's environment must never reach a test (bolt-python does the same).
_ENV_PREFIXES = ("SLACK_", "SWARM_", "JIRA_", "SALESFORCE_", "TEAMS_", "GRAPH_")
# The Teams SDK reads these on its own; a CLIENT_SECRET here would override our token provider.
_ENV_NAMES = ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "SERVICE_URL", "CLOUD")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    keep = {"SWARM_TEST_DATABASE_URL"}
    for name in list(os.environ):
        if (name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES) and name not in keep:
            monkeypatch.delenv(name)
    monkeypatch.chdir(os.environ.get("PYTEST_TMPDIR_CHDIR", os.getcwd()))
    yield
    from integrations.rate_limits import COOLDOWNS

    COOLDOWNS.clear()  # the process's rate-limit windows (one test's 429) must not hold the next test's calls


@pytest.fixture
def database_url(tmp_path) -> str:
    url = os.environ.get("SWARM_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'caseswarm.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # a clean schema per test
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def store(database_url):
    """A migrated database (SQLite, or PostgreSQL when set) behind the app's transaction boundary."""
    from swarm.store.db import Store, make_engine
    from swarm.store.migrate import upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


@pytest.fixture
def slack_sandbox():
    sandbox = SlackSandbox()
    sandbox.seed_demo_workspace()
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def jira_sandbox():
    from integrations.jira.sandbox import JiraSandbox

    sandbox = JiraSandbox()
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def salesforce_sandbox():
    from integrations.salesforce.sandbox import SalesforceSandbox

    sandbox = SalesforceSandbox()
    sandbox.seed_demo_org()
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def synced_swarm(database_url, slack_sandbox, jira_sandbox, salesforce_sandbox, tmp_path):
    """The app with Slack, Jira and Salesforce all configured against their sandboxes."""
    harness = start_harness(database_url, slack_sandbox, jira=jira_sandbox, salesforce=salesforce_sandbox,
                            queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
    yield harness
    harness.close()


@pytest.fixture
def swarm(database_url, slack_sandbox, tmp_path):
    harness = start_harness(database_url, slack_sandbox, queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
    yield harness
    harness.close()
