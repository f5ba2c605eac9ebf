"""The demo company's Slack workspace: the ids here are referenced by the default configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from integrations.slack.sandbox.messages import SlackMessaging

FRONTLINE = ("UAGENT001", "UAGENT002")
SUPPORT_CHANNEL_ID = "CSUPPORT01"
MANAGERS_CHANNEL_ID = "CMANAGERS1"

# (user id, display name, real name, email, role): the role is for people reading this, Slack has no such field.
DEMO_USERS = (
    ("UAGENT001", "maya.chen", "Maya Chen", "maya.chen@example.com", "frontline agent"),
    ("UAGENT002", "leo.martins", "Leo Martins", "leo.martins@example.com", "frontline agent"),
    ("UBILL0001", "ana.souza", "Ana Souza", "ana.souza@example.com", "billing expert"),
    ("UBILL0002", "ben.okafor", "Ben Okafor", "ben.okafor@example.com", "billing expert"),
    ("UBILL0003", "chloe.dubois", "Chloe Dubois", "chloe.dubois@example.com", "billing lead"),
    ("UIT00001", "dev.patel", "Dev Patel", "dev.patel@example.com", "IT expert"),
    ("UIT00002", "eva.novak", "Eva Novak", "eva.novak@example.com", "IT expert"),
    ("UIT00003", "farid.haddad", "Farid Haddad", "farid.haddad@example.com", "IT lead"),
    ("UOPS0001", "grace.kim", "Grace Kim", "grace.kim@example.com", "operations expert"),
    ("UOPS0002", "hugo.rossi", "Hugo Rossi", "hugo.rossi@example.com", "operations expert"),
    ("UOPS0003", "ines.alvarez", "Ines Alvarez", "ines.alvarez@example.com", "operations lead"),
    ("UMGR0001", "jonas.berg", "Jonas Berg", "jonas.berg@example.com", "support manager"),
)

# User groups a routing config may name instead of listing people.
DEMO_USERGROUPS = (
    ("S0BILLING", "billing-experts", ("UBILL0001", "UBILL0002", "UBILL0003")),
    ("S0ITEXPRT", "it-experts", ("UIT00001", "UIT00002", "UIT00003")),
    ("S0OPSEXPT", "ops-experts", ("UOPS0001", "UOPS0002", "UOPS0003")),
)


def seed_demo_workspace(workspace: SlackMessaging) -> None:
    """Add the demo users, user groups, #support (agents + bot) and #swarm-managers (manager + bot)."""
    for user_id, name, real_name, email, _role in DEMO_USERS:
        workspace.add_user(user_id, name, real_name=real_name, email=email)
    for group_id, handle, members in DEMO_USERGROUPS:
        workspace.add_usergroup(group_id, handle, members)
    bot = workspace.bot_user_id
    workspace.add_channel("support", members=(*FRONTLINE, bot), channel_id=SUPPORT_CHANNEL_ID)
    workspace.add_channel("swarm-managers", members=("UMGR0001", bot), channel_id=MANAGERS_CHANNEL_ID)
