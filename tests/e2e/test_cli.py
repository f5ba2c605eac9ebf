"""The `swarm` command as an operator runs it: serve (web + workers in one process), db upgrade, config, route."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time

import requests

from integrations.slack.sandbox import SlackDriver
from swarm.app.cli import main as swarm_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_swarm_serve_runs_web_and_workers_and_opens_a_swarm(slack_sandbox, database_url, tmp_path):
    port, secret = _free_port(), secrets.token_hex(8)
    env = {**os.environ, "SWARM_DATABASE_URL": database_url, "SWARM_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
           "SLACK_BOT_TOKEN": slack_sandbox.bot_token, "SLACK_SIGNING_SECRET": secret,
           "SLACK_API_URL": slack_sandbox.base_url + "/api/"}
    server = subprocess.Popen([sys.executable, "-m", "swarm.app.cli", "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _healthy(base), what="healthz")
        driver = SlackDriver(slack_sandbox, base + "/slack/events", secret)
        ts = slack_sandbox.post_as_user("CSUPPORT01", "UAGENT001", "Globex SSO is down\nNobody can log in.")
        driver.message_shortcut(user_id="UAGENT001", channel_id="CSUPPORT01", message_ts=ts)
        view = slack_sandbox.view_opened_with(driver.last_payload["trigger_id"])
        answer = driver.submit_view(view["id"], user_id="UAGENT001", values={"customer": "Globex", "category": "it", "severity": "sev1"})
        assert answer.status_code == 200
        _wait_for(lambda: len(slack_sandbox.replies("CSUPPORT01", ts)) == 2, what="the link in the source thread")
        [channel] = [c for c in slack_sandbox.channels() if c["name"].startswith("case-1-")]
        _wait_for(lambda: len(slack_sandbox.pins(channel["id"])) == 1, what="the pinned summary")
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=20)[0]
    assert server.returncode == 0, output
    assert f"CaseSwarm listening on http://127.0.0.1:{port}" in output
    assert secret not in output and slack_sandbox.bot_token not in output  # secrets never printed


def test_db_upgrade_then_cases_on_an_empty_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SWARM_DATABASE_URL", f"sqlite:///{tmp_path / 'ops.db'}")
    monkeypatch.setenv("SWARM_QUEUE_URL", f"sqlite:///{tmp_path / 'q.db'}")
    assert swarm_cli(["db", "upgrade"]) == 0
    assert "database schema is up to date" in capsys.readouterr().out
    assert swarm_cli(["cases"]) == 0
    assert "No cases yet" in capsys.readouterr().out
    assert swarm_cli(["case", "CS-404"]) == 1
    assert "No case 'CS-404'" in capsys.readouterr().err


def test_config_check_prints_the_routing_table_and_route_explains_picks(capsys):
    assert swarm_cli(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "config OK" in out and "billing-category" in out
    assert swarm_cli(["route", "--category", "billing", "--severity", "sev3", "--title", "refund for a double charge"]) == 0
    out = capsys.readouterr().out
    assert "billing" in out and ("Ana Souza" in out or "Ben Okafor" in out)


def test_config_check_on_a_broken_folder_says_file_line_and_reason(tmp_path, capsys):
    import shutil

    import config

    folder = tmp_path / "conf"
    shutil.copytree(os.path.dirname(config.__file__), folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    routing = (folder / "routing.yml").read_text().replace("departments: [billing]", "departments: [biling]", 1)
    (folder / "routing.yml").write_text(routing)
    assert swarm_cli(["config", "check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "routing.yml:" in err and "unknown department 'biling'" in err


def _healthy(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=1).json()["status"] == "ok"
    except (requests.RequestException, ValueError):
        return False


def _wait_for(condition, *, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
