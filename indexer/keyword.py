"""Keyword index: BM25 (bm25s) over pre-tokenized text; user text only ever becomes a token list."""

from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np

# bm25s sets its own logger to DEBUG on import; its progress chatter is not ours to print.
logging.getLogger("bm25s").setLevel(logging.WARNING)

EMPTY = "\x00"  # a document with no tokens still needs one, so numbering stays aligned


class KeywordIndex:
    """BM25 over one document per article."""

    def __init__(self, documents: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.model = bm25s.BM25(k1=k1, b=b)
        self.model.index([tokens or [EMPTY] for tokens in documents], show_progress=False)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Return every article's BM25 score; tokens unknown to the corpus are ignored."""
        known = [t for t in tokens if t in self.model.vocab_dict]
        if not known:
            return np.zeros(self.model.scores["num_docs"], dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)

    def save(self, folder: Path) -> None:
        """Write the BM25 matrices."""
        self.model.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Read an index written by save()."""
        keyword = cls.__new__(cls)
        keyword.model = bm25s.BM25.load(str(folder))
        return keyword
