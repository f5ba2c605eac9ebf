"""Shared by the ticketing and CRM adapters: notes split to fit a field, with findable markers; Retry-After."""

from __future__ import annotations

import datetime
import email.utils
from collections.abc import Callable
from dataclasses import dataclass

SEPARATOR = "\n\n"


@dataclass(frozen=True)
class NotePart:
    marker_line: str  # the last line, by which a retry finds the part it may already have written
    body: str


def note_parts(text: str, marker: str, *, limit: int, marker_line: Callable[[str], str]) -> list[NotePart]:
    """The note as one record if it fits `limit`, else numbered parts "(part i/n)", each with its own marker line."""
    single = marker_line(marker)
    if len(text) + len(SEPARATOR) + len(single) <= limit:
        return [NotePart(single, text + SEPARATOR + single)]
    count = 2
    while True:
        chunks = _chunks(text, limit - _part_overhead(marker, count, marker_line))
        if len(str(len(chunks))) <= len(str(count)):  # the numbers fit the room reserved for them
            break
        count = len(chunks)
    total = len(chunks)
    return [
        NotePart(line, f"(part {i}/{total})\n{chunk}{SEPARATOR}{line}")
        for i, chunk in enumerate(chunks, start=1)
        for line in [marker_line(f"{marker} part {i}/{total}")]
    ]


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if there is one."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


def _part_overhead(marker: str, count: int, marker_line: Callable[[str], str]) -> int:
    widest = f"{count}/{count}"
    return len(f"(part {widest})\n") + len(SEPARATOR) + len(marker_line(f"{marker} part {widest}"))


def _chunks(text: str, size: int) -> list[str]:
    """Split into pieces of at most `size`, at a line break in the second half of a piece when there is one."""
    chunks = []
    while len(text) > size:
        cut = text.rfind("\n", size // 2, size) + 1 or size
        chunks.append(text[:cut])
        text = text[cut:]
    chunks.append(text)
    return chunks
