"""Renders the benchmarks' figures as docs/performance.md: the machine, the command, a summary against the targets,
then each benchmark's tables and what they show."""

from __future__ import annotations

from typing import Any, Callable

SERVERS = ("caseswarm", "bolt hello world", "bolt hello world, default mode")


def render(results: dict) -> str:
    parts = [_header(results), _summary(results)]
    for name, section in (("ack_latency", _ack_latency), ("api_calls", _api_calls), ("time_to_swarm", _time_to_swarm),
                          ("burst", _burst)):
        parts.append(_guarded(results, name, section))
    if "throughput_sqlite" in results or "throughput_postgres" in results:
        parts.append(_throughput(results))  # reports a failed or skipped database in its own notes
    parts.append(_findings(results))
    return "\n\n".join(p.strip() for p in parts if p) + "\n"


# -- formatting ----------------------------------------------------------------------------------------------
def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def times(value: float) -> str:
    return f"{value:.2f}×"


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _guarded(results: dict, name: str, section: Callable[[dict], str]) -> str:
    """A failed or skipped benchmark still gets its heading, with the reason, instead of breaking the report."""
    result = results.get(name)
    if result is None:
        return ""
    if "error" in result:
        return f"## {name}\n\nThis benchmark failed in this run:\n\n```\n{result['error'][-1500:]}\n```"
    return section(results)


def _load(result: dict) -> str:
    load = result.get("load_average", {})
    stalled = result.get("stalled", {})
    stalls = ""
    if stalled:  # Linux pressure stall information over the run: the machine's own noise, in numbers
        stalls = (f" Stalled (/proc/pressure) during the run: some task waiting for a CPU {stalled.get('cpu', 0):.0%} "
                  f"of the time, every task waiting on the disk {stalled.get('io', 0):.0%}.")
    return (f"Load average (1 min) on the 2-core machine: {load.get('before', 0):.1f} before, "
            f"{load.get('after', 0):.1f} after; took {result.get('wall_seconds', result.get('seconds', 0)):.0f} s; "
            f"peak resident memory of the benchmark process {result.get('peak_rss_mib', 0):.0f} MiB.{stalls}")


# -- header and summary --------------------------------------------------------------------------------------
def _header(results: dict) -> str:
    m = results["machine"]
    libraries = ", ".join(f"{k} {v}" for k, v in m["libraries"].items())
    versions = [f"SQLite {results[n]['version']}" for n in ("throughput_sqlite",) if results.get(n, {}).get("version")]
    versions += [f"PostgreSQL {results[n]['version']}" for n in ("throughput_postgres",) if results.get(n, {}).get("version")]
    quick = "\n\n**This is a `--quick` smoke run: sizes are small and the figures are indicative only.**" if results["quick"] else ""
    return f"""# Performance

Figures from one run of `{results['command']}` on {m['date']}, against the local sandboxes (Slack, Jira, Salesforce
on 127.0.0.1). Each benchmark runs in its own process that holds everything, as `swarm demo` does: the sandboxes, the
app (composition root, Flask, Bolt, werkzeug's threaded server), the huey consumer and the load generator. The
machine is shared and noisy, so every comparison is measured side by side in the same run, and each section gives
the load average it ran under.{quick}

| machine | |
|---|---|
| CPUs (nproc) | {m['nproc']} ({m['cpu']}) |
| memory | {m['memory_gib']} GiB |
| Python | {m['python']} ({m['os']}) |
| code measured | {m['code']} |
| databases | {', '.join(versions) or '–'} |
| one durable SQLite commit on this disk | {m['sqlite_commit_ms']['FULL']:.1f} ms (WAL, synchronous=FULL, the default); {m['sqlite_commit_ms']['NORMAL']:.2f} ms with synchronous=NORMAL |
| libraries | {libraries} |

Re-run everything with `python -m bench` (writes this file; `--quick` for a smoke run that prints the report,
`--only NAME` for one benchmark). PostgreSQL: a throwaway cluster is started from `/usr/lib/postgresql/*/bin` as
`tests/run` does (fsync on), or set `SWARM_BENCH_DATABASE_URL` to a server where a scratch database may be created."""


