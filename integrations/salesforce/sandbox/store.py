"""The Salesforce sandbox's records: a few sObjects with Salesforce-shaped ids, field rules and errors."""

from __future__ import annotations

import datetime
import itertools
import string
from dataclasses import dataclass, field
from typing import Any

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM = string.ascii_uppercase + "012345"

CLOSED_STATUSES = {"Closed"}
CASE_STATUSES = ("New", "Working", "Escalated", "Closed")


@dataclass(frozen=True)
class SObject:
    """What the sandbox knows of one sObject type."""

    prefix: str  # the 3-character key prefix of its ids
    fields: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)  # for error messages, where label != API name
    read_only: frozenset[str] = frozenset({"Id", "CreatedDate", "LastModifiedDate", "CreatedById"})
    required: tuple[str, ...] = ()
    lengths: dict[str, int] = field(default_factory=dict)
    not_filterable: frozenset[str] = frozenset()  # long text areas cannot appear in WHERE
    references: dict[str, str] = field(default_factory=dict)  # field → sObject it must point to
    defaults: dict[str, Any] = field(default_factory=dict)
    children: dict[str, tuple[str, str]] = field(default_factory=dict)  # relationship → (child sObject, its lookup)

    def field_name(self, name: str) -> str | None:
        """The API name for `name`, matched case-insensitively as SOQL and the REST API do."""
        return next((f for f in self.fields if f.lower() == name.lower()), None)


_AUDIT = ("Id", "CreatedDate", "LastModifiedDate", "CreatedById")
OBJECTS: dict[str, SObject] = {
    "Account": SObject(
        prefix="001",
        fields=(*_AUDIT, "Name", "Tier__c", "Industry", "Type"),  # Tier__c: custom picklist holding the support tier
        required=("Name",),
        children={"Cases": ("Case", "AccountId")},
        lengths={"Name": 255},
    ),
    "Case": SObject(
        prefix="500",
        fields=(*_AUDIT, "CaseNumber", "Subject", "Description", "Status", "Priority", "Origin", "AccountId",
                "IsClosed"),
        read_only=frozenset({*_AUDIT, "CaseNumber", "IsClosed"}),
        lengths={"Subject": 255, "Description": 32_000},
        not_filterable=frozenset({"Description"}),
        references={"AccountId": "Account"},
        defaults={"Status": "New", "Priority": "Medium", "Origin": "Web"},
    ),
    "CaseComment": SObject(
        prefix="00a",
        fields=(*_AUDIT, "ParentId", "CommentBody", "IsPublished"),
        labels={"CommentBody": "Body", "ParentId": "Parent ID"},
        required=("ParentId",),
        lengths={"CommentBody": 4000},  # Salesforce's limit on a case comment
        references={"ParentId": "Case"},
        defaults={"IsPublished": False},
    ),
    "FeedItem": SObject(
        prefix="0D5",
        fields=(*_AUDIT, "ParentId", "Body", "Type"),
        required=("ParentId", "Body"),
        lengths={"Body": 10_000},
        not_filterable=frozenset({"Body"}),
        references={"ParentId": "Case"},
        defaults={"Type": "TextPost"},
    ),
    "Task": SObject(
        prefix="00T",
        fields=(*_AUDIT, "WhatId", "Subject", "Description", "ActivityDate", "Status", "Priority"),
        lengths={"Subject": 255, "Description": 32_000},
        not_filterable=frozenset({"Description"}),
        defaults={"Status": "Not Started", "Priority": "Normal"},
    ),
}
ID_FIELDS = {"Id", "ParentId", "AccountId", "WhatId", "CreatedById"}
SANDBOX_USER_ID = "005Hs0000000001IAA"  # the integration user every write is attributed to


