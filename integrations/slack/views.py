"""Slack modals: the escalation form and the in-swarm forms (decision, resolve, add department)."""

from __future__ import annotations

import json

from swarm.escalation_form import DESCRIPTION_MAX, TITLE_MAX
from swarm.model import Severity

ESCALATION_MODAL = "escalation_modal"
DECISION_MODAL = "decision_modal"
RESOLVE_MODAL = "resolve_modal"
ADD_DEPARTMENT_MODAL = "add_department_modal"


def escalation_modal(*, categories: dict[str, str], title: str = "", description: str = "", source_link: str = "",
                     metadata: dict | None = None, similar: list | None = None) -> dict:
    """The escalation form, prefilled from the message when there is one; open swarms that look like the same
    problem are offered first, so the front line can join one instead of opening another."""
    join = [_join_choice(similar)] if similar else []
    return _modal(ESCALATION_MODAL, "Escalate to swarm", "Submit", metadata or {}, join + [
        _text_input("title", "Title", initial=title, max_length=TITLE_MAX, placeholder="What is going wrong, in one line"),
        _text_input("customer", "Customer", placeholder="Account name or id, e.g. Acme Corp", max_length=200),
        _select("category", "Category", categories),
        _select("severity", "Severity", {s.value: s.label for s in Severity}, initial="sev3"),
        _text_input("description", "Description", initial=description, multiline=True, max_length=DESCRIPTION_MAX),
        _text_input("source_link", "Source message", initial=source_link, optional=True),
        _text_input("ticket", "Existing Jira issue", optional=True, placeholder="e.g. SUP-123 (leave empty to create one)", max_length=40),
        _text_input("crm_case", "Existing Salesforce case", optional=True, placeholder="Case number or id, e.g. 00001001", max_length=40),
    ])


def _join_choice(similar: list) -> dict:
    options = [{"text": _plain("No: open a new swarm"), "value": "new"}] + [
        {"text": _plain(f"Join {s.key}: {s.title}"[:75]), "value": s.key,
         "description": _plain(f"{s.category} · shares: {', '.join(s.shared_words[:6])}"[:75])} for s in similar]
    return {"type": "input", "block_id": "join", "label": _plain("Already being worked on? These open swarms look alike"),
            "element": {"type": "radio_buttons", "action_id": "join", "options": options, "initial_option": options[0]}}


def decision_modal(case_key: str, channel_id: str) -> dict:
    return _modal(DECISION_MODAL, "Record decision", "Record", {"case": case_key, "channel": channel_id}, [
        _text_input("text", "Decision", multiline=True, placeholder="What did the swarm decide, and who owns it?", max_length=3000),
    ])


def resolve_modal(case_key: str, channel_id: str, *, root_causes: dict[str, str], departments: dict[str, str],
                  required: bool, summary: str = "") -> dict:
    """The resolution, and what caused it upstream (so the cause gets fixed, not only the case)."""
    return _modal(RESOLVE_MODAL, f"Resolve {case_key}", "Resolve", {"case": case_key, "channel": channel_id}, [
        _text_input("summary", "Resolution summary", initial=summary, multiline=True,
                    placeholder="What fixed it, and what the customer was told", max_length=3000),
        _select("root_cause", "Root cause", root_causes, optional=not required),
        _select("root_cause_department", "Department that owns the cause", departments, optional=not required),
    ])


def add_department_modal(case_key: str, channel_id: str, departments: dict[str, str]) -> dict:
    return _modal(ADD_DEPARTMENT_MODAL, "Bring in more people", "Add", {"case": case_key, "channel": channel_id}, [
        _select("department", "Department", departments, optional=True),
        {"type": "input", "block_id": "person", "optional": True, "label": _plain("Or a person"),
         "element": {"type": "users_select", "action_id": "person"}},
    ])


def confirmation(title: str, text: str) -> dict:
    """What the modal turns into after a submit (Slack keeps it open until the user closes it)."""
    return {"type": "modal", "title": _plain(title[:24]), "close": _plain("Close"),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def form_values(view: dict) -> dict[str, str | None]:
    """Flatten view.state.values into {action_id: value} for text inputs and selects."""
    values: dict[str, str | None] = {}
    for block in (view.get("state") or {}).get("values", {}).values():
        for action_id, element in block.items():
            option = element.get("selected_option")
            values[action_id] = option["value"] if option else element.get("value", element.get("selected_user"))
    return values


def metadata(view: dict) -> dict:
    try:
        return json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}


def _modal(callback_id: str, title: str, submit: str, meta: dict, blocks: list[dict]) -> dict:
    return {"type": "modal", "callback_id": callback_id, "title": _plain(title[:24]), "submit": _plain(submit),
            "close": _plain("Cancel"), "private_metadata": json.dumps(meta), "blocks": blocks}


def _text_input(block_id: str, label: str, *, initial: str = "", multiline: bool = False, optional: bool = False,
                placeholder: str | None = None, max_length: int | None = None) -> dict:
    element: dict = {"type": "plain_text_input", "action_id": block_id, "multiline": multiline}
    if initial:
        element["initial_value"] = initial[:max_length] if max_length else initial
    if placeholder:
        element["placeholder"] = _plain(placeholder)
    if max_length:
        element["max_length"] = max_length
    return {"type": "input", "block_id": block_id, "label": _plain(label), "optional": optional, "element": element}


def _select(block_id: str, label: str, options: dict[str, str], *, initial: str | None = None, optional: bool = False) -> dict:
    opts = [{"text": _plain(text), "value": value} for value, text in options.items()]
    element: dict = {"type": "static_select", "action_id": block_id, "options": opts, "placeholder": _plain(f"Choose {label.lower()}")}
    if initial in options:
        element["initial_option"] = next(o for o in opts if o["value"] == initial)
    return {"type": "input", "block_id": block_id, "label": _plain(label), "optional": optional, "element": element}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}
