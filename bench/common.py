"""Shared set-up for the benchmarks: the sandboxes, the real app, Slack's side of the conversation, statistics.

Everything runs on 127.0.0.1. start_app() puts the app (composition root, Flask, Bolt, werkzeug's threaded server,
the huey consumer) in the benchmark's process beside the Slack, Jira and Salesforce sandboxes and the load generator,
as `swarm demo` does; start_app_process() runs it as `swarm serve` in a process of its own, as it is deployed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import random
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlencode

import requests
from flask import request
from sqlalchemy import func, select
from werkzeug.serving import make_server

from config.settings import Settings, load_settings
from integrations.jira.sandbox import JiraSandbox
from integrations.salesforce.sandbox import SalesforceSandbox
from integrations.slack.sandbox import SlackDriver, SlackSandbox
from integrations.web.app import create_app
from swarm.app.bootstrap import Container, build
from swarm.store.tables import CaseRow, WorkflowRow

REPO = Path(__file__).resolve().parents[1]
AGENT = "UAGENT001"
FORM = "application/x-www-form-urlencoded"
CUSTOMERS = ("Acme Corp", "Globex", "Initech")  # the Salesforce sandbox's demo accounts: the CRM lookup finds them
PROBLEMS = {  # category -> what the customer reports (routing matches the category, sometimes a keyword)
    "billing": "was charged twice for invoice INV-{n}",
    "it": "cannot log in with SSO since this morning (ticket {n})",
    "operations": "shipment {n} has been stuck in the warehouse for three days",
}


def quiet_logs() -> None:
    """werkzeug logs every request; the app logs every step. Figures are the output here, so keep warnings only."""
    for name in ("werkzeug", "integrations", "caseswarm", "huey", "slack_bolt"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


# -- sandboxes -----------------------------------------------------------------------------------------------
@dataclass
class Sandboxes:
    slack: SlackSandbox
    jira: JiraSandbox
    salesforce: SalesforceSandbox
    source_channels: list[str]
    finished: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # sandbox -> (call, monotonic end)
    views_by_trigger: dict[str, str] = field(default_factory=dict)  # trigger id -> view id opened with it

    def opened_view(self, trigger_id: str) -> str:
        """The id of the form the app opened with a shortcut's trigger: it answers the shortcut first, then opens it."""
        wait_until(lambda: trigger_id in self.views_by_trigger, timeout=10, interval=0.001, what="the form to open")
        return self.views_by_trigger[trigger_id]

    def all(self) -> tuple:
        return self.slack, self.jira, self.salesforce

    def stop(self) -> None:
        for sandbox in self.all():
            sandbox.stop()


def start_sandboxes(*, latency: float = 0.0, source_channels: int = 1) -> Sandboxes:
    """Slack (demo workspace + N source channels), Jira and Salesforce (demo org), each optionally slowed down."""
    slack, jira, salesforce = SlackSandbox(), JiraSandbox(), SalesforceSandbox()
    slack.seed_demo_workspace()
    salesforce.seed_demo_org()
    # Several source channels keep each one short: the driver copies a channel's messages to build a payload.
    channels = ["CSUPPORT01"] + [slack.add_channel(f"support-{i:02d}", members=(AGENT, "UAGENT002", slack.bot_user_id))
                                 for i in range(1, source_channels)]
    sandboxes = Sandboxes(slack, jira, salesforce, channels)
    for sandbox in sandboxes.all():
        if latency:
            add_fixed_latency(sandbox, latency)
        sandboxes.finished[sandbox.name] = _record_completions(sandbox)
    _remember_opened_views(sandboxes)
    for sandbox in sandboxes.all():
        sandbox.start()
    return sandboxes


def add_fixed_latency(sandbox, seconds: float) -> None:
    """Every call waits `seconds` before it is handled: a WAN round trip, on every call, not only the next one."""
    sandbox.app.before_request(lambda: time.sleep(seconds))


