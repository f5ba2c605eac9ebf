"""Benchmark 5: swarms opened per second on this machine, on SQLite and on PostgreSQL, and peak memory.

A batch of distinct escalations is submitted as fast as the app acks them; the in-process huey consumer (huey on SQLite,
the queue in both cases) opens the swarms. Run once per database, each in its own process (run.py does), so the
peak resident memory is that configuration's: app, sandboxes and load generator together, as in `swarm demo`.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import (DriverPerThread, Frontline, database_for, interactive_body, module_main,
                          open_swarm_finish_times, percentile, start_app, start_sandboxes, timed_post, unfinished_workflows,
                          utc_seconds, wait_until, workdir, workflow_counts)

WORKERS = 4
SENDERS = 4


def run(quick: bool = False, db: str = "sqlite") -> dict:
    swarms = 40 if quick else 300
    with database_for(db) as found:
        if found is None:
            return {"database": db, "skipped": "PostgreSQL is not installed and SWARM_BENCH_DATABASE_URL is not set"}
        url, version = found
        return {"database": db, "version": version, "swarms": swarms, "huey_workers": WORKERS, **_measure(swarms, url)}


def _measure(swarms: int, database_url: str | None) -> dict:
    with workdir("throughput") as path:
        sandboxes = start_sandboxes(source_channels=max(1, swarms // 40))
        app = start_app(path, sandboxes, database_url=database_url, workers=WORKERS)
        try:
            bodies = _open_forms(app, sandboxes, swarms)
            started_wall, started = time.time(), time.monotonic()
            acks = _submit_all(app, sandboxes, bodies)
            submitted = time.monotonic() - started
            wait_until(lambda: workflow_counts(app.container).get(("open_swarm", "done"), 0) >= swarms,
                       timeout=60 + swarms, interval=0.2, what="every swarm to open")
            wait_until(lambda: unfinished_workflows(app.container) == 0, timeout=60 + swarms, interval=0.2,
                       what="every sync to finish")
            synced = time.monotonic() - started
            opened = sorted(utc_seconds(t) - started_wall for t in open_swarm_finish_times(app.container).values())
        finally:
            app.stop()
            sandboxes.stop()
    return {
        "submit_seconds": submitted,
        "ack_p50_ms": percentile(acks, 50) * 1000,
        "ack_p99_ms": percentile(acks, 99) * 1000,
        "all_open_after_s": opened[-1],
        "swarms_per_second": swarms / opened[-1],
        "steady_swarms_per_second": _steady_rate(opened),
        "all_synced_after_s": synced,
        "synced_swarms_per_second": swarms / synced,
    }


def _open_forms(app, sandboxes, count: int) -> list[bytes]:
    frontline, drivers = Frontline(sandboxes, app.secret), DriverPerThread(app, sandboxes)

    def form(number: int) -> bytes:
        esc = frontline.new_escalation(number)
        return interactive_body(frontline.submission_payload(esc, frontline.open_form(drivers.get(), esc)))

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(form, range(count)))


def _submit_all(app, sandboxes, bodies: list[bytes]) -> list[float]:
    drivers = DriverPerThread(app, sandboxes)

    def submit(body: bytes) -> float:
        seconds, response = timed_post(drivers.get(), body)
        response.raise_for_status()
        return seconds

    with ThreadPoolExecutor(SENDERS) as pool:
        return list(pool.map(submit, bodies))


def _steady_rate(opened: list[float]) -> float:
    """Opens per second between the 10th and the 90th percent of the batch (without the start-up and the tail)."""
    low, high = opened[len(opened) // 10], opened[len(opened) * 9 // 10]
    return (len(opened) * 8 // 10) / (high - low) if high > low else float("nan")


if __name__ == "__main__":
    module_main(run)
