"""The Teams app package is valid against Microsoft's manifest schema v1.29 and declares what the bot serves."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import jsonschema
import pytest

from integrations.teams.handlers.escalation import COMMAND_ID

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "integrations" / "teams" / "manifest"
SCHEMA = json.loads((Path(__file__).parent / "specs" / "teams-manifest.schema.v1.29.json").read_text())
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text())


def test_manifest_validates_against_the_v1_29_schema():
    # Not check_schema(): one pattern in the schema (extension function names) uses \p{L}, which JavaScript
    # regexes accept and Python's do not; it applies to no property this manifest has.
    jsonschema.Draft4Validator(SCHEMA).validate(MANIFEST)


def test_a_broken_manifest_is_caught():
    broken = {**MANIFEST, "id": "not-a-guid", "name": {"short": "CaseSwarm, the cross-department case swarm"},
              "permissions": ["identity", "readAllTheThings"]}
    errors = list(jsonschema.Draft4Validator(SCHEMA).iter_errors(broken))
    assert {e.path[0] for e in errors} == {"id", "name", "permissions"}


def test_one_app_id_for_the_app_bot_extension_and_sso():
    ids = {MANIFEST["id"], MANIFEST["bots"][0]["botId"], MANIFEST["composeExtensions"][0]["botId"],
           MANIFEST["webApplicationInfo"]["id"]}
    assert len(ids) == 1


def test_the_message_action_opens_a_dialog_the_bot_fetches():
    [command] = MANIFEST["composeExtensions"][0]["commands"]
    assert (command["id"], command["type"], command["fetchTask"]) == (COMMAND_ID, "action", True)
    assert "message" in command["context"]


def test_the_bot_works_in_teams_and_private_case_channels():
    assert "team" in MANIFEST["bots"][0]["scopes"]
    assert "privateChannels" in MANIFEST["supportedChannelTypes"]
    commands = {c["title"] for c in MANIFEST["bots"][0]["commandLists"][0]["commands"]}
    assert {"decide", "add", "status", "resolve", "reopen"} <= commands


def test_resource_specific_consent_covers_what_the_adapter_does_in_the_swarm_team():
    granted = {(p["name"], p["type"]) for p in MANIFEST["authorization"]["permissions"]["resourceSpecific"]}
    needed = {"Channel.Create.Group",  # POST /teams/{id}/channels
              "ChannelMember.ReadWrite.Group",  # POST /teams/{id}/channels/{id}/members
              "ChannelSettings.ReadWrite.Group",  # read channels (find by name, isArchived)
              "ChannelMessage.Read.Group"}  # list posts (find_posted) and receive every channel message (engagement)
    assert {(name, "Application") for name in needed} <= granted


@pytest.mark.parametrize("name, size", [("color", 192), ("outline", 32)])
def test_icons_are_pngs_of_the_required_size(name, size):
    data = (PACKAGE / MANIFEST["icons"][name]).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (size, size)


def test_outline_icon_is_white_on_transparent():
    import zlib

    data = (PACKAGE / "outline.png").read_bytes()
    raw = zlib.decompress(data[data.index(b"IDAT") + 4: data.index(b"IEND") - 8])
    rows = [raw[i * (1 + 32 * 4) + 1:(i + 1) * (1 + 32 * 4)] for i in range(32)]
    pixels = {tuple(row[x:x + 4]) for row in rows for x in range(0, len(row), 4)}
    assert all(p[3] == 0 or p[:3] == (255, 255, 255) for p in pixels)