def _record_completions(sandbox) -> list[tuple[str, float]]:
    """The sandbox logs arrivals; the time a call's answer leaves tells when its effect is visible to the caller."""
    finished: list[tuple[str, float]] = []

    def note_finish(response):
        finished.append((sandbox.method_name(), time.monotonic()))
        return response

    sandbox.app.after_request(note_finish)
    return finished


def _remember_opened_views(sandboxes: Sandboxes) -> None:
    """Map each trigger id to the view views.open created with it (finding it in views() copies them all)."""

    def note_view(response):
        if sandboxes.slack.method_name() == "views.open":
            body = json.loads(response.get_data() or b"{}")
            trigger = (request.get_json(silent=True) or request.form or {}).get("trigger_id")
            if body.get("ok") and trigger:
                sandboxes.views_by_trigger[trigger] = body["view"]["id"]
        return response

    sandboxes.slack.app.after_request(note_view)


# -- the app -------------------------------------------------------------------------------------------------
@dataclass
class RunningApp:
    container: Container
    url: str
    secret: str
    server: Any
    consumer: Any | None

    def driver(self, sandboxes: Sandboxes, url: str | None = None) -> SlackDriver:
        """A driver with its own keep-alive connection (one per load-generating thread)."""
        return SlackDriver(sandboxes.slack, url or self.url, self.secret, timeout=30)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
        self.container.store.engine.dispose()


DEFAULT_WORKERS = Settings.model_fields["workers"].default  # as `swarm serve` runs them (SWARM_WORKERS)


