"""Vectors for the whole bundled law store, shipped with the package, so an index of any list drawn
from the bundled laws (or of the whole store, `xuefa index --all`) embeds almost nothing.

The file holds, for the default encoder only, the sha1 of every paragraph text the index embeds
(exactly the keys of the index's own cache) and its vector in 8 bits with one scale per vector
(cosine to the float vector >= 0.99996). A build looks texts up by hash: a changed or new text
misses and is embedded as usual, so a vector can never be stale; another encoder ignores the file.

Regenerate after changing the bundled corpus version, the chunking or the encoder (about an hour on
two busy cores; it checkpoints to --work every 512 texts, so a stopped run resumes where it was):

    nice -n 10 .venv/bin/python -m indexer.prebuilt [--work DIR] [--seed INDEX_DIR ...] [--write-only]
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

import numpy as np

from indexer.encoders import text_key

FILE = "store-vectors.npz"


def _path() -> Path:
    return Path(str(resources.files("indexer").joinpath("data", FILE)))


def vectors(encoder_name: str, dim: int, keys: set[str] | None = None) -> dict[str, np.ndarray]:
    """Return the shipped vectors by text key (only those of ``keys`` if given), if they were made
    with this encoder; else nothing. Only the rows asked for are turned back into floats."""
    return _read(_path(), encoder_name, dim, keys)


def _read(path: Path, encoder_name: str, dim: int, keys: set[str] | None) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    with np.load(path) as data:
        if str(data["encoder"]) != encoder_name or data["codes"].shape[1:] != (dim,):
            return {}
        digests = [bytes(row).hex() for row in data["keys"]]
        rows = [i for i, key in enumerate(digests) if keys is None or key in keys]
        if not rows:
            return {}
        codes, scales = data["codes"][rows], data["scales"][rows]
    matrix = codes.astype(np.float32) * (scales.astype(np.float32)[:, None] / 127.0)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return {digests[i]: vector for i, vector in zip(rows, matrix)}


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


def store_texts(corpus=None) -> list[str]:
    """Return every paragraph text an index of the bundled store can embed, most wanted first.

    Each title in the version `laws import --bundled` takes (the newest 现行有效 one, else the newest
    of any status, as for 刑法, whose text is also taken with the later 修正案 applied, as the import
    does), then the other versions a title can fall back to, deduplicated.
    Order: 宪法 and 法律 in force, other laws in force or amended, then repealed and historic ones,
    so a builder stopped early has covered the laws study lists name most.
    """
    from indexer.index import chunks
    from knowledge.bundled import BundledCorpus, apply_amendments, bundled_law
    from knowledge.models import AMENDED, CURRENT

    own = corpus is None
    corpus = corpus or BundledCorpus()
    try:
        rows = corpus.laws(None, None)
        newest: dict[str, object] = {}
        current: dict[str, object] = {}
        for row in rows:  # each title's newest first
            newest.setdefault(row.title, row)
            if row.status == CURRENT:
                current.setdefault(row.title, row)
        chosen = {id(r): r for r in [*current.values(), *newest.values()]}.values()

        def tier(row) -> int:
            if row.status == CURRENT or row is newest[row.title]:
                return 0 if row.level in ("宪法", "法律") else 1
            return 2

        texts, seen = [], set()
        def add(law) -> None:
            for article in law.articles:
                for text in chunks(article):
                    key = text_key(text)
                    if key not in seen:
                        seen.add(key)
                        texts.append(text)

        for row in sorted(chosen, key=lambda r: (tier(r), r.title)):
            parsed = bundled_law(corpus, row)
            if parsed is None:
                continue
            add(parsed.law)
            if row.status == AMENDED:  # as imported: 刑法's 2020 text with 修正案（十二） applied
                parsed = bundled_law(corpus, row)
                apply_amendments(corpus, parsed.law)
                add(parsed.law)
        return texts
    finally:
        if own:
            corpus.close()


def main() -> None:
    import logging

    from indexer import make_encoders
    from indexer.encoders import EmbeddingCache
    from indexer.index import _embed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "xuefa-prebuilt",
                        help="checkpoint folder: a stopped run resumes from it")
    parser.add_argument("--seed", type=Path, nargs="*", default=[], help="index folders whose embedding caches to reuse")
    parser.add_argument("--seed-shipped", type=Path, nargs="*", default=[],
                        help="earlier shipped files (8 bits) to reuse, e.g. an older store-vectors.npz")
    parser.add_argument("--write-only", action="store_true", help="write the file from what is embedded so far")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    (encoder,) = make_encoders(None)
    texts = store_texts()
    args.work.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(encoder.name, encoder.dim)
    cache.load(args.work)
    wanted = {text_key(t) for t in texts}
    for folder in args.seed:
        other = EmbeddingCache(encoder.name, encoder.dim)
        other.load(folder)
        cache.add_keyed({k: v for k, v in other.vectors.items() if k in wanted})
    for path in args.seed_shipped:
        cache.add_keyed({k: v for k, v in _read(path, encoder.name, encoder.dim, wanted).items()})
    cache.flush(args.work)
    missing = cache.missing(texts)
    print(f"{len(texts)} paragraph texts, {len(missing)} to embed", flush=True)
    if not args.write_only:
        _embed(encoder, cache, missing, progress=True, checkpoint=args.work)
        cache.save(args.work, keep=wanted)
    keyed = {key: cache.vectors[key] for key in wanted if key in cache.vectors}
    size = write(_path(), encoder.name, keyed)
    print(f"wrote {_path()} ({len(keyed)} of {len(wanted)} vectors, {size / 2**20:.1f} MB)")


if __name__ == "__main__":
    main()
