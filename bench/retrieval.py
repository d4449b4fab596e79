"""Retrieval benchmark on ../shared/laws: quality per set and type, abstention, wrong-law answers,
build speed, query latency, memory.

    .venv/bin/python bench/retrieval.py [--questions A.jsonl B.jsonl …] [--laws ../shared/laws] [--cache DIR] [--json]

Without --cache the index is built cold in a temporary folder (every paragraph embedded, about 4
minutes on 2 cores) and rebuilt after one article changed; with --cache an embedding cache is
reused (build figures are then not cold and are left out). Every question goes through the same
answer() the bot uses. Per set it prints recall@k, MRR, abstention on unanswerable questions, false
abstention on answerable ones, the three kinds of reply, the answers that presented an article of a
law other than the one the question names (target 0), latency, and per-type figures. Finally a
fresh process loads the saved index the way the bot does and answers one question (RSS).
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer import make_encoders  # noqa: E402
from indexer.index import build  # noqa: E402
from knowledge.answers import answer  # noqa: E402
from knowledge.citations import LawCatalog  # noqa: E402
from knowledge.evaluation import Outcome, read_questions, score  # noqa: E402
from knowledge.store import Repository  # noqa: E402
from knowledge.sources import load_files  # noqa: E402

TARGETS = {"recall@5": 0.90, "recall@1": 0.70, "abstention": 0.85, "false_abstention": 0.05, "p95_ms": 100.0,
           "build_articles_per_s": 40.0, "rss_mb": 1200.0, "wrong_law": 0}
DEFAULT_SETS = [ROOT.parent / "shared" / "eval" / "dev.jsonl"]

RSS_PROBE = """
import sys, time, psutil
sys.path.insert(0, {root!r})
from pathlib import Path
from indexer import make_encoders
from indexer.index import Index
from knowledge.answers import answer
from knowledge.citations import LawCatalog
from knowledge.store import Repository
started = time.perf_counter()
repository = Repository(Path({db!r}))
index = Index.load(Path({folder!r}), make_encoders(None))
catalog = LawCatalog(repository.law_titles())
answer("学校能不能因为学生上课玩手机就让他停课回家？", index, repository, catalog)
print(round(time.perf_counter() - started, 2), round(psutil.Process().memory_info().rss / 2**20))
"""


def shared_store(laws: Path) -> tuple[Repository, list, Path]:
    """Import a law folder into a throw-away store; return it, the parsed laws and its folder."""
    folder = Path(tempfile.mkdtemp(prefix="xuefa-bench-"))
    atexit.register(shutil.rmtree, folder, True)
    repository = Repository(folder / "bench.db")
    parsed, errors = load_files([laws])
    assert not errors, errors
    repository.import_laws([p.law for p in parsed])
    return repository, parsed, folder


def shared_index(laws: Path, cache: Path | None, progress: bool = False):
    """Return a throw-away store of a law folder and its index, reusing an embedding cache if given."""
    repository, _, folder = shared_store(laws)
    index, _ = build(repository.articles(), make_encoders(None), cache or folder / "index", progress=progress)
    return repository, index


def run_set(path: Path, index, repository, catalog, by_id) -> dict:
    """Answer every question of a set; return its metrics, the kinds of reply and wrong-law answers."""
    kinds: dict[str, int] = {}
    wrong: list[str] = []

    def run(question) -> Outcome:
        started = time.perf_counter()
        result = answer(question.text, index, repository, catalog)
        ms = (time.perf_counter() - started) * 1000
        kinds[result.kind] = kinds.get(result.kind, 0) + 1
        named = set(catalog.mentions(question.text))
        shown = {p.article.law_title for p in result.passages + result.outside}
        if named and shown - named:
            wrong.append(question.id)
        return Outcome([by_id[i] for i in result.ranked[:10] if i in by_id], result.abstained, ms)

    questions = read_questions(path)
    metrics = score(questions, run, 0.0)
    metrics["kinds"] = kinds
    metrics["wrong_law"] = len(wrong)
    metrics["wrong_law_ids"] = wrong
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--laws", type=Path, default=ROOT.parent / "shared" / "laws")
    parser.add_argument("--cache", type=Path, help="reuse (and update) this embedding cache; build figures are not cold")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict = {}
    repository, parsed, folder = shared_store(args.laws)
    articles = repository.articles()
    encoders = make_encoders(None)
    index_dir = args.cache or folder / "index"
    index, cold = build(articles, encoders, index_dir, progress=not args.json)
    figures["articles"] = cold.articles
    figures["chunks"] = cold.chunks
    figures["embedded"] = cold.embedded
    if not args.cache:
        figures["build_s"] = round(cold.seconds, 1)
        figures["build_articles_per_s"] = round(cold.articles_per_second, 1)
        law = next(p.law for p in parsed if p.law.source_file == "teachers-law.md")
        law.articles[5].text += "全社会应当尊重教师。"
        repository.import_laws([law])
        index, warm = build(repository.articles(), encoders, index_dir, progress=False)
        figures["incremental_embedded"] = warm.embedded
        figures["incremental_s"] = round(warm.seconds, 2)
    catalog = LawCatalog(repository.law_titles())
    by_id = {a.id: (a.law_title, a.label) for a in repository.articles()}
    answer("学生能不能带手机进教室？", index, repository, catalog)  # the first query pays for lazy loading, once
    sets = {path.name: run_set(path, index, repository, catalog, by_id) for path in args.questions}
    figures["sets"] = sets
    repository.close()
    probe = RSS_PROBE.format(root=str(ROOT), db=str(folder / "bench.db"), folder=str(index_dir))
    load_s, rss = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    figures["load_and_first_answer_s"] = float(load_s)
    figures["rss_mb"] = int(rss)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    print(f"{'figure':<26}{'value':>10}   target")
    for key, value in figures.items():
        if key != "sets":
            target = TARGETS.get(key)
            shown = f"{value:.3f}" if isinstance(value, float) and value < 10 else str(value)
            print(f"{key:<26}{shown:>10}   {'' if target is None else target}")
    for name, metrics in sets.items():
        print(f"\n== {name}")
        for key in ("n", "n_answerable", "recall@1", "recall@5", "recall@10", "mrr", "multi_all@5", "abstention",
                    "false_abstention", "wrong_law", "p50_ms", "p95_ms"):
            value, target = metrics[key], TARGETS.get(key)
            shown = "—" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
            print(f"  {key:<22}{shown:>10}   {'' if target is None else target}")
        print("  kinds of reply:", ", ".join(f"{k}={v}" for k, v in sorted(metrics["kinds"].items())))
        for kind, values in metrics["by_type"].items():
            print(f"  {kind:<14}" + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()))
        print("  answerable questions without a gold article in the top 5:", " ".join(metrics["misses"]) or "—")
        if metrics["wrong_law_ids"]:
            print("  wrong-law answers:", " ".join(metrics["wrong_law_ids"]))


if __name__ == "__main__":
    main()
