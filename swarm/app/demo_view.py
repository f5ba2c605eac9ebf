"""How `swarm demo` prints: a narrated transcript with elapsed times."""

from __future__ import annotations

import re
import textwrap
import time


class DemoFailed(Exception):
    """Something the demo promised did not happen."""


class Narrator:
    def __init__(self) -> None:
        self._start = time.monotonic()
        self._seen: set[int] = set()

    def _stamp(self) -> str:
        return f"[{time.monotonic() - self._start:6.2f}s]"

    def scene(self, text: str) -> None:
        print(f"\n{self._stamp()} ▶ {text}", flush=True)

    def person(self, who: str, text: str) -> None:
        print(f"{self._stamp()}   {who}:", flush=True)
        for line in text.splitlines():
            print(textwrap.indent(textwrap.fill(line, 100) or "", "      │ "), flush=True)

    def detail(self, label: str, value: str) -> None:
        print(f"{' ' * 11}{label}: {value}", flush=True)

    def progress(self, entry_id: int, kind: str, text: str) -> None:
        if entry_id in self._seen:
            return
        self._seen.add(entry_id)
        print(f"{self._stamp()}   · {kind:<16} {text}", flush=True)

    def block(self, title: str, lines: list[str]) -> None:
        print(f"{' ' * 11}┌─ {title}", flush=True)
        for line in lines:
            for wrapped in textwrap.wrap(line, 100) or [""]:
                print(f"{' ' * 11}│ {wrapped}", flush=True)
        print(f"{' ' * 11}└─", flush=True)

    def done(self, text: str) -> None:
        print(f"\n{self._stamp()} ✔ {text}", flush=True)

    def fail(self, text: str) -> None:
        print(f"\n{self._stamp()} ✘ demo failed: {text}", flush=True)


_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(?:https?://[^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<([@#])([A-Z0-9]+)>")


def readable(text: str, names: dict[str, str]) -> str:
    """Slack's mrkdwn tokens (dates, links, mentions) as a person sees them rendered."""
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    return _MENTION.sub(lambda m: m.group(1) + names.get(m.group(2), m.group(2)), text)


def flatten_blocks(blocks: list[dict], names: dict[str, str] | None = None) -> list[str]:
    """Block Kit as plain lines, the way a person reads the message."""
    return [readable(line, names or {}) for line in _lines(blocks)]


def _lines(blocks: list[dict]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if block.get("text"):
            lines += block["text"]["text"].splitlines()
        for field in block.get("fields", []):
            lines.append(field["text"].replace("\n", ": ", 1))
        for element in block.get("elements", []):
            if element.get("type") == "button":
                lines.append(f"[ {element['text']['text']} ]")
            elif element.get("text"):
                lines.append(element["text"])
    return lines
