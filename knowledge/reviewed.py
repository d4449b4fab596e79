"""Reviewed answers serve the next teacher: the reviewed question-answer pairs as a layer searched first.

A new question close enough to a reviewed one gets that answer, marked 经法治副校长解答, with its
articles quoted from the store. Closeness is the cosine of the two questions' embeddings (the
index's own encoder, as queries) plus the overlap of their content bigrams; both thresholds were
set on bench/reviewed.py's tuning set (paraphrases and unrelated questions written for it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from knowledge.abstention import content_bigrams
from knowledge.answers import clean_question

if TYPE_CHECKING:
    from knowledge.store import Repository, ReviewedPair

Encode = Callable[[list[str]], np.ndarray]  # texts -> one vector per text (any scale)
COSINE_WEIGHT, OVERLAP_WEIGHT = 1.0, 0.1
MATCH_AT = 0.945  # combined score at and above which a reviewed pair answers the question (bench/reviewed.py --grid)
OVERLAP_ONLY_AT = 0.6  # without an encoder: the share of shared content bigrams


@dataclass(frozen=True)
class Match:
    """A reviewed pair close enough to a question, and how close."""

    pair: ReviewedPair
    score: float
    cosine: float | None
    overlap: float


def overlap(a: str, b: str) -> float:
    """Return the Dice overlap of two questions' content bigrams (0..1)."""
    left, right = set(content_bigrams(a)), set(content_bigrams(b))
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


class ReviewedLayer:
    """The active reviewed pairs, embedded once each, reloaded when pairs are added or retired."""

    def __init__(self, repository: Repository, encode: Encode | None = None, match_at: float = MATCH_AT):
        self.repository = repository
        self.encode = encode
        self.match_at = match_at
        self._marker: tuple | None = None
        self._pairs: list[ReviewedPair] = []
        self._vectors: np.ndarray | None = None
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        marker = self.repository.pairs_marker()
        if marker == self._marker:
            return
        pairs = self.repository.pairs()
        vectors = None
        if self.encode is not None and pairs:
            missing = [p.question for p in pairs if p.question not in self._cache]
            if missing:
                for text, vector in zip(missing, self._unit(self.encode(missing))):
                    self._cache[text] = vector
            vectors = np.stack([self._cache[p.question] for p in pairs])
        self._pairs, self._vectors, self._marker = pairs, vectors, marker

    @staticmethod
    def _unit(vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def scores(self, question: str) -> list[Match]:
        """Return every active pair scored against a question, best first."""
        text, _ = clean_question(question)
        if not text:
            return []
        with self._lock:
            self._load()
            pairs, vectors = self._pairs, self._vectors
        if not pairs:
            return []
        cosines = None
        if vectors is not None:
            cosines = vectors @ self._unit(self.encode([text]))[0]
        found = []
        for n, pair in enumerate(pairs):
            shared = overlap(text, pair.question)
            if cosines is None:
                found.append(Match(pair, shared, None, shared))
            else:
                cosine = float(cosines[n])
                found.append(Match(pair, COSINE_WEIGHT * cosine + OVERLAP_WEIGHT * shared, cosine, shared))
        found.sort(key=lambda m: -m.score)
        return found

    def match(self, question: str) -> Match | None:
        """Return the reviewed pair that answers a question, or None when none is close enough."""
        found = self.scores(question)
        if not found:
            return None
        best = found[0]
        cut = self.match_at if best.cosine is not None else OVERLAP_ONLY_AT
        return best if best.score >= cut else None
