"""Benchmark 1: how fast /slack/events acknowledges the escalation submit (and the message shortcut), compared with
a bare slack-bolt "hello world" that only acks, both measured in the same loop.

Each escalation is distinct (a new customer message, its own form), so our ack path does its real work: verify the
signature, validate, insert the case, its requester, its timeline entry and its workflow rows, enqueue the wake-up.
The same signed bytes go to every server, in rotating order, so a noisy moment hits all of them alike.
"""

from __future__ import annotations

import contextlib
import threading
import time

from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from werkzeug.serving import make_server

from bench.common import (DEFAULT_WORKERS, Frontline, Sandboxes, interactive_body, latency_summary, module_main,
                          start_app, start_sandboxes, timed_post, workdir)
from integrations.slack.listeners import escalation as escalation_listener
from integrations.slack.views import ESCALATION_MODAL

TARGET_RATIO = {"p50": 1.3, "p99": 1.5}
ACK_DEADLINE_S = 3.0  # Slack shows the user an error (and re-sends events) past this
OURS, BARE, BARE_DEFAULT = "caseswarm", "bolt hello world", "bolt hello world, default mode"
WARM_UP = 10


def run(quick: bool = False) -> dict:
    escalations = 40 if quick else 300
    return {
        "escalations_per_mode": escalations,
        "modes": [measure(escalations, workers=0), measure(escalations, workers=DEFAULT_WORKERS)],
        "targets": TARGET_RATIO,
    }


def measure(escalations: int, *, workers: int) -> dict:
    """One pass: our app and the two hello-world apps side by side; workers=0 leaves the swarm work queued."""
    with _servers(workers, escalations) as (sandboxes, app, urls), _ack_path_probes(app) as probes:
        drivers = {name: app.driver(sandboxes, url) for name, url in urls.items()}
        frontline = Frontline(sandboxes, app.secret)
        for number in range(WARM_UP):  # first requests pay for imports, auth.test, caches
            _one_escalation(frontline, sandboxes, drivers, number, samples=None)
        for timings in probes.values():
            timings.clear()
        samples = {name: {"shortcut": [], "submit": []} for name in urls}
        for number in range(WARM_UP, WARM_UP + escalations):
            _one_escalation(frontline, sandboxes, drivers, number, samples)
        parts = {part: latency_summary(timings) for part, timings in probes.items()}
    return _mode_result(samples, workers) | {"submit_parts": parts}


@contextlib.contextmanager
def _servers(workers: int, escalations: int):
    """The sandboxes, our app and the two hello-world apps; yields (sandboxes, app, {name: URL})."""
    with workdir("ack") as path:
        sandboxes = start_sandboxes(source_channels=max(1, escalations // 25))
        app = start_app(path, sandboxes, workers=workers)
        bare = hello_world_server(sandboxes, app.secret, process_before_response=True)
        bare_default = hello_world_server(sandboxes, app.secret, process_before_response=False)
        try:
            yield sandboxes, app, {OURS: app.url, BARE: bare[1], BARE_DEFAULT: bare_default[1]}
        finally:
            for server in (bare[0], bare_default[0]):
                server.shutdown()
            app.stop()
            sandboxes.stop()


def hello_world_server(sandboxes: Sandboxes, secret: str, *, process_before_response: bool):
    """A Bolt app with the same signing secret whose listeners only ack, mounted in Flask and served like ours."""
    client = WebClient(token=sandboxes.slack.bot_token, base_url=sandboxes.slack.base_url + "/api/")
    bolt = App(signing_secret=secret, client=client, token_verification_enabled=False,
               process_before_response=process_before_response)

    @bolt.view(ESCALATION_MODAL)
    def submitted(ack):
        ack()

    @bolt.shortcut("escalate_to_swarm")
    def shortcut(ack):
        ack()

    flask_app = Flask("hello-world")
    handler = SlackRequestHandler(bolt)

    @flask_app.post("/slack/events")
    def slack_events():
        return handler.handle(request)

    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/slack/events"


@contextlib.contextmanager
def _ack_path_probes(app):
    """Time the two parts of the submit's ack path that touch storage: the case transaction, the queue wake-up.

    Measurement only: the listener looks `escalate` up in its module at each call, and every transaction takes
    the store's `wake` when it starts, so wrapping both here changes nothing else."""
    timings: dict[str, list[float]] = {"case transaction (escalate)": [], "queue wake-up (huey enqueue)": []}
    original_escalate, original_wake = escalation_listener.escalate, app.container.store.wake

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[name].append(time.perf_counter() - started)
        return wrapper

    escalation_listener.escalate = timed("case transaction (escalate)", original_escalate)
    app.container.store.wake = timed("queue wake-up (huey enqueue)", original_wake)
    try:
        yield timings
    finally:
        escalation_listener.escalate, app.container.store.wake = original_escalate, original_wake


def _one_escalation(frontline: Frontline, sandboxes: Sandboxes, drivers: dict, number: int, samples: dict | None) -> None:
    """Shortcut then submit, each sent to every server in an order that rotates with `number`."""
    names = list(drivers)
    order = names[number % len(names):] + names[:number % len(names)]
    esc = frontline.new_escalation(number)
    shortcut = frontline.shortcut_payload(esc)
    _send_to_all(drivers, order, interactive_body(shortcut), "shortcut", samples)
    view_id = sandboxes.opened_view(shortcut["trigger_id"])  # the form our app opened, after answering
    _send_to_all(drivers, order, interactive_body(frontline.submission_payload(esc, view_id)), "submit", samples)


def _send_to_all(drivers: dict, order: list[str], body: bytes, kind: str, samples: dict | None) -> None:
    for name in order:
        seconds, response = timed_post(drivers[name], body)
        if response.status_code != 200:
            raise RuntimeError(f"{name} answered {response.status_code} to a {kind}: {response.text[:200]}")
        if name == OURS and kind == "submit" and "is opening" not in response.text:
            raise RuntimeError(f"a distinct escalation was not opened as a new case: {response.text[:200]}")
        if samples is not None:
            samples[name][kind].append(seconds)


def _mode_result(samples: dict, workers: int) -> dict:
    result = {"workers": workers, "kinds": {}}
    for kind in ("submit", "shortcut"):
        figures = {name: latency_summary(samples[name][kind]) for name in samples}
        ours, bare = figures[OURS], figures[BARE]
        ratios = {p: ours[p] / bare[p] for p in ("p50", "p99")}
        result["kinds"][kind] = {
            "figures": figures,
            "ratio": ratios,
            "met": {p: ratios[p] <= TARGET_RATIO[p] for p in ratios},
            "over_deadline": sum(1 for s in samples[OURS][kind] if s > ACK_DEADLINE_S),
        }
    return result


if __name__ == "__main__":
    module_main(run)
