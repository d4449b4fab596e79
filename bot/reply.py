"""What a channel sends back: a Reply of parts and buttons, and the formatters that mark text up."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Protocol

TELEGRAM_LIMIT = 4096


@dataclass
class Button:
    """An inline button: its label and the action it sends back."""

    label: str
    action: str


@dataclass
class Reply:
    """What the bot says: self-contained parts (packed into messages), buttons, an optional file."""

    parts: list[str] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    caption: str = ""
    notices: list[tuple[int, str]] = field(default_factory=list)  # (chat, plain text) to tell someone else

    def messages(self, limit: int = TELEGRAM_LIMIT) -> list[str]:
        """Pack the parts into as few messages as fit the limit, in order."""
        packed: list[str] = []
        for part in (piece for part in self.parts for piece in _split(part, limit)):
            if packed and len(packed[-1]) + 2 + len(part) <= limit:
                packed[-1] += "\n\n" + part
            else:
                packed.append(part)
        return packed


def _split(part: str, limit: int) -> list[str]:
    """Split an over-long part at line breaks; markup never spans lines except quotes, which come pre-split."""
    if len(part) <= limit:
        return [part]
    pieces, current = [], ""
    for line in part.split("\n"):
        while len(line) > limit:  # a single line longer than a message: cut it (plain text only)
            pieces.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    return pieces + ([current] if current else [])


class Formatter(Protocol):
    """Marks text up for one channel: every piece of user or law text goes through esc()."""

    def esc(self, text: str) -> str:
        """Escape text for the channel."""

    def bold(self, text: str) -> str:
        """Return bold text."""

    def italic(self, text: str) -> str:
        """Return italic text."""

    def mark(self, text: str) -> str:
        """Return a highlighted passage inside a quote."""

    def quote(self, formatted: str) -> str:
        """Wrap already formatted text in a quote block."""


class Html:
    """Telegram's HTML parse mode (and the web's HTML); every piece of text is escaped."""

    def esc(self, text: str) -> str:
        """Escape text for HTML."""
        return html.escape(text, quote=False)

    def bold(self, text: str) -> str:
        """Return bold text."""
        return f"<b>{self.esc(text)}</b>"

    def italic(self, text: str) -> str:
        """Return italic text."""
        return f"<i>{self.esc(text)}</i>"

    def mark(self, text: str) -> str:
        """Return a highlighted passage inside a quote."""
        return f"<b><u>{self.esc(text)}</u></b>"

    def quote(self, formatted: str) -> str:
        """Wrap already formatted text in a quote block."""
        return f"<blockquote>{formatted}</blockquote>"


class Plain:
    """Plain text for terminals: structure by symbols instead of markup."""

    def esc(self, text: str) -> str:
        """Return text unchanged."""
        return text

    def bold(self, text: str) -> str:
        """Return text as a heading."""
        return text

    def italic(self, text: str) -> str:
        """Return text unchanged."""
        return text

    def mark(self, text: str) -> str:
        """Mark a highlighted passage with brackets."""
        return f"【{text}】"

    def quote(self, formatted: str) -> str:
        """Indent a quote with a bar."""
        return "\n".join("  │ " + line for line in formatted.split("\n"))
