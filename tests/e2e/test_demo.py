"""`swarm demo` is the README's first command: it must run end to end and say what happened."""

from __future__ import annotations

from swarm.app.cli import main as swarm_cli


def test_slack_demo_runs_end_to_end(capsys):
    assert swarm_cli(["demo"]) == 0
    out = capsys.readouterr().out
    for line in ("Maya picks the message shortcut", "Pinned case summary", "Decision recorded on CS-1",
                 "checks: one case channel ✓, summary pinned once ✓, decision recorded ✓, channel archived ✓",
                 "Jira SUP-1 (status Done)", "Salesforce case 00001001 (status Closed)", "✔ Demo complete"):
        assert line in out, line


def test_teams_demo_runs_end_to_end(capsys):
    assert swarm_cli(["demo", "--platform", "teams"]) == 0
    out = capsys.readouterr().out
    assert "Private channel “case-1-globex-nobody-can-sign-in-since-this”" in out
    assert "Decision by Dev Patel (it): Roll back the SAML certificate change now" in out
    assert "✔ Teams demo complete" in out
