"""Draw N questions for a round: weighted articles, few which-article questions, no question twice."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from knowledge import messages as M
from knowledge.models import Article
from knowledge.quizgen.generators import GENERATOR_NAMES, generate, law_texts
from knowledge.quizgen.pools import LawPool
from knowledge.quizzes import QuizQuestion, plain, template_pattern

# "Which article is this?" asks for a number learnt by rote, not what a teacher or cadre must or may
# not do (issue 18): generated rounds ask none. The cap stays a parameter (a bank may still hold them).
WHICH_ARTICLE_CAP = 0.0
CAPPED = ("which_article",)
# Nearly every article offers which_law (and which_article): left to chance they would fill most of a
# round. No generator takes more than this share of a draw (rounded up) while other articles offer
# other kinds; only when the articles run out are the questions held back used.
KIND_SHARE = 1 / 5
_EXPLANATION = template_pattern(M.QUIZ_EXPLANATION)


def draw(
    articles: Sequence[Article],
    rng: random.Random,
    n: int,
    cap: float = WHICH_ARTICLE_CAP,
    *,
    weights: Sequence[float] | None = None,
    law_articles: Mapping[str, Sequence[Article]] | None = None,
    other_titles: Iterable[str] | None = None,
    pools: dict[str, LawPool] | None = None,
) -> list[QuizQuestion]:
    """Return up to n valid questions on the articles, at most one per article, in random order.

    Articles are taken in a random order weighted by weights (equal weights when None; an article
    of weight 0 is never asked) until n questions are found. Of the questions an article offers,
    one is picked, generators used less in this draw first, and none that would give one generator
    more than ceil(n * KIND_SHARE) questions while later articles offer other kinds. At most
    floor(cap * n) which-article (第几条) questions are drawn, and the share of the questions
    returned stays within cap even when fewer than n are found. No two questions share a content
    hash, a stem or the sentence they quote.

    law_articles (title -> every article of the law) are the distractor pools' source; by default
    the articles given, grouped by law, so pass them when articles is a sample of the laws.
    other_titles are the laws which_law may offer besides those of the articles. pools caches
    LawPool.build per title across calls.
    """
    if not 0 <= cap <= 1:
        raise ValueError(f"cap must lie between 0 and 1, not {cap}")
    articles = list(articles)
    weights = [1.0] * len(articles) if weights is None else [float(w) for w in weights]
    if len(weights) != len(articles):
        raise ValueError(f"{len(weights)} weights for {len(articles)} articles")
    by_law = _by_law(articles) if law_articles is None else {t: list(a) for t, a in law_articles.items()}
    titles = sorted(set(other_titles or ()) | set(by_law))
    texts = law_texts(a for items in by_law.values() for a in items)
    pools = {} if pools is None else pools
    allowed = math.floor(cap * n + 1e-9)
    most = math.ceil(n * KIND_SHARE)
    chosen: list[QuizQuestion] = []
    used: Counter[str] = Counter()
    seen: set[str] = set()
    held: list[list[QuizQuestion]] = []  # what articles offered when only over-used kinds were left

    def take(offered: list[QuizQuestion], balanced: bool) -> bool:
        capped = sum(used[name] for name in CAPPED) >= allowed
        fresh = [
            q for q in offered
            if not _keys(q) & seen and not (capped and q.generator in CAPPED)
            and not (balanced and used[q.generator] >= most)
        ]  # fmt: skip
        if not fresh:
            return False
        # 1 / (1 + times used): a kind already drawn twice is a third as likely as a new one.
        question = rng.choices(fresh, weights=[1 / (1 + used[q.generator]) for q in fresh])[0]
        chosen.append(question)
        used[question.generator] += 1
        seen.update(_keys(question))
        return True

    for index in _weighted_order(weights, rng):
        if len(chosen) >= n:
            break
        article = articles[index]
        law = by_law.get(article.law_title) or [article]
        if article.law_title not in pools:
            pools[article.law_title] = LawPool.build(law)
        capped = sum(used[name] for name in CAPPED) >= allowed
        kinds = [name for name in GENERATOR_NAMES if not (capped and name in CAPPED)]
        offered = generate(
            article, law, rng, kinds, other_titles=titles, other_texts=texts, pool=pools[article.law_title]
        )
        if offered and not take(offered, balanced=True):
            held.append(offered)
    for offered in held:  # too few articles offered other kinds: fill the draw, balance or not
        if len(chosen) >= n:
            break
        take(offered, balanced=False)
    chosen = _within_cap(chosen, cap)
    rng.shuffle(chosen)  # heavier articles come first in the order drawn: the round should not show it
    return chosen


def draw_focused(
    articles: Sequence[Article],
    rng: random.Random,
    n: int,
    inside: Sequence[bool],
    share: float,
    *,
    weights: Sequence[float] | None = None,
    law_articles: Mapping[str, Sequence[Article]] | None = None,
    other_titles: Iterable[str] | None = None,
    pools: dict[str, LawPool] | None = None,
) -> list[QuizQuestion]:
    """Draw n questions, at least ceil(share * n) of them on the articles marked inside (a list's focus)
    while those offer enough; the rest, and any shortfall, from the other articles."""
    weights = [1.0] * len(articles) if weights is None else list(weights)
    if not any(inside):
        return draw(articles, rng, n, weights=weights, law_articles=law_articles, other_titles=other_titles, pools=pools)
    titles = list(other_titles or ())
    want = math.ceil(share * n - 1e-9)

    def part(flag: bool, size: int) -> list[QuizQuestion]:
        chosen = [(a, w) for a, w, f in zip(articles, weights, inside) if f == flag]
        return draw(
            [a for a, _ in chosen], rng, size, weights=[w for _, w in chosen],
            law_articles=law_articles, other_titles=titles, pools=pools,
        )  # fmt: skip

    focused = part(True, want)
    keys = set().union(*(_keys(q) for q in focused)) if focused else set()
    rest = [q for q in part(False, n - len(focused) + 2) if not _keys(q) & keys]
    chosen = focused + rest[: n - len(focused)]
    rng.shuffle(chosen)
    return chosen


def _by_law(articles: Iterable[Article]) -> dict[str, list[Article]]:
    by_law: dict[str, list[Article]] = {}
    for article in articles:
        by_law.setdefault(article.law_title, []).append(article)
    return by_law


def _weighted_order(weights: Sequence[float], rng: random.Random) -> list[int]:
    """Order indices as successive weighted draws without replacement would (Efraimidis–Spirakis keys).

    The key u ** (1 / w) is taken as its logarithm, log(u) / w: the same order without u ** 40
    underflowing to 0.0 for an article of weight 0.025 (a recent one outside the focus).
    """
    keys = {i: math.log(1.0 - rng.random()) / w for i, w in enumerate(weights) if w > 0}
    return sorted(keys, key=lambda i: -keys[i])


def _keys(q: QuizQuestion) -> set[str]:
    """What makes two questions one: the same content, the same stem or the same quoted sentence."""
    keys = {"hash:" + q.content_hash, "stem:" + q.stem}
    if match := _EXPLANATION.fullmatch(q.explanation or ""):
        keys.add("quote:" + plain(match.group("quote")))
    return keys


def _within_cap(questions: list[QuizQuestion], cap: float) -> list[QuizQuestion]:
    """Drop the last capped questions until their share of what is left is within cap.

    Only needed when the articles ran out before n questions were found: floor(cap * n) is then
    more than cap allows of the shorter draw.
    """
    questions = list(questions)
    while True:
        capped = [i for i, q in enumerate(questions) if q.generator in CAPPED]
        if not capped or len(capped) <= cap * len(questions) + 1e-9:
            return questions
        del questions[capped[-1]]
