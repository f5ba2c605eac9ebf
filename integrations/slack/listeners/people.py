"""Who a Slack user is, in the terms of the case (display name, department)."""

from __future__ import annotations


def display_name(config, user: dict) -> str:
    person = config.person_by_slack_id(user.get("id", ""))
    if person is not None:
        return person.name
    return user.get("real_name") or user.get("name") or user.get("username") or user.get("id", "someone")


def department_of(config, user_id: str) -> str | None:
    return config.department_of(user_id)
