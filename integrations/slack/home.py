"""Block Kit for the App Home tab (managers: their departments' swarms, SLA risks, this week's timings;
experts: the swarms they are in) and for the weekly digest in the managers' channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from swarm import metrics
from swarm.digest import WeeklyDigest, department_line
from swarm.metrics import AT_RISK, BREACHED, CaseFacts, Scope
from swarm.usecases.common import format_duration

MAX_LINES = 10  # swarms listed per section; the dashboard has the rest
SLA_MARK = {metrics.ON_TRACK: ":large_green_circle:", AT_RISK: ":warning:", BREACHED: ":red_circle:"}


def home_view(session: Session, *, config, user_id: str, now: datetime, at_risk_share: float, dashboard_url: str) -> dict:
    """The Home tab for this Slack user: a manager's view if they manage a department, else an expert's."""
    managed = [d_id for d_id, d in config.departments.items() if d.manager.slack_user_id == user_id]
    if managed:
        blocks = _manager_blocks(session, config, managed, now=now, at_risk_share=at_risk_share)
    else:
        blocks = _expert_blocks(session, user_id, now=now, at_risk_share=at_risk_share)
    blocks.append(_dashboard_button(dashboard_url))
    return {"type": "home", "blocks": blocks[:100]}


def _manager_blocks(session: Session, config, departments: list[str], *, now: datetime, at_risk_share: float) -> list[dict]:
    blocks = [_header("Your departments' swarms")]
    week = Scope(since=metrics.week_start(now), until=now)
    resolved = metrics.resolved_cases(session, scope=week)
    timings = {row.group: row for row in metrics.timings_by_department(resolved)}
    compliance = {row.group: row for row in metrics.sla_compliance(resolved)}
    for department_id in departments:
        name = config.department(department_id).name
        cases = metrics.open_cases(session, scope=Scope(since=now, until=now, department=department_id))
        states = {c.id: metrics.state_of(c, now=now, at_risk_share=at_risk_share) for c in cases}
        risky = [c for c in cases if states[c.id] != metrics.ON_TRACK]
        blocks.append(_section(f"*{name}* · {len(cases)} open · {sum(s == AT_RISK for s in states.values())} at risk · "
                               f"{sum(s == BREACHED for s in states.values())} breached"))
        if risky:
            blocks.append(_section("*SLA at risk or breached*\n" + _lines(risky, states, now)))
        blocks.append(_section("*Open swarms*\n" + (_lines(cases, states, now) or "None right now.")))
        blocks.append(_context(_week_line(timings.get(department_id), compliance.get(department_id))))
        blocks.append({"type": "divider"})
    return blocks


def _expert_blocks(session: Session, user_id: str, *, now: datetime, at_risk_share: float) -> list[dict]:
    cases = metrics.open_cases(session, scope=Scope(since=now, until=now, participant=user_id))
    states = {c.id: metrics.state_of(c, now=now, at_risk_share=at_risk_share) for c in cases}
    body = _lines(cases, states, now) or "You are in no open swarm right now."
    return [_header("Your swarms"), _section(f"*Open swarms you are in* ({len(cases)})\n{body}")]


def _lines(cases: list[CaseFacts], states: dict[int, str], now: datetime) -> str:
    lines = [f"{SLA_MARK[states[c.id]]} *{c.key}* {c.customer}: {c.title[:80]} · {c.severity} · "
             f"{format_duration((now - c.created_at).total_seconds())} old · {states[c.id]}" for c in cases[:MAX_LINES]]
    if len(cases) > MAX_LINES:
        lines.append(f"…and {len(cases) - MAX_LINES} more on the dashboard")
    return "\n".join(lines)[:2900]


def _week_line(timing, compliance) -> str:
    if timing is None:
        return "This week: nothing resolved yet."
    met = f" · resolve SLA met {compliance.resolve_share * 100:.0f}%" if compliance and compliance.resolve_share is not None else ""
    return (f"This week: {timing.cases} resolved · engage median {format_duration(timing.engage.median)}, "
            f"p90 {format_duration(timing.engage.p90)} · resolve median {format_duration(timing.resolve.median)}, "
            f"p90 {format_duration(timing.resolve.p90)}{met}")


def digest_blocks(digest: WeeklyDigest, *, dashboard_url: str) -> list[dict]:
    """The weekly digest as Block Kit (post with text=digest.text as the notification fallback)."""
    blocks = [
        _header(f"Weekly digest · week of {digest.since:%d %b %Y}"),
        _section(f"*{digest.opened}* swarms opened · *{digest.resolved}* resolved · *{digest.open_now}* open now "
                 f"({digest.at_risk} at risk, {digest.breached} breached)\nTime to resolve: median "
                 f"{format_duration(digest.overall.median)}, p90 {format_duration(digest.overall.p90)}"),
    ]
    if digest.departments:
        blocks.append(_section("\n".join(department_line(d) for d in digest.departments)))
    if digest.slowest:
        blocks.append(_context("Slowest: " + "; ".join(
            f"{c.key} {c.customer} ({format_duration(c.resolve_seconds)})" for c in digest.slowest)))
    blocks.append(_dashboard_button(dashboard_url))
    return blocks


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def _dashboard_button(url: str) -> dict:
    return {"type": "actions", "block_id": "dashboard", "elements": [
        {"type": "button", "action_id": "open_dashboard", "text": {"type": "plain_text", "text": "Open the dashboard"},
         "url": url}]}