def _summary(results: dict) -> str:
    rows: list[list[Any]] = []
    ack = results.get("ack_latency", {})
    if "modes" in ack:
        for mode in ack["modes"]:
            label = "workers on" if mode["workers"] else "workers off"
            submit, shortcut = mode["kinds"]["submit"], mode["kinds"]["shortcut"]
            rows.append([f"1. shortcut ack p50 vs bare Bolt ({label})", times(shortcut["ratio"]["p50"]), "≤ 1.30×", met(shortcut["met"]["p50"])])
            rows.append([f"1. shortcut ack p99 vs bare Bolt ({label})", times(shortcut["ratio"]["p99"]), "≤ 1.50×", met(shortcut["met"]["p99"])])
            rows.append([f"1. submit ack p50 vs bare Bolt ({label})", times(submit["ratio"]["p50"]), "≤ 1.30×", met(submit["met"]["p50"])])
            rows.append([f"1. submit ack p99 vs bare Bolt ({label})", times(submit["ratio"]["p99"]), "≤ 1.50×", met(submit["met"]["p99"])])
            literal = submit["figures"][SERVERS[2]]
            ours = submit["figures"][SERVERS[0]]
            rows.append([f"1. (reference) submit ack p50 / p99 vs literal, default-mode hello world ({label})",
                         f"{times(ours['p50'] / literal['p50'])} / {times(ours['p99'] / literal['p99'])}",
                         "≤ 1.30× / ≤ 1.50×", met(ours["p50"] / literal["p50"] <= 1.3 and ours["p99"] / literal["p99"] <= 1.5)])
        over = sum(m["kinds"][k]["over_deadline"] for m in ack["modes"] for k in m["kinds"])
        rows.append(["1. acks over 3 s", over, "0", met(over == 0)])
    calls = results.get("api_calls", {})
    if "ratio" in calls:
        rows.append(["2. external calls per swarm / minimum", f"{calls['swarm_calls']:g} / {calls['minimum_calls']} = "
                     f"{times(calls['ratio'])}", "≤ 1.10×", met(calls["met"])])
    tts = results.get("time_to_swarm", {})
    if "ratio_p95" in tts:
        rows.append([f"3. time to swarm p95 / floor ({tts['latency_ms']:.0f} ms per call)",
                     f"{ms(tts['time_to_open']['p95'])} / {ms(tts['floor_ms'])} = {times(tts['ratio_p95'])}", "≤ 1.30×",
                     met(tts["met"])])
        if "in_one_process" in tts:
            one = tts["in_one_process"]
            rows.append(["3. (reference) the same with the app and the sandboxes in one process",
                         f"{ms(one['time_to_open']['p95'])} / {ms(tts['floor_ms'])} = {times(one['ratio_p95'])}",
                         "≤ 1.30×", met(one["ratio_p95"] <= tts["target"])])
    burst = results.get("burst", {})
    if "outcome" in burst:
        o, n = burst["outcome"], burst["distinct"]
        exact = o["cases"] == o["case_channels"] == o["tickets"] == n and o["lost"] == 0
        rows.append([f"4. burst of {n:,}: cases / channels / tickets / lost", f"{o['cases']} / {o['case_channels']} / "
                     f"{o['tickets']} / {o['lost']}", f"{n} / {n} / {n} / 0", met(exact)])
        rows.append(["4. burst acks over 3 s", burst["ack"]["over_deadline"], "0", met(burst["ack"]["over_deadline"] == 0)])
    for name in ("throughput_sqlite", "throughput_postgres"):
        t = results.get(name, {})
        if "swarms_per_second" in t:
            rows.append([f"5. swarms opened per second, {t['database']}", f"{t['swarms_per_second']:.1f} "
                         f"(steady {t['steady_swarms_per_second']:.1f})", "–", "–"])
    return "## Summary\n\n" + table(["benchmark", "measured", "target", "met"], rows)


