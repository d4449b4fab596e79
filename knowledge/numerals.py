"""Chinese numerals and article numbers: 第一千二百六十条 <-> 1260, 第一百三十三条之一 <-> (133, 1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import cn2an

CN_DIGITS = "零〇一二三四五六七八九十百千万两"
_NUMBER = rf"[{CN_DIGITS}]+|[0-9０-９]+"
ARTICLE_RE = re.compile(rf"第\s*({_NUMBER})\s*条(?:\s*之\s*({_NUMBER}))?")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def cn_to_int(text: str) -> int:
    """Convert Chinese or Arabic numerals (一千二百六十, 1260, １２６０) to an int."""
    text = text.strip().translate(_FULLWIDTH)
    if not text:
        raise ValueError("empty numeral")
    if text.isdigit():
        return int(text)
    # cn2an's strict mode rejects 〇 and 两; both occur in hand-typed citations.
    normalized = text.replace("〇", "零").replace("两", "二")
    if not any(unit in normalized for unit in "十百千万"):
        # Digit-by-digit style (一〇一) has no units; read it as a digit string.
        return int("".join(str("零一二三四五六七八九".index(c)) for c in normalized))
    return int(cn2an.cn2an(normalized, "strict"))


def int_to_cn(value: int) -> str:
    """Convert a positive int to Chinese numerals as laws write them (1260 -> 一千二百六十)."""
    if value <= 0:
        raise ValueError(f"article numbers are positive, got {value}")
    return cn2an.an2cn(value)


@dataclass(frozen=True, order=True)
class ArticleNo:
    """An article number: 第一百三十三条之一 is ArticleNo(133, 1)."""

    num: int
    sub: int = 0

    @property
    def label(self) -> str:
        """Return the number as written in the law, e.g. 第一百三十三条之一."""
        base = f"第{int_to_cn(self.num)}条"
        return f"{base}之{int_to_cn(self.sub)}" if self.sub else base

    @property
    def key(self) -> int:
        """Return a sortable integer key (num * 100 + sub)."""
        return self.num * 100 + self.sub

    @classmethod
    def from_key(cls, key: int) -> ArticleNo:
        """Rebuild an ArticleNo from its sortable key."""
        return cls(key // 100, key % 100)

    @classmethod
    def parse(cls, text: str) -> ArticleNo:
        """Parse 第八条, 第8条, 第一百三十三条之一 or a bare number like 8."""
        text = text.strip()
        match = ARTICLE_RE.fullmatch(text)
        if match:
            sub = cn_to_int(match.group(2)) if match.group(2) else 0
            return cls(cn_to_int(match.group(1)), sub)
        try:
            return cls(cn_to_int(text))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"not an article number: {text!r}") from exc

    def __str__(self) -> str:
        return self.label
