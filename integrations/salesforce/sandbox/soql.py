"""The SOQL the sandbox understands, parsed narrowly with regular expressions (it is a fake).

  SELECT COUNT() | item, ... FROM Object [WHERE cond (AND|OR cond)...] [ORDER BY field [ASC|DESC]] [LIMIT n]
  item: field | (SELECT field, ... FROM ChildRelationship [WHERE cond ...])  -- a parent-to-child subquery
  cond: field =|!=|<>|LIKE|IN|NOT IN value; value: 'quoted' (SOQL escapes), true, false, null, number, (list).
AND binds tighter than OR; no parentheses. Errors carry Salesforce's codes (MALFORMED_QUERY, INVALID_FIELD, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from integrations.salesforce.sandbox.store import ID_FIELDS, OBJECTS, SalesforceFault, SObject, is_salesforce_id

_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<select>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<direction>ASC|DESC))?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_STRING = r"'(?:[^'\\]|\\.)*'"
_CONDITION = re.compile(
    r"\s*(?P<field>\w+)\s*(?P<op>=|!=|<>|NOT\s+IN\b|IN\b|LIKE\b)\s*"
    rf"(?P<value>{_STRING}|\((?:\s*(?:{_STRING}|[^,()'\s]+)\s*,?)*\)|true\b|false\b|null\b|-?\d+(?:\.\d+)?)\s*",
    re.IGNORECASE,
)
_JOIN = re.compile(r"(AND|OR)\s+", re.IGNORECASE)
_SUBQUERY = re.compile(r"^\(\s*SELECT\s+(?P<select>.+?)\s+FROM\s+(?P<relationship>\w+)(?:\s+WHERE\s+(?P<where>.+?))?\s*\)$",
                       re.IGNORECASE | re.DOTALL)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


@dataclass(frozen=True)
class ChildQuery:
    """`(SELECT Id FROM Cases WHERE IsClosed = false)`: each parent's related records, nested in its row."""

    relationship: str  # the name the rows carry it under, e.g. "Cases"
    object_name: str
    lookup: str  # the child's field that points at the parent, e.g. AccountId
    fields: tuple[str, ...]
    predicate: Predicate


@dataclass(frozen=True)
class Query:
    object_name: str
    fields: tuple[str, ...]  # empty for COUNT()
    predicate: Predicate
    order_by: str | None
    descending: bool
    limit: int | None
    children: tuple[ChildQuery, ...] = ()

    @property
    def is_count(self) -> bool:
        return not self.fields


def parse(soql: str) -> Query:
    """Parse a query or raise SalesforceFault with the error Salesforce would give."""
    soql, subqueries = _lift_subqueries(soql)
    match = _QUERY.match(soql)
    if match is None:
        raise SalesforceFault(400, "MALFORMED_QUERY", f"unexpected token in query (sandbox SOQL subset): {soql}")
    object_name = match["object"]
    obj = next((OBJECTS[name] for name in OBJECTS if name.lower() == object_name.lower()), None)
    if obj is None:
        raise SalesforceFault(400, "INVALID_TYPE", f"sObject type '{object_name}' is not supported.")
    object_name = next(name for name in OBJECTS if OBJECTS[name] is obj)
    select = match["select"].strip()
    items = [] if select.upper().replace(" ", "") == "COUNT()" else [name.strip() for name in select.split(",")]
    fields = tuple(_field(obj, object_name, name) for name in items if name not in subqueries)
    children = tuple(_child_query(obj, object_name, subqueries[name]) for name in items if name in subqueries)
    return Query(
        object_name=object_name,
        fields=fields,
        predicate=_where(obj, object_name, match["where"] or ""),
        order_by=_field(obj, object_name, match["order"]) if match["order"] else None,
        descending=(match["direction"] or "").upper() == "DESC",
        limit=int(match["limit"]) if match["limit"] else None,
        children=children,
    )


def _lift_subqueries(soql: str) -> tuple[str, dict[str, str]]:
    """Replace each `(SELECT ...)` in the select list by a placeholder, so the outer query parses as usual."""
    subqueries: dict[str, str] = {}
    out, pos = [], 0
    for start in (m.start() for m in re.finditer(r"\(\s*SELECT\b", soql, re.IGNORECASE)):
        if start < pos:
            continue
        end = _closing_paren(soql, start)
        placeholder = f"__subquery{len(subqueries)}__"
        subqueries[placeholder] = soql[start:end + 1]
        out.append(soql[pos:start] + placeholder)
        pos = end + 1
    return "".join(out) + soql[pos:], subqueries


def _closing_paren(text: str, start: int) -> int:
    depth, quoted, i = 0, False, start
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == "'":
                quoted = False
        elif char == "'":
            quoted = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise SalesforceFault(400, "MALFORMED_QUERY", "unexpected token: unbalanced parentheses")