class SalesforceFault(Exception):
    """A request Salesforce would refuse: HTTP status and its error list."""

    def __init__(self, status: int, error_code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = [{"message": message, "errorCode": error_code, **({"fields": fields} if fields else {})}]


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character id: key prefix, pod, a base-62 serial, and Salesforce's case-safe checksum suffix."""
    serial = ""
    for _ in range(10):
        number, digit = divmod(number, 62)
        serial = _BASE62[digit] + serial
    short = prefix + "Hs" + serial
    return short + "".join(
        _CHECKSUM[sum(1 << i for i, ch in enumerate(short[block : block + 5]) if ch.isupper())]
        for block in (0, 5, 10)
    )


def is_salesforce_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) in (15, 18) and value.isalnum()


def _timestamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class SalesforceStore:
    """Records by sObject type, keyed by the 15-character id (18-character ids are accepted everywhere)."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in OBJECTS}
        self._serials = itertools.count(1)
        self._case_numbers = itertools.count(1001)

    def get(self, object_name: str, record_id: str) -> dict[str, Any] | None:
        if not is_salesforce_id(record_id):
            return None
        return self.records.get(object_name, {}).get(record_id[:15])

    def object_of(self, record_id: str) -> str | None:
        return next((name for name, obj in OBJECTS.items() if record_id.startswith(obj.prefix)), None)

    def insert(self, object_name: str, values: dict[str, Any], *, trusted: bool = False) -> dict[str, Any]:
        """Create a record; `trusted` (seeding) may set read-only fields. Raises SalesforceFault like the API."""
        obj = OBJECTS[object_name]
        canonical = self._check(obj, object_name, values, creating=True, trusted=trusted)
        record = {name: None for name in obj.fields}
        record.update(obj.defaults)
        record.update(canonical)
        record.update(Id=salesforce_id(obj.prefix, next(self._serials)), CreatedDate=_timestamp(),
                      LastModifiedDate=_timestamp(), CreatedById=SANDBOX_USER_ID)
        if object_name == "Case":
            record["CaseNumber"] = canonical.get("CaseNumber") or f"{next(self._case_numbers):08d}"
        self._derive(object_name, record)
        self.records[object_name][record["Id"][:15]] = record
        return record

    def update(self, object_name: str, record_id: str, values: dict[str, Any]) -> None:
        record = self.get(object_name, record_id)
        if record is None:
            raise SalesforceFault(404, "NOT_FOUND", "The requested resource does not exist")
        record.update(self._check(OBJECTS[object_name], object_name, values, creating=False, trusted=False))
        record["LastModifiedDate"] = _timestamp()
        self._derive(object_name, record)

    def _check(
        self, obj: SObject, object_name: str, values: dict[str, Any], *, creating: bool, trusted: bool
    ) -> dict[str, Any]:
        canonical: dict[str, Any] = {}
        for name, value in values.items():
            api_name = obj.field_name(name)
            if api_name is None:
                raise SalesforceFault(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {object_name}")
            if api_name in obj.read_only and not trusted:
                raise SalesforceFault(
                    400, "INVALID_FIELD_FOR_INSERT_UPDATE", f"Unable to create/update fields: {api_name}.", [api_name]
                )
            canonical[api_name] = value
        missing = [f for f in obj.required if creating and not canonical.get(f)]
        if missing:
            raise SalesforceFault(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                                  missing)
        for name, value in canonical.items():
            self._check_value(obj, name, value)
        return canonical

    def _check_value(self, obj: SObject, name: str, value: Any) -> None:
        limit = obj.lengths.get(name)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            label = obj.labels.get(name, name)
            raise SalesforceFault(
                400, "STRING_TOO_LONG", f"{label}: data value too large: {value[:40]}... (max length={limit})", [name]
            )
        target = obj.references.get(name)
        if target and value is not None and self.get(target, value) is None:
            raise SalesforceFault(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [name])
        if obj is OBJECTS["Case"] and name == "Status" and value not in CASE_STATUSES:
            message = f"Status: bad value for restricted picklist field: {value}"
            raise SalesforceFault(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message, ["Status"])

    @staticmethod
    def _derive(object_name: str, record: dict[str, Any]) -> None:
        if object_name == "Case":
            record["IsClosed"] = record["Status"] in CLOSED_STATUSES
