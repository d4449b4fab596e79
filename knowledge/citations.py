"""Citations: 《中华人民共和国教师法》第八条, 教师法第8条, 民法典1165条 -> (law, article[, paragraph])."""

from __future__ import annotations

import difflib
import functools
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
_LAW_SUFFIX_END = re.compile(rf"{_LAW_SUFFIX}$")


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


# Topics people write without naming a law; as aliases they resolve a typed name, but in running
# text they are subjects ("未成年人保护工作"), not law names, so mentions() ignores them.
_TOPIC_ALIASES = frozenset({"未成年人保护", "预防未成年人犯罪", "政府信息公开", "劳动合同"})
# 法律/法治/法院… : a name ending in 法 followed by these is a word that merely contains the name
# (公民法律意识 is not 民法, 教育法律法规 is not 教育法); 法规定 (a law's 规定) stays a mention.
_NOT_AFTER_FA = frozenset("律治院官人学庭制理")
# A typed law name whose last character is one of these is a slip of the suffix: 教师发 for 教师法.
_SUFFIX_SLIPS = {"法": "发罚乏伐阀筏珐", "例": "列利力历", "典": "点电"}
# Characters that end a lead-in rather than start a name: 违反了XX法 names XX法.
_LEAD_IN = re.compile(r"^.*[了的是在按据照问请查看和与及或把对从向给被让说为关于]")


@functools.lru_cache(maxsize=1)
def known_law_names() -> frozenset[str]:
    """Return the short names of every law the bundled corpus knows, loaded or not (read once)."""
    try:
        from knowledge.bundled import BundledCorpus

        corpus = BundledCorpus()
        try:
            titles = corpus.titles(status=None)
        finally:
            corpus.close()
    except Exception:  # noqa: BLE001 - without the corpus only the store's own names are known
        return frozenset()
    return frozenset(_key(title) for title in titles)


@dataclass(frozen=True)
class Mention:
    """A law named in free text: the stored title, or None with the name as written when not loaded."""

    start: int
    end: int
    name: str  # the name as the law is called (the alias's target for an abbreviation)
    title: str | None
    typed: str | None = None  # set for a slip such as 教师发: what was typed


class LawNotFound(CitationError):
    """A law name that is no law of the store; carries the close names that are."""

    def __init__(self, name: str, candidates: list[str]):
        self.name = name
        self.candidates = candidates
        shown = "、".join(f"《{short_title(t)}》" for t in candidates)
        super().__init__(
            M.LAW_NOT_IN_STORE_SUGGEST.format(name=name, candidates=shown) if candidates else M.LAW_NOT_IN_STORE.format(name=name)
        )


