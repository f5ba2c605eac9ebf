"""The escalation form (an Adaptive Card dialog) and the dialog answers the message extension sends back."""

from __future__ import annotations

from typing import Any

from integrations.teams.cards import CARD_TYPE, card
from swarm.escalation_form import DESCRIPTION_MAX, TITLE_MAX
from swarm.model import Severity

CUSTOMER_MAX = 200
FIELDS = ("title", "customer", "category", "severity", "description", "source_link")


def escalation_form(*, categories: dict[str, str], values: dict[str, Any], source: dict[str, Any],
                    errors: dict[str, str] | None = None, similar: list | None = None) -> dict:
    """The form, filled with `values`; each error shows under its field. `source` rides along in the submit data.
    Open swarms that look like the same problem are offered first, to join instead of opening another."""
    errors = errors or {}
    fields = {}
    if similar:
        options = {"new": "No: open a new swarm", **{s.key: f"Join {s.key}: {s.title}"[:80] for s in similar}}
        fields["join"] = {**_choice("join", "Already being worked on? These open swarms look alike", options,
                                    values.get("join") or "new"), "style": "expanded"}
    fields |= {
        "title": _text("title", "Title", values, max_length=TITLE_MAX, placeholder="What is going wrong, in one line"),
        "customer": _text("customer", "Customer", values, max_length=CUSTOMER_MAX, placeholder="Account name or id, e.g. Acme Corp"),
        "category": _choice("category", "Category", categories, values.get("category") or ""),
        "severity": _choice("severity", "Severity", {s.value: s.label for s in Severity}, values.get("severity") or "sev3"),
        "description": _text("description", "Description", values, max_length=DESCRIPTION_MAX, multiline=True),
        "source_link": _text("source_link", "Source message", values, required=False),
    }
    body: list[dict] = []
    if errors:
        body.append({"type": "TextBlock", "text": "Please fix the fields marked below.", "color": "Attention", "wrap": True})
    for name, element in fields.items():
        body.append(element)
        if name in errors:
            body.append({"type": "TextBlock", "id": f"{name}_error", "text": errors[name], "color": "Attention",
                         "size": "Small", "wrap": True, "spacing": "None"})
    submit = {"type": "Action.Submit", "title": "Open swarm", "data": {"source": source}}
    return card(body, [submit])


def dialog(content: dict, title: str = "Escalate to swarm") -> dict:
    """A `continue` task answer: Teams shows (or keeps showing) the card in a dialog."""
    return {"task": {"type": "continue", "value": {"title": title, "height": "large", "width": "medium",
                                                   "card": {"contentType": CARD_TYPE, "content": content}}}}


def dialog_message(text: str) -> dict:
    """A `message` task answer: the dialog closes and Teams shows this text."""
    return {"task": {"type": "message", "value": text}}


def _text(input_id: str, label: str, values: dict[str, Any], *, max_length: int | None = None, multiline: bool = False,
          required: bool = True, placeholder: str | None = None) -> dict:
    element = {"type": "Input.Text", "id": input_id, "label": label, "value": str(values.get(input_id) or ""),
               "isMultiline": multiline, "isRequired": required}
    if max_length:
        element["maxLength"] = max_length
    if placeholder:
        element["placeholder"] = placeholder
    if required:
        element["errorMessage"] = f"{label} is required"
    return element


def _choice(input_id: str, label: str, options: dict[str, str], selected: str) -> dict:
    return {"type": "Input.ChoiceSet", "id": input_id, "label": label, "style": "compact", "isRequired": True,
            "errorMessage": f"Choose a {label.lower()}", "value": selected if selected in options else "",
            "choices": [{"title": text, "value": value} for value, text in options.items()]}
