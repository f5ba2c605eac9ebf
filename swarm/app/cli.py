"""The `swarm` command: serve, worker, demo, cases, case, retry, db upgrade, config check, route."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from swarm.errors import NotFound


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _logging(args.verbose)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args) or 0
    except NotFound as exc:
        print(f"swarm: {exc}", file=sys.stderr)
        return 1
    except _config_errors() as exc:
        print(f"swarm: configuration error\n{exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    from swarm.app import commands

    parser = argparse.ArgumentParser(prog="swarm", description="CaseSwarm: cross-department case swarming for Slack and Teams")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the whole app (web + background workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.set_defaults(handler=commands.serve)

    worker = sub.add_parser("worker", help="run extra background workers (scale-out)")
    worker.add_argument("--workers", type=int, default=None)
    worker.set_defaults(handler=commands.worker)

    demo = sub.add_parser("demo", help="play a real escalation end to end against the sandbox workspace")
    demo.add_argument("--keep", action="store_true", help="keep the demo database and print its path")
    demo.add_argument("--platform", choices=("slack", "teams"), default="slack", help="which chat platform to play")
    demo.set_defaults(handler=commands.demo)

    seed = sub.add_parser("seed", help="write realistic case history (demo data for the dashboard)")
    seed.add_argument("--cases", type=int, default=2000)
    seed.add_argument("--weeks", type=int, default=12)
    seed.add_argument("--rng-seed", type=int, default=7, dest="rng_seed")
    seed.set_defaults(handler=commands.seed)

    cases = sub.add_parser("cases", help="list cases with status and timings")
    cases.add_argument("--limit", type=int, default=50)
    cases.set_defaults(handler=commands.cases)

    case = sub.add_parser("case", help="show one case and its timeline")
    case.add_argument("key")
    case.set_defaults(handler=commands.case)

    retry = sub.add_parser("retry", help="replay a case's parked (failed) workflows")
    retry.add_argument("key")
    retry.set_defaults(handler=commands.retry)

    rotate = sub.add_parser("rotate-keys", help="re-encrypt stored secrets with the first key of SWARM_SECRET_KEYS")
    rotate.set_defaults(handler=commands.rotate_keys)

    db = sub.add_parser("db", help="database schema").add_subparsers(metavar="ACTION")
    db.add_parser("upgrade", help="create or upgrade the schema").set_defaults(handler=commands.db_upgrade)

    config = sub.add_parser("config", help="configuration").add_subparsers(metavar="ACTION")
    check = config.add_parser("check", help="validate a config dir and print the routing table")
    check.add_argument("directory", nargs="?")
    check.set_defaults(handler=commands.config_check)

    route = sub.add_parser("route", help="who would be pulled in for a case, and why (opens nothing)")
    route.add_argument("--category", required=True)
    route.add_argument("--severity", required=True)
    route.add_argument("--title", default="")
    route.add_argument("--description", default="")
    route.set_defaults(handler=commands.route)
    return parser


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
    for noisy in ("werkzeug", "huey", "slack_bolt", "slack_sdk", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def _config_errors() -> tuple[type[BaseException], ...]:
    from config import ConfigError

    return (ConfigError,)


if __name__ == "__main__":
    sys.exit(main())
