"""The Slack Web API methods the sandbox answers: one small function per method, routed by a plain dict.

Each function takes the sandbox and the call's parameters and returns the response body; a `SlackError`
becomes {"ok": false, "error": ...}. The state changes happen in the sandbox's workspace, not here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

from integrations.slack.sandbox.ids import SlackError, paginate

if TYPE_CHECKING:
    from integrations.slack.sandbox.server import SlackSandbox


class Params:
    """A call's parameters from JSON, form or query string; slack_sdk sends booleans as "1"/"0"."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None or value == "" else str(value)

    def require(self, name: str, error: str = "invalid_arguments") -> str:
        value = self.text(name)
        if value is None:
            raise SlackError(error)
        return value

    def flag(self, name: str) -> bool:
        return self.values.get(name) in (True, 1, "1", "true", "True")

    def number(self, name: str, default: int | None = None) -> int | None:
        value = self.text(name)
        return int(value) if value is not None else default

    def obj(self, name: str) -> Any:
        """A JSON parameter: already decoded when the body was JSON, a JSON string when it was a form."""
        value = self.values.get(name)
        if isinstance(value, str) and value.strip()[:1] in ("{", "["):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise SlackError("invalid_json") from exc
        return value or None

    def user_ids(self, name: str) -> list[str]:
        raw = self.values.get(name) or ""
        ids = raw if isinstance(raw, list) else str(raw).split(",")
        return list(dict.fromkeys(i.strip() for i in ids if i.strip()))  # de-duplicated, order kept


Method = Callable[["SlackSandbox", Params], dict[str, Any]]


def page_of(items: list[Any], p: Params, key: str) -> dict[str, Any]:
    page, next_cursor = paginate(items, cursor=p.text("cursor"), limit=p.number("limit"))
    return {key: page, "response_metadata": {"next_cursor": next_cursor}}


# -- auth, users ------------------------------------------------------------------------------------------------
def auth_test(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"url": f"https://{sb.team_domain}.slack.com/", "team": sb.team_name, "user": "caseswarm",
            "team_id": sb.team_id, "user_id": sb.bot_user_id, "bot_id": sb.bot_id, "is_enterprise_install": False}


def users_info(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"user": sb.user(p.require("user", "user_not_found"))}


def users_lookup_by_email(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"user": sb.user_by_email(p.require("email", "users_not_found"))}


