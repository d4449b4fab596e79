"""Citations: 《中华人民共和国教师法》第八条, 教师法第8条, 民法典1165条 -> (law, article[, paragraph])."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge import messages as M
from knowledge.errors import CitationError
from knowledge.models import PRC_PREFIX, Article, short_title
from knowledge.numerals import CN_DIGITS, ArticleNo, cn_to_int, int_to_cn

# Abbreviations people really use for the laws school staff meet, mapped to the short title.
ABBREVIATIONS = {
    "道交法": "道路交通安全法",
    "交通安全法": "道路交通安全法",
    "道路交通法": "道路交通安全法",
    "未保法": "未成年人保护法",
    "未成年保护法": "未成年人保护法",
    "预防青少年犯罪法": "预防未成年人犯罪法",
    "预防未成年犯罪法": "预防未成年人犯罪法",
    "民办教育法": "民办教育促进法",
    "民办教育条例": "民办教育促进法实施条例",
    "民办教育实施条例": "民办教育促进法实施条例",
    "交通法": "道路交通安全法",
    "信访条例": "信访工作条例",
    "未成年人保护": "未成年人保护法",
    "预青法": "预防未成年人犯罪法",
    "预防未成年人犯罪": "预防未成年人犯罪法",
    "民促法": "民办教育促进法",
    "民促法实施条例": "民办教育促进法实施条例",
    "民促法条例": "民办教育促进法实施条例",
    "义教法": "义务教育法",
    "义务法": "义务教育法",
    "家促法": "家庭教育促进法",
    "家庭教育法": "家庭教育促进法",
    "职教法": "职业教育法",
    "学前法": "学前教育法",
    "高教法": "高等教育法",
    "国安法": "国家安全法",
    "网安法": "网络安全法",
    "数安法": "数据安全法",
    "个保法": "个人信息保护法",
    "个人信息法": "个人信息保护法",
    "保密法": "保守国家秘密法",
    "反黑法": "反有组织犯罪法",
    "扫黑法": "反有组织犯罪法",
    "行罚法": "行政处罚法",
    "处罚法": "行政处罚法",
    "复议法": "行政复议法",
    "行复法": "行政复议法",
    "行诉法": "行政诉讼法",
    "刑诉法": "刑事诉讼法",
    "民诉法": "民事诉讼法",
    "治安法": "治安管理处罚法",
    "治安处罚法": "治安管理处罚法",
    "食安法": "食品安全法",
    "食品法": "食品安全法",
    "民法": "民法典",
    "爱国教育法": "爱国主义教育法",
    "政府信息公开": "政府信息公开条例",
    "信息公开条例": "政府信息公开条例",
    "劳动合同": "劳动合同法",
}

_CN = CN_DIGITS
_NUM = rf"[{_CN}]+|[0-9０-９]+"
_LAW_SUFFIX = r"(?:法典|法|条例|规定|办法|细则|规则|决定|解释|章程)"
_ARTICLE = rf"第?\s*(?P<num>{_NUM})\s*条(?:\s*之\s*(?P<sub>[{_CN}]+|[0-9]+))?"
_TAIL = rf"(?:\s*第\s*(?P<para>{_NUM})\s*款)?(?:\s*(?:第\s*(?P<item>{_NUM})\s*项|[（(](?P<item2>[{_CN}]+)[）)]\s*项?))?"
_BRACKETED = re.compile(rf"《(?P<law>[^《》\n]{{1,80}})》\s*{_ARTICLE}{_TAIL}")
_BARE = re.compile(rf"(?P<law>[\u4e00-\u9fffA-Za-z（）()]{{1,40}}?{_LAW_SUFFIX})\s*{_ARTICLE}{_TAIL}")
_LONE = re.compile(rf"第\s*(?P<num>{_NUM})\s*条(?:\s*之\s*(?P<sub>[{_CN}]+|[0-9]+))?{_TAIL}")
_LAW_MENTION = re.compile(r"《(?P<law>[^《》\n]{1,80})》")


@dataclass(frozen=True)
class Citation:
    """A reference to an article: the law as written, the article, optionally 款 and 项."""

    law: str | None
    article: ArticleNo
    paragraph: int | None = None
    item: int | None = None
    start: int = 0
    end: int = 0

    def describe(self, title: str | None = None) -> str:
        """Render the citation as 《title》第八条第二款."""
        law = title or self.law or ""
        text = f"《{short_title(law)}》{self.article.label}" if law else self.article.label
        if self.paragraph:
            text += f"第{int_to_cn(self.paragraph)}款"
        if self.item:
            text += f"第{int_to_cn(self.item)}项"
        return text


MAX_ARTICLE = 9999  # the longest code, the 民法典, has 1,260 articles
MAX_PART = 99


def _number(text: str | None, highest: int) -> int | None:
    if not text:
        return None
    try:
        value = cn_to_int(text)
    except (ValueError, KeyError):
        raise CitationError(M.CITATION_BAD_NUMBER.format(text=text)) from None
    if not 1 <= value <= highest:
        raise CitationError(M.CITATION_BAD_NUMBER.format(text=text))
    return value


def _citation(match: re.Match, law: str | None, offset: int = 0) -> Citation:
    groups = match.groupdict()
    return Citation(
        law=law,
        article=ArticleNo(_number(groups["num"], MAX_ARTICLE), _number(groups.get("sub"), MAX_PART) or 0),
        paragraph=_number(groups.get("para"), MAX_PART),
        item=_number(groups.get("item") or groups.get("item2"), MAX_PART),
        start=match.start() + offset,
        end=match.end() + offset,
    )


def parse_citation(text: str) -> Citation:
    """Parse one citation typed on its own: 教师法第8条, 《教师法》第八条第二款, 第八条."""
    cleaned = re.sub(r"\s+", "", text or "")
    for pattern in (_BRACKETED, _BARE, _LONE):
        match = pattern.fullmatch(cleaned)
        if match:
            law = match.groupdict().get("law")
            return _citation(match, law.strip() if law else None)
    raise CitationError(M.CITATION_UNPARSED.format(text=(text or "").strip()[:60]))


def find_citations(text: str) -> list[Citation]:
    """Find every article citation in free text; 第九条 after 《教师法》第八条 inherits the law."""
    found: list[Citation] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_BRACKETED, _BARE):
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            taken.append((match.start(), match.end()))
            try:
                found.append(_citation(match, match.group("law")))
            except CitationError:
                continue  # 第十十条 in running text is not a citation
    mentions = [(m.start(), m.group("law")) for m in _LAW_MENTION.finditer(text)]
    mentions += [(c.start, c.law) for c in found if c.law]
    for match in _LONE.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        previous = [law for start, law in mentions if start < match.start()]
        try:
            found.append(_citation(match, previous[-1] if previous else None))
        except CitationError:
            continue
    return sorted(found, key=lambda c: c.start)


class LawCatalog:
    """Resolves what people call a law (教师法, 道交法, 《中华人民共和国教师法》) to a stored title."""

    def __init__(self, titles: Iterable[str]):
        self.titles = sorted(set(titles))
        self._by_short: dict[str, list[str]] = {}
        for title in self.titles:
            self._by_short.setdefault(_key(title), []).append(title)
        self._surfaces = self._mention_surfaces()

    def _mention_surfaces(self) -> list[tuple[str, str]]:
        surfaces: dict[str, str] = {}
        for key, titles in self._by_short.items():
            if len(titles) == 1 and len(key) >= 2:
                surfaces[key] = titles[0]
                surfaces[titles[0]] = titles[0]
        for alias, target in ABBREVIATIONS.items():
            titles = self._by_short.get(target, [])
            if len(titles) == 1:
                surfaces.setdefault(alias, titles[0])
        return sorted(surfaces.items(), key=lambda item: -len(item[0]))

    def resolve(self, name: str) -> str:
        """Return the stored title for a law name, or raise CitationError saying why not."""
        cleaned = re.sub(r"\s+", "", name or "").strip("《》")
        if not cleaned:
            raise CitationError(M.CITATION_NO_LAW)
        title = self._resolve_exact(cleaned)
        if title:
            return title
        # A bare name in running text may carry words before it (请问教师法): try its suffixes.
        for i in range(1, len(cleaned) - 1):
            title = self._resolve_exact(cleaned[i:])
            if title:
                return title
        key = _key(cleaned)
        candidates = [t for k, ts in self._by_short.items() if key in k for t in ts]
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            shown = "、".join(f"《{short_title(t)}》" for t in candidates[:6])
            raise CitationError(M.LAW_AMBIGUOUS.format(name=cleaned, candidates=shown))
        suggestions = difflib.get_close_matches(key, list(self._by_short), n=3, cutoff=0.5)
        if suggestions:
            shown = "、".join(f"《{s}》" for s in suggestions)
            raise CitationError(M.LAW_UNKNOWN_SUGGEST.format(name=cleaned, suggestions=shown))
        raise CitationError(M.LAW_UNKNOWN.format(name=cleaned))

    def _resolve_exact(self, name: str) -> str | None:
        if name in self.titles:
            return name
        for key in (_key(name), ABBREVIATIONS.get(name), ABBREVIATIONS.get(_key(name))):
            titles = self._by_short.get(key or "", [])
            if len(titles) == 1:
                return titles[0]
        return None

    def mentions(self, text: str) -> list[str]:
        """Return the titles of laws named in free text, in order of appearance."""
        found: list[tuple[int, str]] = []
        remaining = text
        for surface, title in self._surfaces:
            position = remaining.find(surface)
            while position >= 0:
                found.append((position, title))
                remaining = remaining[:position] + "\0" * len(surface) + remaining[position + len(surface):]
                position = remaining.find(surface)
        ordered: list[str] = []
        for _, title in sorted(found):
            if title not in ordered:
                ordered.append(title)
        return ordered


def _key(title: str) -> str:
    return short_title(title.strip("《》")) if title.startswith(PRC_PREFIX) else title.strip("《》")


@dataclass
class Resolved:
    """A citation checked against the store: the article and, if asked, the 款 quoted."""

    citation: Citation
    article: Article
    clause: str | None = None

    @property
    def label(self) -> str:
        """Return 《教师法》第八条第二款 with the stored title."""
        return self.citation.describe(self.article.law_title)


def resolve(citation: Citation, catalog: LawCatalog, repository) -> Resolved:
    """Check a citation against the store; raise CitationError with a precise message if it fails."""
    if not citation.law:
        raise CitationError(M.CITATION_NO_LAW)
    title = catalog.resolve(citation.law)
    article = repository.article(title, citation.article)
    if article is None:
        count, _ = repository.article_count(title)
        raise CitationError(
            M.ARTICLE_MISSING.format(law=short_title(title), total=int_to_cn(count), label=citation.article.label)
        )
    clause = None
    if citation.paragraph:
        clauses = article.clauses
        if citation.paragraph > len(clauses):
            raise CitationError(
                M.PARAGRAPH_MISSING.format(
                    law=short_title(title),
                    label=article.label,
                    total=int_to_cn(len(clauses)),
                    paragraph=int_to_cn(citation.paragraph),
                )
            )
        clause = clauses[citation.paragraph - 1]
    return Resolved(citation, article, clause)
