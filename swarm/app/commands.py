"""What each `swarm` subcommand does: translate arguments into the app's services and print the result."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime, timezone

from config.settings import load_settings
from swarm.store.queries import case_by_key, list_cases, load_case_summary, timeline
from swarm.usecases.common import format_duration


def serve(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from integrations.web.app import create_app
    from swarm.app.bootstrap import build, settle_long_running

    container = build(load_settings())
    server = make_server(args.host, args.port, create_app(container), threaded=True)
    settle_long_running(container)
    consumer = container.queue.start_consumer(workers=container.settings.workers)
    print(f"CaseSwarm listening on http://{args.host}:{server.server_port}  (Slack: POST /slack/events, health: GET /healthz)")
    teams_server = _start_teams(container, args.host)
    print(f"database: {_safe_url(container.settings.database_url)}  queue: {_safe_url(container.settings.queue_url)}  "
          f"workers: {container.settings.workers}")
    from integrations.web.dashboard import dashboard_login_token

    print(f"dashboard: {container.settings.public_url}/dashboard  sign-in token: {dashboard_login_token(container)}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        if teams_server is not None:
            teams_server.stop()
        consumer.stop(graceful=True)
    return 0


def _start_teams(container, host: str):
    """The Teams bot (the Teams SDK's ASGI app) on its own port beside the Flask app, when Teams is configured."""
    if "teams" not in container.chats:
        return None
    from integrations.teams.bot import build_teams_asgi_app
    from integrations.teams.server import TeamsServer

    teams_server = TeamsServer(build_teams_asgi_app(container), host=host, port=container.settings.teams_port)
    print(f"Teams: POST {teams_server.start()}/api/messages")
    return teams_server


def seed(args: argparse.Namespace) -> int:
    from swarm.seed import seed_history

    container = _container()
    report = seed_history(container.store, container.config, cases=args.cases, now=datetime.now(timezone.utc),
                          rng_seed=args.rng_seed, weeks=args.weeks)
    print(f"seeded {report.cases} cases over {args.weeks} weeks: {report.resolved} resolved, {report.open} open, "
          f"{report.decisions} decisions  (see {container.settings.public_url}/dashboard)")
    return 0


def _safe_url(url: str) -> str:
    """A database or queue URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not an SQLAlchemy URL (redis://): strip credentials by hand
        scheme, sep, rest = url.partition("://")
        return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


def worker(args: argparse.Namespace) -> int:
    from swarm.app.bootstrap import build, settle_long_running
    from workflows.queue import consumer_options

    container = build(load_settings())
    consumer = container.queue.huey.create_consumer(**consumer_options(args.workers or container.settings.workers))
    settle_long_running(container)
    print(f"CaseSwarm worker: {consumer.workers} threads on {container.settings.queue_url}")
    consumer.run()
    return 0


def demo(args: argparse.Namespace) -> int:
    if args.platform == "teams":
        from swarm.app.demo_teams import run_teams_demo

        return run_teams_demo(keep=args.keep)
    from swarm.app.demo import run_demo

    return run_demo(keep=args.keep)


def cases(args: argparse.Namespace) -> int:
    container = _container()
    with container.store.read() as session:
        rows = list_cases(session, limit=args.limit)
        if not rows:
            print("No cases yet. Escalate a message in Slack, or run: swarm demo")
            return 0
        print(f"{'CASE':<8} {'STATUS':<9} {'SEV':<5} {'CATEGORY':<11} {'ENGAGE':>7} {'RESOLVE':>8}  TITLE")
        for row in rows:
            summary = load_case_summary(session, row.id)
            print(f"{row.key:<8} {row.status:<9} {row.severity:<5} {row.category:<11} {_took(row.created_at, row.engaged_at):>7} "
                  f"{_took(row.created_at, row.resolved_at):>8}  {row.title[:60]}")
            for note in summary.sync_notes:
                print(f"{'':8} ! {note}")
    return 0


def case(args: argparse.Namespace) -> int:
    container = _container()
    with container.store.read() as session:
        row = case_by_key(session, args.key)
        summary = load_case_summary(session, row.id)
        print(f"{summary.key} · {summary.title}")
        print(f"  customer {summary.customer} · {summary.category} · {summary.severity.value} · {summary.status.value}")
        print(f"  channel  #{summary.channel_name or '(not created yet)'}  source {summary.source_link or '-'}")
        print(f"  engage   {_took(row.created_at, row.engaged_at)}  resolve {_took(row.created_at, row.resolved_at)}")
        for p in summary.participants:
            print(f"  - {p.name}: {p.reason} [{p.invite_status}]")
        for note in summary.sync_notes:
            print(f"  ! {note}")
        print("timeline:")
        for entry in timeline(session, row.id):
            print(f"  {entry.at:%Y-%m-%d %H:%M:%S}  {entry.kind:<18} {entry.text}")
    return 0


def retry(args: argparse.Namespace) -> int:
    container = _container()
    ids = container.runner.retry_case(args.key, wake=False)
    if not ids:
        print(f"{args.key.upper()}: nothing is parked; nothing to retry")
        return 0
    results = [container.runner.run(i) for i in ids]
    print(f"{args.key.upper()}: replayed {len(ids)} workflow(s): " + ", ".join(f"#{i} {r}" for i, r in zip(ids, results)))
    return 0 if all(r in ("done", "pending") for r in results) else 1


def db_upgrade(args: argparse.Namespace) -> int:
    from swarm.store.db import make_engine
    from swarm.store.migrate import upgrade

    settings = load_settings()
    upgrade(make_engine(settings.database_url))
    print(f"database schema is up to date: {settings.database_url}")
    return 0


def rotate_keys(args: argparse.Namespace) -> int:
    from integrations.secrets_at_rest import SecretKeyError
    from integrations.slack.installations import reencrypt_stored_secrets
    from swarm.store.db import make_engine

    settings = load_settings()
    try:
        changed = reencrypt_stored_secrets(make_engine(settings.database_url), settings.encryption_keys)
    except SecretKeyError as exc:
        print(f"swarm: {exc}", file=sys.stderr)
        return 2
    print(f"re-encrypted {changed} stored secret(s) with the first key of SWARM_SECRET_KEYS; older keys can now be removed")
    return 0


def config_check(args: argparse.Namespace) -> int:
    from config import load_config, render_routing_table

    config = load_config(args.directory or load_settings().config_dir)
    print(f"config OK: {config.source_dir}")
    print(render_routing_table(config))
    return 0


def route(args: argparse.Namespace) -> int:
    from config import load_config
    from swarm.model import Severity
    from workflows.routing import CaseFacts, plan_swarm

    config = load_config(load_settings().config_dir)
    facts = CaseFacts(category=args.category, severity=Severity(args.severity.lower()), title=args.title, description=args.description)
    plan = plan_swarm(facts, config, now=datetime.now(timezone.utc), load={})
    print(f"rules matched: {', '.join(plan.matched_rules) or '(default)'}")
    for a in plan.assignments:
        print(f"  {a.person.name:<20} {a.reason}")
    return 0


def _container():
    from swarm.app.bootstrap import build

    return build(load_settings())


def _took(start: datetime, end: datetime | None) -> str:
    return format_duration((end - start).total_seconds()) if end else "-"
