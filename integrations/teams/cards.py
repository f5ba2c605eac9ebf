"""Adaptive Cards for what the core asks Teams to show: the case summary (with its actions), the resolution, notices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from integrations.teams.markup import Mention, paragraphs, to_teams
from swarm import summary_text
from swarm.model import CaseStatus, CaseSummary
from swarm.ports import ChatMessage, ExpertRequest, Notice, ResolutionCard, SummaryCard
from swarm.usecases.common import format_duration

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"  # Action.Execute (Universal Actions) needs 1.4; Teams renders up to 1.5
EFFECT_ID = "caseswarm-effect"
# Verbs of the summary card's Action.Execute buttons; the bot's card handler routes on them.
DECIDE, ADD, STATUS, RESOLVE, REOPEN = "case_decide", "case_add", "case_status", "case_resolve", "case_reopen"
# ...and of the ask to take a case ("I'm on it" / "Can't take it").
ACCEPT, DECLINE = "expert_accept", "expert_decline"
REASON_MAX = 200  # as on Slack's decline form
SLA_MARK = {"on_track": "🟢", "at_risk": "🟡", "breached": "🔴"}
PEOPLE_PICKER = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}


@dataclass(frozen=True)
class Rendered:
    summary: str  # the notification text (activity.summary)
    card: dict
    mentions: list[Mention] = field(default_factory=list)


def render(message: ChatMessage, *, name_of: Callable[[str], str], departments: dict[str, str],
           root_causes: dict[str, str] | None = None) -> Rendered:
    if isinstance(message, SummaryCard):
        ask = summary_text.question(message.case, lambda user_id: f"<@{user_id}>")
        text, mentions = to_teams(ask, name_of) if ask else (None, [])
        return Rendered(_headline(message.case), summary_card(message.case, departments, root_causes or {}, ask=text,
                                                              mentions=mentions), mentions)
    if isinstance(message, ResolutionCard):
        return Rendered(f"{message.case.key} resolved: {message.case.resolution}", resolution_card(message.case, message.archive_in))
    if isinstance(message, ExpertRequest):
        text, mentions = to_teams(message.text, name_of)
        return Rendered(text[:200], expert_request_card(text, message.case_key or "", mentions), mentions)
    if isinstance(message, Notice):
        text, mentions = to_teams(message.text, name_of)
        return Rendered(text[:200], card([_text(paragraphs(text))], mentions=mentions), mentions)
    raise TypeError(f"no Teams rendering for {type(message).__name__}")


def card(body: list[dict], actions: list[dict] | None = None, *, mentions: list[Mention] = ()) -> dict:
    content = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
               "version": CARD_VERSION, "body": body, "msteams": {"width": "Full"}}
    if actions:
        content["actions"] = actions
    if mentions:
        content["msteams"]["entities"] = [m.entity() for m in mentions]
    return content


def with_effect(content: dict, effect_key: str) -> dict:
    """The card plus an invisible marker, so find_posted can recognise it when Graph lists the channel's messages."""
    marker = {"type": "TextBlock", "id": EFFECT_ID, "text": f"{EFFECT_ID}:{effect_key}", "isVisible": False}
    return {**content, "body": [*content["body"], marker]}


def effect_of(content: dict) -> str | None:
    for element in content.get("body") or []:
        if isinstance(element, dict) and element.get("id") == EFFECT_ID:
            return str(element.get("text", "")).removeprefix(f"{EFFECT_ID}:")
    return None


