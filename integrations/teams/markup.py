"""The core writes message text in Slack's flavour (`*bold*`, `:emoji:`, `<@U123>`, `<url|label>`).

Teams renders Adaptive Card markdown (`**bold**`, `[label](url)`) and needs a mention entity for every
`<at>Name</at>`. This module converts one into the other, so the core stays platform-neutral in spirit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

EMOJI = {
    "white_check_mark": "✅", "rotating_light": "🚨", "checkered_flag": "🏁", "heavy_plus_sign": "➕",
    "bust_in_silhouette": "👤", "warning": "⚠️", "leftwards_arrow_with_hook": "↩️", "hourglass": "⌛",
    "large_green_circle": "🟢", "file_cabinet": "🗄️", "link": "🔗", "memo": "📝",
    "large_yellow_circle": "🟡", "red_circle": "🔴", "wave": "👋", "raising_hand": "🙋",
    "arrows_counterclockwise": "🔄", "information_source": "ℹ️", "hourglass_flowing_sand": "⏳", "alarm_clock": "⏰",
    "loudspeaker": "📢", "telephone_receiver": "📞", "ticket": "🎫",
}
_MENTION = re.compile(r"<@([^>|\s]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(https?://[^|>\s]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>\s]+)>")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
_BOLD = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])")


@dataclass(frozen=True)
class Mention:
    user_id: str  # AAD object id
    name: str

    @property
    def text(self) -> str:
        return f"<at>{self.name}</at>"

    def entity(self) -> dict:
        """The msteams mention entity an Adaptive Card carries for this `<at>` text."""
        return {"type": "mention", "text": self.text, "mentioned": {"id": self.user_id, "name": self.name}}


def to_teams(text: str, name_of: Callable[[str], str]) -> tuple[str, list[Mention]]:
    """Teams markdown for `text`, and the mentions it contains (names looked up with `name_of`)."""
    mentions: dict[str, Mention] = {}

    def mention(match: re.Match) -> str:
        user_id = match.group(1)
        found = mentions.setdefault(user_id, Mention(user_id, name_of(user_id)))
        return found.text

    text = _MENTION.sub(mention, text)
    text = _LINK.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", text)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    text = _BOLD.sub(lambda m: f"**{m.group(1)}**", text)
    return text, list(mentions.values())


def paragraphs(text: str) -> str:
    """Adaptive Card markdown needs a blank line to break a line."""
    return "\n\n".join(line for line in text.splitlines())
