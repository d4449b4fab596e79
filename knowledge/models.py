"""Laws and articles: the shapes every other part of xuefa speaks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from knowledge.numerals import CN_DIGITS, ArticleNo

CURRENT = "现行有效"
AMENDED = "已被修改"  # the corpus's mark for a consolidated text changed by a later amendment
PRC_PREFIX = "中华人民共和国"
ITEM_RE = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")


def short_title(title: str) -> str:
    """Drop the 中华人民共和国 prefix: 中华人民共和国教师法 -> 教师法."""
    return title[len(PRC_PREFIX):] if title.startswith(PRC_PREFIX) and len(title) > len(PRC_PREFIX) else title


@dataclass
class Article:
    """One article (条) of a law, its text kept paragraph (款/项) by paragraph."""

    number: ArticleNo
    text: str
    path: tuple[str, ...] = ()
    law_title: str = ""
    id: int | None = None

    @property
    def label(self) -> str:
        """Return the number as written: 第一百二十条之一."""
        return self.number.label

    @property
    def paragraphs(self) -> list[str]:
        """Return the paragraphs (款 and 项 lines) in order."""
        return [p for p in self.text.split("\n") if p.strip()]

    @property
    def clauses(self) -> list[str]:
        """Return the 款: paragraphs with their （一）（二） items folded in."""
        clauses: list[str] = []
        for paragraph in self.paragraphs:
            if clauses and ITEM_RE.match(paragraph):
                clauses[-1] += "\n" + paragraph
            else:
                clauses.append(paragraph)
        return clauses

    @property
    def chapter(self) -> str:
        """Return the 编/章/节 path as one line, e.g. 第二章 权利和义务."""
        return " ".join(self.path)

    @property
    def content_hash(self) -> str:
        """Hash what the article says and where it sits, so a move or edit counts as a change."""
        payload = "\x1f".join([self.label, *self.path, self.text])
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()

    @property
    def citation(self) -> str:
        """Return the citation line: 《中华人民共和国教师法》第八条."""
        return f"《{self.law_title}》{self.label}"


@dataclass
class Law:
    """A law or regulation with its articles in order."""

    title: str
    articles: list[Article] = field(default_factory=list)
    kind: str = "法律"
    issuer: str = ""
    promulgated: str = ""
    effective: str = ""
    amended: str = ""
    status: str = CURRENT
    source: str = ""
    source_file: str = ""
    id: int | None = None

    @property
    def short_title(self) -> str:
        """Return the title without the 中华人民共和国 prefix."""
        return short_title(self.title)

    @property
    def content_hash(self) -> str:
        """Hash the whole text so an unchanged re-import is recognised at once."""
        digest = hashlib.sha1()
        for article in self.articles:
            digest.update(article.content_hash.encode())
        return digest.hexdigest()

    def article(self, number: ArticleNo) -> Article | None:
        """Return the article with this number, if the law has it."""
        return next((a for a in self.articles if a.number == number), None)


@dataclass
class LawSummary:
    """A law as listed: title, metadata and how many articles it has."""

    id: int
    title: str
    kind: str
    issuer: str
    status: str
    amended: str
    source: str
    source_file: str
    article_count: int
    max_article: ArticleNo | None

    @property
    def short_title(self) -> str:
        """Return the title without the 中华人民共和国 prefix."""
        return short_title(self.title)


@dataclass
class ImportReport:
    """What importing one law changed in the store."""

    title: str
    outcome: str  # "new", "unchanged" or "changed"
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source: str = ""


_HEADING_LABEL = re.compile(rf"^(第[{CN_DIGITS}0-9]+(?:分编|编|章|节))\s*(.*)$")


def normalize_heading(text: str) -> str:
    """Normalize a 编/章/节 heading: '第二节  监  护' -> '第二节 监护', '附 则' -> '附则'."""
    text = text.strip().lstrip("#").strip()
    match = _HEADING_LABEL.match(text)
    if match:
        rest = re.sub(r"\s+", "", match.group(2))
        return f"{match.group(1)} {rest}" if rest else match.group(1)
    return re.sub(r"\s+", "", text)


@dataclass
class Focus:
    """The emphasis of a study-list entry: chapters and article ranges (inclusive)."""

    chapters: list[str] = field(default_factory=list)
    ranges: list[tuple[ArticleNo, ArticleNo]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.chapters or self.ranges)

    def covers(self, article: Article) -> bool:
        """Tell whether an article lies in a focus chapter or range."""
        if any(chapter in article.path for chapter in self.chapters):
            return True
        return any(low <= article.number <= high for low, high in self.ranges)

    def describe(self) -> str:
        """Describe the focus for people: 第三章 学校保护；第七十六条至第八十条."""
        parts = list(self.chapters)
        for low, high in self.ranges:
            parts.append(low.label if low == high else f"{low.label}至{high.label}")
        return "；".join(parts)

    def to_json(self) -> dict:
        """Return a JSON-ready dict."""
        return {"chapters": self.chapters, "ranges": [[low.key, high.key] for low, high in self.ranges]}

    @classmethod
    def from_json(cls, data: dict) -> Focus:
        """Rebuild a Focus from to_json's dict."""
        ranges = [(ArticleNo.from_key(low), ArticleNo.from_key(high)) for low, high in data.get("ranges", [])]
        return cls(chapters=list(data.get("chapters", [])), ranges=ranges)


@dataclass
class StudyListLaw:
    """One law on a study list, with its optional focus."""

    title: str
    focus: Focus = field(default_factory=Focus)
    article_count: int = 0


@dataclass
class StudyList:
    """A quarterly study list (学法清单): which laws to study between two dates."""

    id: str
    title: str
    start: str
    end: str
    laws: list[StudyListLaw] = field(default_factory=list)
    year: int | None = None
    source: str = ""

    def includes(self, day: str) -> bool:
        """Tell whether an ISO date lies within the list's dates (inclusive)."""
        return self.start <= day <= self.end
