"""Chinese text for search: bigram tokens, stopwords and colloquial-to-legal query expansion."""

from __future__ import annotations

import re
from functools import cached_property
from importlib import resources

from knowledge.numerals import CN_DIGITS

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

    def expand(self, query: str) -> list[str]:
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
        return terms

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
