"""Block Kit rendering of the messages the core asks Slack to show (summary, resolution, notices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from swarm import summary_text
from swarm.model import CaseStatus, CaseSummary
from swarm.ports import ChatMessage, ExpertRequest, Notice, ResolutionCard, SummaryCard
from swarm.usecases.common import format_duration

SECTION_TEXT_MAX = 3000  # Slack's limit for a section's text


@dataclass(frozen=True)
class Rendered:
    text: str  # the notification / fallback text
    blocks: list[dict]


def render(message: ChatMessage, chat) -> Rendered:
    if isinstance(message, SummaryCard):
        return summary(message.case, chat)
    if isinstance(message, ResolutionCard):
        return resolution(message.case, message.archive_in)
    if isinstance(message, ExpertRequest):
        return expert_request(message)
    if isinstance(message, Notice):
        return Rendered(message.text[:40000], [_section(message.text)])
    raise TypeError(f"no Slack rendering for {type(message).__name__}")


def summary(case: CaseSummary, chat) -> Rendered:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{case.key} · {case.title}"[:150]}},
        {"type": "section", "fields": [
            _mrkdwn(f"*Customer*\n{_customer(case)}"),
            _mrkdwn(f"*Category*\n{case.category}"),
            _mrkdwn(f"*Severity*\n{case.severity.label}"),
            _mrkdwn(f"*Status*\n{_status(case)}"),
            _mrkdwn(f"*SLA*\n{_sla(case)}"),
            _mrkdwn(f"*Source*\n{_link(case.source_link, 'original message')}"),
        ]},
        _section(f"*Description*\n{case.description}"),
        _section("*Who is here and why*\n" + _people(case, chat)),
    ]
    ask = summary_text.question(case, chat.user_mention)
    if ask:
        blocks += [_section(ask), _expert_buttons(case.key)]
    if linked := summary_text.linked_line(case):
        blocks.append(_section(f":link: {linked}"))
    if similar := summary_text.similar_lines(case):
        blocks.append(_section("*Similar past cases*\n" + "\n".join(f"• {line}" for line in similar)))
    if summary_text.history_lines(case):
        blocks.append(_section(_history(case)))
    if case.ticket_key or case.crm_record:
        blocks.append(_section(_links(case)))
    if case.decisions:
        blocks.append(_section(_decisions(case)))
    if case.sync_notes:
        blocks.append({"type": "context", "elements": [_mrkdwn(":warning: " + n[:200]) for n in case.sync_notes[:10]]})
    blocks.append(_actions(case))
    # The mentions go in the notification text too, so the experts asked are notified of the post.
    return Rendered(f"{case.key} · {case.title} ({case.severity.value}, {case.customer})" + (f" {ask}" if ask else ""),
                    blocks)


def resolution(case: CaseSummary, archive_in: str | None) -> Rendered:
    engage = format_duration((case.engaged_at - case.created_at).total_seconds()) if case.engaged_at else "no expert message"
    resolve = format_duration((case.resolved_at - case.created_at).total_seconds()) if case.resolved_at else "—"
    people = ", ".join(sorted({p.name for p in case.participants})) or "—"
    decisions = "\n".join(f"• {d.text[:300]} ({d.author})" for d in case.decisions) or "• none recorded"
    text = (f":checkered_flag: *{case.key} resolved*\n*Resolution*\n{case.resolution}\n*Decisions*\n{decisions}\n"
            f"*Who took part*: {people}\n*Time to engage*: {engage} · *Time to resolve*: {resolve}")
    blocks = [_section(text)]
    if archive_in:
        blocks.append({"type": "context", "elements": [_mrkdwn(f"This channel will be archived in {archive_in}. Reopen to keep working.")]})
    blocks.append({"type": "actions", "block_id": "case_resolved_actions", "elements": [_button("Reopen", "case_reopen", case.key)]})
    return Rendered(f"{case.key} resolved: {case.resolution}", blocks)


def expert_request(message: ExpertRequest) -> Rendered:
    """The ask to take a case (a replacement's); the summary carries the same buttons for the experts it asks."""
    return Rendered(message.text[:40000], [_section(message.text), _expert_buttons(message.case_key or "")])


def _expert_buttons(case_key: str) -> dict:
    """ "I'm on it" / "Can't take it": listeners/expert_buttons.py answers them, whichever message they are on."""
    return {"type": "actions", "block_id": "expert_answer", "elements": [
        _button("I'm on it", "expert_accept", case_key, style="primary"),
        _button("Can't take it", "expert_decline", case_key)]}


def _status(case: CaseSummary) -> str:
    return {CaseStatus.OPENING: ":hourglass: opening", CaseStatus.OPEN: ":large_green_circle: open",
            CaseStatus.RESOLVED: ":white_check_mark: resolved", CaseStatus.ARCHIVED: ":file_cabinet: archived"}[case.status]


SLA_STATES = {"on_track": ":large_green_circle: on track", "at_risk": ":large_yellow_circle: at risk",
              "breached": ":red_circle: breached"}


def _sla(case: CaseSummary) -> str:
    # The state is the one the SLA sweep last saw (it refreshes this summary when it changes, not every minute).
    lines = []
    if case.sla_engage_due:
        lines.append("engaged " + _ago(case.engaged_at, case.created_at) if case.engaged_at
                     else f"{SLA_STATES[case.sla_engage_state or 'on_track']} · engage by {_clock(case.sla_engage_due)}")
    if case.sla_resolve_due:
        lines.append(f"{SLA_STATES[case.sla_resolve_state or 'on_track']} · resolve by {_clock(case.sla_resolve_due)}"
                     if not case.resolved_at else "resolved " + _ago(case.resolved_at, case.created_at))
    return "\n".join(lines) or "—"


def _ago(at: datetime, start: datetime) -> str:
    return f"after {format_duration((at - start).total_seconds())}"


def _clock(at: datetime) -> str:
    # Slack renders this in each reader's own time zone; the fallback shows UTC.
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def _people(case: CaseSummary, chat) -> str:
    lines = []
    for p in case.participants:
        state = {"pending": "inviting…", "invited": "invited", "already_in_channel": "in channel", "accepted": "on it",
                 "declined": "declined"}.get(p.invite_status, f"could not add: {p.invite_status}")
        lines.append(f"• {chat.user_mention(p.user_id)} — {p.reason} ({state})")
    return "\n".join(lines)[:SECTION_TEXT_MAX - 40] or "• nobody yet"


def _customer(case: CaseSummary) -> str:
    return "\n".join(summary_text.customer_card(case))


def _history(case: CaseSummary) -> str:
    """Earlier cases of this customer, so the swarm starts from what the company already knows."""
    callout = summary_text.history_callout(case)
    heading, *cases = summary_text.history_lines(case)
    top = f":rotating_light: *{callout}*\n" if callout else ""
    return top + f"*{heading}*\n" + "\n".join(f"• {line}" for line in cases)


def _links(case: CaseSummary) -> str:
    parts = []
    failing = " ".join(case.sync_notes)
    if case.ticket_key:
        state = "sync failing" if "Ticket sync" in failing else "synced ✓"
        parts.append(f"*Ticket*: {_link(case.ticket_url, case.ticket_key)} {state}")
    if case.crm_record:
        state = "sync failing" if "CRM sync" in failing else "synced ✓"
        parts.append(f"*CRM case*: {case.crm_record} {state}")
    return " · ".join(parts)


def _decisions(case: CaseSummary) -> str:
    recent = case.decisions[-5:]
    lines = [f"• {d.text[:280]}{'…' if len(d.text) > 280 else ''} — {d.author}" for d in recent]
    more = len(case.decisions) - len(recent)
    return f"*Decisions ({len(case.decisions)})*\n" + "\n".join(lines) + (f"\n…and {more} earlier" if more else "")


def _actions(case: CaseSummary) -> dict:
    if case.status in (CaseStatus.RESOLVED, CaseStatus.ARCHIVED):
        elements = [_button("Reopen", "case_reopen", case.key)]
    else:
        elements = [
            _button("Record decision", "case_decide", case.key, style="primary"),
            _button("Add department", "case_add_department", case.key),
            _button("Status", "case_status", case.key),
            _button("Resolve", "case_resolve", case.key, style="danger"),
        ]
    return {"type": "actions", "block_id": "case_actions", "elements": elements}


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {"type": "button", "action_id": action_id, "value": value, "text": {"type": "plain_text", "text": label}}
    if style:
        button["style"] = style
    return button


def _section(text: str) -> dict:
    if len(text) > SECTION_TEXT_MAX:
        text = text[: SECTION_TEXT_MAX - 1] + "…"
    return {"type": "section", "text": _mrkdwn(text)}


def _mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text[:2000]}


def _link(url: str | None, label: str) -> str:
    return f"<{url}|{label}>" if url else "—"
