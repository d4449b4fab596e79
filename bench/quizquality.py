"""Quiz item quality: draw a few hundred questions over ../shared/laws the way weekly rounds do and grade them.

    .venv/bin/python bench/quizquality.py [--laws ../shared/laws] [--n 300] [--seed 1] [--round-size 5]
                                          [--strategy draw|loop] [--cap 0.15] [--examples K]

Rounds are drawn quarter by quarter from the study lists (../shared/study-lists/2024.yaml; every law
as one list with --study-lists ''), articles weighted as knowledge.rounds.choose_questions weights
them in a fresh store: focus articles x4, the rest of a focused law x0.5, articles of the last 8
rounds of the same list x0.05, each article at most once per round; the questions are picked by
knowledge.quizgen.draw (--strategy draw) or as choose_questions picks them today (--strategy loop).
Prints one row per generator and a total row; the measures are defined in bench/QUIZQUALITY.md.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.models import Article, Law  # noqa: E402
from knowledge.quizgen import (  # noqa: E402
    GENERATOR_NAMES,
    GENERATORS,
    TRIES,
    WHICH_ARTICLE_CAP,
    draw_focused,
    Context,
    LawPool,
    body_class,
    draw,
    generate,
    is_boilerplate,
    is_frame,
    law_texts,
    mine_bodies,
    split_sentences,
)
from knowledge.quizzes import QuizQuestion, quoted_texts, validate  # noqa: E402
from knowledge.rounds import FOCUS_SHARE, POOL_FACTOR, draw_attempt  # noqa: E402
from knowledge.sources import load_files  # noqa: E402
from knowledge.studylists import parse_study_lists  # noqa: E402

RECENT_ROUNDS = 8  # as knowledge.rounds: articles of this many recent rounds are nearly never asked again
CLOSE_LENGTH = 2 / 3  # a distractor is "close in length" when the shorter option is at least 2/3 of the longer

# --- the kind of an option ------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"(?:答案|选项|选择)?\s*[A-Fa-fＡ-Ｆａ-ｆ]|[^\u4e00-\u9fff]*")
_LABEL = re.compile(r"第[零〇一二三四五六七八九十百千0-9]+条(?:之[一二三四五六七八九十]+)?")
_NUMERAL = re.compile(r"[零〇一二三四五六七八九十百千万亿两0-9]+")
_FRACTION = re.compile(r"[一二三四五六七八九十]+分之[一二三四五六七八九十]+")
# The same office at another tier of government: 设区的市级人民政府公安部门 has a 的 no mined body has.
_TIER_NAME = re.compile(
    r"(?:国务院|省级人民政府|设区的市级人民政府|县级人民政府|乡镇人民政府)(?:[^的，、；]{0,10}(?:部门|机构|机关))?"
)


def option_kind(text: str, law_titles: set[str]) -> str:
    """Classify an option by what it names: see bench/QUIZQUALITY.md for the classes."""
    text = text.strip()
    if _PLACEHOLDER.fullmatch(text):
        return "placeholder"
    if _LABEL.fullmatch(text):
        return "label"
    if text in law_titles:
        return "law"
    if text.startswith("百分之") and _NUMERAL.fullmatch(text[3:]):
        return "number:%"
    if _FRACTION.fullmatch(text):
        return "number:/"
    unit = _NUMERAL.sub("#", text)
    if re.fullmatch(r"#[^#]{0,4}(?:#[^#]{1,2})?", unit):
        return f"number:{unit}"  # 十五日 -> #日, 九月十日 -> #月#日
    if _TIER_NAME.fullmatch(text) or text in mine_bodies(text + "应当"):
        return f"body:{body_class(text)}"
    return "clause:frame" if is_frame(text) else "clause:predicate"


def closeness(one: str, other: str) -> float:
    """Return the shorter option's length over the longer's: 1.0 for equal lengths."""
    return min(len(one), len(other)) / max(len(one), len(other), 1)


def verbatim(q: QuizQuestion, article: Article) -> bool:
    """Tell whether everything the question quotes is in the cited article, word for word."""
    found = quoted_texts(q)
    return bool(found) and all(text and text in article.text for text in found)


# --- drawing rounds ---------------------------------------------------------------------------------


@dataclass
class Scope:
    """One study list: its laws' articles with the weights choose_questions gives them in a fresh store."""

    name: str
    articles: list[Article]
    weights: list[float]
    titles: list[str]
    recent: list[set[int]] = field(default_factory=list)
    inside: list[bool] = field(default_factory=list)  # the article lies in a focus chapter or range


