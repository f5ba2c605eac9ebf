"""A table as the dashboard shows it, exports it (CSV) and serves it (JSON): typed columns, raw values in rows.

Rows keep raw values (seconds, datetimes, 0..1 shares); each output formats them for its reader: short durations
for people, minutes for spreadsheets, seconds for programs.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup, escape

from swarm.search import MARK_END, MARK_START
from swarm.usecases.common import format_duration

HTML_ROWS = 200  # a page shows this many rows; the CSV and JSON carry all of them


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | duration | datetime | percent | case | sla | list | snippet | link


@dataclass
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict] = field(default_factory=list)
    empty: str = "Nothing here for these filters."

    def as_json(self) -> dict:
        return {"name": self.name, "title": self.title,
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
                "rows": [{c.key: json_value(c, row.get(c.key)) for c in self.columns} for row in self.rows]}

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([csv_label(c) for c in self.columns])
        for row in self.rows:
            writer.writerow([csv_value(c, row.get(c.key)) for c in self.columns])
        return out.getvalue()

    @property
    def shown_rows(self) -> list[dict]:
        return self.rows[:HTML_ROWS]


def html_value(column: Column | str, value) -> Markup | str:
    """A value as a person reads it; `column` is a Column or just its kind."""
    if value is None or value == "" or value == []:
        return "—"
    kind = getattr(column, "kind", column)
    if kind == "duration":
        return format_duration(value)
    if kind == "datetime":
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "list":
        return ", ".join(value)
    if kind == "snippet":
        return Markup(str(escape(value)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
    return str(value)


def csv_label(column: Column) -> str:
    return {"duration": f"{column.label} (minutes)", "percent": f"{column.label} (%)"}.get(column.kind, column.label)


def csv_value(column: Column, value) -> str | int | float:
    if value is None:
        return ""
    kind = column.kind
    if kind == "duration":
        return round(value / 60, 1)
    if kind == "datetime":
        return value.isoformat(timespec="seconds")
    if kind == "percent":
        return round(value * 100, 1)
    if kind == "list":
        value = "; ".join(value)
    if kind == "snippet":
        value = value.replace(MARK_START, "").replace(MARK_END, "")
    return _no_formula(value) if isinstance(value, str) else value


def json_value(column: Column, value):
    if value is None:
        return None
    if column.kind == "duration":
        return round(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if column.kind == "percent":
        return round(value, 4)
    if column.kind == "snippet":
        return value.replace(MARK_START, "").replace(MARK_END, "")
    return list(value) if isinstance(value, tuple) else value


def _no_formula(text: str) -> str:
    # Titles and customers come from customer messages: a cell starting with = + - @ would run as a spreadsheet
    # formula (CSV injection), so it is prefixed with a quote.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