# -- 1. ack latency ------------------------------------------------------------------------------------------
def _ack_latency(results: dict) -> str:
    r = results["ack_latency"]
    parts = [f"""## 1. Ack latency of `/slack/events`

{r['escalations_per_mode']} distinct escalations per pass (after 10 to warm up): each is a new customer message, its
message shortcut and its form submit. The same signed bytes go to three servers in rotating order, from one thread
with `requests`: CaseSwarm, and two bare Bolt apps with the same signing secret whose listeners only call `ack()`,
mounted in Flask the same way and served by the same werkzeug threaded server. "bolt hello world" runs Bolt like
CaseSwarm does (`process_before_response=True`: the answer leaves when the listener returns), and is the baseline of
the ratios; "default mode" is the literal hello world (`process_before_response=False`), where Bolt polls every
10 ms for the ack, shown for reference. werkzeug closes every connection (`Connection: close`), so every request
opens a new TCP connection, for all three servers alike.

Our shortcut answers at once, as Slack recommends, and opens the form right after (the link to the message, the open
swarms like it and `views.open` run on a thread of ours once the answer is out; section 3 shows the
form opening under 50 ms per call). Our submit does its real work before it answers: signature, validation, one
transaction that inserts the case, its requester, a timeline entry and three workflow rows, then the huey wake-up
(the case is recorded before the answer, so a re-send or a crash never loses or doubles it).
The p99 and max of a few hundred requests on a shared machine move with whatever else runs: compare them within a
table, not across runs. The app is served by werkzeug's threaded server, as `swarm serve` does; a gunicorn
deployment with separate worker processes is not measured here."""]
    for mode in r["modes"]:
        parts.append(_ack_mode(mode))
    parts.append(_load(r))
    return "\n\n".join(parts)


def _ack_mode(mode: dict) -> str:
    label = (f"Background workers on ({mode['workers']} huey worker threads in the process, opening the swarms of "
             "the escalations just submitted)" if mode["workers"] else
             "Background workers off (the swarm work stays queued: the ack path alone)")
    rows = []
    for kind in ("submit", "shortcut"):
        k = mode["kinds"][kind]
        for server in SERVERS:
            f = k["figures"][server]
            rows.append([kind, server, ms(f["p50"]), ms(f["p95"]), ms(f["p99"]), ms(f["max"])])
    ratio_rows = []
    for kind in ("submit", "shortcut"):
        k = mode["kinds"][kind]
        default = k["figures"][SERVERS[2]]
        ours = k["figures"][SERVERS[0]]
        ratio_rows.append([kind, times(k["ratio"]["p50"]) + f" ({met(k['met']['p50'])})",
                           times(k["ratio"]["p99"]) + f" ({met(k['met']['p99'])})",
                           f"{times(ours['p50'] / default['p50'])} / {times(ours['p99'] / default['p99'])}",
                           k["over_deadline"]])
    parts_rows = [[part, ms(f["p50"]), ms(f["p99"])] for part, f in mode.get("submit_parts", {}).items()]
    return "\n\n".join([
        f"### {label}",
        table(["request", "server", "p50", "p95", "p99", "max"], rows),
        table(["request", "p50 ratio (target ≤ 1.30×)", "p99 ratio (target ≤ 1.50×)",
               "p50 / p99 vs default-mode hello world", "acks over 3 s"], ratio_rows),
        "Inside our submit's ack path:\n\n" + table(["part", "p50", "p99"], parts_rows) if parts_rows else "",
    ])


# -- 2. API calls --------------------------------------------------------------------------------------------
def _instant_calls(r: dict) -> str:
    instant = r.get("instant")
    if not instant:
        return ""
    extra = {k: n for k, n in instant["steady_per_swarm"].items() if n > r["steady_per_swarm"].get(k, 0)}
    which = ", ".join(f"`{k}` +{n - r['steady_per_swarm'].get(k, 0):g}" for k, n in sorted(extra.items())) or "none"
    return (f" With instant sandboxes (every call answered at once) a swarm made {instant['swarm_calls']:g} calls "
            f"({times(instant['ratio'])}; beyond the above: {which}): the opening's calls then outrun the Jira issue and "
            "the customer lookup, whose work between calls is longer, so their facts reach the summary after it is "
            "posted. A Jira or CRM slower than Slack does the same.")