class _ParsedLaws:
    """Answers the three look-ups parse_study_lists makes of a store, from the parsed law files."""

    def __init__(self, laws: list[Law]):
        self.laws = {law.title: law for law in laws}

    def law_titles(self) -> list[str]:
        return sorted(self.laws)

    def law_title_by_file(self, name: str) -> str | None:
        return next((law.title for law in self.laws.values() if law.source_file == name), None)

    def law(self, title: str) -> Law | None:
        return self.laws.get(title)


def load(laws_dir: Path, lists_path: Path | None) -> tuple[list[Law], list[Scope]]:
    """Read the laws (giving articles ids as a store would) and the study lists as scopes."""
    parsed, errors = load_files([laws_dir])
    if errors:
        raise SystemExit("\n".join(str(e) for e in errors))
    laws = [p.law for p in parsed]
    for n, article in enumerate((a for law in laws for a in law.articles), 1):
        article.id = n
    by_title = {law.title: law for law in laws}
    if lists_path is None:
        articles = [a for law in laws for a in law.articles]
        return laws, [Scope("all", articles, [1.0] * len(articles), sorted(by_title))]
    scopes = []
    for study_list in parse_study_lists(lists_path, _ParsedLaws(laws)):
        articles, weights, inside = [], [], []
        for entry in study_list.laws:
            for article in by_title[entry.title].articles:
                articles.append(article)
                weights.append((4.0 if entry.focus.covers(article) else 0.5) if entry.focus else 1.0)
                inside.append(bool(entry.focus) and entry.focus.covers(article))
        scopes.append(Scope(study_list.id, articles, weights, [e.title for e in study_list.laws], inside=inside))
    return laws, scopes


class Rounds:
    """Draws round after round as a round would, without a store: with quizgen.draw, or with the loop
    knowledge.rounds.choose_questions runs today (each article drawn offers its questions, one is
    picked at random)."""

    def __init__(self, scopes: list[Scope], laws: list[Law]):
        self.scopes = scopes
        self.by_law = {law.title: law.articles for law in laws}
        self.pools: dict[str, LawPool] = {}
        self.texts = {scope.name: law_texts(scope.articles) for scope in scopes}
        self.scope_of = {title: scope for scope in reversed(scopes) for title in scope.titles}

    def pool(self, title: str) -> LawPool:
        if title not in self.pools:
            self.pools[title] = LawPool.build(self.by_law[title])
        return self.pools[title]

    def draw(self, scope: Scope, size: int, rng: random.Random, strategy: str, cap: float) -> list[QuizQuestion]:
        asked = set().union(*scope.recent[-RECENT_ROUNDS:]) if scope.recent else set()
        weights = [w * (0.05 if a.id in asked else 1.0) for a, w in zip(scope.articles, scope.weights)]
        if strategy == "draw" and any(scope.inside) and cap == WHICH_ARTICLE_CAP:
            chosen = draw_focused(  # as knowledge.rounds.choose_questions: FOCUS_SHARE from the focus
                scope.articles, rng, size, scope.inside, FOCUS_SHARE, weights=weights,
                law_articles={title: self.by_law[title] for title in scope.titles},
                other_titles=scope.titles, pools=self.pools,
            )  # fmt: skip
        elif strategy == "draw":
            chosen = draw(
                scope.articles, rng, size, cap, weights=weights,
                law_articles={title: self.by_law[title] for title in scope.titles},
                other_titles=scope.titles, pools=self.pools,
            )  # fmt: skip
        else:
            chosen = self.loop(scope, size, rng, weights)
        scope.recent.append({q.article_id for q in chosen})
        return chosen

    def loop(self, scope: Scope, size: int, rng: random.Random, weights: list[float]) -> list[QuizQuestion]:
        chosen: list[QuizQuestion] = []
        while len(chosen) < size and any(weights):
            index = rng.choices(range(len(scope.articles)), weights=weights)[0]
            weights[index] = 0.0
            article = scope.articles[index]
            candidates = generate(
                article, self.by_law[article.law_title], rng, other_titles=scope.titles,
                other_texts=self.texts[scope.name], pool=self.pool(article.law_title),
            )  # fmt: skip
            if candidates:
                chosen.append(rng.choice(candidates))
        rng.shuffle(chosen)
        return chosen[:size]


# --- what the generators offer ---------------------------------------------------------------------


def offered(
    articles: Iterable[Article], rounds: Rounds, rng: random.Random
) -> tuple[dict[str, Counter], list[QuizQuestion]]:
    """Run every generator on every article: count its candidates (up to TRIES) and how many validate,
    and keep its first valid one, the question generate() offers a round."""
    tally: dict[str, Counter] = defaultdict(Counter)
    questions: list[QuizQuestion] = []
    for article in articles:
        if is_boilerplate(article):
            continue
        scope = rounds.scope_of[article.law_title]  # which_law offers the laws of the article's list
        for name, _kind, make in GENERATORS:
            ctx = Context(
                article=article,
                pool=rounds.pool(article.law_title),
                rng=rng,
                other_titles=scope.titles,
                other_texts=rounds.texts[scope.name],
                sentences=split_sentences(article),
            )
            first = None
            for tries, question in enumerate(make(ctx)):
                if tries >= TRIES:
                    break
                if question is None:
                    continue
                valid = not validate(question, article)
                tally[name]["made"] += 1
                tally[name]["valid"] += valid
                if valid and first is None:
                    first = question
            if first is not None:
                questions.append(first)
    return tally, questions


