"""The demo company's Microsoft 365 tenant: the same people as the Slack workspace, found by the emails in
config/departments.yml, plus the team swarms open in and the support channel customer messages arrive in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from integrations.teams.sandbox.server import TeamsSandbox

# (display name, email, role): the role is for people reading this, the directory has no such field.
DEMO_PEOPLE = (
    ("Maya Chen", "maya.chen@example.com", "frontline agent"),
    ("Leo Martins", "leo.martins@example.com", "frontline agent"),
    ("Ana Souza", "ana.souza@example.com", "billing expert"),
    ("Ben Okafor", "ben.okafor@example.com", "billing expert"),
    ("Chloe Dubois", "chloe.dubois@example.com", "billing lead"),
    ("Dev Patel", "dev.patel@example.com", "IT expert"),
    ("Eva Novak", "eva.novak@example.com", "IT expert"),
    ("Farid Haddad", "farid.haddad@example.com", "IT lead"),
    ("Grace Kim", "grace.kim@example.com", "operations expert"),
    ("Hugo Rossi", "hugo.rossi@example.com", "operations expert"),
    ("Ines Alvarez", "ines.alvarez@example.com", "operations lead"),
    ("Jonas Berg", "jonas.berg@example.com", "support manager"),
    ("CaseSwarm Service", "caseswarm.service@example.com", "owns case channels (TEAMS_CHANNEL_OWNER)"),
)
OUTSIDER = ("Olga Outside", "olga.outside@example.com")  # in the tenant, not in the swarm team
FRONTLINE = ("maya.chen@example.com", "leo.martins@example.com")
CHANNEL_OWNER = "caseswarm.service@example.com"


@dataclass(frozen=True)
class DemoTenant:
    swarm_team_id: str
    support_team_id: str
    support_channel_id: str  # "Frontline" in the Support team: where customer messages are escalated from
    agents_chat_id: str  # a group chat of the frontline agents (and the bot)


def aad_id(email: str) -> str:
    """Stable object ids, so a failing test prints the same ids every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, email))


def seed_demo_tenant(sandbox: TeamsSandbox) -> DemoTenant:
    directory, conversations = sandbox.directory, sandbox.conversations
    everyone = [directory.add_user(name, email, user_id=aad_id(email)) for name, email, _ in DEMO_PEOPLE]
    directory.add_user(*OUTSIDER, user_id=aad_id(OUTSIDER[1]))
    agents = [aad_id(email) for email in FRONTLINE]
    swarm_team = directory.add_team("Case Swarms", members=everyone)
    support_team = directory.add_team("Support", members=agents)
    support_channel = directory.add_channel(support_team, "Frontline", members=agents)
    for team in (swarm_team, support_team):
        conversations.install_bot(team_id=team)
    chat = conversations.add_chat(agents)
    return DemoTenant(swarm_team, support_team, support_channel, chat)
