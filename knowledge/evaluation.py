"""Score retrieval on labelled questions (schema of shared/eval): recall@k, MRR, abstention, latency."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from knowledge import messages as M
from knowledge.errors import SourceError
from knowledge.sources import read_text

UNANSWERABLE = "unanswerable"


@dataclass
class Question:
    """One labelled question."""

    id: str
    text: str
    type: str
    gold: list[tuple[str, str]]  # (law title, article label)


@dataclass
class Outcome:
    """What the system did with one question."""

    ranked: list[tuple[str, str]]  # (law title, article label), best first
    abstained: bool
    ms: float


def read_questions(path: Path) -> list[Question]:
    """Read a JSON Lines question file, naming the line of any bad record."""
    questions = []
    for number, line in enumerate(read_text(Path(path)).splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            gold = [(g["title"], g["article"]) for g in record.get("gold", [])]
            questions.append(Question(str(record["id"]), record["question"], record.get("type", ""), gold))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SourceError(str(path), M.EVAL_BAD_LINE.format(reason=exc), number) from None
    return questions


def _rank(question: Question, outcome: Outcome) -> int | None:
    for position, item in enumerate(outcome.ranked, 1):
        if item in question.gold:
            return position
    return None


def _recall(pairs: list[tuple[Question, Outcome]], k: int) -> float | None:
    if not pairs:
        return None
    return sum(1 for q, o in pairs if any(item in q.gold for item in o.ranked[:k])) / len(pairs)


def _figures(pairs: list[tuple[Question, Outcome]]) -> dict:
    ranks = [_rank(q, o) for q, o in pairs]
    return {
        "n": len(pairs),
        "recall@1": _recall(pairs, 1),
        "recall@5": _recall(pairs, 5),
        "recall@10": _recall(pairs, 10),
        "mrr": sum(1 / r for r in ranks if r) / len(pairs) if pairs else None,
    }


def score(questions: list[Question], run: Callable[[Question], Outcome], index_s: float) -> dict:
    """Run every question and return the metrics as a JSON-ready dict."""
    pairs = [(q, run(q)) for q in questions]
    answerable = [(q, o) for q, o in pairs if q.type != UNANSWERABLE and q.gold]
    unanswerable = [(q, o) for q, o in pairs if q.type == UNANSWERABLE or not q.gold]
    multi = [(q, o) for q, o in answerable if len(q.gold) > 1]
    latencies = sorted(o.ms for _, o in pairs)
    result = {"n": len(pairs), **{k: v for k, v in _figures(answerable).items() if k != "n"}}
    result["n_answerable"] = len(answerable)
    result["multi_all@5"] = (
        sum(1 for q, o in multi if all(g in o.ranked[:5] for g in q.gold)) / len(multi) if multi else None
    )
    result["abstention"] = sum(o.abstained for _, o in unanswerable) / len(unanswerable) if unanswerable else None
    result["false_abstention"] = sum(o.abstained for _, o in answerable) / len(answerable) if answerable else None
    result["p50_ms"] = round(statistics.median(latencies), 1) if latencies else None
    result["p95_ms"] = round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1) if latencies else None
    result["index_s"] = round(index_s, 1)
    by_type: dict[str, dict] = {}
    for kind in sorted({q.type for q, _ in pairs}):
        group = [(q, o) for q, o in pairs if q.type == kind]
        if kind == UNANSWERABLE:
            by_type[kind] = {"n": len(group), "abstention": sum(o.abstained for _, o in group) / len(group)}
        else:
            by_type[kind] = _figures(group) | {"false_abstention": sum(o.abstained for _, o in group) / len(group)}
    result["by_type"] = by_type
    result["misses"] = [q.id for q, o in answerable if _rank(q, o) is None or _rank(q, o) > 5]
    return result
