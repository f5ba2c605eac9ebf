"""Reading what the handlers need from an inbound Teams activity (Teams SDK models)."""

from __future__ import annotations

from html.parser import HTMLParser


def conversation_base(activity) -> str:
    """The conversation without its thread: '19:x@thread.tacv2;messageid=1' → '19:x@thread.tacv2'."""
    return activity.conversation.id.split(";", 1)[0]


def channel_id(activity) -> str | None:
    """The channel an activity happened in (None in a chat)."""
    data = activity.channel_data
    if data is not None and data.channel is not None and data.channel.id:
        return data.channel.id
    return conversation_base(activity) if activity.conversation.conversation_type == "channel" else None


def thread_root(activity) -> str | None:
    _, _, root = activity.conversation.id.partition(";messageid=")
    return root or None


def user_id(activity) -> str:
    """The sender's AAD object id: what Graph membership, participants and mentions use."""
    return activity.from_.aad_object_id or activity.from_.id


def is_from_bot(activity) -> bool:
    return activity.from_.id.startswith("28:") or activity.from_.id == activity.recipient.id


def html_to_text(content: str | None) -> str:
    """Plain text of a Teams message body (HTML): paragraphs and <br> become line breaks, entities are decoded."""
    parser = _TextParser()
    parser.feed(content or "")
    parser.close()
    return "\n".join(line.rstrip() for line in "".join(parser.parts).strip("\n").split("\n"))


class _TextParser(HTMLParser):
    _BREAKS = {"br"}
    _BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")
        elif tag in self._BLOCKS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
