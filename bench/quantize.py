"""What quantising the shipped vectors costs: dense recall@k on ../shared/eval/dev.jsonl with float32,
float16 and int8 (per-vector scale, as indexer/prebuilt.py stores them), and bytes per vector.

    nice -n 10 python bench/quantize.py --cache DIR [--questions ../shared/eval/dev.jsonl]

DIR holds an embedding cache (an index folder, or the prebuilt builder's --work folder). The
corpus searched is every bundled law that a gold answer names, over the paragraphs of those laws
that the cache holds, so the three runs differ only in how the vectors are stored.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from indexer import make_encoders
from indexer.encoders import EmbeddingCache, text_key
from indexer.index import chunks
from knowledge.bundled import BundledCorpus, bundled_laws


def int8(matrix: np.ndarray) -> np.ndarray:
    scales = np.abs(matrix).max(axis=1).astype(np.float16).astype(np.float32)
    codes = np.round(matrix / scales[:, None] * 127).astype(np.int8)
    back = codes.astype(np.float32) * (scales[:, None] / 127.0)
    return back / np.linalg.norm(back, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=Path("../shared/eval/dev.jsonl"))
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [q for q in questions if q["gold"]]
    titles = sorted({g["title"] for q in questions for g in q["gold"]})
    (encoder,) = make_encoders(None)
    cache = EmbeddingCache(encoder.name, encoder.dim)
    cache.load(args.cache)
    corpus = BundledCorpus()
    try:
        laws = [p.law for p in bundled_laws(corpus, titles)]
    finally:
        corpus.close()
    keys, owners = [], []
    for law in laws:
        for article in law.articles:
            for text in chunks(article):
                if text_key(text) in cache.vectors:
                    keys.append(text_key(text))
                    owners.append((law.title, article.number.label))
    matrix = np.stack([cache.vectors[k] for k in keys]).astype(np.float32)
    queries = encoder.encode([q["question"] for q in questions], query=True)
    print(f"{len(questions)} answerable questions, {len(titles)} gold laws, {len(keys)} paragraphs in the cache")
    for name, stored, size in (("float32", matrix, 4), ("float16", matrix.astype(np.float16).astype(np.float32), 2),
                               ("int8", int8(matrix), 1)):
        scores = queries @ stored.T
        line = [f"{name:8s} {encoder.dim * size + (2 if size == 1 else 0)} B/vector"]
        for k in (1, 5, 10):
            hits = 0
            for q, row in zip(questions, scores):
                seen, ranked = set(), []
                for i in np.argsort(-row):
                    if owners[i] not in seen:
                        seen.add(owners[i])
                        ranked.append(owners[i])
                    if len(ranked) == k:
                        break
                articles = {(g["title"], g["article"]) for g in q["gold"]}
                hits += any(owner in articles for owner in ranked)
            line.append(f"recall@{k} {hits / len(questions):.3f}")
        agreement = np.mean(np.argmax(scores, axis=1) == np.argmax(queries @ matrix.T, axis=1))
        print("  ".join(line), f"top-1 paragraph same as float32 {agreement:.3f}")


if __name__ == "__main__":
    main()
