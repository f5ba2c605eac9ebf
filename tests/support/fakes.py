"""Stand-ins a test controls: the time, and the huey instance a component registers its periodic tasks on."""

from __future__ import annotations

from datetime import datetime


class SettableClock:
    """A clock that reads `now`, which the test moves."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class RecordingHuey:
    """Stands in for huey at wiring time: keeps the periodic tasks registered, so the test can run one."""

    def __init__(self):
        self.periodic: dict[str, object] = {}

    def periodic_task(self, validate, name):
        def register(task):
            self.periodic[name] = task
            return task
        return register