# --- grading ----------------------------------------------------------------------------------------


def grade_items(questions: list[QuizQuestion], articles: dict[int, Article], law_titles: set[str]) -> dict:
    """Per generator: how many questions, how alike their distractors are to the answer, which are not verbatim."""
    rows: dict[str, Counter] = defaultdict(Counter)
    ratios: dict[str, list[float]] = defaultdict(list)
    for q in questions:
        row = rows[q.generator]
        article = articles[q.article_id]
        row["questions"] += 1
        row["invalid"] += bool(validate(q, article))
        row["not_verbatim"] += not verbatim(q, article)
        if q.kind != "single":
            continue
        answer = q.options[q.answer[0]]
        kind = option_kind(answer, law_titles)
        for i, option in enumerate(q.options):
            if i in q.answer:
                continue
            other = option_kind(option, law_titles)
            row["placeholders"] += other == "placeholder"
            row["distractors"] += 1
            row["same_kind"] += other == kind
            row["close_length"] += closeness(option, answer) >= CLOSE_LENGTH
            ratios[q.generator].append(closeness(option, answer))
    return {"rows": rows, "ratios": ratios}


def grade_rounds(drawn: list[list[QuizQuestion]]) -> dict:
    """Per generator: duplicates within a round and stems already asked in an earlier round."""
    rows: dict[str, Counter] = defaultdict(Counter)
    asked: set[str] = set()
    for questions in drawn:
        hashes: set[str] = set()
        stems: set[str] = set()
        for q in questions:
            rows[q.generator]["dup_in_round"] += q.content_hash in hashes or q.stem in stems
            rows[q.generator]["repeat"] += q.stem in asked
            hashes.add(q.content_hash)
            stems.add(q.stem)
        asked |= stems
    which = [sum(q.generator == "which_article" for q in questions) for questions in drawn]
    return {"rows": rows, "which_per_round": which}


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def _quantiles(values: list[float]) -> tuple[str, str]:
    if len(values) < 2:
        return "-", "-"
    return f"{statistics.quantiles(values, n=10, method='inclusive')[0]:.2f}", f"{statistics.median(values):.2f}"


COLUMNS = (  # (heading, width)
    ("generator", 18), ("cand", 5), ("ok", 6), ("offer", 5), ("kind=", 6), ("len≥⅔", 6), ("p10", 4), ("p50", 4),
    ("o!vb", 4), ("drawn", 5), ("share", 6), ("inval", 5), ("dup", 3), ("rep", 3), ("d!vb", 4),
)  # fmt: skip


def table(tally: dict[str, Counter], items: dict, drawn_items: dict, rounds: dict) -> list[list[str]]:
    """Lay the figures out as rows of COLUMNS, one per generator and a total."""
    total_drawn = sum(r["questions"] for r in drawn_items["rows"].values())
    lines = []
    for name in (*GENERATOR_NAMES, "all"):

        def pick(figures: dict[str, Counter], name: str = name) -> Counter:
            return sum(figures.values(), Counter()) if name == "all" else figures.get(name, Counter())

        cand, item, draw, round_ = pick(tally), pick(items["rows"]), pick(drawn_items["rows"]), pick(rounds["rows"])
        ratios = items["ratios"]
        values = [r for v in ratios.values() for r in v] if name == "all" else ratios.get(name, [])
        lines.append([
            name, str(cand["made"]), _share(cand["valid"], cand["made"]), str(item["questions"]),
            _share(item["same_kind"], item["distractors"]), _share(item["close_length"], item["distractors"]),
            *_quantiles(values), str(item["not_verbatim"]), str(draw["questions"]),
            _share(draw["questions"], total_drawn), str(draw["invalid"]), str(round_["dup_in_round"]),
            str(round_["repeat"]), str(draw["not_verbatim"]),
        ])  # fmt: skip
    return lines


