"""Chinese text for search: bigram tokens, stopwords and colloquial-to-legal query expansion."""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from importlib import resources

from knowledge.numerals import CN_DIGITS, cn_to_int

# Full-width digits split runs too: numbers are matched as their own words by the dense side.
_PUNCT = re.compile(r"[\s\u3000，。、；：？！“”‘’（）《》【】〔〕…—\-,.;:?!\"'()\[\]<>/\\|·~@#$%^&*+=_`{}０-９]+")
_HEADING_NO = re.compile(rf"^第[{CN_DIGITS}0-9]+(?:分编|编|章|节)\s*")


def _data(name: str) -> str:
    return resources.files("indexer").joinpath("data", name).read_text(encoding="utf-8")


def parse_expansions(text: str) -> dict[str, list[str]]:
    """Parse 'colloquial=legal legal' items separated by | or new lines; # starts a comment line."""
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for item in line.split("|"):
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or not key:
                continue
            terms = table.setdefault(key, [])
            terms += [t for t in value.split() if t != key and t not in terms]
    return table


def parse_concepts(text: str) -> list[tuple[list[list[str]], list[str]]]:
    """Parse 'a,b+c=term term' lines: every +-joined group must match, any word of a group will do."""
    items = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        triggers, _, terms = line.partition("=")
        groups = [[w.strip() for w in group.split(",") if w.strip()] for group in triggers.split("+")]
        if all(groups) and terms.split():
            items.append((groups, terms.split()))
    return items


_AGE = re.compile(rf"([0-9]{{1,2}}|[{CN_DIGITS}]{{1,3}})\s*周?岁")


def age_terms(query: str) -> list[str]:
    """Return the legal age brackets for ages in a question: civil capacity, criminal and penalty ages."""
    terms: list[str] = []
    for match in _AGE.finditer(query):
        digits = match.group(1)
        try:  # 十四五岁 (fourteen or fifteen) reads as its first age
            age = cn_to_int(digits) if not (len(digits) == 3 and digits[0] == "十") else cn_to_int(digits[:2])
        except (ValueError, KeyError):
            continue
        if age < 8:
            found = ["不满八周岁", "无民事行为能力人"]
        elif age < 18:
            found = ["已满八周岁", "限制民事行为能力人"]
        else:
            found = ["成年人", "完全民事行为能力人"]
        if 10 <= age < 14:
            found.append("不满十四周岁")
        if 12 <= age < 14:
            found.append("已满十二周岁不满十四周岁")
        elif 14 <= age < 16:
            found += ["已满十四周岁不满十六周岁", "未满十六周岁"]
        elif 16 <= age < 18:
            found.append("已满十六周岁")
        terms += [t for t in found if t not in terms]
    return terms


def heading_words(heading: str) -> str:
    """Drop the number of a heading: '第二章 权利和义务' -> '权利和义务'."""
    return _HEADING_NO.sub("", heading).strip() or heading


class Vocabulary:
    """Stopwords and the expansion table, loaded once from indexer/data."""

    @cached_property
    def stopwords(self) -> frozenset[str]:
        """Return question words too common to carry meaning."""
        return frozenset(w for line in _data("stopwords.txt").splitlines() if not line.startswith("#") for w in line.split())

    @cached_property
    def expansions(self) -> dict[str, list[str]]:
        """Return the colloquial -> legal vocabulary."""
        return parse_expansions(_data("expansions.txt"))

    @cached_property
    def _keys(self) -> list[str]:
        return sorted(self.expansions, key=len, reverse=True)

    @cached_property
    def concept_items(self) -> list[tuple[list[list[str]], list[str]]]:
        """Return the situation -> legal concept vocabulary."""
        return parse_concepts(_data("concepts.txt"))

    # A question is expanded by the search, the evidence and the store search alike: once is enough.
    @lru_cache(maxsize=1024)  # noqa: B019 - a few long-lived instances; entries are short strings
    def concepts(self, query: str) -> tuple[str, ...]:
        """Return the legal concepts a question's situation points to (ages included), each term once."""
        terms: list[str] = []
        for groups, found in self.concept_items:
            if all(any(word in query for word in group) for group in groups):
                terms += [t for t in found if t not in terms and t not in query]
        return tuple(terms + [t for t in age_terms(query) if t not in terms])

    def terms(self, query: str) -> list[str]:
        """Return every legal term of a question: colloquial words first, then situations, each once."""
        expansion = self.expand(query)
        return list(expansion) + [t for t in self.concepts(query) if t not in expansion]

    @lru_cache(maxsize=1024)  # noqa: B019
    def expand(self, query: str) -> tuple[str, ...]:
        """Return legal terms for the colloquial words of a query (longest match first, no overlaps)."""
        taken = [False] * len(query)
        terms: list[str] = []
        for key in self._keys:
            start = query.find(key)
            while start >= 0:
                if not any(taken[start:start + len(key)]):
                    taken[start:start + len(key)] = [True] * len(key)
                    terms += [t for t in self.expansions[key] if t not in terms and t not in query]
                start = query.find(key, start + 1)
        return tuple(terms)

    def tokens(self, text: str) -> list[str]:
        """Tokenize for BM25: character bigrams plus single characters that are not stopwords.

        Measured on the shared laws, bigrams beat jieba word segmentation (with a legal
        dictionary) for colloquial questions: recall@5 0.76 vs 0.58 on dev, 0.58 vs 0.41 held out.
        """
        out: list[str] = []
        for run in _PUNCT.split(text):
            if not run:
                continue
            out += [run[i:i + 2] for i in range(len(run) - 1)]
            out += [ch for ch in run if ch not in self.stopwords]
        return out
