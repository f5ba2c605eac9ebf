"""What Slack's client puts in view.state.values when a user submits a modal.

Only input blocks are included. Each element reports its type and its current value in the field Slack uses for
that type; untouched elements report their initial value, empty text inputs report None.
"""

from __future__ import annotations

from typing import Any

# element type -> (state field, initial field)
SIMPLE_FIELDS = {
    "plain_text_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
}
SINGLE_OPTION = {"static_select", "external_select", "radio_buttons"}
MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
MULTI_VALUE_EMPTY = {"multi_users_select", "multi_conversations_select", "multi_channels_select"}


def view_state_values(blocks: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{block_id: {action_id: element state}} for the input blocks; `values` maps action_id → what was entered."""
    state: dict[str, dict[str, Any]] = {}
    known: set[str] = set()
    for block in blocks:
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict):
            continue
        action_id = element["action_id"]
        known.add(action_id)
        entered = values[action_id] if action_id in values else _UNSET
        state.setdefault(block["block_id"], {})[action_id] = element_state(element, entered)
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"the view has no input element with action_id {sorted(unknown)}")
    return state


class _Unset:
    """Marks an element the user did not touch (None means "cleared")."""


_UNSET = _Unset()


def element_state(element: dict[str, Any], entered: Any = _UNSET) -> dict[str, Any]:
    """The state Slack reports for one element, given what was entered (or its initial value if untouched)."""
    kind = element.get("type", "")
    if kind in SIMPLE_FIELDS:
        field, initial = SIMPLE_FIELDS[kind]
        value = element.get(initial) if entered is _UNSET else entered
        if value in (None, "") and kind in MULTI_VALUE_EMPTY:
            value = []
        return {"type": kind, field: None if value == "" else value}
    if kind in SINGLE_OPTION:
        chosen = element.get("initial_option") if entered is _UNSET else _option(element, entered)
        return {"type": kind, "selected_option": chosen}
    if kind in MULTI_OPTION:
        chosen = element.get("initial_options", []) if entered is _UNSET else [_option(element, v) for v in entered or []]
        return {"type": kind, "selected_options": chosen}
    return {"type": kind, "value": None if entered is _UNSET else entered}


def _option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    """The full option object for `value`, as the client sends it; a dict is taken as the option itself."""
    if value is None or isinstance(value, dict):
        return value
    for option in _options(element):
        if option.get("value") == value:
            return option
    if element.get("type", "").endswith("external_select"):  # options come from the app: echo the value
        return {"text": {"type": "plain_text", "text": str(value)}, "value": value}
    raise ValueError(f"{value!r} is not an option of {element.get('action_id')!r}")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    return options
