"""app_manifest.yml is a valid Slack manifest and declares every interface the listeners rely on."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "specs" / "slack-manifest.schema.json").read_text())
MANIFEST = yaml.safe_load((ROOT / "app_manifest.yml").read_text())


def test_manifest_validates_against_slacks_schema():
    jsonschema.validate(MANIFEST, SCHEMA)


def test_manifest_declares_the_command_shortcuts_and_endpoints_the_app_serves():
    shortcuts = {s["callback_id"]: s["type"] for s in MANIFEST["features"]["shortcuts"]}
    assert shortcuts == {"escalate_to_swarm": "message", "record_decision": "message"}
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/swarm"
    urls = {command["url"], MANIFEST["settings"]["event_subscriptions"]["request_url"],
            MANIFEST["settings"]["interactivity"]["request_url"]}
    assert {u.rsplit("/", 2)[-2:] == ["slack", "events"] for u in urls} == {True}
    assert {"message.channels", "message.groups"} <= set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


def test_manifest_grants_the_scopes_for_every_web_api_method_the_app_calls():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    needed = {"channels:manage", "groups:write", "chat:write", "pins:write", "commands", "channels:history", "channels:read"}
    assert needed <= scopes