def _child_query(parent: SObject, parent_name: str, text: str) -> ChildQuery:
    match = _SUBQUERY.match(text)
    if match is None:
        raise SalesforceFault(400, "MALFORMED_QUERY", f"unexpected token in subquery (sandbox SOQL subset): {text}")
    relationship = next((r for r in parent.children if r.lower() == match["relationship"].lower()), None)
    if relationship is None:
        raise SalesforceFault(400, "INVALID_TYPE", f"Didn't understand relationship '{match['relationship']}' in FROM "
                                                   "part of query call. If you are attempting to use a custom relationship, "
                                                   "be sure to append the '__r' after the custom relationship name.")
    child_name, lookup = parent.children[relationship]
    child = OBJECTS[child_name]
    return ChildQuery(relationship, child_name, lookup,
                      tuple(_field(child, child_name, name.strip()) for name in match["select"].split(",")),
                      _where(child, child_name, match["where"] or ""))


def field_name(object_name: str, name: str) -> str:
    """The API name of a field of a known object, or SalesforceFault INVALID_FIELD."""
    return _field(OBJECTS[object_name], object_name, name)


def _field(obj: SObject, object_name: str, name: str) -> str:
    api_name = obj.field_name(name)
    if api_name is None:
        raise SalesforceFault(
            400, "INVALID_FIELD",
            f"No such column '{name}' on entity '{object_name}'. If you are attempting to use a custom field, "
            "be sure to append the '__c' after the custom field name.",
        )
    return api_name


def _where(obj: SObject, object_name: str, text: str) -> Predicate:
    if not text.strip():
        return lambda record: True
    groups: list[list[Predicate]] = [[]]
    pos = 0
    while True:
        condition = _CONDITION.match(text, pos)
        if condition is None:
            raise SalesforceFault(400, "MALFORMED_QUERY", f"unexpected token: '{text[pos:]}'")
        groups[-1].append(_condition(obj, object_name, condition))
        pos = condition.end()
        if pos >= len(text):
            break
        join = _JOIN.match(text, pos)
        if join is None:
            raise SalesforceFault(400, "MALFORMED_QUERY", f"unexpected token: '{text[pos:]}'")
        if join[1].upper() == "OR":
            groups.append([])
        pos = join.end()
    return lambda record: any(all(p(record) for p in group) for group in groups)


def _condition(obj: SObject, object_name: str, match: re.Match[str]) -> Predicate:
    name = _field(obj, object_name, match["field"])
    if name in obj.not_filterable:
        raise SalesforceFault(400, "INVALID_FIELD", f"field '{name}' can not be filtered in a query call")
    op = " ".join(match["op"].upper().split())
    raw = match["value"]
    if op == "LIKE":
        pattern = _like_pattern(raw)
        return lambda record: record.get(name) is not None and pattern.fullmatch(str(record[name])) is not None
    values = [_literal(v) for v in _list_items(raw)] if op in ("IN", "NOT IN") else [_literal(raw)]
    if name in ID_FIELDS:
        _check_ids(values)
    wanted = {_comparable(name, v) for v in values}
    if op in ("=", "IN"):
        return lambda record: _comparable(name, record.get(name)) in wanted
    return lambda record: _comparable(name, record.get(name)) not in wanted


def _check_ids(values: list[Any]) -> None:
    for value in values:
        if value is not None and not is_salesforce_id(value):
            raise SalesforceFault(400, "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {value}")


def _comparable(name: str, value: Any) -> Any:
    """Ids compare on their 15-character form; other strings case-insensitively (as SOQL's = does)."""
    if isinstance(value, str):
        return value[:15] if name in ID_FIELDS else value.casefold()
    return value


def _list_items(raw: str) -> list[str]:
    return re.findall(rf"{_STRING}|[^,()'\s]+", raw[1:-1])


def _literal(raw: str) -> Any:
    if raw.startswith("'"):
        return _unescape(raw[1:-1])
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    return float(raw) if "." in raw else int(raw)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), text)


def _like_pattern(raw: str) -> re.Pattern[str]:
    """LIKE as a regex: % any run, _ one character, \\% and \\_ literal; case-insensitive, like Salesforce."""
    if not raw.startswith("'"):
        raise SalesforceFault(400, "MALFORMED_QUERY", "LIKE needs a quoted string")
    parts = []
    for escaped, char in re.findall(r"\\(.)|(.)", raw[1:-1], re.DOTALL):
        if escaped:
            parts.append(re.escape(_ESCAPES.get(escaped, escaped)))
        else:
            parts.append({"%": ".*", "_": "."}.get(char, re.escape(char)))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