def start_app(workdir: Path, sandboxes: Sandboxes, *, database_url: str | None = None, workers: int = 0,
              secret: str | None = None) -> RunningApp:
    """The real app as `swarm serve` wires it (huey on SQLite); `workers=0` leaves queued work unconsumed."""
    secret = secret or secrets.token_hex(16)
    container = build(load_settings(**_app_settings(workdir, sandboxes, database_url, workers, secret)))
    consumer = container.queue.start_consumer(workers=workers) if workers else None
    server = make_server("127.0.0.1", 0, create_app(container), threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return RunningApp(container, f"http://127.0.0.1:{server.server_port}/slack/events", secret, server, consumer)


def _app_settings(workdir: Path, sandboxes: Sandboxes, database_url: str | None, workers: int, secret: str) -> dict:
    """The app's settings against the sandboxes (huey on SQLite in `workdir`), as load_settings() keywords."""
    slack, jira, salesforce = sandboxes.all()
    return dict(
        database_url=database_url or f"sqlite:///{workdir / 'caseswarm.db'}", queue_url=f"sqlite:///{workdir / 'queue.db'}",
        slack_bot_token=slack.bot_token, slack_signing_secret=secret, slack_api_url=slack.base_url + "/api/",
        jira_url=jira.base_url, jira_email="caseswarm-bot@example.com", jira_api_token="sandbox-api-token",
        salesforce_instance_url=salesforce.base_url, salesforce_access_token="sandbox-access-token",
        salesforce_ca_bundle=salesforce.ca_bundle, retry_base_seconds=0.2, retry_max_seconds=5.0, workers=max(workers, 1))


@dataclass
class AppProcess(RunningApp):
    """The app as deployed: `swarm serve` in a process of its own (web and workers), configured by environment.

    `container` is the benchmark's own view of the same database, for reading what happened."""
    log: Path | None = None

    def stop(self) -> None:
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self.container.store.engine.dispose()


def start_app_process(workdir: Path, sandboxes: Sandboxes, *, workers: int, secret: str | None = None) -> AppProcess:
    """`swarm serve` with `workers` huey threads, against the sandboxes: the benchmark process then plays only Slack,
    Jira, Salesforce and the agents, and their work does not share the app's interpreter (as the real services do
    not). Logging as `swarm serve` does it (INFO, to a file in `workdir`)."""
    secret = secret or secrets.token_hex(16)
    values = _app_settings(workdir, sandboxes, None, workers, secret)
    env = {Settings.model_fields[name].validation_alias.choices[0]: str(value) for name, value in values.items()}
    port = _free_port()
    log = workdir / "serve.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen([sys.executable, "-m", "swarm.app.cli", "serve", "--port", str(port)], cwd=workdir,
                                 env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), **env},
                                 stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(base) or popen.poll() is not None, timeout=60, interval=0.1, what="swarm serve")
        if popen.poll() is not None:
            raise RuntimeError(f"swarm serve exited with {popen.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
    except BaseException:
        popen.kill()
        raise
    container = build(load_settings(**values))
    return AppProcess(container, f"{base}/slack/events", secret, popen, None, log)


def _healthy(base_url: str) -> bool:
    with requests.Session() as http:
        http.trust_env = False  # never through a proxy from the environment: 127.0.0.1
        try:
            return http.get(base_url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False


# -- playing Slack's side ------------------------------------------------------------------------------------
class DriverPerThread:
    """One SlackDriver per load-generating thread: a requests.Session is not meant to be shared between threads."""

    def __init__(self, app: RunningApp, sandboxes: Sandboxes):
        self._app, self._sandboxes = app, sandboxes
        self._local = threading.local()

    def get(self) -> SlackDriver:
        if not hasattr(self._local, "driver"):
            self._local.driver = self._app.driver(self._sandboxes)
        return self._local.driver


class _PayloadRecorder(SlackDriver):
    """Builds interactive payloads exactly as SlackDriver does, without sending them (to send them elsewhere too)."""

    def send_interactive(self, payload: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        return payload


@dataclass
class Escalation:
    """One distinct escalation: a customer message in a source channel, and what the agent types in the form."""

    number: int
    channel: str
    ts: str
    values: dict[str, str]


class Frontline:
    """Plays frontline agents: posts distinct customer messages, opens the form through the app, builds submissions."""

    def __init__(self, sandboxes: Sandboxes, secret: str):
        self.sandboxes = sandboxes
        self._recorder = _PayloadRecorder(sandboxes.slack, "http://unused", secret)
        self._lock = threading.Lock()

    def new_escalation(self, number: int) -> Escalation:
        category = ("billing", "it", "operations")[number % 3]
        customer = CUSTOMERS[number % len(CUSTOMERS)]
        text = f"{customer} {PROBLEMS[category].format(n=number)}\nCustomer escalation #{number}: they need an answer today."
        channel = self.sandboxes.source_channels[number % len(self.sandboxes.source_channels)]
        ts = self.sandboxes.slack.post_as_user(channel, AGENT, text)
        values = {"customer": customer, "category": category, "severity": ("sev2", "sev3")[number % 2]}
        return Escalation(number, channel, ts, values)

    def shortcut_payload(self, esc: Escalation) -> dict[str, Any]:
        """The message_action payload Slack sends when the agent picks "Escalate to swarm" on the message."""
        with self._lock:  # the recorder keeps last_payload: one payload at a time
            return self._recorder.message_shortcut(user_id=AGENT, channel_id=esc.channel, message_ts=esc.ts)

    def open_form(self, driver: SlackDriver, esc: Escalation) -> str:
        """Pick the shortcut (through the app, which answers, then opens the modal); returns the modal's view id."""
        payload = self.shortcut_payload(esc)
        response = driver.send_interactive(payload)
        response.raise_for_status()
        return self.sandboxes.opened_view(payload["trigger_id"])

    def submission_payload(self, esc: Escalation, view_id: str) -> dict[str, Any]:
        """The view_submission payload for the filled-in form (title, description, link: as prefilled)."""
        with self._lock:
            return self._recorder.build_view_submission(view_id, user_id=AGENT, values=esc.values)


def interactive_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes Slack posts for an interactive payload; sent twice, it is Slack re-sending it."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def timed_post(driver: SlackDriver, body: bytes, headers: dict[str, str] | None = None) -> tuple[float, requests.Response]:
    """(seconds until the whole answer arrived, response) for one signed POST."""
    started = time.perf_counter()
    response = driver.post_raw(body, content_type=FORM, headers=headers)
    return time.perf_counter() - started, response


# -- looking at the database ---------------------------------------------------------------------------------
def workflow_counts(container: Container) -> dict[tuple[str, str], int]:
    """(kind, status) -> number of workflows."""
    with container.store.read() as session:
        rows = session.execute(select(WorkflowRow.kind, WorkflowRow.status, func.count()).group_by(WorkflowRow.kind, WorkflowRow.status))
        return {(kind, status): n for kind, status, n in rows}


def unfinished_workflows(container: Container) -> int:
    return sum(n for (_, status), n in workflow_counts(container).items() if status in ("pending", "running"))


def open_swarm_finish_times(container: Container) -> dict[int, datetime]:
    """case id -> when its open_swarm workflow finished (channel, invites, pinned summary, thread reply)."""
    with container.store.read() as session:
        rows = session.execute(select(WorkflowRow.case_id, WorkflowRow.finished_at)
                               .where(WorkflowRow.kind == "open_swarm", WorkflowRow.status == "done"))
        return {case_id: finished for case_id, finished in rows}


def case_id_for(container: Container, esc: Escalation) -> int | None:
    with container.store.read() as session:
        return session.scalar(select(CaseRow.id).where(CaseRow.source_message == esc.ts, CaseRow.source_channel == esc.channel))


def case_done(container: Container, case_id: int) -> bool:
    """No workflow of the case is pending or running (the swarm is open and every sync has run)."""
    with container.store.read() as session:
        left = session.scalar(select(func.count()).select_from(WorkflowRow).where(
            WorkflowRow.case_id == case_id, WorkflowRow.status.in_(("pending", "running"))))
        started = session.scalar(select(func.count()).select_from(WorkflowRow).where(WorkflowRow.case_id == case_id))
    return started > 0 and left == 0


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.02, what: str = "condition") -> float:
    """Poll until `condition()` holds; returns the seconds waited (TimeoutError after `timeout`)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)
    return time.monotonic() - started


def utc_seconds(moment: datetime) -> float:
    return moment.astimezone(timezone.utc).timestamp()


# -- statistics ----------------------------------------------------------------------------------------------
def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """n, p50, p95, p99, max and mean in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
            "max": max(ms) if ms else float("nan"), "mean": sum(ms) / len(ms) if ms else float("nan")}


def pressure_stall_us() -> dict[str, int]:
    """Linux pressure stall totals (µs): time some task waited for a CPU, and time every task waited on I/O (a disk
    stall: each commit's fsync waits then). Empty where /proc/pressure is not available."""
    totals = {}
    for resource_name, line_kind in (("cpu", "some"), ("io", "full")):
        try:
            for line in Path(f"/proc/pressure/{resource_name}").read_text().splitlines():
                if line.startswith(line_kind):
                    totals[resource_name] = int(line.rsplit("total=", 1)[1])
        except (OSError, ValueError, IndexError):
            pass
    return totals


def stalled_share(before: dict[str, int], after: dict[str, int], seconds: float) -> dict[str, float]:
    """Share of a run's wall time spent in each stall, from two pressure_stall_us() readings."""
    return {name: (after[name] - before[name]) / 1e6 / seconds for name in before if name in after and seconds > 0}


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seeded_random(name: str) -> random.Random:
    """The same shuffles on every run, so two runs differ by the machine, not by the dice."""
    return random.Random(name)


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"caseswarm-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# -- machine facts -------------------------------------------------------------------------------------------
def machine_facts() -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(_mem_total_kib() / 1024 / 1024, 1),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "libraries": {name: version(name) for name in ("slack_bolt", "slack_sdk", "Flask", "Werkzeug", "SQLAlchemy",
                                                       "huey", "psycopg", "jira", "simple-salesforce")},
        "code": _code_version(),
        "sqlite_commit_ms": sqlite_commit_ms(),
    }


