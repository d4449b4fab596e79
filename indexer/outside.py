"""Laws in the store but not on any study list: keyword search only, so it costs no embedding.

The bundled corpus holds ~350 laws (~26,000 articles); embedding them all takes ~15 minutes on two
cores, while BM25 over their bigrams builds in seconds and answers in milliseconds. The keyword
index covers the whole store, study-list laws included, so that one question's scores compare: an
article off the list is shown ("not on the study list, but in the law store") when its score beats
the best study-list article's by a margin (README, Retrieval: Outside the study list).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from indexer.keyword import KeywordIndex
from indexer.text import Vocabulary
from knowledge.answers import SearchHit
from knowledge.models import Article

# The best off-list BM25 score must reach this multiple of the best study-list score: when the
# study-list reply is unsure, and, to replace it, when it looked confident. Measured by
# bench/outside.py with the 2024 lists' first two quarters as the list and the other shared laws off it.
UNSURE_RATIO = 1.2
CONFIDENT_RATIO = 1.5


class OutsideIndex:
    """BM25 over every article of the store, knowing which are on the study list."""

    def __init__(self, article_ids: np.ndarray, law_titles: list[str], on_list: np.ndarray, keyword: KeywordIndex | None):
        self.article_ids = np.asarray(article_ids, dtype=np.int64)
        self.law_titles = law_titles
        self.on_list = np.asarray(on_list, dtype=bool)
        self.keyword = keyword
        self.vocabulary = Vocabulary()
        self._law_array = np.array(law_titles, dtype=object)

    def __len__(self) -> int:
        """Return how many articles are off the list."""
        return int((~self.on_list).sum())

    @classmethod
    def build(cls, articles: list[Article], on_list: set[int], text) -> OutsideIndex:
        """Index these articles' keyword texts (text(article) gives what BM25 reads)."""
        vocabulary = Vocabulary()
        keyword = KeywordIndex([vocabulary.tokens(text(a)) for a in articles]) if articles else None
        return cls(
            np.array([a.id for a in articles], dtype=np.int64),
            [a.law_title for a in articles],
            np.array([a.id in on_list for a in articles], dtype=bool),
            keyword,
        )

    def lookup(self, query: str, k: int = 3, laws: list[str] | None = None) -> tuple[list[SearchHit], float]:
        """Return the best k off-list articles (of the given laws, if set) and how far the best of them
        outscores the best study-list article (its score / theirs; infinite with nothing on the list)."""
        if self.keyword is None or not query.strip():
            return [], 0.0
        scores = self.keyword.scores(self.vocabulary.tokens(query))
        terms = self.vocabulary.terms(query)
        if terms:
            scores = scores + self.keyword.scores([t for term in terms for t in self.vocabulary.tokens(term)])
        inside = float(scores[self.on_list].max()) if self.on_list.any() else 0.0
        wanted = ~self.on_list if laws is None else ~self.on_list & np.isin(self._law_array, laws)
        scores = np.where(wanted, scores, -np.inf)
        top = [i for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i]) and scores[i] > 0]
        hits = [SearchHit(int(self.article_ids[i]), float(scores[i]), keyword=float(scores[i])) for i in top]
        ratio = (hits[0].score / inside if inside > 0 else float("inf")) if hits else 0.0
        return hits, ratio

    def worth_showing(self, ratio: float, confident: bool) -> bool:
        """Tell whether off-list articles that outscore the study list by this ratio are worth showing."""
        return ratio >= (CONFIDENT_RATIO if confident else UNSURE_RATIO)

    def save(self, folder: Path) -> None:
        """Write the ids, law titles and BM25 matrices."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "meta.json").write_text(
            json.dumps(
                {"article_ids": self.article_ids.tolist(), "law_titles": self.law_titles, "on_list": self.on_list.tolist()},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        if self.keyword is not None:
            self.keyword.save(folder / "bm25")

    @classmethod
    def load(cls, folder: Path) -> OutsideIndex:
        """Read an index written by save()."""
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        keyword = KeywordIndex.load(folder / "bm25") if (folder / "bm25").exists() else None
        return cls(np.array(meta["article_ids"], dtype=np.int64), meta["law_titles"], np.array(meta["on_list"]), keyword)
