"""Draw the app icons Teams requires (no image library needed): color.png 192x192, full colour; outline.png
32x32, white on transparent. Run `python -m integrations.teams.manifest.icons` to write them again."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ACCENT = (79, 107, 237)  # #4F6BED, the manifest's accentColor
WHITE = (255, 255, 255)
# Three overlapping circles (a swarm) as (centre x, centre y, radius) in a unit square.
DOTS = ((0.35, 0.40, 0.17), (0.65, 0.40, 0.17), (0.50, 0.66, 0.17))


def png(width: int, height: int, pixel) -> bytes:
    """A PNG (8-bit RGBA) where pixel(x, y) returns (r, g, b, a)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _in_dot(x: float, y: float) -> bool:
    return any((x - cx) ** 2 + (y - cy) ** 2 <= r * r for cx, cy, r in DOTS)


def color_icon(x: int, y: int, size: int = 192) -> tuple[int, int, int, int]:
    return (*(WHITE if _in_dot((x + 0.5) / size, (y + 0.5) / size) else ACCENT), 255)


def outline_icon(x: int, y: int, size: int = 32) -> tuple[int, int, int, int]:
    return (*WHITE, 255 if _in_dot((x + 0.5) / size, (y + 0.5) / size) else 0)


def write_icons(directory: Path) -> None:
    (directory / "color.png").write_bytes(png(192, 192, color_icon))
    (directory / "outline.png").write_bytes(png(32, 32, outline_icon))


if __name__ == "__main__":
    write_icons(Path(__file__).parent)