def _api_calls(results: dict) -> str:
    r = results["api_calls"]
    calls = sorted(set(r["first_swarm"]) | set(r["steady_per_swarm"]))
    minimum = r["minimum"]
    rows = [[f"`{c}`", r["first_swarm"].get(c, 0), f"{r['steady_per_swarm'].get(c, 0):g}", minimum.get(c, 0)] for c in calls]
    extra_rows = [[f"`{e['call']}`", f"{e['beyond_minimum']:g}", e["why"]] for e in r["beyond_minimum"]]
    once_rows = [[f"`{e['call']}`", f"{e['extra']:g}", e["why"]] for e in r["first_swarm_only"]]
    return f"""## 2. External API calls per swarm

{r['swarms']} escalations, one at a time; each is followed until all its workflows are done (swarm open, Jira issue
created and linked, Salesforce customer found, summary refreshed), so every call in the sandboxes' request logs
between two escalations belongs to one swarm. The minimum: create the channel, invite, post the summary, pin it, one
Jira call, one CRM call = {r['minimum_calls']}. Every sandbox call takes {r.get('latency_ms', 0):.0f} ms, as in
section 3: whether the Jira key and the customer card are in the first summary, or cost a `chat.update` after it, is
a race between calls.

**Per swarm (steady state, median of swarms 2..{r['swarms']}): {r['swarm_calls']:g} calls for the swarm, ratio
{times(r['ratio'])} (target ≤ 1.10×: {met(r['met'])}); {r['calls_with_form']:g} with the two calls that open the form
({times(r['ratio_with_form'])}).**{_instant_calls(r)}

{table(["call", "first swarm", "per swarm after", "minimum"], rows)}

Calls beyond the minimum, in every swarm:

{table(["call", "beyond minimum", "why"], extra_rows)}

Calls only the first swarm of a process makes:

{table(["call", "extra", "why"], once_rows)}

No `conversations.list`, `conversations.history` or `conversations.replies`: those "look before creating" calls run
only when a step's earlier try is ambiguous, and nothing failed here.

{_load(r)}"""


# -- 3. time to swarm ----------------------------------------------------------------------------------------
def _time_to_swarm(results: dict) -> str:
    r = results["time_to_swarm"]
    lat = r["latency_ms"]
    b = r["breakdown_p50_ms"]
    timeline = [[row["sandbox"], f"`{row['call']}`", row["start_ms"], row["end_ms"]] for row in r["median_timeline"]]
    summary = [[name, ms(f["p50"]), ms(f["p95"]), ms(f["max"])] for name, f in (
        ("submit → swarm open", r["time_to_open"]), ("submit ack", r["submit_ack"]),
        ("shortcut ack", r["shortcut_ack"]), ("shortcut → form open (2 sandbox calls)", r["form_open"]), ("submit → Jira issue linked", r["time_to_ticket"]),
        ("submit → everything synced", r["time_to_all_synced"]))]
    idle = r["after_idle"]
    return f"""## 3. Time to swarm with {lat:.0f} ms per call

Every call to every sandbox waits {lat:.0f} ms before it is handled (a Flask `before_request` hook added by the
benchmark). {r['swarms']} escalations one at a time (after 2 to warm up), {r.get('workers', 2)} huey worker threads (the `SWARM_WORKERS` default). "Swarm open" is the
moment the last of its calls has answered: channel created, owners invited, summary posted and pinned, reply in the
source thread — read from the sandboxes' logs, not by polling.

The app runs as it is deployed: `swarm serve` (web and workers) in a process of its own, configured by environment,
logging at INFO to a file. The benchmark's process plays Slack, Jira, Salesforce and the agent, as the real services
and people would from other machines.

{table(["measure", "p50", "p95", "max"], summary)}

{_one_process(r)}

**Floor: the open_swarm workflow makes 4 calls one after another (`conversations.create` → `conversations.invite` →
`chat.postMessage` → `pins.add`); the reply in the source thread runs beside them = {ms(r['floor_ms'])}.
p95 / floor = {times(r['ratio_p95'])} (target ≤ 1.30×: {met(r['met'])}); p50 / floor = {times(r['ratio_p50'])}.**

Where the time goes (medians): ack {ms(b['ack'])}; queue pick-up (ack sent → `conversations.create` arrives)
{ms(b['queue_pickup'])}; from the first call to the last answer {ms(b['open_calls'])}, i.e. {ms(b['between_calls'])} of
our own work between two of the 4 sequential calls. Each step's result is recorded while the next step's call is out
(the record starts once that call is on its way: swarm/outbound_calls.py), and the summary is read while the invite
is out, so a gap holds the HTTP round trip's own cost, a short read and the shared rate-limit lookup.

**What runs in parallel.** The Jira issue (which carries the case link, so it needs no channel) and the Salesforce
customer lookup start with the case, beside `conversations.create`. Once the channel exists, the answer in the source
thread (notify_source) runs beside open_swarm (invite → summary → pin). A fact that arrives before the summary is posted is in it; one
that arrives after costs one `chat.update` (a refresh that would show the same thing costs none). The summary waits
for the invite's answer because it shows who is in (not for its record: it goes out while that commits); posting it
first would take the floor to
{ms(r['floor_if_parallel_ms'])}, at the price of a `chat.update` for the invite outcomes: today's p95 is
{times(r['ratio_p95_vs_parallel_floor'])} that floor.

**After a quiet spell.** One more escalation after {idle['idle_s']:.0f} s with nothing to do: open after
{ms(idle['open_ms'])}, of which {ms(idle['queue_pickup_ms'])} before its first call. An idle worker waits on a condition
that an enqueue in its own process signals (workflows/waking_queue.py); work enqueued by another process is found
by polling, 10 ms after the last task and 15% later after each empty poll, up to 0.5 s.

The median swarm, call by call (ms after the submit was sent):

{table(["sandbox", "call", "start", "end"], timeline)}

{_load(r)}"""


