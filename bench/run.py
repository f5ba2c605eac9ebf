"""Run every benchmark, each in its own process, then write docs/performance.md.

    python -m bench              the full sizes (a few minutes); writes docs/performance.md
    python -m bench --quick      small sizes, a smoke run; prints the report (or --output FILE)
    python bench/run.py --only burst --only throughput

Each benchmark is a module with `run(quick=...)` that returns its figures; `python -m bench.<name> --quick` runs one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`: make the repository importable as it is for `python -m bench`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import report  # noqa: E402
from bench.common import REPO, machine_facts  # noqa: E402

JOBS = (  # (result name, module, key=value options)
    ("ack_latency", "ack_latency", []),
    ("api_calls", "api_calls", []),
    ("time_to_swarm", "time_to_swarm", []),
    ("burst", "burst", []),
    ("throughput_sqlite", "throughput", ["db=sqlite"]),
    ("throughput_postgres", "throughput", ["db=postgres"]),
)
JOB_TIMEOUT_S = 1500


def main(argv: list[str] | None = None, *, command: str = "python bench/run.py") -> int:
    args = _parse(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
    else:
        results = _run_all(args, " ".join([command, *(argv if argv is not None else sys.argv[1:])]))
    if not args.from_json:  # keep the raw figures: the report can be rendered again from them (--from-json)
        raw = args.json or Path(tempfile.mkstemp(prefix="caseswarm-bench-", suffix=".json")[1])
        raw.write_text(json.dumps(results, indent=1, default=str))
        print(f"bench: raw figures in {raw}")
    output = args.output or (None if results["quick"] else REPO / "docs" / "performance.md")
    text = report.render(results)
    if output is None:
        print(text)
    else:
        Path(output).write_text(text)
        print(f"bench: wrote {output}")
    return 0 if all("error" not in value for value in results.values() if isinstance(value, dict)) else 1


def _run_all(args: argparse.Namespace, command: str) -> dict:
    names = args.only or [name for name, _, _ in JOBS]
    results: dict = {"machine": machine_facts(), "quick": args.quick, "command": command}
    for name, module, options in JOBS:
        if name in names:
            results[name] = _run_job(module, options, quick=args.quick)
            print(f"bench: {name}: {_status(results[name])}", flush=True)
    return results


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run in about a minute")
    parser.add_argument("--only", action="append", choices=[name for name, _, _ in JOBS], help="run just these")
    parser.add_argument("--output", type=Path, help="where to write the report (default: docs/performance.md, "
                                                     "or stdout with --quick)")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument("--from-json", type=Path, help="render the report from figures saved with --json; run nothing")
    return parser.parse_args(argv)


def _run_job(module: str, options: list[str], *, quick: bool) -> dict:
    """`python -m bench.<module>` in a fresh process: its own memory peak, no threads left over from the others."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", f"bench.{module}", "--json", str(out), *(["--quick"] if quick else []), *options]
        started = time.monotonic()
        try:
            done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=JOB_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return {"error": f"did not finish within {JOB_TIMEOUT_S} s"}
        if done.returncode != 0 or not out.exists():
            return {"error": (done.stderr or done.stdout).strip()[-3000:] or f"exit status {done.returncode}"}
        result = json.loads(out.read_text())
        result["wall_seconds"] = time.monotonic() - started
        return result


def _status(result: dict) -> str:
    if "error" in result:
        return "FAILED: " + result["error"].splitlines()[-1]
    if "skipped" in result:
        return "skipped: " + result["skipped"]
    return f"done in {result['wall_seconds']:.0f} s"


if __name__ == "__main__":
    sys.exit(main())
