"""What one law offers as distractors, gathered once for all of its articles, and how they are picked."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from knowledge.models import Article
from knowledge.numerals import ArticleNo
from knowledge.quizgen.bodies import (
    BODY_AFTER,
    BODY_BEFORE,
    body_class,
    distinct_bodies,
    mine_bodies,
    other_tiers_of,
)
from knowledge.quizgen.clauses import find_objects
from knowledge.quizgen.numbers import Quantity, bounds, find_quantities, perturbations, value_distance
from knowledge.quizgen.sentences import ITEM_MAX, ITEM_MIN, Span, item_lists, split_sentences
from knowledge.quizzes import normalize_option, plain

CHOICES = 4  # options of a generated single-choice question
# A distractor much shorter or longer than the answer stands out before it is read: prefer those whose
# length is at least this share of the longer one's (学校 and 幼儿园, not 学校 and 县级以上人民政府教育行政部门).
LENGTH_BAND = 2 / 3
ITEM_OVERLAP = 6  # list items sharing a run this long say nearly the same thing (维护学生的合法权益)


def similar_length(one: str, other: str) -> bool:
    """Tell whether two options are alike in length: the shorter at least LENGTH_BAND of the longer."""
    return min(len(one), len(other)) >= LENGTH_BAND * max(len(one), len(other))


@dataclass
class LawPool:
    """What one law offers as distractors, gathered once for all of its articles."""

    title: str
    articles: list[Article]
    quantities: dict[str, dict[tuple[int, ...], set[ArticleNo]]] = field(default_factory=dict)
    bodies: dict[str, set[ArticleNo]] = field(default_factory=dict)
    objects: dict[str, list[tuple[Span, ArticleNo]]] = field(default_factory=dict)
    plain_texts: dict[ArticleNo, str] = field(default_factory=dict)
    body_pattern: re.Pattern | None = None
    items: list[tuple[str, ArticleNo]] = field(default_factory=list)  # every listed item of the law

    @classmethod
    def build(cls, law_articles: list[Article]) -> LawPool:
        """Gather the numbers, bodies and modal clauses of every article of a law."""
        pool = cls(law_articles[0].law_title if law_articles else "", list(law_articles))
        for article in law_articles:
            pool.plain_texts[article.number] = plain(article.text)
            pool.items += [(item, article.number) for found in item_lists(article) for item in found.items]
            for body in mine_bodies(article.text):
                pool.bodies.setdefault(body, set()).add(article.number)
            for sentence in split_sentences(article):
                for quantity in find_quantities(sentence.text):
                    pool.quantities.setdefault(quantity.unit, {}).setdefault(quantity.value, set()).add(article.number)
                for span in find_objects(sentence.text):
                    pool.objects.setdefault(span.tag, []).append((span, article.number))
        # A name met in one article only is more likely a misread clause than a body of the law.
        pool.bodies = {
            b: where for b, where in pool.bodies.items() if sum(plain(b) in t for t in pool.plain_texts.values()) > 1
        }
        if pool.bodies:
            names = "|".join(re.escape(b) for b in sorted(pool.bodies, key=lambda b: (-len(b), b)))
            pool.body_pattern = re.compile(rf"{BODY_BEFORE}(?:{names}){BODY_AFTER}")
        return pool

    def find_bodies(self, text: str) -> list[Span]:
        """Find the law's bodies where they act in a sentence (subject, 由…, 报…)."""
        if self.body_pattern is None:
            return []
        return [Span(m.start(), m.end(), m.group()) for m in self.body_pattern.finditer(text)]

    def item_distractors(self, answer: str, article: Article, rng: random.Random) -> list[str]:
        """Pick items listed in other articles of the law (rights beside duties), alike in length to the answer."""
        text = plain(article.text)
        candidates = sorted({
            item for item, number in self.items
            if number != article.number and plain(item) not in text and ITEM_MIN <= len(item) <= ITEM_MAX
            and not _overlap(plain(item), plain(answer), ITEM_OVERLAP)
        })
        alike = [item for item in candidates if similar_length(item, answer)]
        # Two distractors saying nearly the same would give each other away as wrong.
        return _pick([alike], rng, apart=lambda one, other: not _overlap(plain(one), plain(other), ITEM_OVERLAP))

    def unique_to(self, article: Article, quote: str) -> bool:
        """Tell whether a quote occurs in this article and in no other article of the law."""
        needle = plain(quote)
        return all(needle not in text for number, text in self.plain_texts.items() if number != article.number)

    def number_distractors(self, quantity: Quantity, sentence: str, article: Article, rng: random.Random):
        """Pick other values of the quantity's unit: the law's own first, then perturbations."""
        low, high = bounds(quantity, sentence)

        def fits(value: tuple[int, ...]) -> bool:
            return value != quantity.value and (len(value) != 1 or low < value[0] < high)

        seen = self.quantities.get(quantity.unit, {})
        own = [v for v, where in seen.items() if fits(v) and where - {article.number}]
        own = sorted(own, key=lambda v: (value_distance(quantity.value, v), v))[:6]
        picked = rng.sample(own, min(len(own), CHOICES - 1))
        for value in perturbations(quantity):
            if len(picked) >= CHOICES - 1:
                break
            if fits(value) and value not in picked:
                picked.append(value)
        return picked

    def body_distractors(self, body: str, article: Article, rng: random.Random) -> list[str]:
        """Pick other bodies of the law of the same class that the article does not name.

        Preferred in turn: alike in name and length (教育行政部门, 民政部门), the same office at another
        tier of government and alike in length, alike in length, at another tier, any of the class.
        Never a body of another class: a question short of distractors is better dropped than padded
        with a person beside a government.
        """
        text = plain(article.text)
        kind = body_class(body)
        candidates = sorted(
            b
            for b, where in self.bodies.items()
            if where - {article.number} and b not in text and distinct_bodies(body, b) and body_class(b) == kind
        )
        near = [b for b in candidates if similar_length(b, body)]
        alike = [b for b in near if b[-2:] == body[-2:]]
        tiers = [b for b in other_tiers_of(body) if plain(b) not in text and distinct_bodies(body, b)]
        near_tiers = [b for b in tiers if similar_length(b, body)]
        return _pick([alike, near_tiers, near, tiers, candidates], rng, apart=distinct_bodies)

    def object_distractors(self, span: Span, article: Article, rng: random.Random) -> list[str]:
        """Pick what other clauses of the law require/forbid/allow, of a length like this one's."""
        text, answer = plain(article.text), plain(span.text)
        candidates: dict[str, int] = {}
        for other, number in self.objects.get(span.tag, []):
            words = plain(other.text)
            if (
                number == article.number
                or words in text
                or _overlap(words, answer)
                or (span.subject and other.subject == span.subject)
                or not similar_length(other.text, span.text)
            ):
                continue
            candidates.setdefault(other.text, abs(len(other.text) - len(span.text)))
        nearest = sorted(candidates, key=lambda t: (candidates[t], t))[:8]
        return _pick([nearest], rng)


def _overlap(one: str, other: str, size: int = 4) -> bool:
    """Tell whether two wordings share a run of size characters: 承担违约责任 and 依法承担违约责任 do."""
    if len(one) < size or len(other) < size:
        return one in other or other in one
    grams = {one[i : i + size] for i in range(len(one) - size + 1)}
    return any(other[i : i + size] in grams for i in range(len(other) - size + 1))


def _pick(groups: list[list[str]], rng: random.Random, apart: Callable[[str, str], bool] | None = None) -> list[str]:
    """Sample distractors group by group, the first groups preferred; distinct from each other."""
    picked: list[str] = []
    for group in groups:
        for choice in rng.sample(group, len(group)):
            if len(picked) >= CHOICES - 1:
                return picked
            if all(
                normalize_option(choice) != normalize_option(p) and (apart is None or apart(choice, p)) for p in picked
            ):
                picked.append(choice)
    return picked
