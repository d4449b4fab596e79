"""Vectors for the bundled example study list, shipped with the package, so a first start embeds
almost nothing (embedding its ~5,500 paragraphs takes 3-4 minutes on two cores).

The file holds, for the default encoder only, the sha1 of every paragraph text the index embeds
(exactly the keys of the index's own cache) and its vector in 8 bits with one scale per vector
(cosine to the float vector >= 0.99996). A build looks texts up by hash: a changed or new text
misses and is embedded as usual, so a vector can never be stale; another encoder ignores the file.

Regenerate after changing the example list, the bundled corpus version, the chunking or the encoder:

    .venv/bin/python -m indexer.prebuilt [--from INDEX_DIR]   # --from reuses an index's embedding cache
"""

from __future__ import annotations

import argparse
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from indexer.encoders import text_key

FILE = "example-vectors.npz"


def _path() -> Path:
    return Path(str(resources.files("indexer").joinpath("data", FILE)))


def vectors(encoder_name: str, dim: int) -> dict[str, np.ndarray]:
    """Return the shipped vectors by text key, if they were made with this encoder; else nothing."""
    path = _path()
    if not path.exists():
        return {}
    with np.load(path) as data:
        if str(data["encoder"]) != encoder_name or data["codes"].shape[1:] != (dim,):
            return {}
        keys, codes, scales = data["keys"], data["codes"], data["scales"]
    matrix = codes.astype(np.float32) * (scales.astype(np.float32)[:, None] / 127.0)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return {bytes(key).hex(): vector for key, vector in zip(keys, matrix)}


def write(path: Path, encoder_name: str, keyed: dict[str, np.ndarray]) -> int:
    """Quantize vectors to 8 bits with a per-vector scale and save them; return the file size."""
    keys = sorted(keyed)
    matrix = np.stack([keyed[k] for k in keys]).astype(np.float32)
    scales = np.abs(matrix).max(axis=1)
    codes = np.round(matrix / scales[:, None] * 127).astype(np.int8)
    np.savez_compressed(
        path,
        encoder=np.array(encoder_name),
        # raw sha1 bytes as uint8 rows: a bytes dtype would drop a digest's trailing zero bytes
        keys=np.array([list(bytes.fromhex(k)) for k in keys], dtype=np.uint8),
        codes=codes,
        scales=scales.astype(np.float16),
    )
    return path.stat().st_size


def example_articles(repository) -> list:
    """Import the bundled laws of the example study list into a store; return their articles."""
    import yaml

    from knowledge.bundled import BundledCorpus, bundled_laws

    example = resources.files("knowledge").joinpath("data", "example-studylist.yaml").read_text(encoding="utf-8")
    titles = sorted({law["title"] for quarter in yaml.safe_load(example)["quarters"] for law in quarter["laws"]})
    corpus = BundledCorpus()
    try:
        repository.import_laws([p.law for p in bundled_laws(corpus, titles)])
    finally:
        corpus.close()
    return repository.articles()


def main() -> None:
    from indexer import make_encoders
    from indexer.encoders import EmbeddingCache
    from indexer.index import _embed, chunks
    from knowledge.store import Repository

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="an index folder whose embedding cache to reuse")
    args = parser.parse_args()
    (encoder,) = make_encoders(None)
    with tempfile.TemporaryDirectory(prefix="xuefa-prebuilt-") as folder:
        repository = Repository(Path(folder) / "x.db")
        texts = sorted({t for article in example_articles(repository) for t in chunks(article)})
        repository.close()
    cache = EmbeddingCache(encoder.name, encoder.dim)
    if args.source:
        cache.load(args.source)
    missing = cache.missing(texts)
    print(f"{len(texts)} paragraph texts, {len(missing)} to embed")
    _embed(encoder, cache, missing, progress=True)
    keyed = {key: cache.vectors[key] for key in {text_key(t) for t in texts}}
    size = write(_path(), encoder.name, keyed)
    print(f"wrote {_path()} ({len(keyed)} vectors, {size / 2**20:.1f} MB)")


if __name__ == "__main__":
    main()