def print_table(lines: list[list[str]]) -> None:
    header = " ".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(COLUMNS))
    print(header)
    print("-" * len(header))
    for n, cells in enumerate(lines):
        if n == len(lines) - 1:
            print("-" * len(header))
        print(" ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, (_, w)) in enumerate(zip(cells, COLUMNS))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--laws", type=Path, default=ROOT.parent / "shared" / "laws", help="law files (default ../shared/laws)"
    )
    parser.add_argument(
        "--study-lists",
        default=str(ROOT.parent / "shared" / "study-lists" / "2024.yaml"),
        help="study lists to draw rounds from ('' = all laws as one list)",
    )
    parser.add_argument("--n", type=int, default=300, help="questions to draw in all (default 300)")
    parser.add_argument("--round-size", type=int, default=5, help="questions per round (default 5, the schedule's)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--strategy",
        choices=["draw", "loop"],
        default="draw",
        help="draw: knowledge.quizgen.draw; loop: what rounds.choose_questions does today",
    )
    parser.add_argument(
        "--cap",
        type=float,
        default=WHICH_ARTICLE_CAP,
        help=f"most which-article share of a draw (default {WHICH_ARTICLE_CAP}; --strategy draw)",
    )
    parser.add_argument("--examples", type=int, default=0, help="print this many drawn questions per generator")
    args = parser.parse_args()
    started = time.perf_counter()
    laws, scopes = load(args.laws, Path(args.study_lists) if args.study_lists else None)
    articles = {a.id: a for law in laws for a in law.articles}
    law_titles = {law.short_title for law in laws}
    rng = random.Random(args.seed)
    rounds = Rounds(scopes, laws)
    drawn = [
        rounds.draw(scopes[n % len(scopes)], args.round_size, rng, args.strategy, args.cap)
        for n in range(math.ceil(args.n / args.round_size))
    ]
    asked = sorted({q.article_id for questions in drawn for q in questions})
    tally, offers = offered((articles[i] for i in asked), rounds, random.Random(args.seed))
    flat = [q for questions in drawn for q in questions]
    lines = table(
        tally, grade_items(offers, articles, law_titles), grade_items(flat, articles, law_titles), grade_rounds(drawn)
    )
    print(
        f"{len(flat)} questions drawn ({args.strategy}"
        f"{f', cap {args.cap:g}' if args.strategy == 'draw' else ''}) in {len(drawn)} rounds of {args.round_size} "
        f"from {len(scopes)} lists over {args.laws} (seed {args.seed}); "
        f"every generator run on the {len(asked)} articles asked\n"
    )
    print_table(lines)
    which = grade_rounds(drawn)["which_per_round"]
    placeholders = sum(r["placeholders"] for r in grade_items(offers + flat, articles, law_titles)["rows"].values())
    print(
        f"\nwhich-article (第几条) share of the draw: {_share(sum(which), len(flat))}; "
        f"rounds with 2 or more: {sum(w >= 2 for w in which)}/{len(which)}; placeholder distractors: {placeholders}"
    )
    print_focus(scopes, rounds, drawn, args.round_size, random.Random(args.seed))
    print(f"{time.perf_counter() - started:.1f}s")
    if args.examples:
        print_examples(flat, args.examples)


def print_focus(scopes: list[Scope], rounds: Rounds, drawn: list[list[QuizQuestion]], size: int, rng) -> None:
    """Print, for each list with a focus, the share of questions inside it: of the rounds drawn above, of
    one round's pool (POOL_FACTOR x the round) and of 20 attempts drawn from that pool."""
    for n, scope in enumerate(scopes):
        if not any(scope.inside):
            continue
        focus = {a.id for a, f in zip(scope.articles, scope.inside) if f}
        asked = [q for i, questions in enumerate(drawn) if i % len(scopes) == n for q in questions]
        pool = draw_focused(
            scope.articles, rng, size * POOL_FACTOR, scope.inside, FOCUS_SHARE, weights=scope.weights,
            law_articles={title: rounds.by_law[title] for title in scope.titles}, other_titles=scope.titles,
            pools=rounds.pools,
        )  # fmt: skip
        for i, q in enumerate(pool):
            q.id = i + 1
        attempts = [draw_attempt(pool, size, set(), rng, focus) for _ in range(20)]
        worst = min(sum(q.article_id in focus for q in a) / len(a) for a in attempts) if attempts else 0.0
        print(
            f"focus share {scope.name}: rounds {_share(sum(q.article_id in focus for q in asked), len(asked))}; "
            f"a pool of {len(pool)} {_share(sum(q.article_id in focus for q in pool), len(pool))}; "
            f"20 attempts of {size}: the lowest {worst:.0%} (target {FOCUS_SHARE:.0%})"
        )


def print_examples(questions: list[QuizQuestion], k: int) -> None:
    """Print k drawn questions of each generator, the answer marked, for reading them as a member would."""
    for name in GENERATOR_NAMES:
        picked = [q for q in questions if q.generator == name][:k]
        if picked:
            print(f"\n[{name}]")
        for q in picked:
            options = " / ".join(("*" if i in q.answer else "") + o for i, o in enumerate(q.options))
            print(f"  {q.stem}\n    {options}")


if __name__ == "__main__":
    main()