def sqlite_commit_ms(commits: int = 100) -> dict[str, float]:
    """Median time of one tiny SQLite WAL commit, durable (synchronous=FULL, SQLite's default: an fsync per commit)
    and not (NORMAL): what this disk charges every transaction the app commits."""
    import sqlite3

    timings = {}
    with workdir("disk") as path:
        for mode in ("FULL", "NORMAL"):
            conn = sqlite3.connect(path / f"{mode}.db", isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={mode}")
            conn.execute("CREATE TABLE t (x INTEGER)")
            seconds = []
            for i in range(commits):
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t VALUES (?)", (i,))
                conn.execute("COMMIT")
                seconds.append(time.perf_counter() - started)
            conn.close()
            timings[mode] = round(percentile(seconds, 50) * 1000, 3)
    return timings


def _code_version() -> str:
    """The commit measured, and whether the working tree had changes on top of it."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    ours = ("bench/", "docs/performance.md")  # what the benchmarks themselves add
    changed = [line for line in git("status", "--porcelain").splitlines() if line and not line[3:].startswith(ours)]
    return commit + (f" with {len(changed)} uncommitted paths" if changed else "")


def _mem_total_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


# -- databases -------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def database_for(db: str) -> Iterator[tuple[str | None, str] | None]:
    """(URL, version) of an empty database: for SQLite URL None (the app's file in the work directory); None when
    PostgreSQL is asked for but not available."""
    if db == "sqlite":
        import sqlite3

        yield None, sqlite3.sqlite_version
    elif db == "postgres":
        with postgres_database() as found:
            yield found
    else:
        raise ValueError(f"db must be sqlite or postgres, not {db!r}")


@contextlib.contextmanager
def postgres_database() -> Iterator[tuple[str, str] | None]:
    """(SQLAlchemy URL of a fresh, empty database, PostgreSQL version), or None when PostgreSQL is not available.

    SWARM_BENCH_DATABASE_URL names a server to use; else a throwaway cluster is started as tests/run does, but with
    fsync on (PostgreSQL's defaults): the figures compare durable commits on both databases."""
    given = os.environ.get("SWARM_BENCH_DATABASE_URL")
    if given:
        with _fresh_database(given) as url:
            yield url, _server_version(url)
        return
    pgbin = _postgres_bin()
    if pgbin is None:
        yield None
        return
    with _throwaway_cluster(pgbin) as base_url, _fresh_database(base_url) as url:
        yield url, _server_version(url)


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextlib.contextmanager
def _throwaway_cluster(pgbin: Path) -> Iterator[str]:
    directory = Path(tempfile.mkdtemp(prefix="caseswarm-bench-pg-"))
    port = _free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    data = directory / "data"
    subprocess.run([*as_postgres, str(pgbin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
                   check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {directory}"
    subprocess.run([*as_postgres, str(pgbin / "pg_ctl"), "-D", str(data), "-w", "-l", str(directory / "log"),
                    "-o", options, "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, str(pgbin / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def _fresh_database(server_url: str) -> Iterator[str]:
    """Create a new database on the server of `server_url` (the benchmark needs an empty schema), drop it after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"caseswarm_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _server_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return str(version).split()[0]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- running a benchmark module on its own -------------------------------------------------------------------
def module_main(run: Callable[..., dict], argv: list[str] | None = None) -> None:
    """`python -m bench.<name> [--quick] [--json FILE] [extra key=value]`: run, print or write the result as JSON."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--json", type=Path, help="write the result here instead of printing it")
    parser.add_argument("options", nargs="*", help="key=value passed to run()")
    args = parser.parse_args(argv)
    quiet_logs()
    options = dict(o.split("=", 1) for o in args.options)
    load_before, stalls_before, started = os.getloadavg()[0], pressure_stall_us(), time.monotonic()
    result = run(quick=args.quick, **options)
    # Other work on the machine shows in the load average; a figure taken at load 4 on 2 cores says so.
    result["load_average"] = {"before": load_before, "after": os.getloadavg()[0]}
    result["seconds"] = time.monotonic() - started
    result["stalled"] = stalled_share(stalls_before, pressure_stall_us(), result["seconds"])
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    text = json.dumps(result, indent=2, default=str)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)
