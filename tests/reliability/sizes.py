"""How big a reliability run is: small in CI, full size via `python -m tests.reliability.full`.

SWARM_RELIABILITY_SIZE=ci|full picks the size; SWARM_FAULT_RATE overrides the share of faulted calls. Both are read
when this module is imported (at collection), before the suite's fixtures clear SWARM_* from the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RunSize:
    name: str
    swarms_under_faults: int  # escalations (each with decisions and a resolution) under random faults
    fault_rate: float  # share of outbound calls that fail (429, 500, timeout, timeout after the write)
    crash_swarms: int  # escalations in flight when a worker is killed
    lifecycle_examples: int  # hypothesis examples of the case lifecycle state machine
    lifecycle_steps: int  # steps per example
    fuzz_payloads: int  # payloads per fuzz test (authenticated and not)
    burst: int  # escalations through the scale-out deployment


CI = RunSize("ci", swarms_under_faults=5, fault_rate=0.2, crash_swarms=4, lifecycle_examples=10, lifecycle_steps=15,
             fuzz_payloads=150, burst=40)
FULL = RunSize("full", swarms_under_faults=100, fault_rate=0.2, crash_swarms=20, lifecycle_examples=100, lifecycle_steps=30,
               fuzz_payloads=5_000, burst=200)


_SIZE = os.environ.get("SWARM_RELIABILITY_SIZE", "ci")
_RATE = os.environ.get("SWARM_FAULT_RATE")


def current() -> RunSize:
    size = FULL if _SIZE == "full" else CI
    return replace(size, fault_rate=float(_RATE)) if _RATE else size
