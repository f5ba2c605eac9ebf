"""Platform-neutral wording of the summary (customer card, SLA states, history), shared by the Slack and Teams
renderings."""

from __future__ import annotations

from swarm.model import CaseSummary


SLA_STATES = {"on_track": "on track", "at_risk": "at risk", "breached": "breached"}  # as cases.sla_*_state holds them


def sla_state(state: str | None) -> str:
    """'on track', 'at risk' or 'breached' for an SLA clock's state (a clock not seen yet is on track)."""
    return SLA_STATES.get(state or "on_track", str(state))


def customer_card(case: CaseSummary) -> list[str]:
    """'Acme Corp · Gold', '2 open cases in Salesforce' — or just the name the agent typed."""
    context = case.customer_context
    if not context:
        return [case.customer]
    tier = f" · {context['tier']}" if context.get("tier") else ""
    open_cases = context.get("open_cases") or 0
    system = str(context.get("system") or "the CRM").title()
    return [f"{context['account_name']}{tier}", f"{open_cases} open case{'s' if open_cases != 1 else ''} in {system}"]


def history_callout(case: CaseSummary) -> str | None:
    """'2nd escalation in 30 days for this customer', when it is one."""
    history = case.history
    if history is None or not history.repeat_callout:
        return None
    return f"{history.repeat_callout} for this customer"


def history_lines(case: CaseSummary) -> list[str]:
    """A heading line, then the most recent earlier cases: empty when the customer has none."""
    history = case.history
    if history is None or not history.prior_cases:
        return []
    last = f", last contact {history.last_contact:%Y-%m-%d}" if history.last_contact else ""
    plural = "s" if history.prior_cases != 1 else ""
    lines = [f"Customer history: {history.prior_cases} earlier case{plural}, {history.open_cases} open{last}"]
    for prior in history.recent:
        ended = f" — {prior.resolution[:100]}" if prior.resolution else ""
        lines.append(f"{prior.key} ({prior.status}, {prior.created_at:%Y-%m-%d}) {prior.title[:80]}{ended}")
    return lines


NOT_ANSWERED = ("invited", "already_in_channel")  # an expert in the channel who is neither on it nor has declined


def experts_to_ask(case: CaseSummary) -> list[str]:
    """The user ids of the experts the summary asks to take the case: everyone brought in who has not answered."""
    return [p.user_id for p in case.participants if p.role == "expert" and p.invite_status in NOT_ANSWERED]


def question(case: CaseSummary, mention) -> str | None:
    """The ask on the summary itself ("@Ana @Ben: you were brought into CS-12. Can you take it?"), with the
    platform's `mention(user_id)`; None once every expert has answered. Asked on the summary rather than in a
    message of its own: the pinned summary is where the swarm looks, and it saves a post per swarm."""
    asked = experts_to_ask(case)
    if not asked:
        return None
    return f":wave: {' '.join(mention(user_id) for user_id in asked)}: you were brought into *{case.key}*. Can you take it?"


def linked_line(case: CaseSummary) -> str | None:
    """'Also reported for: Globex, Initech (2 linked escalations)', when other customers joined this swarm."""
    if not case.linked_customers:
        return None
    names = ", ".join(dict.fromkeys(case.linked_customers))
    n = len(case.linked_customers)
    return f"Also reported for: {names} ({n} linked escalation{'s' if n != 1 else ''})"


def similar_lines(case: CaseSummary) -> list[str]:
    """Resolved past cases like this one and how they ended: empty when there are none."""
    return [f"{key} {title[:80]}" + (f" — {resolution[:120]}" if resolution else "") for key, title, resolution in case.similar]


def status_lines(case: CaseSummary, *, bold: str, warning: str) -> list[str]:
    """Where the case stands, for `/swarm status` on any platform (`bold` is the platform's bold marker)."""
    from swarm.usecases.common import format_duration

    engaged = (f"engaged after {format_duration((case.engaged_at - case.created_at).total_seconds())}"
               if case.engaged_at else "no expert has written yet")
    people = ", ".join(f"{p.name} ({p.department or p.role})" for p in case.participants)
    lines = [f"{bold}{case.key}{bold} · {case.title} — {bold}{case.status.value}{bold}, {case.severity.value}, "
             f"customer {case.customer}", f"People: {people}", f"Decisions: {len(case.decisions)} · {engaged}"]
    if case.resolution:
        lines.append(f"Resolution: {case.resolution}")
    return lines + [f"{warning} {note}" for note in case.sync_notes]


def user_error_text(exc: Exception) -> str:
    """The answer for an error a person can fix; anything else is a bug and propagates."""
    from swarm.errors import InvalidInput, NotFound

    if isinstance(exc, InvalidInput):
        return " ".join(exc.fields.values())
    if isinstance(exc, NotFound):
        return str(exc)
    raise exc