def users_list(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return page_of(sb.users(), p, "members")


def usergroups_users_list(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"users": sb.usergroup_users(p.require("usergroup", "no_such_subteam"))}


# -- conversations ----------------------------------------------------------------------------------------------
def conversations_create(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"channel": sb.create_channel(p.text("name") or "", is_private=p.flag("is_private"))}


def conversations_invite(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    channel, errors = sb.invite(p.require("channel", "channel_not_found"), p.user_ids("users"), force=p.flag("force"))
    return {"channel": channel, "errors": errors} if errors else {"channel": channel}


def conversations_info(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    channel = sb.visible_channel(p.require("channel", "channel_not_found"))
    if not p.flag("include_num_members"):
        channel.pop("num_members")
    return {"channel": channel}


def conversations_list(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    types = set((p.text("types") or "public_channel").split(","))
    return page_of(sb.list_channels(types=types, exclude_archived=p.flag("exclude_archived")), p, "channels")


def conversations_members(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    channel_id = p.require("channel", "channel_not_found")
    sb.visible_channel(channel_id)
    return page_of(sorted(sb.members(channel_id)), p, "members")


def conversations_history(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    channel_id = p.require("channel", "channel_not_found")
    found = sb.history(channel_id, latest=p.text("latest"), oldest=p.text("oldest"), inclusive=p.flag("inclusive"),
                       include_metadata=p.flag("include_all_metadata"))
    body = page_of(found, p, "messages")
    body.update(has_more=bool(body["response_metadata"]["next_cursor"]), pin_count=len(sb.pins(channel_id)))
    return body


def conversations_replies(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    found = sb.thread(p.require("channel", "channel_not_found"), p.require("ts", "thread_not_found"),
                      include_metadata=p.flag("include_all_metadata"))
    body = page_of(found, p, "messages")
    body["has_more"] = bool(body["response_metadata"]["next_cursor"])
    return body


def conversations_archive(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    sb.archive(p.require("channel", "channel_not_found"))
    return {}


def conversations_unarchive(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    sb.unarchive(p.require("channel", "channel_not_found"))
    return {}


def conversations_join(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    channel, already = sb.join(p.require("channel", "channel_not_found"))
    return {"channel": channel, "warning": "already_in_channel"} if already else {"channel": channel}


def conversations_set_topic(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"channel": sb.set_about(p.require("channel", "channel_not_found"), "topic", p.text("topic") or "")}


def conversations_set_purpose(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"channel": sb.set_about(p.require("channel", "channel_not_found"), "purpose", p.text("purpose") or "")}


# -- chat, pins -------------------------------------------------------------------------------------------------
def blocks_of(p: Params) -> list[dict] | None:
    blocks = p.obj("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks")
    return blocks


def chat_post_message(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    channel_id = p.require("channel", "channel_not_found")
    message = sb.post_message(channel_id, text=p.text("text"), blocks=blocks_of(p), thread_ts=p.text("thread_ts"),
                              metadata=p.obj("metadata"), reply_broadcast=p.flag("reply_broadcast"))
    return {"channel": channel_id, "ts": message["ts"], "message": message}


def chat_update(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    channel_id, ts = p.require("channel", "channel_not_found"), p.require("ts", "message_not_found")
    message = sb.update_message(channel_id, ts, text=p.values.get("text"), blocks=blocks_of(p),
                                metadata=p.obj("metadata"))
    return {"channel": channel_id, "ts": ts, "text": message["text"], "message": message}


def chat_post_ephemeral(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    ts = sb.post_ephemeral(p.require("channel", "channel_not_found"), p.require("user", "user_not_found"),
                           text=p.text("text"), blocks=blocks_of(p), thread_ts=p.text("thread_ts"))
    return {"message_ts": ts}


def chat_get_permalink(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    channel_id = p.require("channel", "channel_not_found")
    return {"channel": channel_id, "permalink": sb.permalink(channel_id, p.require("message_ts", "message_not_found"))}


def pins_add(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    sb.pin(p.require("channel", "channel_not_found"), p.require("timestamp", "no_item_specified"))
    return {}


def pins_remove(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    sb.remove_pin(p.require("channel", "channel_not_found"), p.require("timestamp", "no_item_specified"))
    return {}


def pins_list(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"items": sb.pinned_items(p.require("channel", "channel_not_found"))}


# -- views ------------------------------------------------------------------------------------------------------
def views_open(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"view": sb.view_store.open(p.text("trigger_id"), p.obj("view"))}


def views_push(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    return {"view": sb.view_store.push(p.text("trigger_id"), p.obj("view"))}


def views_update(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    view = sb.view_store.update(p.obj("view"), view_id=p.text("view_id"), external_id=p.text("external_id"),
                                hash_=p.text("hash"))
    return {"view": view}


def views_publish(sb: SlackSandbox, p: Params) -> dict[str, Any]:
    user_id = p.require("user_id", "invalid_arguments")
    sb.user(user_id)
    return {"view": sb.view_store.publish(user_id, p.obj("view"), hash_=p.text("hash"))}


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "users.lookupByEmail": users_lookup_by_email,
    "users.list": users_list,
    "usergroups.users.list": usergroups_users_list,
    "conversations.create": conversations_create,
    "conversations.invite": conversations_invite,
    "conversations.info": conversations_info,
    "conversations.list": conversations_list,
    "conversations.members": conversations_members,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.archive": conversations_archive,
    "conversations.unarchive": conversations_unarchive,
    "conversations.join": conversations_join,
    "conversations.setTopic": conversations_set_topic,
    "conversations.setPurpose": conversations_set_purpose,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "pins.add": pins_add,
    "pins.remove": pins_remove,
    "pins.list": pins_list,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
