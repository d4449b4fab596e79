"""Dense index: chunk embeddings in faiss, scored per article by its best chunk."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class DenseIndex:
    """Chunk vectors in a flat inner-product index; inner product equals cosine on normalized vectors."""

    def __init__(self, vectors: np.ndarray, starts: np.ndarray):
        self.starts = np.asarray(starts, dtype=np.int64)  # first chunk of each article, ascending
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Return every article's best chunk cosine for a query vector."""
        total = self.index.ntotal
        if total == 0:
            return np.zeros(0, dtype=np.float32)
        # A flat index is exact; asking for every chunk gives every article a score to normalize.
        distances, labels = self.index.search(query.reshape(1, -1).astype(np.float32), total)
        by_chunk = np.empty(total, dtype=np.float32)
        by_chunk[labels[0]] = distances[0]
        return np.maximum.reduceat(by_chunk, self.starts)

    def article_vector(self, position: int) -> np.ndarray:
        """Return the normalized mean of an article's chunk vectors."""
        end = self.starts[position + 1] if position + 1 < len(self.starts) else self.index.ntotal
        vectors = self.index.reconstruct_n(int(self.starts[position]), int(end - self.starts[position]))
        mean = vectors.mean(axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-12)

    def save(self, path: Path) -> None:
        """Write the faiss index and the chunk boundaries."""
        faiss.write_index(self.index, str(path.with_suffix(".faiss")))
        np.save(path.with_suffix(".starts.npy"), self.starts)

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        """Read an index written by save()."""
        dense = cls.__new__(cls)
        dense.index = faiss.read_index(str(path.with_suffix(".faiss")))
        dense.starts = np.load(path.with_suffix(".starts.npy"))
        return dense
