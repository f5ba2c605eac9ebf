"""Case channel names from the configured template, valid on every platform we post to."""

from __future__ import annotations

import re
import unicodedata

_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """ASCII lowercase words joined by '-': 'Café: refund failed!' -> 'cafe-refund-failed'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ALLOWED.sub("-", ascii_text.lower()).strip("-")


def channel_name(template: str, *, number: int, title: str, category: str, severity: str, limit: int) -> str:
    """Render the template; the slug is cut (at a word boundary when possible) so the whole fits `limit`."""
    fixed = template.format(number=number, slug="", category=slugify(category), severity=severity)
    room = max(limit - len(fixed), 0)
    slug = _cut(slugify(title), room)
    name = template.format(number=number, slug=slug, category=slugify(category), severity=severity)
    name = re.sub(r"-{2,}", "-", name).strip("-_")
    return name[:limit].rstrip("-")


def candidates(base: str, *, limit: int, tries: int = 5) -> list[str]:
    """The base name, then base-2, base-3 ...: deterministic, so a retry asks for the same names in order."""
    names = [base]
    for n in range(2, tries + 1):
        suffix = f"-{n}"
        names.append(base[: limit - len(suffix)].rstrip("-") + suffix)
    return names


def _cut(slug: str, room: int) -> str:
    if len(slug) <= room:
        return slug
    cut = slug[:room]
    return cut.rsplit("-", 1)[0] if "-" in cut else cut