def summary_card(case: CaseSummary, departments: dict[str, str], root_causes: dict[str, str] | None = None, *,
                 ask: str | None = None, mentions: list[Mention] = ()) -> dict:
    """The summary; `ask` (Teams markdown mentioning the experts who have not answered) adds the question and its
    two answers, so the experts are asked on the card the swarm looks at."""
    body = [
        _text(_headline(case), size="Large", weight="Bolder"),
        {"type": "FactSet", "facts": [
            _fact("Customer", " · ".join(summary_text.customer_card(case))), _fact("Category", case.category),
            _fact("Severity", case.severity.label),
            _fact("Status", _status(case)), _fact("SLA", _sla(case)),
            _fact("Source", f"[original message]({case.source_link})" if case.source_link else "—"),
        ]},
        _text("**Description**"), _text(paragraphs(case.description)),
        _text("**Who is here and why**"), _text(_people(case)),
    ]
    if linked := summary_text.linked_line(case):
        body.append(_text(f"🔗 {linked}"))
    if similar := summary_text.similar_lines(case):
        body.append(_text("**Similar past cases**\n\n" + "\n\n".join(f"- {line}" for line in similar)))
    if callout := summary_text.history_callout(case):
        body.append(_text(f"🚨 **{callout}**", color="Attention"))
    if history := summary_text.history_lines(case):
        body.append(_text(f"**{history[0]}**\n\n" + "\n\n".join(f"- {line}" for line in history[1:])))
    if case.ticket_key or case.crm_record:
        body.append(_text(_links(case)))
    if case.decisions:
        body.append(_text(_decisions(case)))
    body += [_text(f"⚠️ {note[:200]}", color="Warning") for note in case.sync_notes[:10]]
    actions = _actions(case, departments, root_causes or {})
    if ask:
        body.append(_text(paragraphs(ask)))
        actions = _expert_answers(case.key) + actions
    return card(body, actions, mentions=mentions)


def resolution_card(case: CaseSummary, archive_in: str | None) -> dict:
    engage = format_duration((case.engaged_at - case.created_at).total_seconds()) if case.engaged_at else "no expert message"
    resolve = format_duration((case.resolved_at - case.created_at).total_seconds()) if case.resolved_at else "—"
    people = ", ".join(sorted({p.name for p in case.participants})) or "—"
    decisions = "\n\n".join(f"- {d.text[:300]} ({d.author})" for d in case.decisions) or "- none recorded"
    body = [
        _text(f"🏁 **{case.key} resolved**", size="Medium"),
        _text("**Resolution**"), _text(paragraphs(case.resolution or "")),
        _text("**Decisions**"), _text(decisions),
        _text(f"**Who took part**: {people}"),
        _text(f"**Time to engage**: {engage} · **Time to resolve**: {resolve}"),
    ]
    if archive_in:
        body.append(_text(f"This channel will be archived in {archive_in}. Reopen to keep working.", isSubtle=True))
    return card(body, [_execute("Reopen", REOPEN, case.key)])


def expert_request_card(text: str, case_key: str, mentions: list[Mention]) -> dict:
    """The ask to take a case (a replacement's), mentioning the expert; the summary carries the same answers."""
    return card([_text(paragraphs(text))], _expert_answers(case_key), mentions=mentions)


def _expert_answers(case_key: str) -> list[dict]:
    """ "I'm on it" / "Can't take it" (with an optional reason); handlers/case_card.py answers them."""
    decline_form = [
        _text(f"Someone else will be brought into **{case_key}** instead."),
        {**_input("reason", "e.g. on leave until Monday", max_length=REASON_MAX),
         "label": "Why? (optional, shown in the case channel)", "isRequired": False},
    ]
    return [{**_execute("I'm on it", ACCEPT, case_key), "style": "positive"},
            _form("Can't take it", decline_form, _execute("Decline", DECLINE, case_key))]


def _actions(case: CaseSummary, departments: dict[str, str], root_causes: dict[str, str]) -> list[dict]:
    if case.status in (CaseStatus.RESOLVED, CaseStatus.ARCHIVED):
        return [_execute("Reopen", REOPEN, case.key)]
    department_choices = [{"title": name, "value": key} for key, name in departments.items()]
    return [
        _form("Record decision", [_input("decision", "What did the swarm decide, and who owns it?", multiline=True)],
              _execute("Record", DECIDE, case.key)),
        _form("Add people", [
            {"type": "Input.ChoiceSet", "id": "department", "label": "A department", "choices": department_choices,
             "placeholder": "Choose a department", "isRequired": False},
            {"type": "Input.ChoiceSet", "id": "person", "label": "Or a person", "choices": [],
             "choices.data": PEOPLE_PICKER, "isRequired": False},
        ], _execute("Add", ADD, case.key)),
        _execute("Status", STATUS, case.key),
        _form("Resolve", [
            _input("resolution", "What fixed it, and what the customer was told", multiline=True),
            {"type": "Input.ChoiceSet", "id": "root_cause", "label": "Root cause", "isRequired": False,
             "choices": [{"title": label, "value": key} for key, label in root_causes.items()]},
            {"type": "Input.ChoiceSet", "id": "root_cause_department", "label": "Department that owns the cause",
             "isRequired": False, "choices": department_choices},
        ], _execute("Resolve", RESOLVE, case.key)),
    ]


