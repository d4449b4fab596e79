"""Grounded answers: the right articles for a question, quoted from the store, or an honest abstention."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from knowledge import messages as M
from knowledge.citations import LawCatalog, find_citations, resolve
from knowledge.errors import CitationError
from knowledge.models import Article

if TYPE_CHECKING:
    from knowledge.store import Repository

MAX_QUESTION = 500  # characters kept from a question; the rest is noise for retrieval
_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass
class SearchHit:
    """One article found by the index, with the evidence for it."""

    article_id: int
    score: float  # fused score, higher is better
    confidence: float = 0.0  # calibrated relevance used for abstention, 0..1
    dense: float | None = None
    keyword: float | None = None
    cited: bool = False  # found through a citation in the question


class Retriever(Protocol):
    """What answers and related articles need from an index (indexer.Index is one)."""

    threshold: float

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        """Return the best k articles for a query, best first."""

    def similar(self, article_id: int, k: int = 5) -> list[SearchHit]:
        """Return the articles nearest in meaning to one article, itself excluded."""


@dataclass
class Passage:
    """An article in an answer, quoted verbatim from the store."""

    article: Article
    score: float
    highlights: list[str] = field(default_factory=list)  # verbatim sentences of the article most relevant

    @property
    def citation(self) -> str:
        """Return 《title》第N条."""
        return self.article.citation


@dataclass
class Answer:
    """What xuefa says to a question."""

    question: str
    passages: list[Passage] = field(default_factory=list)
    abstained: bool = False
    related: list[Article] = field(default_factory=list)
    notice: str | None = None  # why the question was refused or changed
    cited: list[str] = field(default_factory=list)  # citations the user typed that resolved
    citation_errors: list[str] = field(default_factory=list)  # citations the user typed that did not
    ranked: list[int] = field(default_factory=list)  # article ids in retrieval order (cited ones first)
    summary: str | None = None  # optional generated text, grounded in the passages
    removed_citations: list[str] = field(default_factory=list)  # citations stripped from the summary

    @property
    def outcome(self) -> str:
        """Return how the question was answered, for the question log."""
        if self.notice and not self.passages:
            return "refused"
        return "abstained" if self.abstained else "answered"


def clean_question(text: str, to_simplified: Callable[[str], str] | None = None) -> tuple[str, str | None]:
    """Normalize a question (width, traditional script, length); return it with a notice if refused."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if to_simplified is not None:
        text = to_simplified(text)
    if not _CJK.search(text):
        if _LATIN_WORD.search(text):
            return "", M.ANSWER_NOT_CHINESE
        return "", M.ANSWER_EMPTY
    if len(text) > MAX_QUESTION:
        return text[:MAX_QUESTION], M.ANSWER_TRUNCATED.format(n=MAX_QUESTION)
    return text, None


def highlights(article: Article, question: str, limit: int = 2) -> list[str]:
    """Return the article's sentences sharing the most characters with the question, verbatim."""
    wanted = set(_bigrams(question))
    scored = []
    for sentence in _SENTENCE.findall(article.text):
        sentence = sentence.strip()
        if len(sentence) < 4:
            continue
        overlap = len(wanted & set(_bigrams(sentence)))
        if overlap:
            scored.append((overlap, sentence))
    scored.sort(key=lambda item: -item[0])
    return [sentence for _, sentence in scored[:limit]]


def _bigrams(text: str) -> list[str]:
    chars = [ch for ch in text if _CJK.match(ch)]
    return [a + b for a, b in zip(chars, chars[1:])]


def answer(
    question: str,
    retriever: Retriever | None,
    repository: Repository,
    catalog: LawCatalog,
    *,
    threshold: float,
    k: int = 3,
    depth: int = 10,
    to_simplified: Callable[[str], str] | None = None,
) -> Answer:
    """Answer a question from the articles in the index, or abstain with the nearest ones."""
    text, notice = clean_question(question, to_simplified)
    result = Answer(question=question, notice=notice)
    if not text:
        return result
    for citation in find_citations(text):
        try:
            resolved = resolve(citation, catalog, repository)
        except CitationError as exc:
            result.citation_errors.append(str(exc))
            continue
        result.cited.append(resolved.label)
        if all(p.article.id != resolved.article.id for p in result.passages):
            result.passages.append(Passage(resolved.article, 1.0, highlights(resolved.article, text)))
    if retriever is None:
        result.abstained = not result.passages
        if not result.passages and not result.citation_errors:
            result.notice = M.ANSWER_SEARCH_NOT_READY
        return result
    hits = retriever.search(text, k=max(k, depth))
    result.ranked = [p.article.id for p in result.passages] + [
        hit.article_id for hit in hits if all(hit.article_id != p.article.id for p in result.passages)
    ]
    # Abstain unless some article really is close in meaning; the best fused hit need not be that one.
    confident = bool(hits) and max(hit.confidence for hit in hits) >= threshold
    articles = {a.id: a for a in repository.articles(ids=[hit.article_id for hit in hits])}
    for hit in hits:
        article = articles.get(hit.article_id)
        if article is None or any(p.article.id == article.id for p in result.passages):
            continue  # an id the store no longer has is never shown
        if len(result.passages) < k:
            result.passages.append(Passage(article, hit.score, highlights(article, text)))
        elif len(result.related) < 3:
            result.related.append(article)
    result.abstained = not confident and not result.cited
    return result
