"""Benchmark 4: a burst of escalations within seconds, with Slack re-sending 30% of them (the exact same bytes
again) and agents double-submitting 10% (a second form opened on the same message, submitted too).

Every distinct escalation must end with exactly one case, one channel, one Jira issue, one pinned summary and one
reply in its thread; none may be lost. The huey consumer (its SQLite queue) runs in-process with a few worker threads.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import func, select

from bench.common import (DriverPerThread, Frontline, database_for, interactive_body, latency_summary, module_main, open_swarm_finish_times,
                          seeded_random, start_app, start_sandboxes, timed_post, unfinished_workflows, utc_seconds,
                          wait_until, workdir, workflow_counts)
from swarm.store.tables import CaseRow, WorkflowRow

RESENT_SHARE, DOUBLE_SHARE = 0.30, 0.10
WORKERS = 4  # huey worker threads
SENDERS = 8  # concurrent connections from "Slack"
ACK_DEADLINE_S = 3.0
RETRY_HEADERS = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@dataclass
class Send:
    kind: str  # first | resent | second_form
    number: int  # which distinct escalation
    body: bytes
    at: float  # position in the burst (0..1), only to order the sends


def run(quick: bool = False, distinct: str | None = None, db: str = "sqlite") -> dict:
    """`distinct=N` and `db=postgres` change the size and the database (the suite runs the default: SQLite)."""
    count = int(distinct) if distinct else (100 if quick else 1000)
    with database_for(db) as found:
        if found is None:
            return {"skipped": "PostgreSQL is not installed and SWARM_BENCH_DATABASE_URL is not set"}
        return {"database": f"{db} {found[1]}", **_burst(count, found[0])}


def _burst(count: int, database_url: str | None) -> dict:
    with workdir("burst") as path:
        sandboxes = start_sandboxes(source_channels=max(1, count // 40))
        app = start_app(path, sandboxes, database_url=database_url, workers=WORKERS)
        try:
            escalations, sends = _prepare(app, sandboxes, count)
            started_wall, started = time.time(), time.monotonic()
            answers = _fire(app, sandboxes, sends)
            burst_seconds = time.monotonic() - started
            waited = _wait_for_swarms(app, count, timeout=120 + count * 0.6)
            return {
                "distinct": count, "sends": Counter(s.kind for s in sends), "huey_workers": WORKERS, "senders": SENDERS,
                "burst_seconds": burst_seconds, "sends_per_second": len(sends) / burst_seconds,
                "ack": _ack_figures(answers),
                "all_open_after_s": _all_open_after(app, started_wall),
                "all_synced_after_s": waited["synced"] - started if waited["synced"] else None,
                "outcome": _outcome(app, sandboxes, escalations),
            }
        finally:
            app.stop()
            sandboxes.stop()


def _prepare(app, sandboxes, count: int) -> tuple[list, list[Send]]:
    """Post the messages and open every form through the app (not timed): the burst is the submits."""
    dice = seeded_random("burst")
    frontline = Frontline(sandboxes, app.secret)
    drivers = DriverPerThread(app, sandboxes)
    doubled = set(dice.sample(range(count), int(count * DOUBLE_SHARE)))
    resent = set(dice.sample(range(count), int(count * RESENT_SHARE)))

    def prepare_one(number: int):
        driver = drivers.get()
        esc = frontline.new_escalation(number)
        # Both forms are opened before either is submitted: after a submit the shortcut says "already escalated".
        forms = [frontline.open_form(driver, esc) for _ in range(2 if number in doubled else 1)]
        return esc, [interactive_body(frontline.submission_payload(esc, view_id)) for view_id in forms]

    with ThreadPoolExecutor(4) as pool:
        prepared = list(pool.map(prepare_one, range(count)))
    sends = []
    for number, (_esc, bodies) in enumerate(prepared):
        first_at = dice.random()
        sends.append(Send("first", number, bodies[0], first_at))
        # Both duplicates land within a few sends of the original: with SENDERS threads, mostly while it is in flight.
        if number in resent:
            sends.append(Send("resent", number, bodies[0], first_at + dice.uniform(0, 0.005)))
        if len(bodies) > 1:
            sends.append(Send("second_form", number, bodies[1], first_at + dice.uniform(-0.005, 0.005)))
    return [esc for esc, _ in prepared], sorted(sends, key=lambda s: s.at)


def _fire(app, sandboxes, sends: list[Send]) -> list[dict]:
    """All sends from SENDERS threads, as fast as the app answers."""
    drivers = DriverPerThread(app, sandboxes)

    def send(item: Send) -> dict:
        driver = drivers.get()
        headers = RETRY_HEADERS if item.kind == "resent" else None
        sent = time.monotonic()
        try:
            seconds, response = timed_post(driver, item.body, headers)
            return {"kind": item.kind, "number": item.number, "seconds": seconds, "status": response.status_code,
                    "new_case": "is opening" in response.text, "sent": sent, "answered": time.monotonic()}
        except Exception as exc:  # a refused connection or a timeout is a result here, not a crash
            return {"kind": item.kind, "number": item.number, "seconds": None, "status": type(exc).__name__,
                    "new_case": False, "sent": sent, "answered": time.monotonic()}

    with ThreadPoolExecutor(SENDERS) as pool:
        return list(pool.map(send, sends))


def _wait_for_swarms(app, count: int, *, timeout: float) -> dict:
    """Until every swarm is open and every workflow has finished (or the timeout: then what is left is reported)."""
    container = app.container
    synced = None
    try:
        wait_until(lambda: workflow_counts(container).get(("open_swarm", "done"), 0) >= count, timeout=timeout,
                   interval=0.5, what="every swarm to open")
        wait_until(lambda: unfinished_workflows(container) == 0, timeout=timeout, interval=0.5, what="every sync")
        synced = time.monotonic()
    except TimeoutError:
        pass
    return {"synced": synced}


def _all_open_after(app, started_wall: float) -> float | None:
    finished = open_swarm_finish_times(app.container)
    return max(utc_seconds(t) for t in finished.values()) - started_wall if finished else None


def _ack_figures(answers: list[dict]) -> dict:
    timed = [a["seconds"] for a in answers if a["seconds"] is not None]
    return {
        "all": latency_summary(timed),
        "by_kind": {kind: latency_summary([a["seconds"] for a in answers if a["kind"] == kind and a["seconds"] is not None])
                    for kind in ("first", "resent", "second_form")},
        "over_deadline": sum(1 for s in timed if s > ACK_DEADLINE_S),
        "not_200": Counter(str(a["status"]) for a in answers if a["status"] != 200),
        "answered_new_case": sum(1 for a in answers if a["new_case"]),
        "duplicates_in_flight_with_original": _raced(answers),
    }


def _raced(answers: list[dict]) -> int:
    """Duplicates (re-sends, second forms) sent while their original was still unanswered: the racing case."""
    first = {a["number"]: a for a in answers if a["kind"] == "first"}
    return sum(1 for a in answers if a["kind"] != "first"
               and first[a["number"]]["sent"] < a["answered"] and a["sent"] < first[a["number"]]["answered"])


def _outcome(app, sandboxes, escalations: list) -> dict:
    """What exists now, counted where users and the external systems see it."""
    with app.container.store.read() as session:
        cases = session.execute(select(CaseRow.source_channel, CaseRow.source_message, CaseRow.status,
                                       CaseRow.channel_id, CaseRow.ticket_key)).all()
        failed = session.execute(select(WorkflowRow.kind, WorkflowRow.last_error).where(WorkflowRow.status == "failed")).all()
        attempts = session.scalar(select(func.sum(WorkflowRow.attempts)))
        summary_keys = dict(session.execute(select(CaseRow.channel_id, WorkflowRow.id).join(WorkflowRow, WorkflowRow.case_id == CaseRow.id)
                                            .where(WorkflowRow.kind == "open_swarm")).all())
    by_source = Counter((c.source_channel, c.source_message) for c in cases)
    case_channels = [c for c in sandboxes.slack.channels() if c["name"].startswith("case-")]
    labels = Counter(label for issue in sandboxes.jira.issues() for label in issue.labels if label != "caseswarm")
    return {
        "cases": len(cases),
        "lost": sum(1 for e in escalations if (e.channel, e.ts) not in by_source),
        "duplicate_cases": sum(n - 1 for n in by_source.values() if n > 1),
        "not_open": Counter(c.status for c in cases if c.status != "open"),
        "case_channels": len(case_channels),
        "channels_created": len(sandboxes.slack.applied_calls("conversations.create")),
        "tickets": len(sandboxes.jira.issues()),
        "duplicate_tickets": sum(n - 1 for n in labels.values() if n > 1),
        "cases_without_ticket": sum(1 for c in cases if not c.ticket_key),
        **_message_checks(sandboxes, case_channels, escalations, summary_keys),
        "failed_workflows": Counter(kind for kind, _ in failed),
        "failed_reasons": sorted({error for _, error in failed if error})[:5],
        "retried_attempts": attempts or 0,
    }


def _message_checks(sandboxes, case_channels: list[dict], escalations: list, summary_workflows: dict) -> dict:
    """One pinned summary per channel, one bot reply per source thread and no post twice: no effect twice.

    A case channel may rightly hold more than the summary (a Platinum customer's tier re-route says whom it brought
    in), so posts are told apart by the effect key each carries in its metadata (`wf<workflow id>`)."""
    slack = sandboxes.slack
    bot = slack.bot_user_id
    summaries, pins, posts = Counter(), Counter(), Counter()  # summaries / pins: how many a channel has -> channels
    for channel in case_channels:
        keys = Counter(_effect_key(m) for m in slack.messages(channel["id"]) if m.get("user") == bot)
        posts.update({(channel["id"], key): n for key, n in keys.items()})
        summaries[keys.get(f"wf{summary_workflows.get(channel['id'])}", 0)] += 1
        pins[len(slack.pins(channel["id"]))] += 1
    replies = Counter()
    for channel in {e.channel for e in escalations}:
        for message in slack.messages(channel, include_replies=True):
            if message.get("user") == bot and message.get("thread_ts"):
                replies[message["thread_ts"]] += 1
    return {
        "channels_with_one_summary": summaries.get(1, 0),
        "channels_with_one_pin": pins.get(1, 0),
        "duplicate_posts": sum(n - 1 for n in posts.values() if n > 1),
        "other_bot_posts": sum(posts.values()) - sum(n * channels for n, channels in summaries.items()),
        "threads_with_one_reply": sum(1 for e in escalations if replies.get(e.ts) == 1),
        "threads_with_several_replies": sum(1 for n in replies.values() if n > 1),
    }


def _effect_key(message: dict) -> str | None:
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("effect_key")


if __name__ == "__main__":
    module_main(run)