def _one_process(r: dict) -> str:
    """The same swarms with the sandboxes' request handling in the app's interpreter, as `swarm demo` runs."""
    one = r.get("in_one_process")
    if not one:
        return ""
    t, b = one["time_to_open"], one["breakdown_p50_ms"]
    return (f"For reference, the same {r['swarms']} swarms with the app, the sandboxes and the load generator in one "
            f"process (as `swarm demo` runs them): p50 {ms(t['p50'])}, p95 {ms(t['p95'])}, max {ms(t['max'])}; "
            f"p95 / floor = {times(one['ratio_p95'])}, p50 / floor = {times(one['ratio_p50'])}. Medians: ack "
            f"{ms(b['ack'])}, queue pick-up {ms(b['queue_pickup'])}, {ms(b['between_calls'])} between two calls. "
            "There every sandbox request is parsed, handled and answered by the same interpreter, under the same "
            "lock, as our workers' steps, so the sandboxes' work lands between our calls.")


# -- 4. burst ------------------------------------------------------------------------------------------------
def _burst(results: dict) -> str:
    r = results["burst"]
    o, a, n = r["outcome"], r["ack"], r["distinct"]
    sends = r["sends"]
    outcome_rows = [
        ["cases", o["cases"], n], ["case channels in Slack", o["case_channels"], n],
        ["`conversations.create` applied", o["channels_created"], n], ["Jira issues", o["tickets"], n],
        ["lost (an escalation with no case)", o["lost"], 0], ["duplicate cases / issues", f"{o['duplicate_cases']} / {o['duplicate_tickets']}", "0 / 0"],
        ["cases not open at the end", sum(o["not_open"].values()), 0],
        ["cases without a linked issue", o["cases_without_ticket"], 0],
        ["channels with exactly one summary / one pin", f"{o['channels_with_one_summary']} / {o['channels_with_one_pin']}", f"{n} / {n}"],
        ["source threads with exactly one reply", o["threads_with_one_reply"], n],
        ["messages posted twice (the same effect key in a channel)", o.get("duplicate_posts", "–"), 0],
        ["other bot posts in case channels (a Platinum customer's tier re-route)", o.get("other_bot_posts", "–"), "–"],
        ["workflows parked as failed", sum(o["failed_workflows"].values()) or 0, 0],
        ["retries (attempts recorded on workflows)", o["retried_attempts"], "–"],
    ]
    ack_rows = [[kind, f["n"], ms(f["p50"]), ms(f["p95"]), ms(f["p99"]), ms(f["max"])]
                for kind, f in [("all", a["all"])] + list(a["by_kind"].items())]
    failures = "; ".join(o["failed_reasons"]) or "none"
    return f"""## 4. Burst: {n:,} escalations within seconds

{n:,} distinct escalations (messages posted and forms opened through the app beforehand, not timed), then
{sum(sends.values()):,} submits from {r['senders']} threads as fast as the app answers: {sends.get('first', 0):,} first
submits, {sends.get('resent', 0):,} re-sent by "Slack" (the same bytes again, just after the original, with
`X-Slack-Retry-Num: 1`), and {sends.get('second_form', 0):,} second forms opened on the same message and submitted too;
both kinds of duplicate are sent within a few submits of their original, so most race it.
huey consumer (its SQLite queue) in the process with {r['huey_workers']} worker threads; database {r.get('database', 'sqlite')}.

**The burst took {seconds(r['burst_seconds'])} ({r['sends_per_second']:.0f} submits/s); all swarms were open
{seconds(r['all_open_after_s'])} after it started, everything synced to Jira and Salesforce after
{seconds(r['all_synced_after_s'])}.**

{table(["outcome", "counted", "expected"], outcome_rows)}

Failure reasons, if any: {failures}. Submits answered "is opening" (a new case): {a['answered_new_case']:,}
(expected {n:,}); answers other than HTTP 200: {dict(a['not_200']) or 'none'}. Duplicates whose request overlapped
their original's in time (a true race): {a.get('duplicates_in_flight_with_original', '–')} of
{sends.get('resent', 0) + sends.get('second_form', 0)}.

Ack latency during the burst (acks over 3 s: {a['over_deadline']}):

{table(["submits", "n", "p50", "p95", "p99", "max"], ack_rows)}

{_load(r)}"""


