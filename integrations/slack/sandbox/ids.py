"""Small helpers shared by the Slack sandbox: errors, ids, timestamps, cursors and block ids."""

from __future__ import annotations

import base64
import copy
import secrets
import time
from typing import Any


class SlackError(Exception):
    """A Slack Web API error, answered as HTTP 200 {"ok": false, "error": code, **extra} like Slack does."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, **self.extra}


class IdMaker:
    """Slack-looking ids ("C0000001A") and message timestamps that only ever increase."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}
        self._last_ts_us = 0

    def new_id(self, prefix: str) -> str:
        self._counters[prefix] = self._counters.get(prefix, 0) + 1
        return f"{prefix}0{self._counters[prefix]:07X}"

    def new_ts(self) -> str:
        # Slack's ts is epoch seconds with 6 decimals; unique per channel. We make it unique workspace-wide.
        now_us = int(time.time() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"


def ts_key(ts: str) -> tuple[int, int]:
    """Sort/compare key for a Slack ts string, exact (a float would lose the last digits)."""
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds or 0), int((fraction or "0").ljust(6, "0")[:6])


def paginate(items: list[Any], *, cursor: str | None, limit: int | None, default_limit: int = 100) -> tuple[list[Any], str]:
    """One page of `items` and the opaque next_cursor ("" on the last page); bad cursor → invalid_cursor."""
    start = _decode_cursor(cursor) if cursor else 0
    size = limit if limit and limit > 0 else default_limit
    page = items[start : start + size]
    more = start + size < len(items)
    return page, _encode_cursor(start + size) if more else ""


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"next:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        kind, _, offset = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        if kind != "next":
            raise ValueError(cursor)
        return int(offset)
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors too
        raise SlackError("invalid_cursor") from exc


def with_block_ids(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """A copy of `blocks` where every block has a block_id and every interactive element an action_id.

    Slack fills these in with random strings when the app leaves them out; payloads then carry those ids.
    """
    if blocks is None:
        return None
    filled = copy.deepcopy(blocks)
    for block in filled:
        if isinstance(block, dict):
            block.setdefault("block_id", secrets.token_hex(2))
            for element in _interactive_elements(block):
                element.setdefault("action_id", secrets.token_hex(2))
    return filled


def _interactive_elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block.get("type") == "input" and isinstance(block.get("element"), dict):
        return [block["element"]]
    if block.get("type") == "section" and isinstance(block.get("accessory"), dict):
        return [block["accessory"]] if block["accessory"].get("type") != "image" else []
    if block.get("type") == "actions":
        return [e for e in block.get("elements", []) if isinstance(e, dict)]
    return []
