"""A threaded Flask server on 127.0.0.1 with a request log and explicit fault injection."""

from __future__ import annotations

import collections
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, Response, g, request
from werkzeug.serving import BaseWSGIServer, make_server


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox received it (after fault handling decided its fate)."""

    method: str  # the sandbox's name for the call, e.g. "chat.postMessage" or "POST /rest/api/2/issue"
    http_method: str
    path: str
    headers: dict[str, str]
    body: bytes
    args: dict[str, str]
    at: float  # time.monotonic() when it arrived
    fault: str | None = None  # what was injected, if anything

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def params(self) -> dict[str, Any]:
        """Body parameters whether sent as JSON or as a form (Slack sends both)."""
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            return self.json() or {}
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode("utf-8")))


@dataclass
class Fault:
    """What to do to the next matching call instead of (or besides) answering it normally.

    status: answer with this HTTP status and `body`, without applying the call.
    delay: with `apply=True` the call is applied at once and answered after the delay (a client with a shorter
    timeout sees a timeout although the write happened: the ambiguous failure); otherwise the sandbox waits and
    then answers 504 without applying it.
    """

    status: int | None = None
    body: Any = None
    retry_after: float | None = None
    delay: float = 0.0
    apply: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if self.status is not None:
            return f"status={self.status}" + (f" retry_after={self.retry_after}" if self.retry_after else "")
        return f"delay={self.delay} apply={self.apply}"


class SandboxServer:
    """Base for a stateful fake of an external HTTP API.

    Subclasses register routes on `self.app` and implement `method_name(request)` so that faults and the request
    log can name calls the way the vendor does.
    """

    name = "sandbox"

    def __init__(self) -> None:
        self.app = Flask(f"{self.name}-sandbox")
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self._faults: dict[str, collections.deque[Fault]] = collections.defaultdict(collections.deque)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.app.before_request(self._before)
        self.app.after_request(self._after)

    # -- for subclasses -------------------------------------------------------------------------------------
    def method_name(self) -> str:
        """The vendor's name for the current call (overridden by each sandbox)."""
        return f"{request.method} {request.path}"

    def fault_response(self, fault: Fault) -> Response:
        """The vendor's error shape for an injected status (overridable)."""
        body = fault.body if fault.body is not None else {"error": f"injected {fault.status}"}
        resp = Response(json.dumps(body), status=fault.status, mimetype="application/json")
        if fault.retry_after is not None:
            resp.headers["Retry-After"] = str(int(fault.retry_after) if fault.retry_after >= 1 else fault.retry_after)
        resp.headers.update(fault.headers)
        return resp

    # -- fault injection ------------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        status: int = 500,
        *,
        retry_after: float | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with `status` (not applied)."""
        with self.lock:
            for _ in range(times):
                self._faults[method].append(Fault(status=status, body=body, retry_after=retry_after))

    def delay_next(self, method: str, seconds: float, *, apply: bool = True, times: int = 1) -> None:
        """Hold the next calls of `method` for `seconds`; with apply=True they still take effect."""
        with self.lock:
            for _ in range(times):
                self._faults[method].append(Fault(delay=seconds, apply=apply, status=None if apply else 504))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    # -- request log ----------------------------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if method is None or r.method == method]

    def applied_calls(self, method: str | None = None) -> list[RecordedRequest]:
        """Calls that reached the handler (not answered by an injected error status)."""
        return [r for r in self.calls(method) if r.fault is None or r.fault.startswith("delay") and "apply=True" in r.fault]

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0, ssl_context: Any = None) -> str:
        self._server = make_server(host, port, self.app, threaded=True, ssl_context=ssl_context)
        scheme = "https" if ssl_context else "http"
        self.base_url = f"{scheme}://{host}:{self._server.server_port}"
        # A short poll interval makes stop() take ~50 ms instead of the default 0.5 s (it adds up over a test suite).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-sandbox", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "SandboxServer":
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------------------------------------
    def _take_fault(self, method: str) -> Fault | None:
        with self.lock:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None

    def _before(self) -> Response | None:
        method = self.method_name()
        fault = self._take_fault(method)
        self._record(method, fault)
        if fault is None:
            return None
        if fault.apply:
            g.sandbox_delay = fault.delay  # applied now, answered late (see _after)
            return None
        if fault.delay:
            time.sleep(fault.delay)
        return self.fault_response(fault)

    def _after(self, response: Response) -> Response:
        delay = g.pop("sandbox_delay", 0)
        if delay:
            time.sleep(delay)
        return response

    def _record(self, method: str, fault: Fault | None) -> None:
        entry = RecordedRequest(
            method=method,
            http_method=request.method,
            path=request.path,
            headers=dict(request.headers),
            body=request.get_data(cache=True),
            args=dict(request.args),
            at=time.monotonic(),
            fault=fault.describe() if fault else None,
        )
        with self.lock:
            self.requests.append(entry)


Handler = Callable[..., Any]