# -- 5. throughput -------------------------------------------------------------------------------------------
def _throughput(results: dict) -> str:
    rows, notes = [], []
    for name in ("throughput_sqlite", "throughput_postgres"):
        t = results.get(name)
        if t is None:
            continue
        if "error" in t or "skipped" in t:
            notes.append(f"{name}: " + (t.get("skipped") or "failed: " + t["error"].splitlines()[-1]))
            continue
        rows.append([f"{t['database']} {t['version']}", t["swarms"], seconds(t["submit_seconds"]),
                     f"{ms(t['ack_p50_ms'])} / {ms(t['ack_p99_ms'])}", seconds(t["all_open_after_s"]),
                     f"**{t['swarms_per_second']:.1f}**", f"{t['steady_swarms_per_second']:.1f}",
                     seconds(t["all_synced_after_s"]), f"{t['synced_swarms_per_second']:.1f}", f"{t['peak_rss_mib']:.0f} MiB"])
    loads = [_load(results[n]) for n in ("throughput_sqlite", "throughput_postgres") if "load_average" in results.get(n, {})]
    workers = next((results[n]["huey_workers"] for n in ("throughput_sqlite", "throughput_postgres")
                    if "huey_workers" in results.get(n, {})), "?")
    return f"""## 5. Swarms opened per second, SQLite and PostgreSQL; peak memory

A batch of distinct escalations (forms opened beforehand) is submitted from 4 threads as fast as the app acks; the
in-process huey consumer ({workers} worker threads; the queue is huey on SQLite in both runs) opens the swarms and syncs
them. "Swarms/s" is the batch size over the time from the first submit to the last swarm open; "steady" counts
between the 10th and the 90th percent of the batch. Peak memory is the whole benchmark process (app, sandboxes,
load generator, consumer), from `getrusage` max RSS; each database runs in its own process.

{table(["database", "swarms", "submitted in", "ack p50 / p99", "all open after", "swarms/s", "steady swarms/s",
        "all synced after", "synced swarms/s", "peak memory"], rows)}

{chr(10).join(f'- {line}' for line in notes + loads)}"""


