"""Value types shared by the config models: strict models, identifiers, durations, time zones."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from swarm.model import Severity


Loc = tuple[str | int, ...]
Finding = tuple[Loc, str]  # where in the file (a path of keys and list indexes), and what is wrong


class Strict(BaseModel):
    """Base of every config model: an unknown key is an error (a typo must not be ignored) and values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def known(names: Iterable[str]) -> str:
    """'(known: a, b, c)' for error messages."""
    return f"(known: {', '.join(sorted(set(names))) or 'none'})"


# --- small value types -------------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]*")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_DURATION = re.compile(r"(?:\d+[wdhms])+")
_DURATION_PART = re.compile(r"(\d+)([wdhms])")
_DURATION_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"'{value}' is not a valid id (use lowercase letters, digits, '.', '-' or '_')")
    return value


def _slack_user_id(value: str) -> str:
    if not _SLACK_USER_ID.fullmatch(value):
        raise ValueError(f"'{value}' is not a Slack user id (like U024BE7LH)")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"'{value}' is not an email address")
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{value}' (use an IANA name like 'Europe/Lisbon')") from None
    return value


def _severity(value: Any) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ValueError(f"unknown severity '{value}' {known(s.value for s in Severity)}") from None


def parse_duration(value: Any) -> timedelta:
    """'90s', '15m', '4h', '2d', '1w' or a combination like '1h30m' as a timedelta."""
    if isinstance(value, timedelta):
        return value
    text = value.replace(" ", "").lower() if isinstance(value, str) else ""
    if not _DURATION.fullmatch(text):
        raise ValueError(f"bad duration '{value}' (write a number and a unit: '90s', '15m', '4h', '2d')")
    parts = (timedelta(**{_DURATION_UNITS[unit]: int(n)}) for n, unit in _DURATION_PART.findall(text))
    return sum(parts, timedelta())


def _as_list(value: Any) -> Any:
    # `category: billing` reads better than `category: [billing]` when there is one value.
    return [value] if isinstance(value, str) else value


Identifier = Annotated[str, AfterValidator(_identifier)]
SlackUserId = Annotated[str, AfterValidator(_slack_user_id)]
Email = Annotated[str, AfterValidator(_email)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
SeverityName = Annotated[Severity, BeforeValidator(_severity)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Identifiers = Annotated[tuple[Identifier, ...], BeforeValidator(_as_list)]
