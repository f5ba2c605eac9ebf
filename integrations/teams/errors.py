"""Translate Microsoft Graph (kiota) and Bot Connector (httpx) failures into the core's RetryLater/PermanentFailure."""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from kiota_abstractions.api_error import APIError

from swarm.errors import PermanentFailure, RetryLater


@dataclass(frozen=True)
class CallFailure:
    """What went wrong with one call, in the vendor's terms."""

    status: int | None  # None when no HTTP answer came back (timeout, connection refused)
    code: str
    message: str
    retry_after: float | None = None

    @property
    def transient(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500

    def reason(self, what: str) -> str:
        status = f"HTTP {self.status}" if self.status else "no answer"
        return f"{what}: {status} {self.code}: {self.message}"[:400]


def describe(exc: BaseException) -> CallFailure | None:
    """The failure behind `exc`, or None when it is not a failed call (a bug, which should surface as such)."""
    if isinstance(exc, APIError):
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None) or "error"
        message = getattr(error, "message", None) or str(exc.message or "")
        return CallFailure(exc.response_status_code, code, message, _retry_after(exc.response_headers))
    if isinstance(exc, httpx.HTTPStatusError):
        code, message = _connector_error(exc.response)
        return CallFailure(exc.response.status_code, code, message, _retry_after(exc.response.headers))
    if isinstance(exc, (httpx.TransportError, concurrent.futures.TimeoutError, TimeoutError)):
        return CallFailure(None, type(exc).__name__, str(exc) or "timed out")
    return None


@contextlib.contextmanager
def external_errors(what: str) -> Iterator[None]:
    """Raise RetryLater for throttling, 5xx and timeouts (honouring Retry-After), PermanentFailure otherwise."""
    try:
        yield
    except (RetryLater, PermanentFailure):
        raise
    except Exception as exc:
        failure = describe(exc)
        if failure is None:
            raise
        raise as_error(failure, what) from exc


def as_error(failure: CallFailure, what: str) -> RetryLater | PermanentFailure:
    if failure.transient:
        return RetryLater(failure.reason(what), retry_after=failure.retry_after)
    return PermanentFailure(failure.reason(what))


def _retry_after(headers) -> float | None:
    if not headers:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value else None
    except (TypeError, ValueError):
        return None  # an HTTP date: rare from Microsoft; the workflow backoff applies


def _connector_error(response: httpx.Response) -> tuple[str, str]:
    try:
        error = (response.json() or {}).get("error") or {}
    except ValueError:
        return "error", response.text[:200]
    if isinstance(error, dict):
        return str(error.get("code") or "error"), str(error.get("message") or "")
    return str(error), ""
