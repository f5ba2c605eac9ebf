"""Just enough JQL for the sandbox: clauses joined by AND / OR (AND binds tighter), no parentheses.

Fields: labels, project, key (issue, issuekey), status, issuetype (type), priority, assignee, summary (~ only),
and issue.property[KEY].path. Operators: =, !=, ~, in, not in. A trailing ORDER BY is accepted and ignored.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from integrations.jira.sandbox.store import Issue

_VALUE = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\([^)]*\)|[^\s()]+"
_CLAUSE = re.compile(
    r"\s*(?P<field>issue\.property\[[\w.-]+\](?:\.[\w]+)+|\w+)\s*"
    r"(?P<op>!=|=|~|not\s+in\b|in\b)\s*"
    rf"(?P<value>{_VALUE})\s*",
    re.IGNORECASE,
)
_JOIN = re.compile(r"(AND|OR)\s+", re.IGNORECASE)
_ORDER_BY = re.compile(r"\s+ORDER\s+BY\s+.*$", re.IGNORECASE | re.DOTALL)
_PROPERTY = re.compile(r"issue\.property\[(?P<key>[\w.-]+)\]\.(?P<path>[\w.]+)", re.IGNORECASE)

Predicate = Callable[[Issue], bool]


class JqlError(ValueError):
    """A query the sandbox cannot parse; the message is what Jira would say."""


def compile_jql(jql: str) -> Predicate:
    """A predicate for the issues `jql` selects."""
    text = _ORDER_BY.sub("", jql.strip())
    if not text:
        return lambda issue: True
    groups: list[list[Predicate]] = [[]]
    pos = 0
    while True:
        clause = _CLAUSE.match(text, pos)
        if clause is None:
            raise JqlError(f"Error in the JQL Query: the sandbox cannot parse '{text[pos:]}'.")
        groups[-1].append(_predicate(clause["field"], clause["op"].lower(), clause["value"]))
        pos = clause.end()
        if pos >= len(text):
            break
        join = _JOIN.match(text, pos)
        if join is None:
            raise JqlError(f"Error in the JQL Query: expecting AND or OR at '{text[pos:]}'.")
        if join[1].upper() == "OR":
            groups.append([])
        pos = join.end()
    return lambda issue: any(all(p(issue) for p in group) for group in groups)


def _predicate(field: str, op: str, raw_value: str) -> Predicate:
    values = _values(raw_value)
    read = _reader(field)
    if op == "~":
        needle = values[0].lower()
        return lambda issue: needle in str(read(issue) or "").lower()
    if op in ("=", "in"):
        return lambda issue: _matches(read(issue), values)
    return lambda issue: not _matches(read(issue), values)  # != and not in


def _matches(actual: Any, values: list[str]) -> bool:
    wanted = {v.lower() for v in values}
    if isinstance(actual, list):
        return any(str(a).lower() in wanted for a in actual)
    return actual is not None and str(actual).lower() in wanted


def _values(raw: str) -> list[str]:
    if raw.startswith("("):
        return [_unquote(v.strip()) for v in raw[1:-1].split(",") if v.strip()]
    return [_unquote(raw)]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _reader(field: str) -> Callable[[Issue], Any]:
    prop = _PROPERTY.fullmatch(field)
    if prop:
        return lambda issue: _property_value(issue, prop["key"], prop["path"])
    readers: dict[str, Callable[[Issue], Any]] = {
        "labels": lambda i: i.labels,
        "project": lambda i: i.project,
        "key": lambda i: i.key,
        "issue": lambda i: i.key,
        "issuekey": lambda i: i.key,
        "status": lambda i: i.status,
        "issuetype": lambda i: i.issue_type,
        "type": lambda i: i.issue_type,
        "priority": lambda i: i.priority,
        "assignee": lambda i: i.assignee,
        "summary": lambda i: i.summary,
    }
    reader = readers.get(field.lower())
    if reader is None:
        raise JqlError(f"Field '{field}' does not exist or you do not have permission to view it.")
    return reader


def _property_value(issue: Issue, key: str, path: str) -> Any:
    value: Any = issue.properties.get(key)
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
