"""Retrieval benchmark on ../shared/laws: quality on dev.jsonl, build speed, query latency, memory.

    .venv/bin/python bench/retrieval.py [--questions ../shared/eval/dev.jsonl] [--laws ../shared/laws]

Prints one table of figures (and --json for the raw numbers). Runs a cold build in a temporary
folder (about 4 minutes on 2 cores), then an incremental build after one law changed, then every
question through the same answer() the bot uses, then measures the RSS of a fresh process that
loads the saved index the way the bot does at start-up.
"""

from __future__ import annotations

import argparse
import json
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

TARGETS = {"recall@5": 0.90, "recall@1": 0.70, "abstention": 0.90, "false_abstention": 0.05, "p95_ms": 100.0,
           "build_articles_per_s": 40.0, "rss_mb": 1200.0}

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
answer("学校能不能因为学生上课玩手机就让他停课回家？", index, repository, catalog, threshold=index.threshold)
print(round(time.perf_counter() - started, 2), round(psutil.Process().memory_info().rss / 2**20))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--laws", type=Path, default=ROOT.parent / "shared" / "laws")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="xuefa-bench-") as tmp:
        folder = Path(tmp)
        repository = Repository(folder / "bench.db")
        parsed, errors = load_files([args.laws])
        assert not errors, errors
        repository.import_laws([p.law for p in parsed])
        articles = repository.articles()
        encoders = make_encoders(None)
        index, cold = build(articles, encoders, folder / "index", progress=True)
        figures["articles"] = cold.articles
        figures["chunks"] = cold.chunks
        figures["build_s"] = round(cold.seconds, 1)
        figures["build_articles_per_s"] = round(cold.articles_per_second, 1)

        law = next(p.law for p in parsed if p.law.source_file == "teachers-law.md")
        law.articles[5].text += "全社会应当尊重教师。"
        repository.import_laws([law])
        index, warm = build(repository.articles(), encoders, folder / "index", progress=False)
        figures["incremental_embedded"] = warm.embedded
        figures["incremental_s"] = round(warm.seconds, 2)

        catalog = LawCatalog(repository.law_titles())
        by_id = {a.id: (a.law_title, a.label) for a in repository.articles()}

        def run(question) -> Outcome:
            started = time.perf_counter()
            result = answer(question.text, index, repository, catalog, threshold=index.threshold)
            ms = (time.perf_counter() - started) * 1000
            return Outcome([by_id[i] for i in result.ranked[:10] if i in by_id], result.abstained, ms)

        questions = read_questions(args.questions)
        run(questions[0])  # the first query pays for lazy loading; the bot pays it once at start-up
        metrics = score(questions, run, cold.seconds)
        figures.update({k: metrics[k] for k in ("n", "recall@1", "recall@5", "recall@10", "mrr", "multi_all@5",
                                                "abstention", "false_abstention", "p50_ms", "p95_ms")})
        figures["by_type"] = metrics["by_type"]
        figures["misses"] = metrics["misses"]
        repository.close()
        probe = RSS_PROBE.format(root=str(ROOT), db=str(folder / "bench.db"), folder=str(folder / "index"))
        load_s, rss = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
        figures["load_and_first_answer_s"] = float(load_s)
        figures["rss_mb"] = int(rss)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    print(f"{'figure':<26}{'value':>10}   target")
    for key, value in figures.items():
        if key in ("by_type", "misses"):
            continue
        target = TARGETS.get(key)
        shown = f"{value:.3f}" if isinstance(value, float) and value < 10 else str(value)
        print(f"{key:<26}{shown:>10}   {'' if target is None else target}")
    print("\nby type:")
    for kind, values in figures["by_type"].items():
        print(f"  {kind:<14}" + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()))
    print("\nanswerable questions without a gold article in the top 5:", " ".join(figures["misses"]))


if __name__ == "__main__":
    main()
