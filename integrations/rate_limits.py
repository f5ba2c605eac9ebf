"""Rate-limit cool-downs, shared by every workflow of the process: after a 429 with Retry-After, the method waits.

A 429 limits a method of an account (Slack: a Web API method of a workspace; Jira Cloud's burst limit: an endpoint and
HTTP verb of the site; Salesforce: an endpoint and verb of the org), not the one request that got it. The workflow
that got the 429 waits its Retry-After (the runner reschedules it), but other workflows would call the same method
inside the window and be refused again. So the clients our adapters call through note each 429 here (the Slack
WebClient in integrations/slack/cooling_client.py, the HTTP transport of Jira and Salesforce below), and no later call
of that method is made before the time is up: the caller waits out a short remainder (at most WAIT_AT_MOST seconds)
where it is, or gets RetryLater for what remains of a longer one. Short windows are waited out because the runner
counts every RetryLater as one of the workflow's tries, and a refusal that made no call should not use them up (at
20% faults, rescheduling for each window parked workflows that would have completed).

Each process keeps its own table, checked first. The long-running processes (`swarm serve`, `swarm worker`, the WSGI
entry point) also share it through the database (swarm/store/cooldowns.py): a 429 is written there, and before each
call the shared end of that method's window is read, so with N processes no process calls a method inside a window
another process was given. If the database cannot be reached for it, the process's own table still holds.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlparse

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from integrations.notes import retry_after_seconds
from swarm.errors import RetryLater

WAIT_AT_MOST = 2.0  # seconds: a cool-down ending sooner is waited out by the caller; a longer one reschedules
WAIT_IN_ALL = 10.0  # seconds: short cool-downs one after another (new 429s) are waited out up to this, then reschedule


log = logging.getLogger("caseswarm.rate_limits")


@dataclass(frozen=True)
class Limited:
    """What a 429 limits: a method of an account of a system."""

    system: str  # "slack", "jira", "salesforce"
    account: str  # whose limit: a site or org URL, with a token's fingerprint for Slack
    method: str  # "chat.update", "GET services/data/{}/sobjects/Case/{}", "POST rest/api/{}/issue/{}/comment"

    def key(self) -> str:
        """Its name in the shared table (a digest: the account part holds a URL)."""
        return hashlib.sha256(f"{self.system}\n{self.account}\n{self.method}".encode()).hexdigest()


class SharedTable(Protocol):
    """Cool-downs every process of the deployment sees (swarm/store/cooldowns.SharedCooldowns)."""

    def until(self, key: str) -> float | None: ...  # wall-clock epoch seconds

    def extend(self, key: str, until: float) -> None: ...


class Cooldowns:
    """Until when each limited method waits; thread-safe; the clocks are injectable for tests."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._until: dict[Limited, float] = {}
        self._lock = threading.Lock()
        self._shared: SharedTable | None = None
        self._warned_at = float("-inf")

    def share_through(self, table: SharedTable | None) -> None:
        """Also keep the cool-downs in `table`, which the deployment's other processes read and write (None: stop)."""
        self._shared = table

    def start(self, limited: Limited, retry_after: float | None) -> None:
        """A 429 said: not again before `retry_after` seconds from now (a longer window already noted stays)."""
        if not retry_after or retry_after <= 0:
            return
        with self._lock:
            now = self._clock()
            self._until = {k: t for k, t in self._until.items() if t > now}  # a handful of keys: cheap
            self._until[limited] = max(self._until.get(limited, 0.0), now + retry_after)
        if self._shared is not None:
            self._shared_call(self._shared.extend, limited.key(), self._wall_clock() + retry_after)

    def remaining(self, limited: Limited) -> float:
        """Seconds until `limited` may be called again (0: now), by this process's table or the shared one."""
        with self._lock:
            mine = max(0.0, self._until.get(limited, 0.0) - self._clock())
        if mine or self._shared is None:
            return mine
        until = self._shared_call(self._shared.until, limited.key())
        return max(0.0, until - self._wall_clock()) if until else 0.0

    def _shared_call(self, call: Callable, *args):
        """The shared table is a second line: when the database cannot answer, this process's own table still holds
        (said in the log at most once a minute: this runs before every external call)."""
        try:
            return call(*args)
        except Exception:
            if self._clock() - self._warned_at > 60:
                self._warned_at = self._clock()
                log.warning("shared rate-limit cool-downs unavailable; this process's own still apply", exc_info=True)
            return None

    def hold(self, limited: Limited, *, at_most: float = WAIT_AT_MOST, in_all: float = WAIT_IN_ALL) -> float:
        """Wait here while a cool-down of `limited` ends within `at_most` seconds (again, if a new 429 started another,
        up to `in_all` seconds in all). 0.0: it may be called now; more: the seconds left of a longer cool-down, and
        the call must not be made."""
        waited = 0.0
        while (left := self.remaining(limited)) > 0:
            if left > at_most or waited + left > in_all:
                return left
            self._sleep(left)
            waited += left
        return 0.0

    def wait(self, limited: Limited, what: str, *, at_most: float = WAIT_AT_MOST) -> None:
        """Return when `limited` may be called (see hold); RetryLater(retry_after=remaining) for a longer cool-down."""
        left = self.hold(limited, at_most=at_most)
        if left:
            raise RetryLater(f"{what}: rate limited, cooling down for {left:.1f} s more (Retry-After of an earlier 429)",
                             retry_after=left)

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


COOLDOWNS = Cooldowns()  # the process's table: every adapter instance and worker thread shares it


def fingerprint(secret: str | None) -> str:
    """A short, stable name for a token, to key its limits by (never the token: keys may be logged)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else "-"


def origin(url: str) -> str:
    """'https://acme.my.salesforce.com': the scheme and host of a URL, whose owner the limit belongs to."""
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}"


def rest_method(http_method: str, url: str) -> str:
    """'GET services/data/{}/sobjects/Case/{}': the verb and the path, ids (segments with a digit) left out, so
    every call of one REST method shares a key whatever record it is about."""
    segments = [s for s in urlparse(url).path.split("/") if s]
    return f"{http_method.upper()} " + "/".join("{}" if any(c.isdigit() for c in s) else s for s in segments)


class CoolingAdapter(HTTPAdapter):
    """The transport of a REST client (Jira's through the jira library, Salesforce's through simple-salesforce) that
    keeps the cool-downs of its methods: per endpoint and HTTP verb of the host (a Jira site, a Salesforce org), the
    scope of Jira Cloud's burst limit. A call inside a window is not sent (wait, or RetryLater)."""

    def __init__(self, system: str, *, cooldowns: Cooldowns = COOLDOWNS) -> None:
        super().__init__()
        self._system = system
        self._cooldowns = cooldowns

    def send(self, request: PreparedRequest, **kwargs) -> Response:
        url = request.url or ""
        limited = Limited(self._system.lower(), origin(url), rest_method(request.method or "GET", url))
        self._cooldowns.wait(limited, f"{self._system} {limited.method}")
        response = super().send(request, **kwargs)
        if response.status_code == 429:
            self._cooldowns.start(limited, retry_after_seconds(response.headers.get("Retry-After")))
        return response
