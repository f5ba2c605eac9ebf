"""Measured figures, appended as JSON lines to $SWARM_FIGURES_FILE (set by the full run) for the figures page.

Read at import, before the suite's fixtures clear SWARM_* from the environment."""

from __future__ import annotations

import json
import os
import threading

_lock = threading.Lock()
_PATH = os.environ.get("SWARM_FIGURES_FILE")
_DATABASE = "PostgreSQL" if os.environ.get("SWARM_TEST_DATABASE_URL") else "SQLite"


def record(section: str, **values: object) -> None:
    """Keep one measurement (a no-op unless a run collects figures)."""
    if not _PATH:
        return
    line = json.dumps({"section": section, "database": _DATABASE, **values}, default=str)
    with _lock, open(_PATH, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