# -- findings ------------------------------------------------------------------------------------------------
def _findings(results: dict) -> str:
    points = [p for p in (_finding_ack(results), _finding_shared_process(results), _finding_calls(results),
                          _finding_time(results), _finding_burst(results)) if p]
    return "## What the figures say\n\n" + "\n".join(f"{i}. {p}" for i, p in enumerate(points, 1))


def _finding_ack(results: dict) -> str:
    ack = results.get("ack_latency", {})
    if "modes" not in ack:
        return ""
    off = ack["modes"][0]
    parts = off.get("submit_parts", {})
    tx = parts.get("case transaction (escalate)", {}).get("p50")
    wake = parts.get("queue wake-up (huey enqueue)", {}).get("p50")
    figures = off["kinds"]["submit"]["figures"]
    bare, literal, ours = figures[SERVERS[1]], figures[SERVERS[2]], figures[SERVERS[0]]
    commit = results["machine"]["sqlite_commit_ms"]
    shortcut = off["kinds"]["shortcut"]
    first = (f"**The escalation shortcut's ack is {times(shortcut['ratio']['p50'])} a bare Bolt ack at p50 and "
             f"{times(shortcut['ratio']['p99'])} at p99 (workers off)**: it answers first and opens the form on a "
             "thread of ours right after, so what it adds is our checks of the payload's shape and the hand-over to that "
             "thread (a Bolt lazy listener, used before, deep-copied the whole request for its thread). ")
    return first + (f"**The form's submit stays far above 1.3× / 1.5×, because the case is recorded before the ack.** A bare Bolt "
            f"ack takes {ms(bare['p50'])} here, so 1.3× leaves ~{ms(bare['p50'] * 0.3)} for everything our submit adds; "
            f"it spends {ms(tx)} in the case transaction (SQLAlchemy ORM, six rows, one commit) and {ms(wake)} in the "
            "huey wake-up (p50, workers off). Recording first is the design (a re-send or a crash never loses or doubles "
            "a case), so no tuning gets there on this hardware; what Slack needs, every ack far under 3 s, holds. "
            f"Against the literal hello world (Bolt's default mode, which polls 10 ms for the ack: {ms(literal['p50'])} "
            f"p50) our submit is {times(ours['p50'] / literal['p50'])} at p50 and {times(ours['p99'] / literal['p99'])} "
            f"at p99 with workers off. A durable SQLite commit measured {commit['FULL']:.2f} ms on this disk during "
            f"the run (between 0.2 and 4 ms while these benchmarks were written: a virtual disk); `PRAGMA synchronous=NORMAL` in WAL "
            f"mode ({commit['NORMAL']:.2f} ms; durable across an app crash, not a power cut) would take that part out.")


def _finding_shared_process(results: dict) -> str:
    ack = results.get("ack_latency", {})
    if "modes" not in ack or len(ack["modes"]) < 2:
        return ""
    off, on = (m["kinds"]["submit"]["figures"][SERVERS[0]] for m in ack["modes"][:2])
    pg = results.get("throughput_postgres", {})
    pg_note = (f" On PostgreSQL, where there is no such lock, acks still took {ms(pg['ack_p50_ms'])} at p50 while "
               "4 workers opened swarms (section 5): there the shared process, and 2 cores shared with the database "
               "server, are what is left." if "ack_p50_ms" in pg else "")
    return (f"**Workers in the web process slow the acks**: submit p50 {ms(off['p50'])} → {ms(on['p50'])}, p99 "
            f"{ms(off['p99'])} → {ms(on['p99'])} once {ack['modes'][1]['workers']} worker threads open swarms beside the web threads. Two causes, "
            "both visible in the code: every thread shares one GIL (`swarm serve` runs web and workers in one "
            "process), and on SQLite writers take turns: every writing transaction starts with `BEGIN IMMEDIATE` "
            "(swarm/store/db.py; read-only sessions begin deferred), so the ack's transaction waits for whichever "
            "worker step is committing (a process's writers take turns in arrival order: swarm/store/"
            f"writer_queue.py).{pg_note} Suggestion: run `swarm worker` as its own process next to the web process.")


