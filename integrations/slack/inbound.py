"""The shape of a Slack request, checked after its signature and before Bolt reads it: a 400 naming the wrong field
instead of a 500 from a listener or from Bolt's own matchers.

Bolt reads the envelope of every request to build its context and to pick a listener (team, user, channel,
enterprise, authorizations, event, view, actions); our listeners read the fields of the kinds they handle. Slack
always sends those with the types below: ids are strings of capitals and digits, timestamps are "seconds.micros",
objects are objects. A signed body of another shape (a proxy that rewrote it, a replay tool, a fuzzer) is refused
with the first field that is wrong. Fields nobody reads are not checked.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, unquote_plus, urlencode

from pydantic import Field, StringConstraints, field_validator
from slack_bolt.request import BoltRequest

from integrations.payloads import BadPayload, Shape, load_json, validate

SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,32}$")]  # U024BE7LH, C0123, T0SANDBOX, V0123
SomeId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{0,32}$")]  # an id Bolt reads and may be sent empty
SlackTs = Annotated[str, StringConstraints(pattern=r"^\d{1,12}\.\d{1,9}$")]  # 1795740228.697249
TriggerId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{1,128}$")]
Name = Annotated[str, StringConstraints(max_length=200)]  # Slack's are far shorter; ours are stored in 200


# -- what Bolt reads from every request ------------------------------------------------------------------------------
class Ref(Shape):
    id: SomeId | None = None


class UserRef(Ref):
    team_id: SomeId | None = None
    name: Name | None = None
    username: Name | None = None
    real_name: Name | None = None


class Authorization(Shape):
    enterprise_id: SomeId | None = None
    team_id: SomeId | None = None
    user_id: SomeId | None = None


class Message(Shape):
    user: str | UserRef | None = None
    ts: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None


class Item(Shape):
    channel: str | Ref | None = None


class Event(Shape):
    type: str | None = None
    user: str | UserRef | None = None
    channel: str | Ref | None = None
    team: str | Ref | None = None
    item: Item | None = None
    message: Message | None = None
    previous_message: Message | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None


class View(Shape):
    id: SomeId | None = None
    type: str | None = None
    callback_id: str | None = None
    team_id: SomeId | None = None
    app_installed_team_id: SomeId | None = None


class Action(Shape):
    action_id: str | None = None
    block_id: str | None = None
    value: str | None = None


class ResponseUrl(Shape):
    response_url: str | None = None


class Envelope(Shape):
    type: str | None = None
    team: Ref | None = None
    user: UserRef | None = None
    channel: Ref | None = None
    enterprise: Ref | None = None
    authorizations: list[Authorization] | None = None
    team_id: SomeId | None = None
    user_id: SomeId | None = None
    channel_id: SomeId | None = None
    enterprise_id: SomeId | None = None
    event: Event | None = None
    view: View | None = None
    actions: list[Action] | None = None
    message: Message | None = None
    callback_id: str | None = None
    command: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None
    response_urls: list[ResponseUrl] | None = None


# -- what our listeners read, per kind -------------------------------------------------------------------------------
class Actor(UserRef):
    id: SlackId


class Place(Ref):
    id: SlackId


class SlashCommand(Envelope):
    command: str
    text: str = ""
    trigger_id: TriggerId
    user_id: SlackId
    channel_id: SlackId
    user_name: Name | None = None


class NamedAction(Action):
    action_id: str


class BlockActions(Envelope):
    type: Literal["block_actions"]
    actions: Annotated[list[NamedAction], Field(min_length=1)]
    user: Actor
    trigger_id: TriggerId


class ButtonInCaseChannel(BlockActions):
    """Status, Reopen: they act on the channel the button is in."""

    channel: Place


class CaseKeyAction(NamedAction):
    value: Annotated[str, StringConstraints(min_length=1, max_length=64)]  # the case key, e.g. CS-12


class ButtonWithCaseKey(ButtonInCaseChannel):
    """Decide, Resolve, Add people, I'm on it, Can't take it: they carry the case key as their value."""

    actions: Annotated[list[CaseKeyAction], Field(min_length=1)]


class Option(Shape):
    value: str


class InputState(Shape):
    value: str | None = None
    selected_option: Option | None = None
    selected_user: SlackId | None = None


class ViewState(Shape):
    values: dict[str, dict[str, InputState]]


class Metadata(Shape):
    """What our modals carry in private_metadata (integrations/slack/views.py): where they came from."""

    channel: SlackId | None = None
    ts: SlackTs | None = None
    case: Annotated[str, StringConstraints(max_length=64)] | None = None


class SubmittedView(View):
    id: SlackId
    type: str
    callback_id: str
    private_metadata: str = ""
    state: ViewState

    @field_validator("private_metadata")
    @classmethod
    def _our_metadata(cls, value: str) -> str:
        """We write {"channel": …, "ts": …} or {"case": …, "channel": …} (or nothing): Slack hands it back as is."""
        if value:
            try:
                validate(Metadata, load_json(value))
            except BadPayload as exc:
                raise ValueError(f"not the metadata CaseSwarm wrote ({exc})") from None
        return value


class ViewSubmission(Envelope):
    type: Literal["view_submission"]
    user: Actor
    view: SubmittedView
    trigger_id: TriggerId | None = None


class ShortcutMessage(Message):
    ts: SlackTs
    text: str = ""


class MessageShortcut(Envelope):
    type: Literal["message_action"]
    callback_id: str
    trigger_id: TriggerId
    team: Place
    user: Actor
    channel: Place
    message: ShortcutMessage


class EventCallback(Envelope):
    type: Literal["event_callback"]
    event: Event


class MessageEvent(Event):
    type: Literal["message"]
    channel: SlackId
    ts: SlackTs
    user: SlackId | None = None
    text: str | None = None
    thread_ts: SlackTs | None = None


class MessageEventCallback(EventCallback):
    event: MessageEvent


class AppHomeOpened(Event):
    type: Literal["app_home_opened"]
    user: SlackId
    channel: SlackId | None = None
    tab: str | None = None


class AppHomeOpenedCallback(EventCallback):
    event: AppHomeOpened


class UrlVerification(Envelope):
    type: Literal["url_verification"]
    challenge: str


KINDS: dict[str, type[Envelope]] = {
    "block_actions": BlockActions, "view_submission": ViewSubmission, "message_action": MessageShortcut,
    "event_callback": EventCallback, "url_verification": UrlVerification,
}
BUTTONS: dict[str, type[BlockActions]] = {
    "case_decide": ButtonWithCaseKey, "case_resolve": ButtonWithCaseKey, "case_add_department": ButtonWithCaseKey,
    "expert_accept": ButtonWithCaseKey, "expert_decline": ButtonWithCaseKey,
    "case_status": ButtonInCaseChannel, "case_reopen": ButtonInCaseChannel,
}
EVENTS: dict[str, type[EventCallback]] = {"message": MessageEventCallback, "app_home_opened": AppHomeOpenedCallback}


def check(body: bytes, content_type: str | None) -> None:
    """Raise BadPayload with the reason unless `body` is a Slack request whose read fields have Slack's types."""
    payload = parse(body, content_type)
    for model in models_for(payload):
        validate(model, payload)