def _form(title: str, inputs: list[dict], submit: dict) -> dict:
    return {"type": "Action.ShowCard", "title": title, "card": {"type": "AdaptiveCard", "body": inputs, "actions": [submit]}}


def _execute(title: str, verb: str, case_key: str) -> dict:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": {"case": case_key}}


def _input(input_id: str, placeholder: str, *, multiline: bool = False, max_length: int = 3000) -> dict:
    return {"type": "Input.Text", "id": input_id, "placeholder": placeholder, "isMultiline": multiline,
            "maxLength": max_length}


def _headline(case: CaseSummary) -> str:
    return f"{case.key} · {case.title}"


def _status(case: CaseSummary) -> str:
    return {CaseStatus.OPENING: "⌛ opening", CaseStatus.OPEN: "🟢 open", CaseStatus.RESOLVED: "✅ resolved",
            CaseStatus.ARCHIVED: "🗄️ archived"}[case.status]


def _sla(case: CaseSummary) -> str:
    # The state is the one the SLA sweep last saw (it refreshes this card when a state changes, not every minute).
    parts = []
    if case.sla_engage_due:
        parts.append(f"engaged after {_took(case.engaged_at, case)}" if case.engaged_at
                     else f"{_state(case.sla_engage_state)}: engage by {_when(case.sla_engage_due)}")
    if case.sla_resolve_due:
        parts.append(f"resolved after {_took(case.resolved_at, case)}" if case.resolved_at
                     else f"{_state(case.sla_resolve_state)}: resolve by {_when(case.sla_resolve_due)}")
    return " · ".join(parts) or "—"


def _state(state: str | None) -> str:
    state = state or "on_track"
    return f"{SLA_MARK.get(state, '')} {summary_text.sla_state(state)}".strip()


def _took(at: datetime, case: CaseSummary) -> str:
    return format_duration((at - case.created_at).total_seconds())


def _when(at: datetime) -> str:
    # Teams renders DATE/TIME in each reader's own time zone (RFC 3339 in, local out).
    stamp = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def _people(case: CaseSummary) -> str:
    states = {"pending": "inviting…", "invited": "added", "already_in_channel": "in channel", "accepted": "on it",
              "declined": "declined"}
    lines = [f"- **{p.name}** — {p.reason} ({states.get(p.invite_status, f'could not add: {p.invite_status}')})"
             for p in case.participants]
    return "\n\n".join(lines) or "- nobody yet"


def _links(case: CaseSummary) -> str:
    parts = [f"**Ticket**: [{case.ticket_key}]({case.ticket_url})" if case.ticket_url else f"**Ticket**: {case.ticket_key}"] if case.ticket_key else []
    parts += [f"**CRM**: {case.crm_record}"] if case.crm_record else []
    return " · ".join(parts)


def _decisions(case: CaseSummary) -> str:
    recent = case.decisions[-5:]
    lines = [f"- {d.text[:280]}{'…' if len(d.text) > 280 else ''} — {d.author}" for d in recent]
    more = len(case.decisions) - len(recent)
    return f"**Decisions ({len(case.decisions)})**\n\n" + "\n\n".join(lines) + (f"\n\n…and {more} earlier" if more else "")


def _fact(title: str, value: str) -> dict:
    return {"title": title, "value": value}


def _text(text: str, **style) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}
