"""The dashboard's filters (period, department, category, severity) from query parameters, with specific errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlencode

from swarm.metrics import Scope
from swarm.model import Severity

MAX_DAYS = 3650
PERIODS = (7, 14, 28, 90, 365)


class FilterError(ValueError):
    """A filter value the dashboard cannot use; the message names the allowed values."""


@dataclass(frozen=True)
class Filters:
    days: int
    until: date | None
    department: str | None
    category: str | None
    severity: str | None

    def scope(self, now: datetime) -> Scope:
        end = datetime.combine(self.until + timedelta(days=1), time(), timezone.utc) if self.until else now
        return Scope(since=end - timedelta(days=self.days), until=end, department=self.department,
                     category=self.category, severity=self.severity)

    def query(self, **extra: str) -> str:
        """These filters as a query string (for CSV links and the JSON API), without empty values."""
        values = {"days": self.days, "until": self.until.isoformat() if self.until else None,
                  "department": self.department, "category": self.category, "severity": self.severity, **extra}
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def as_dict(self) -> dict:
        return {"days": self.days, "until": self.until.isoformat() if self.until else None,
                "department": self.department, "category": self.category, "severity": self.severity}


def parse_filters(args, *, config, default_days: int = 28) -> Filters:
    """Filters from request args; FilterError says which value is wrong and what would be right."""
    return Filters(
        days=_days(args.get("days"), default_days),
        until=_date(args.get("until")),
        department=_one_of(args.get("department"), "Department", config.departments),
        category=_one_of(args.get("category"), "Category", config.categories),
        severity=_one_of((args.get("severity") or "").lower() or None, "Severity", [s.value for s in Severity]),
    )


def _days(value: str | None, default: int) -> int:
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
        raise FilterError(f"Period '{value}' is not a number of days between 1 and {MAX_DAYS}")
    return int(value)


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"Date '{value}' is not a date like 2026-11-30") from None


def _one_of(value: str | None, what: str, allowed) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise FilterError(f"{what} '{value}' is not one of: {', '.join(allowed)}")
    return value