def parse(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt will read it (slack_bolt.request.internals.parse_body), refusing what Bolt would choke on."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload("the body is not UTF-8 text") from None
    if not text:
        raise BadPayload("the body is empty")
    if content_type == "application/json" or text.startswith("{"):
        payload = load_json(text)
    elif "payload" in text:
        form = dict(parse_qsl(text, keep_blank_values=True))
        payload = load_json(form["payload"]) if "payload" in form else {}
    else:
        payload = dict(parse_qsl(text, keep_blank_values=True))
    if not isinstance(payload, dict):
        raise BadPayload(f"the payload is a JSON {type(payload).__name__}, not an object")
    return payload


def models_for(payload: dict[str, Any]) -> list[type[Envelope]]:
    """The models this payload must fit: the envelope, its kind's, and a slash command's if it names a command."""
    kind = payload.get("type")
    model = KINDS.get(kind, Envelope) if isinstance(kind, str) else Envelope
    if model is BlockActions:
        model = BUTTONS.get(_first_action_id(payload), BlockActions)
    elif model is EventCallback:
        event = payload.get("event")
        event_type = event.get("type") if isinstance(event, dict) else None
        model = EVENTS.get(event_type, EventCallback) if isinstance(event_type, str) else EventCallback
    return [model, SlashCommand] if "command" in payload else [model]


def _first_action_id(payload: dict[str, Any]) -> str | None:
    actions = payload.get("actions")
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    action_id = first.get("action_id")
    return action_id if isinstance(action_id, str) else None


def bolt_readable(body: str, content_type: str) -> str | None:
    """The same form, re-encoded so Bolt reads it right; None when it already does.

    Bolt (slack_bolt.request.internals.parse_body) takes any form body that contains the word "payload" for an
    interactive payload, and reads a slash command such as `/swarm decide resend the payload` as an empty request
    (404 "unhandled request"). Percent-encoding the word (%70ayload) keeps every field's value and hides it from
    that test."""
    if content_type == "application/json" or body.startswith("{") or "payload" not in body:
        return None
    # Only the field names are decoded to look for "payload": an interactive payload's value is large.
    if any(unquote_plus(part.partition("=")[0]) == "payload" for part in body.split("&")):
        return None  # an interactive payload: what Bolt expects
    return urlencode(parse_qsl(body, keep_blank_values=True)).replace("payload", "%70ayload")


def rewritten_for_bolt(req, verifier) -> BoltRequest | None:
    """A Flask request Bolt would misread (see bolt_readable), re-encoded and signed as Slack signed the original
    (same timestamp), since Bolt checks the signature again; None when Bolt reads the request as it is."""
    body = bolt_readable(req.get_data(cache=True, as_text=True), req.headers.get("Content-Type", "").split(";")[0])
    if body is None:
        return None
    headers = dict(req.headers)
    headers["X-Slack-Signature"] = verifier.generate_signature(timestamp=headers["X-Slack-Request-Timestamp"], body=body)
    return BoltRequest(body=body, query=req.query_string.decode("utf-8"), headers=headers)
