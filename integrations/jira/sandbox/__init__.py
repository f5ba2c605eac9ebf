"""A stateful Jira Cloud sandbox (REST v2) for tests and the demo; see server.py for the call names."""

from integrations.jira.sandbox.server import BOT_ACCOUNT_ID, JiraSandbox, jira_error

__all__ = ["BOT_ACCOUNT_ID", "JiraSandbox", "jira_error"]
