"""The full-size reliability run, in one command; writes docs/reliability-figures.md.

    python -m tests.reliability.full                  SQLite, then a throwaway PostgreSQL (if installed)
    python -m tests.reliability.full --sqlite-only
    SWARM_FAULT_RATE=0.3 python -m tests.reliability.full

Runs tests/reliability at full size (sizes.FULL: 20% faults on 100 swarms, 10,000 fuzz payloads, 100 lifecycle
examples, a 200-escalation burst), collects the figures the tests record, and renders them with the pytest results.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from tests.reliability.processes import REPO
from tests.reliability.report import render


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    figures_file = Path(tempfile.mkstemp(prefix="caseswarm-figures-", suffix=".jsonl")[1])
    runs = [_run("SQLite", figures_file, database_url=None, extra=args.pytest)]
    if not args.sqlite_only:
        runs.append(_on_postgres(figures_file, args.pytest))
    lines = [json.loads(line) for line in figures_file.read_text().splitlines() if line.strip()]
    context = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": _machine(),
               "fault_rate": os.environ.get("SWARM_FAULT_RATE", "0.2")}
    args.out.write_text(render(lines, [r for r in runs if r], context))
    print(f"wrote {args.out}")
    return 0 if all(r and r["returncode"] == 0 for r in runs) else 1


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.full", description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite-only", action="store_true", help="skip the PostgreSQL pass")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "reliability-figures.md")
    parser.add_argument("pytest", nargs="*", help="extra pytest arguments, e.g. -k fuzz")
    return parser.parse_args(argv)


def _on_postgres(figures_file: Path, extra: list[str]) -> dict | None:
    from tests.reliability.postgres import postgres_bin, throwaway_cluster

    if postgres_bin() is None:
        print("PostgreSQL is not installed: skipped the PostgreSQL pass")
        return None
    with throwaway_cluster() as url:
        return _run("PostgreSQL", figures_file, database_url=url, extra=extra)


def _run(database: str, figures_file: Path, *, database_url: str | None, extra: list[str]) -> dict:
    env = {**os.environ, "SWARM_RELIABILITY_SIZE": "full", "SWARM_FIGURES_FILE": str(figures_file),
           "SWARM_FAULT_RATE": os.environ.get("SWARM_FAULT_RATE", "0.2")}
    env.pop("SWARM_TEST_DATABASE_URL", None)
    if database_url:
        env["SWARM_TEST_DATABASE_URL"] = database_url
    argv = [sys.executable, "-m", "pytest", "-q", "-rfExXs", "-p", "no:cacheprovider", "tests/reliability",
            "tests/unit/test_secrets_at_rest.py", *extra]
    print(f"== {database}: {' '.join(argv[1:])}", flush=True)
    started = time.monotonic()
    result = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    log = figures_file.with_name(f"{figures_file.stem}-{database.lower()}.log")
    log.write_text(output)
    print(output[-3000:] + f"\n(full pytest output: {log})")
    return {"database": database, "returncode": result.returncode, "seconds": round(time.monotonic() - started),
            "summary": _summary_lines(output)}


def _summary_lines(output: str) -> list[str]:
    """pytest's verdict lines: the final count, and each xfail/xpass/skip/failure with its reason."""
    keep = ("XFAIL", "XPASS", "SKIPPED", "FAILED", "ERROR")
    lines = [line for line in output.splitlines() if line.startswith(keep)]
    final = [line for line in output.splitlines() if " passed" in line or " failed" in line]
    return lines + final[-1:]


def _machine() -> str:
    with contextlib.suppress(Exception):
        return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
