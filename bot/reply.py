"""What a channel sends back: a Reply of parts and buttons, and the formatters that mark text up."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Protocol

from knowledge.text import units

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
    notices: list[tuple[str, str]] = field(default_factory=list)  # (address, plain text) to tell someone else

    def messages(self, limit: int = TELEGRAM_LIMIT) -> list[str]:
        """Pack the HTML parts into as few messages as fit the limit, in order; an empty part is dropped.

        Lengths are counted in UTF-16 units of the raw HTML, which is never less than what
        Telegram counts (the text after its tags are parsed), so every message is accepted.
        """
        packed: list[str] = []
        for part in (piece for part in self.parts if part.strip() for piece in split_html(part, limit)):
            if packed and units(packed[-1]) + 2 + units(part) <= limit:
                packed[-1] += "\n\n" + part
            else:
                packed.append(part)
        return packed


def fit(text: str, limit: int, mark: str = "…") -> str:
    """Cut plain text to at most limit UTF-16 units, marking the cut."""
    if units(text) <= limit:
        return text
    kept, size = [], units(mark)
    for ch in text:
        size += units(ch)
        if size > limit:
            break
        kept.append(ch)
    return "".join(kept) + mark


_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[^<&]|&", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z-]+)")


def split_html(text: str, limit: int) -> list[str]:
    """Split HTML into pieces of at most limit units, never inside a tag or an entity.

    A tag open at a cut is closed at the end of the piece and opened again (as written) at the
    start of the next, so every piece is balanced on its own: a long <blockquote> stays a quote
    on both sides. Cuts fall at the last line break when one lies in the second half of the piece.

    Linear in the text: the piece's size and its last line break are kept as tokens arrive, and
    a cut carries over at most the tail after that break (issue 17: it was quadratic per piece).
    """
    if units(text) <= limit:
        return [text]
    pieces: list[str] = []
    piece = _Piece()
    stack: list[tuple[str, str]] = []  # open tags after the last token: (name, opening tag as written)

    for token in _TOKEN.findall(text):
        after = _wind(stack, token)
        if piece.tokens and piece.size + units(token) + units(_close(after)) > limit:
            finished, piece = piece.cut(limit, stack)
            pieces.append(finished)
        piece.add(token, tuple(stack))
        stack[:] = after
    if piece.tokens:
        pieces.append("".join(piece.tokens) + _close(stack))
    return [item for item in pieces if item.strip()]


def _close(tags) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(tags))


class _Piece:
    """The piece being filled: its tokens, the tags open before each, its size and its last line break."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.before: list[tuple[tuple[str, str], ...]] = []
        self.size = 0
        self.newline = -1  # index of the last "\n" token
        self.newline_at = 0  # the size of the piece before it

    def add(self, token: str, open_before: tuple[tuple[str, str], ...]) -> None:
        if token == "\n":
            self.newline, self.newline_at = len(self.tokens), self.size
        self.tokens.append(token)
        self.before.append(open_before)
        self.size += units(token)

    def cut(self, limit: int, stack: list[tuple[str, str]]) -> tuple[str, _Piece]:
        """Return the finished piece and the next one, which starts with the tail after the cut."""
        at = self.newline if self.newline >= 0 and self.newline_at > limit // 2 else len(self.tokens)
        state = list(self.before[at]) if at < len(self.tokens) else list(stack)
        finished = "".join(self.tokens[:at]) + _close(state)
        skip = at + 1 if at < len(self.tokens) else at  # the line break at the cut is not carried over
        following = _Piece()
        for n, (_, opening) in enumerate(state):
            following.add(opening, tuple(state[:n]))
        for token, open_before in zip(self.tokens[skip:], self.before[skip:]):
            following.add(token, open_before)
        return finished, following


def _wind(stack: list[tuple[str, str]], token: str) -> list[tuple[str, str]]:
    """Return the open tags after a token: an opening tag pushes, a closing tag pops its match."""
    if not token.startswith("<") or len(token) == 1 or token.endswith("/>"):
        return list(stack)
    match = _TAG_NAME.match(token)
    if not match:
        return list(stack)
    name = match.group(1).lower()
    if token.startswith("</"):
        return stack[:-1] if stack and stack[-1][0] == name else list(stack)
    return [*stack, (name, token)]


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
