"""Questions the study list does not cover: how well the keyword search of the store's other laws finds them.

    .venv/bin/python bench/outside.py [--cache DIR] [--lists ../shared/study-lists/2024.yaml] [--quarters 2024-Q1 2024-Q2]
    .venv/bin/python bench/outside.py --bundled        # the bundled corpus: build time, size and latency only

With the shared laws: the study list is the given quarters of the 2024 lists (dense + keyword index),
every other shared law is "in the store but not on the list" (keyword only). Labelled questions whose
gold law is off the list should get an "outside" reply citing their gold article; questions whose
gold law is on the list, and unanswerable ones, should not be shown outside articles. The rule's score ratios are swept. With --bundled it
imports the whole bundled corpus (~350 laws) into a throw-away store, builds the keyword index of the
laws off the example list and times a set of questions through answer() (p50/p95 including both
searches).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import indexer.outside as outside_rule  # noqa: E402
from indexer import make_encoders  # noqa: E402
from indexer.index import build  # noqa: E402
from knowledge.answers import answer  # noqa: E402
from knowledge.citations import LawCatalog  # noqa: E402
from knowledge.evaluation import UNANSWERABLE, read_questions  # noqa: E402
from knowledge.store import Repository  # noqa: E402
from knowledge.studylists import parse_study_lists  # noqa: E402

SETS = [ROOT.parent / "shared" / "eval" / "dev.jsonl", ROOT / "bench/questions/heldout.jsonl",
        ROOT / "bench/questions/heldout2.jsonl", ROOT / "bench/questions/unanswerable-dev.jsonl"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def shared(args) -> None:
    from retrieval import shared_store

    repository, _, folder = shared_store(args.laws)
    lists = [s for s in parse_study_lists(args.lists, repository) if not args.quarters or s.id in args.quarters]
    scope = {entry.title for s in lists for entry in s.laws}
    articles = repository.articles(law_ids=repository.law_ids(sorted(scope)))
    others = repository.articles(law_ids=repository.law_ids(sorted(set(repository.law_titles()) - scope)))
    index, _ = build(articles, make_encoders(None), args.cache or folder / "index", progress=False, outside=others)
    catalog = LawCatalog(repository.law_titles())
    questions = [q for path in SETS for q in read_questions(path)]
    print(f"study list: {len(scope)} laws, {len(articles)} articles; outside: {len(others)} articles; "
          f"{len(questions)} questions")
    print(f"{'ratio':>8}{'off-list found':>16}{'off-list shown':>16}{'false outside':>15}{'unans. outside':>16}")
    for ratio in args.ratios:
        outside_rule.UNSURE_RATIO, outside_rule.CONFIDENT_RATIO = ratio, ratio + 0.3
        off = found = shown = on = false_outside = unans = unans_outside = 0
        for q in questions:
            result = answer(q.text, index, repository, catalog)
            golds = {catalog.resolve(t) for t, _ in q.gold}
            if q.type == UNANSWERABLE or not q.gold:
                unans += 1
                unans_outside += bool(result.outside)
            elif golds & scope:
                on += 1
                false_outside += bool(result.outside)
            else:
                off += 1
                shown += bool(result.outside)
                found += any((p.article.law_title, p.article.label) in
                                                        {(catalog.resolve(t), a) for t, a in q.gold} for p in result.outside)
        print(f"{ratio:>8.2f}{found / off:>16.3f}{shown / off:>16.3f}{false_outside / on:>15.3f}{unans_outside / unans:>16.3f}"
              f"   (off-list {off}, on-list {on}, unanswerable {unans})")
    repository.close()


def bundled(args) -> None:
    from indexer import build_index
    from knowledge.bundled import BundledCorpus, bundled_laws

    with tempfile.TemporaryDirectory(prefix="xuefa-outside-") as folder:
        repository = Repository(Path(folder) / "x.db")
        started = time.perf_counter()
        corpus = BundledCorpus()
        repository.import_laws([p.law for p in bundled_laws(corpus, None)])
        corpus.close()
        imported = time.perf_counter() - started
        from importlib import resources

        example = Path(str(resources.files("knowledge").joinpath("data", "example-studylist.yaml")))
        repository.save_study_lists(parse_study_lists(example, repository))

        class Settings:
            index_dir = Path(folder) / "index"
            embedding_model = None

        started = time.perf_counter()
        index, stats = build_index(Settings, repository, progress=False)
        built = time.perf_counter() - started
        size = sum(f.stat().st_size for f in (Settings.index_dir / "outside").rglob("*") if f.is_file())
        print(f"store: {len(repository.law_titles())} laws; import {imported:.1f} s")
        print(f"index: {stats.articles} study-list articles ({stats.embedded} embedded), "
              f"outside: {len(index.outside)} articles, keyword index {size / 2**20:.1f} MB; build {built:.1f} s")
        catalog = LawCatalog(repository.law_titles())
        times, kinds = [], {}
        questions = [q for path in SETS for q in read_questions(path)]
        answer("醉驾怎么处罚", index, repository, catalog)
        for q in questions:
            started = time.perf_counter()
            result = answer(q.text, index, repository, catalog)
            times.append((time.perf_counter() - started) * 1000)
            kinds[result.kind] = kinds.get(result.kind, 0) + 1
        print(f"{len(questions)} questions: p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms; "
              f"kinds {kinds}")
        repository.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--laws", type=Path, default=ROOT.parent / "shared" / "laws")
    parser.add_argument("--lists", type=Path, default=ROOT.parent / "shared" / "study-lists" / "2024.yaml")
    parser.add_argument("--quarters", nargs="*", default=["2024-Q1", "2024-Q2"])
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--ratios", type=float, nargs="*", default=[1.0, 1.1, 1.2, 1.3, 1.5],
                        help="score ratios to try when the study-list reply is unsure (confident: ratio + 0.3)")
    parser.add_argument("--bundled", action="store_true")
    args = parser.parse_args()
    bundled(args) if args.bundled else shared(args)


if __name__ == "__main__":
    main()
