"""Jira: the Ticketing adapter (ticketing.py) and a stateful sandbox of Jira Cloud's REST API (sandbox/)."""
