"""Shared by the inbound endpoints (Slack, Jira): refusing a signed body that is not what the sender sends.

The endpoints check the signature first, then the shape of the body against small pydantic models of the fields
that are read, and answer 400 with the reason (BadPayload) before anything else runs.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class BadPayload(ValueError):
    """A signed body that is not what the sender sends; the message says which field is wrong and how."""


class Shape(BaseModel):
    """A model of the fields that are read: exact types (no "1" for 1, no 1 for "1"); other fields are not checked."""

    model_config = ConfigDict(strict=True, extra="allow")


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadPayload(f"the body is not JSON ({exc})") from None
    except RecursionError:
        raise BadPayload("the body is JSON nested too deeply") from None


def validate(model: type[Shape], payload: Any) -> Shape:
    """`payload` as `model`, or BadPayload naming the first wrong field; text the database cannot store is refused."""
    try:
        shaped = model.model_validate(payload)
    except ValidationError as exc:
        # Of the errors (one per member of a union), the one that got deepest into the payload says most.
        path, error = max(((_path(payload, e["loc"]), e) for e in exc.errors(include_url=False)),
                          key=lambda found: len(found[0]))
        where = ".".join(path if len(path) <= 8 else path[:3] + ["…"] + path[-3:]) or "the body"
        raise BadPayload(f"{where} is missing" if error["type"] == "missing" else f"{where}: {error['msg']}") from None
    unstorable = unstorable_text(payload)
    if unstorable:
        raise BadPayload(unstorable)
    return shaped


def unstorable_text(payload: Any) -> str | None:
    """Where the payload has a string no sender writes and no database stores (a NUL, half a surrogate pair)."""
    if not _any_unstorable(payload):  # the usual case, checked without naming every place on the way
        return None
    pending: list[tuple[str, Any]] = [("the body", payload)]
    while pending:
        where, node = pending.pop()
        if isinstance(node, dict):
            pending += [(f"a key in {where}", key) for key in node]
            pending += [(_at(where, key), value) for key, value in node.items()]
        elif isinstance(node, list):
            pending += [(_at(where, i), value) for i, value in enumerate(node)]
        elif isinstance(node, str):
            if "\x00" in node:
                return f"{where}: contains a NUL character"
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return f"{where}: contains half of a UTF-16 surrogate pair (not Unicode text)"
    return None


def _any_unstorable(payload: Any) -> bool:
    pending = [payload]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            pending += node
            pending += node.values()
        elif isinstance(node, list):
            pending += node
        elif isinstance(node, str) and ("\x00" in node or not node.isascii() and _has_surrogate(node)):
            return True
    return False


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _path(payload: Any, loc: tuple) -> list[str]:
    """The keys and indexes of an error's location that are in the payload (pydantic adds union members' names)."""
    path, node = [], payload
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, dict) and part not in node and part == loc[-1]:
            pass  # a missing field: name it
        else:
            continue
        path.append(str(part))
    return path


def _at(where: str, key: object) -> str:
    return str(key) if where == "the body" else f"{where}.{key}"