class LawCatalog:
    """Resolves what people call a law (教师法, 道交法, 《中华人民共和国教师法》) to a stored title.

    Only an exact title, short title or registered abbreviation resolves: never a substring, so
    教育法 is never 义务教育法. A name that the store lacks is reported with close candidates.
    """

    def __init__(self, titles: Iterable[str], known: Iterable[str] | None = None):
        self.titles = sorted(set(titles))
        self._by_short: dict[str, list[str]] = {}
        for title in self.titles:
            self._by_short.setdefault(_key(title), []).append(title)
        self._known = set(known_law_names() if known is None else known) | set(ABBREVIATIONS.values())
        self._surfaces = self._mention_surfaces()

    def _unique(self, key: str | None) -> str | None:
        titles = self._by_short.get(key or "", [])
        return titles[0] if len(titles) == 1 else None

    def _mention_surfaces(self) -> list[tuple[str, str, str | None]]:
        """Return (surface, name, title or None) for every name worth finding in text, longest first."""
        surfaces: dict[str, tuple[str, str | None]] = {}
        for name in self._known:
            if len(name) >= 2:
                surfaces[name] = (name, self._unique(name))
        for key, titles in self._by_short.items():
            if len(titles) == 1 and len(key) >= 2:
                surfaces[key] = (key, titles[0])
                surfaces[titles[0]] = (key, titles[0])
        for alias, target in ABBREVIATIONS.items():
            if alias not in _TOPIC_ALIASES and alias not in surfaces:
                surfaces[alias] = (target, self._unique(target))
        return sorted(((s, n, t) for s, (n, t) in surfaces.items()), key=lambda item: -len(item[0]))

    def resolve(self, name: str) -> str:
        """Return the stored title for a law name, or raise CitationError saying why not."""
        cleaned = re.sub(r"\s+", "", name or "").strip("《》")
        if not cleaned:
            raise CitationError(M.CITATION_NO_LAW)
        # A bare name in running text may carry words before it (请问教师法): the longest suffix that
        # is a law name decides, so 义务教育法 is reported missing rather than read as 教育法.
        for i in range(len(cleaned) - 1):
            suffix = cleaned[i:]
            title = self._resolve_exact(suffix)
            if title:
                return title
            if self._is_known(suffix):
                raise LawNotFound(_display(suffix), self.candidates(suffix))
        shown = _LEAD_IN.sub("", cleaned) or cleaned
        raise LawNotFound(shown, self.candidates(shown))

    def _is_known(self, name: str) -> bool:
        key = _key(name)
        return key in self._known or name in ABBREVIATIONS or key in self._by_short

    def _resolve_exact(self, name: str) -> str | None:
        if name in self.titles:
            return name
        key = _key(name)
        for candidate in (key, ABBREVIATIONS.get(name), ABBREVIATIONS.get(key)):
            title = self._unique(candidate)
            if title:
                return title
        return None

    def candidates(self, name: str, n: int = 3) -> list[str]:
        """Return up to n stored titles close to a name that is not one: containing it, or spelt alike."""
        key = _key(name)
        keys = list(self._by_short)
        related = [k for k in keys if key in k or (k in key and len(k) >= 2)]
        related.sort(key=lambda k: -difflib.SequenceMatcher(None, key, k).ratio())
        if not related:  # spelt alike: compare the names without 法/条例, or every 某法 would resemble 宪法
            stems = {}
            for k in keys:
                stems.setdefault(_LAW_SUFFIX_END.sub("", k), k)
            related = [stems[s] for s in difflib.get_close_matches(_LAW_SUFFIX_END.sub("", key), list(stems), n=n, cutoff=0.6)]
        return [self._by_short[k][0] for k in related[:n]]

    def named(self, text: str) -> list[Mention]:
        """Return the laws named in free text, in order: stored ones, missing ones, and slips (教师发)."""
        found: list[Mention] = []
        masked = text
        for surface, name, title in self._surfaces:
            position = masked.find(surface)
            while position >= 0:
                end = position + len(surface)
                if _mention_boundary(text, end, surface):
                    found.append(Mention(position, end, name, title))
                    masked = masked[:position] + "\0" * len(surface) + masked[end:]
                    position = masked.find(surface, end)
                else:
                    position = masked.find(surface, position + 1)
        found += self._slips(masked)
        return sorted(found, key=lambda m: m.start)

    @functools.cached_property
    def _slip_tables(self) -> tuple[dict[str, str], dict[str, str], list[int]]:
        """Index stored short names for one-character slips: by all but the suffix, and with one middle gap."""
        final: dict[str, str] = {}
        middle: dict[str, str] = {}
        for key, titles in self._by_short.items():
            if len(titles) != 1 or len(key) < 3:
                continue
            if key[-1] in _SUFFIX_SLIPS:
                final[key[:-1]] = key
            for i in range(1, len(key) - 1):
                middle[key[:i] + "?" + key[i + 1:]] = key
        return final, middle, sorted({len(k) for k in list(final.values()) + list(middle.values())})

    def _slips(self, text: str) -> list[Mention]:
        """Find stored names typed with one wrong character (教师发, 义务教肓法), outside known names."""
        final, middle, lengths = self._slip_tables
        slips: list[Mention] = []
        for size in lengths:
            for start in range(len(text) - size + 1):
                piece = text[start:start + size]
                if "\0" in piece:
                    continue
                key = final.get(piece[:-1])
                if key is None or piece[-1] not in _SUFFIX_SLIPS[key[-1]]:
                    key = None
                    if piece[-1] in _SUFFIX_SLIPS and _mention_boundary(text, start + size, piece):
                        key = next(
                            (middle[g] for i in range(1, size - 1) if (g := piece[:i] + "?" + piece[i + 1:]) in middle), None
                        )
                if key and not self._is_known(piece):
                    slips.append(Mention(start, start + size, key, self._by_short[key][0], typed=piece))
        kept: list[Mention] = []
        for slip in sorted(slips, key=lambda m: m.start - m.end):  # longest first; 教肓法 inside 义务教肓法 goes
            if all(slip.end <= other.start or other.end <= slip.start for other in kept):
                kept.append(slip)
        return kept

    def mentions(self, text: str) -> list[str]:
        """Return the stored titles of laws named in free text, in order of appearance."""
        titles: list[str] = []
        for mention in self.named(text):
            if mention.title and mention.title not in titles:
                titles.append(mention.title)
        return titles


def _mention_boundary(text: str, end: int, surface: str) -> bool:
    """Tell whether a name found at text[:end] ends there, rather than inside a word such as 法律."""
    if not surface.endswith("法") or end >= len(text):
        return True
    after = text[end]
    if after == "规":
        return text[end + 1:end + 2] == "定"
    return after not in _NOT_AFTER_FA


def _display(name: str) -> str:
    """Return the name to show for a law that is not loaded: an abbreviation's full short title."""
    return ABBREVIATIONS.get(name) or _key(name)


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
