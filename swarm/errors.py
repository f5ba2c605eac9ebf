"""Errors the core understands. Adapters translate vendor errors into these."""

from __future__ import annotations


class SwarmError(Exception):
    """Base for errors the core raises or handles."""


class InvalidInput(SwarmError):
    """User input that cannot be accepted; `fields` maps a field name to a specific, user-facing reason."""

    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


class NotFound(SwarmError):
    """A case, ticket, record or person that does not exist."""


class ExternalError(SwarmError):
    """A call to an external system failed."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None):
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(reason)


class RetryLater(ExternalError):
    """A transient failure (429, 5xx, timeout): try again, not before `retry_after` seconds if given."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason, retryable=True, retry_after=retry_after)


class PermanentFailure(ExternalError):
    """A failure that retrying will not fix (bad token, missing permission, invalid request)."""

    def __init__(self, reason: str):
        super().__init__(reason, retryable=False)


class NameTaken(SwarmError):
    """The channel name is already used on the platform."""
