"""How often a reviewed answer is found for a paraphrase of its question, and wrongly for an unrelated one.

bench/questions/reviewed.jsonl holds 20 reviewed questions, each with two paraphrases used to tune
(`tune`) and two written at the same time but never used to tune (`held`); reviewed-unrelated.jsonl
holds 50 questions on other topics (even lines tune, odd lines held out) that must match nothing.
Targets (issue 19): found >= 0.90, wrongly matched <= 0.02.

    .venv/bin/python bench/reviewed.py            # the shipped weights and threshold, both sets
    .venv/bin/python bench/reviewed.py --grid     # the grid searched on the tuning set
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from indexer import make_encoders
from knowledge import reviewed as layer
from knowledge.store import Repository

HERE = Path(__file__).resolve().parent / "questions"


def load():
    pairs = [json.loads(line) for line in (HERE / "reviewed.jsonl").read_text(encoding="utf-8").splitlines() if line]
    unrelated = [json.loads(line)["question"] for line in
                 (HERE / "reviewed-unrelated.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return pairs, unrelated


def scored(encoder, pairs, questions):
    """Return (right pair id, best pair id, best cosine, best overlap) per question, for every weight later."""
    reviewed = [p["question"] for p in pairs]
    vectors = layer.ReviewedLayer._unit(encoder.encode(reviewed, query=True))
    asked = layer.ReviewedLayer._unit(encoder.encode([q for q, _ in questions], query=True))
    cos = asked @ vectors.T
    over = np.array([[layer.overlap(q, r) for r in reviewed] for q, _ in questions])
    return cos, over, [right for _, right in questions]


def rates(cos, over, right, weight, cut):
    score = cos + weight * over
    best = score.argmax(axis=1)
    top = score.max(axis=1)
    found = wrong = n_para = n_other = 0
    for i, target in enumerate(right):
        if target is None:
            n_other += 1
            wrong += top[i] >= cut
        else:
            n_para += 1
            found += top[i] >= cut and best[i] == target
    return found / max(n_para, 1), wrong / max(n_other, 1)


def timing(encoder, pairs) -> None:
    """Time ReviewedLayer.match itself (one query embedding + scoring) over the held-out paraphrases."""
    import time

    repository = Repository()
    for p in pairs:
        repository.add_pair(p["question"], "…", [], "", None)
    found = layer.ReviewedLayer(repository, lambda texts: encoder.encode(texts, query=True))
    found.match("预热")
    times = []
    for p in pairs:
        for q in p["held"]:
            started = time.perf_counter()
            found.match(q)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"match() per question: p50 {times[len(times) // 2]:.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms "
          f"({len(pairs)} reviewed pairs)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    pairs, unrelated = load()
    encoder = make_encoders(None)[0]
    sets = {}
    for name, part in (("tune", 0), ("held", 1)):
        questions = [(q, i) for i, p in enumerate(pairs) for q in p[name]]
        questions += [(q, None) for q in unrelated[part::2]]
        sets[name] = scored(encoder, pairs, questions)
    if args.grid:
        cos, over, right = sets["tune"]
        best = None
        for weight in (0.0, 0.1, 0.25, 0.4, 0.6):
            for cut in np.arange(0.90, 1.30, 0.005):
                found, wrong = rates(cos, over, right, weight, cut)
                if wrong <= 0.0 and (best is None or found > best[0]):
                    best = (found, wrong, weight, round(float(cut), 3))
            print(f"weight {weight}: best so far {best}")
        print("chosen on tune:", best)
        return
    timing(encoder, pairs)
    for name, (cos, over, right) in sets.items():
        found, wrong = rates(cos, over, right, layer.OVERLAP_WEIGHT, layer.MATCH_AT)
        print(f"{name}: found {found:.3f} ({sum(r is not None for r in right)} paraphrases), "
              f"wrongly matched {wrong:.3f} ({sum(r is None for r in right)} unrelated)  "
              f"[weight {layer.OVERLAP_WEIGHT}, threshold {layer.MATCH_AT}]")


if __name__ == "__main__":
    main()