def _finding_calls(results: dict) -> str:
    calls = results.get("api_calls", {})
    if "ratio" not in calls:
        return ""
    floor = calls["minimum_calls"] + 1
    return (f"**{calls['swarm_calls']:g} calls per swarm against {calls['minimum_calls']}.** Trimmed: summary "
            "re-renders coalesce and are skipped when nothing visible changed (digest), the customer card is one SOQL "
            "query (open cases as a relationship subquery), Jira's search-before-create and read-after-create are gone "
            "from first attempts, the experts are asked on the pinned summary rather than in a post of their own, and "
            "the Jira issue carries the case channel link in its create call (description and issue property) instead "
            "of a remote link made once the channel exists. One call beyond the minimum is a feature the escalation "
            "spec asks for: the answer in the source message's thread. With it the floor is "
            f"{floor} / {calls['minimum_calls']} = {times(floor / calls['minimum_calls'])}, above the 1.1 target, "
            "which only dropping that answer would meet.")


def _finding_time(results: dict) -> str:
    tts = results.get("time_to_swarm", {})
    if "ratio_p95" not in tts:
        return ""
    b, idle = tts["breakdown_p50_ms"], tts["after_idle"]
    return (f"**Time to swarm is our work before and between the sequential calls**: {ms(b['queue_pickup'])} from the "
            f"ack to the first call (worker wake-up, the claim's commit, routing) and {ms(b['between_calls'])} between "
            f"two calls, on top of the 4 × {tts['latency_ms']:.0f} ms floor. After {idle['idle_s']:.0f} s of quiet the "
            f"first call came {ms(idle['queue_pickup_ms'])} after the ack (an idle worker wakes when its process "
            "enqueues). Every step after the first goes out while the step before it commits (Step.overlaps_previous_"
            "record; the summary, which is not idempotent, has its start recorded with the invite's), and that commit "
            "starts once the call is on its way, so it runs while the call waits rather than taking turns with it "
            "for the one interpreter. A gap holds the HTTP round trip's own cost (slack_sdk opens a new connection per "
            "call), the shared rate-limit lookup (one indexed read before each call, so every process honours a 429 "
            "that another was given) and, before the summary, a short read of what other work changed while the "
            "invite was out. The commits left on the critical path are the case's (before the ack) and the claim's. "
            f"Where p95 runs far above p50 (here {ms(tts['time_to_open']['p95'])} against "
            f"{ms(tts['time_to_open']['p50'])}), look at the disk: those commits wait for an fsync on SQLite, and a "
            "record still committing when its next call returns holds up the step after; in this run every task "
            f"waited on the disk {_io_stalled(tts)} of the time.")


def _io_stalled(result: dict) -> str:
    io = result.get("stalled", {}).get("io")
    return "(not measured here)" if io is None else f"{io:.0%}"


def _finding_burst(results: dict) -> str:
    burst = results.get("burst", {})
    if "outcome" not in burst:
        return ""
    o, n = burst["outcome"], burst["distinct"]
    clean = (o["cases"] == o["case_channels"] == o["tickets"] == n and o["lost"] == 0 and not o["failed_workflows"]
             and o["threads_with_one_reply"] == n and o["channels_with_one_pin"] == n
             and o["channels_with_one_summary"] == n and not o.get("duplicate_posts"))
    verdict = ("**No duplicate and nothing lost in the burst**: one case, channel, issue, pinned summary and thread "
               "reply per distinct escalation, despite re-sends racing their originals and double submits."
               if clean else "**The burst did not end clean**: see the outcome table in section 4.")
    a = burst["ack"]
    worst = a["all"]["max"]
    if a["over_deadline"]:
        acks = f"**{a['over_deadline']} acks took over 3 s** (max {ms(worst)}): Slack would have shown those users an error"
    elif worst > 2000:
        acks = (f"Acks stayed under 3 s, **but only just: the slowest took {ms(worst)}**, with the swarm work of the "
                "burst running in the same process (see point 2)")
    else:
        acks = f"Acks stayed under 3 s (max {ms(worst)})"
    return f"{verdict} {acks}; p99 {ms(a['all']['p99'])} against p50 {ms(a['all']['p50'])}."
