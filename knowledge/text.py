"""Text lengths as Telegram counts them: UTF-16 code units (an emoji outside the BMP counts two)."""

from __future__ import annotations


def units(text: str) -> int:
    """Return the length of text in UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
