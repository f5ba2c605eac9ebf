"""Random faults injected by the sandboxes into a share of the calls they receive, and what their logs show after.

The injector is a before_request hook placed ahead of the sandbox's own fault handling: it rolls a seeded die per
call and, for the unlucky ones, queues one of the sandbox's explicit faults (fail_next / delay_next) for that very
call. So every injected fault is recorded on the request it hit, exactly as a test that injects by hand would see.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

from integrations.sandbox.server import RecordedRequest, SandboxServer

KINDS = ("429", "500", "timeout", "timeout_after_write")


@dataclass(frozen=True)
class FaultPlan:
    rate: float  # share of calls that get a fault
    seed: int
    retry_after: float = 1.0  # seconds, in the 429's Retry-After header
    hold: float = 1.0  # how long a timed-out call is held: longer than the client's timeout


class FaultInjector:
    """Arms sandboxes with random faults; only while `armed` (so a test can set up its world without them)."""

    def __init__(self, plan: FaultPlan):
        self.plan = plan
        self.armed = False
        self.injected: Counter[tuple[str, str]] = Counter()  # (sandbox, kind) → count
        self._rng = random.Random(plan.seed)
        self._lock = threading.Lock()

    def install(self, *sandboxes: SandboxServer) -> "FaultInjector":
        for sandbox in sandboxes:
            hooks = sandbox.app.before_request_funcs.setdefault(None, [])
            hooks.insert(0, lambda sandbox=sandbox: self._maybe_inject(sandbox))
        return self

    def _maybe_inject(self, sandbox: SandboxServer) -> None:
        if not self.armed:
            return
        with self._lock:
            unlucky = self._rng.random() < self.plan.rate
            kind = self._rng.choice(KINDS)
        if unlucky:
            self._inject(sandbox, sandbox.method_name(), kind)

    def _inject(self, sandbox: SandboxServer, method: str, kind: str) -> None:
        if kind == "429":
            sandbox.fail_next(method, 429, retry_after=self.plan.retry_after)
        elif kind == "500":
            sandbox.fail_next(method, 500)
        else:
            sandbox.delay_next(method, self.plan.hold, apply=kind == "timeout_after_write")
        with self._lock:
            self.injected[(sandbox.name, kind)] += 1


# Calls whose bytes name the one effect they create (a post's effect key, a channel name with the case number, a
# comment's marker): an identical one is the same workflow trying again. Updates and reads carry no such identity
# (two refreshes of one summary send identical chat.update calls), so for them only the per-method view applies.
_EFFECT_CALLS = {
    "slack": {"chat.postMessage", "conversations.create", "conversations.invite"},
    "jira": {"POST issue", "POST comment"},
    "salesforce": {"POST CaseComment"},
}


# A call that arrives this soon after a 429 was on its way before its caller could have read the 429: four worker
# threads and three sandboxes share one interpreter, and under its lock a response takes some milliseconds to be read.
# No client can hold back a call it already sent, so these are counted apart ("in flight"), not as violations.
IN_FLIGHT_SECONDS = 0.1


@dataclass(frozen=True)
class EarlyCall:
    """A call of a rate-limited method made before the Retry-After of the 429 had elapsed."""

    sandbox: str
    method: str
    after_seconds: float
    retry_after: float
    same_request: bool  # the very request that was limited, sent again (else another call of the same method)

    @property
    def in_flight(self) -> bool:
        return self.after_seconds < IN_FLIGHT_SECONDS and not self.same_request

    def __str__(self) -> str:
        what = "the same request" if self.same_request else "another call"
        return f"{self.sandbox} {self.method}: {what} {self.after_seconds:.2f}s after a 429 with Retry-After {self.retry_after:g}"


def early_calls(sandbox: SandboxServer) -> list[EarlyCall]:
    """Calls of a method that came before the Retry-After of a 429 on that method elapsed (request log only).

    A rate limit applies to the method (per workspace or user), so a real Slack, Jira or Salesforce would refuse
    every one of these; `same_request` marks the retries of the limited request itself."""
    calls = sandbox.calls()
    found = []
    for index, limited in enumerate(calls):
        retry_after = _retry_after(limited)
        if retry_after is None:
            continue
        for later in calls[index + 1:]:
            if later.at - limited.at >= retry_after:
                break
            if later.method == limited.method:
                same = later.method in _EFFECT_CALLS.get(sandbox.name, ()) and _identical(later, limited)
                found.append(EarlyCall(sandbox.name, limited.method, later.at - limited.at, retry_after, same))
    return found


def _retry_after(call: RecordedRequest) -> float | None:
    if not call.fault or not call.fault.startswith("status=429"):
        return None
    for part in call.fault.split():
        if part.startswith("retry_after="):
            return float(part.split("=", 1)[1])
    return None


def _identical(a: RecordedRequest, b: RecordedRequest) -> bool:
    return (a.http_method, a.path, a.args, a.body) == (b.http_method, b.path, b.args, b.body)


def faults_seen(sandbox: SandboxServer) -> Counter[str]:
    """Injected faults by kind, as the sandbox recorded them on the requests they hit."""
    return Counter(_kind(r.fault) for r in sandbox.calls() if r.fault)


def _kind(fault: str) -> str:
    # Fault.describe(): "status=429 retry_after=1", "status=500", "status=504" (held, not applied: the client timed
    # out first), "delay=1.0 apply=True" (applied, answered after the client gave up).
    if fault.startswith("delay"):
        return "timeout_after_write"
    status = fault.split()[0].removeprefix("status=")
    return {"429": "429", "504": "timeout"}.get(status, status)
