"""Laws in the store but not on any study list: keyword search only, so it costs no embedding.

The bundled corpus holds ~350 laws (~26,000 articles); embedding them all takes ~15 minutes on two
cores, while BM25 over their bigrams builds in seconds and answers in milliseconds. A question
the study list does not cover is looked up here and, when an article plainly speaks to it, shown
as "not on the study list, but in the law store" (bench/RETRIEVAL.md, Outside the list).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from indexer.keyword import KeywordIndex
from indexer.text import Vocabulary
from knowledge.abstention import content_bigrams
from knowledge.answers import SearchHit
from knowledge.models import Article

# An outside article is shown only when it contains a legal term of the question and enough of
# its wording (bench/outside.py measured these on questions whose law was taken off the list).
MIN_TERM_COVERAGE = 0.0
MIN_WORD_COVERAGE = 0.5


class OutsideIndex:
    """BM25 over the articles of the store's laws that the study-list index leaves out."""

    def __init__(self, article_ids: np.ndarray, law_titles: list[str], keyword: KeywordIndex | None):
        self.article_ids = np.asarray(article_ids, dtype=np.int64)
        self.law_titles = law_titles
        self.keyword = keyword
        self.vocabulary = Vocabulary()
        self._law_array = np.array(law_titles, dtype=object)

    def __len__(self) -> int:
        return len(self.article_ids)

    @classmethod
    def build(cls, articles: list[Article], text) -> OutsideIndex:
        """Index these articles' keyword texts (text(article) gives what BM25 reads)."""
        vocabulary = Vocabulary()
        keyword = KeywordIndex([vocabulary.tokens(text(a)) for a in articles]) if articles else None
        return cls(np.array([a.id for a in articles], dtype=np.int64), [a.law_title for a in articles], keyword)

    def terms(self, query: str) -> list[str]:
        """Return the legal terms a question is expanded with (as the study-list index does)."""
        expansion = self.vocabulary.expand(query)
        return expansion + [t for t in self.vocabulary.concepts(query) if t not in expansion]

    def search(self, query: str, k: int = 3, laws: list[str] | None = None) -> list[SearchHit]:
        """Return the best k outside articles by BM25 with the legal terms, only of the given laws if set."""
        if self.keyword is None or not query.strip():
            return []
        scores = self.keyword.scores(self.vocabulary.tokens(query))
        terms = self.terms(query)
        if terms:
            scores = scores + self.keyword.scores([t for term in terms for t in self.vocabulary.tokens(term)])
        if laws is not None:
            scores = np.where(np.isin(self._law_array, laws), scores, -np.inf)
        top = [i for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i]) and scores[i] > 0]
        return [SearchHit(int(self.article_ids[i]), float(scores[i]), keyword=float(scores[i])) for i in top]

    def answers(self, query: str, texts: list[str]) -> bool:
        """Tell whether the best outside article plainly speaks to the question (its terms and words)."""
        if not texts:
            return False
        terms = self.terms(query)
        grams = content_bigrams(query)
        words = sum(g in texts[0] for g in grams) / len(grams) if grams else 0.0
        term_share = sum(t in texts[0] for t in terms) / len(terms) if terms else 0.0
        return (not terms or term_share > MIN_TERM_COVERAGE) and words >= MIN_WORD_COVERAGE

    def save(self, folder: Path) -> None:
        """Write the ids, law titles and BM25 matrices."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "meta.json").write_text(
            json.dumps({"article_ids": self.article_ids.tolist(), "law_titles": self.law_titles}, ensure_ascii=False),
            encoding="utf-8",
        )
        if self.keyword is not None:
            self.keyword.save(folder / "bm25")

    @classmethod
    def load(cls, folder: Path) -> OutsideIndex:
        """Read an index written by save()."""
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        keyword = KeywordIndex.load(folder / "bm25") if (folder / "bm25").exists() else None
        return cls(np.array(meta["article_ids"], dtype=np.int64), meta["law_titles"], keyword)
