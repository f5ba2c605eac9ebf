"""Trigger ids, modals and Home tabs of the Slack sandbox (views.open / update / push / publish)."""

from __future__ import annotations

import copy
import secrets
import threading
import time
from typing import Any

from integrations.slack.sandbox.ids import IdMaker, SlackError, with_block_ids

MAX_VIEW_STACK = 3  # Slack allows pushing up to 3 views onto a modal


class ViewStore:
    """Views the app opened, and the trigger ids Slack handed out for them (valid `trigger_ttl` s, once)."""

    trigger_ttl = 3.0

    def __init__(self, *, lock: threading.RLock, team_id: str, app_id: str, bot_id: str) -> None:
        self.lock = lock
        self.team_id, self.app_id, self.bot_id = team_id, app_id, bot_id
        self._ids = IdMaker()
        self._triggers: dict[str, dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, str | None] = {}  # view id -> user the modal was opened for
        self._log: list[dict[str, Any]] = []
        self._opened_by_trigger: dict[str, dict[str, Any]] = {}  # trigger id -> its views.open entry in the log
        self._logged = threading.Condition(lock)  # notified on every entry: a test may wait for one
        self._home: dict[str, dict[str, Any]] = {}

    # -- helpers --------------------------------------------------------------------------------------------
    def issue_trigger_id(self, user_id: str | None = None) -> str:
        """A fresh trigger id, as Slack puts in an interaction payload: usable once, for `trigger_ttl` seconds."""
        trigger_id = f"{int(time.time())}{secrets.randbelow(1000):03d}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        with self.lock:
            self._triggers[trigger_id] = {"issued": time.monotonic(), "used": False, "user_id": user_id}
        return trigger_id

    def views(self) -> list[dict[str, Any]]:
        """Every open/update/push, in order: {action, id, trigger_id, user_id, view}."""
        with self.lock:
            return copy.deepcopy(self._log)

    def opened_with(self, trigger_id: str, *, timeout: float) -> dict[str, Any] | None:
        """The views.open entry made with `trigger_id`, waiting up to `timeout` s for it (None if it never came).
        Looked up, not searched: a burst's waiting threads would otherwise each copy the whole log, under the lock
        every request to the sandbox takes."""
        with self._logged:
            self._logged.wait_for(lambda: trigger_id in self._opened_by_trigger, timeout)
            entry = self._opened_by_trigger.get(trigger_id)
            return copy.deepcopy(entry) if entry is not None else None

    def view(self, view_id: str) -> dict[str, Any]:
        """The view as it currently stands (KeyError if the sandbox never saw it)."""
        with self.lock:
            return copy.deepcopy(self._views[view_id])

    def view_owner(self, view_id: str) -> str | None:
        with self.lock:
            return self._owners.get(view_id)

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """The Home tab published for each user."""
        with self.lock:
            return copy.deepcopy(self._home)

    # -- Web API operations ---------------------------------------------------------------------------------
    def open(self, trigger_id: str | None, view: Any) -> dict[str, Any]:
        with self.lock:
            _check_view(view, "modal")
            user_id = self._exchange(trigger_id)
            stored = self._new_view(view, root_id=None, previous_id=None)
            return self._remember("open", stored, trigger_id, user_id)

    def push(self, trigger_id: str | None, view: Any) -> dict[str, Any]:
        with self.lock:
            _check_view(view, "modal")
            user_id = self._exchange(trigger_id)
            top = self._top_view_of(user_id)
            if top is None:
                raise SlackError("not_found")
            if sum(1 for v in self._views.values() if v["root_view_id"] == top["root_view_id"]) >= MAX_VIEW_STACK:
                raise SlackError("push_limit_reached")
            stored = self._new_view(view, root_id=top["root_view_id"], previous_id=top["id"])
            return self._remember("push", stored, trigger_id, user_id)

    def update(self, view: Any, *, view_id: str | None, external_id: str | None,
               hash_: str | None) -> dict[str, Any]:
        with self.lock:
            _check_view(view, "modal")
            current = self._find(view_id, external_id)
            if hash_ and hash_ != current["hash"]:
                raise SlackError("hash_conflict")
            stored = self._new_view(view, root_id=current["root_view_id"], previous_id=current["previous_view_id"],
                                    view_id=current["id"])
            return self._remember("update", stored, None, self._owners.get(current["id"]))

    def publish(self, user_id: str, view: Any, *, hash_: str | None) -> dict[str, Any]:
        with self.lock:
            _check_view(view, "home")
            current = self._home.get(user_id)
            if hash_ and current and hash_ != current["hash"]:
                raise SlackError("hash_conflict")
            view_id = current["id"] if current else None
            stored = self._new_view(view, root_id=None, previous_id=None, view_id=view_id)
            self._home[user_id] = stored
            return self._remember("publish", stored, None, user_id)

    # -- internals ------------------------------------------------------------------------------------------
    def _exchange(self, trigger_id: str | None) -> str | None:
        # Checked in Slack's order: unknown, already exchanged, too old. A used trigger stays used.
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger["used"]:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger["issued"] > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger["used"] = True
        return trigger["user_id"]

    def _new_view(self, view: dict[str, Any], *, root_id: str | None, previous_id: str | None,
                  view_id: str | None = None) -> dict[str, Any]:
        external_id = view.get("external_id", "")
        if external_id and any(v["external_id"] == external_id and v["id"] != view_id for v in self._views.values()):
            raise SlackError("duplicate_external_id")
        view_id = view_id or self._ids.new_id("V")
        return {
            "id": view_id, "team_id": self.team_id, "type": view["type"], "title": view.get("title"),
            "submit": view.get("submit"), "close": view.get("close"), "blocks": with_block_ids(view["blocks"]),
            "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
            "state": {"values": {}}, "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root_id or view_id, "previous_view_id": previous_id, "app_id": self.app_id,
            "external_id": external_id, "app_installed_team_id": self.team_id, "bot_id": self.bot_id,
        }

    def _remember(self, action: str, stored: dict[str, Any], trigger_id: str | None,
                  user_id: str | None) -> dict[str, Any]:
        self._views[stored["id"]] = stored
        self._owners[stored["id"]] = user_id
        entry = {"action": action, "id": stored["id"], "trigger_id": trigger_id, "user_id": user_id,
                 "view": copy.deepcopy(stored)}
        self._log.append(entry)
        if action == "open" and trigger_id:
            self._opened_by_trigger[trigger_id] = entry
        self._logged.notify_all()
        return copy.deepcopy(stored)

    def _find(self, view_id: str | None, external_id: str | None) -> dict[str, Any]:
        if view_id:
            found = self._views.get(view_id)
        else:
            found = next((v for v in self._views.values() if external_id and v["external_id"] == external_id), None)
        if found is None:
            raise SlackError("not_found")
        return found

    def _top_view_of(self, user_id: str | None) -> dict[str, Any] | None:
        modals = [v for vid, v in self._views.items() if v["type"] == "modal" and self._owners.get(vid) == user_id]
        return modals[-1] if modals else None


def _check_view(view: Any, expected_type: str) -> None:
    """Minimal validation; Slack answers a malformed view with invalid_arguments and a reason."""
    problems = []
    if not isinstance(view, dict):
        problems.append("[ERROR] must provide an object [json-pointer:/view]")
    else:
        if view.get("type") != expected_type:
            problems.append(f"[ERROR] must be '{expected_type}' [json-pointer:/view/type]")
        if expected_type == "modal" and not isinstance(view.get("title"), dict):
            problems.append("[ERROR] missing required field: title [json-pointer:/view]")
        if not isinstance(view.get("blocks"), list):
            problems.append("[ERROR] missing required field: blocks [json-pointer:/view]")
    if problems:
        raise SlackError("invalid_arguments", response_metadata={"messages": problems})
