"""Build questions from an article: cloze, true/false, which law and which article."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from knowledge import messages as M
from knowledge.models import Article, short_title
from knowledge.quizgen.clauses import FLIPS, find_modals, find_objects
from knowledge.quizgen.numbers import Quantity, find_quantities
from knowledge.quizgen.pools import CHOICES, LawPool, similar_length
from knowledge.quizgen.sentences import (
    ITEM_MAX,
    ITEM_MIN,
    SENTENCE_MAX,
    Sentence,
    Span,
    is_boilerplate,
    item_lists,
    split_sentences,
)
from knowledge.quizzes import BLANK, EXPLANATION_MAX, OPTION_MAX, TRUEFALSE_OPTIONS, QuizQuestion, clip, plain, validate

TRIES = 12  # candidates a generator may try before giving up on an article
QUOTE_MIN, QUOTE_MAX = 8, 150


@dataclass
class Context:
    article: Article
    pool: LawPool
    rng: random.Random
    other_titles: list[str]
    other_texts: Mapping[str, str]
    sentences: list[Sentence]

    @property
    def law(self) -> str:
        return short_title(self.article.law_title)

    def explanation(self, quote: str) -> str:
        citation = M.ARTICLE_CITATION.format(title=self.law, label=self.article.label)
        return clip(M.QUIZ_EXPLANATION.format(citation=citation, quote=quote), EXPLANATION_MAX)

    def question(self, kind: str, stem: str, options: list[str], answer: int, quote: str, generator: str):
        return QuizQuestion(
            kind=kind,
            stem=stem,
            options=options,
            answer=[answer],
            explanation=self.explanation(quote),
            citation=self.article.citation,
            article_id=self.article.id,
            generator=generator,
        )

    def shuffled(self, items: Iterable) -> list:
        items = list(items)
        return self.rng.sample(items, len(items))

    def statements(self) -> list[Sentence]:
        return self.shuffled(s for s in self.sentences if s.statement)


def _cloze(ctx: Context, sentence: Sentence, span: Span | Quantity, options: list[str], generator: str):
    if len(options) < CHOICES or any(len(o) > OPTION_MAX for o in options):
        return None
    blanked = sentence.text[: span.start] + BLANK + sentence.text[span.end :]
    stem = M.QUIZ_CLOZE_STEM.format(law=ctx.law, sentence=blanked)
    return ctx.question("single", stem, options, options.index(span.text), sentence.text, generator)


def cloze_number(ctx: Context) -> Iterator[QuizQuestion | None]:
    """Blank out a number with its unit; the options are other values of the same unit."""
    for sentence in ctx.statements():
        for quantity in ctx.shuffled(find_quantities(sentence.text)):
            values = ctx.pool.number_distractors(quantity, sentence.text, ctx.article, ctx.rng)
            by_value = {quantity.value: quantity.text, **{v: quantity.render(v) for v in values}}
            options = [by_value[v] for v in sorted(by_value)]
            yield _cloze(ctx, sentence, quantity, options, "cloze_number")


def cloze_body(ctx: Context) -> Iterator[QuizQuestion | None]:
    """Blank out the body that acts; the options are other bodies of the same law."""
    for sentence in ctx.statements():
        for span in ctx.shuffled(ctx.pool.find_bodies(sentence.text)):
            options = ctx.shuffled([span.text, *ctx.pool.body_distractors(span.text, ctx.article, ctx.rng)])
            yield _cloze(ctx, sentence, span, options, "cloze_body")


def cloze_term(ctx: Context) -> Iterator[QuizQuestion | None]:
    """Blank out what an 应当/不得/可以 clause requires; the options are other such clauses of the law."""
    for sentence in ctx.statements():
        for span in ctx.shuffled(find_objects(sentence.text)):
            options = ctx.shuffled([span.text, *ctx.pool.object_distractors(span, ctx.article, ctx.rng)])
            yield _cloze(ctx, sentence, span, options, "cloze_term")


def _truefalse(ctx: Context, sentence: Sentence, start: int, end: int, replacement: str, generator: str):
    faithful = ctx.rng.random() < 0.5
    statement = sentence.text if faithful else sentence.text[:start] + replacement + sentence.text[end:]
    stem = M.QUIZ_TRUEFALSE_STEM.format(law=ctx.law, statement=statement)
    return ctx.question("truefalse", stem, list(TRUEFALSE_OPTIONS), 0 if faithful else 1, sentence.text, generator)


def truefalse_modal(ctx: Context) -> Iterator[QuizQuestion | None]:
    """State a sentence as written or with its 应当/不得/可以 flipped."""
    for sentence in ctx.statements():
        for span in ctx.shuffled(find_modals(sentence.text)):
            flip = ctx.rng.choice(FLIPS[span.tag])
            yield _truefalse(ctx, sentence, span.start, span.end, flip, "truefalse_modal")


def truefalse_number(ctx: Context) -> Iterator[QuizQuestion | None]:
    """State a sentence as written or with one number changed."""
    for sentence in ctx.statements():
        for quantity in ctx.shuffled(find_quantities(sentence.text)):
            values = ctx.pool.number_distractors(quantity, sentence.text, ctx.article, ctx.rng)
            if values:
                changed = quantity.render(ctx.rng.choice(values))
                yield _truefalse(ctx, sentence, quantity.start, quantity.end, changed, "truefalse_number")


def truefalse_subject(ctx: Context) -> Iterator[QuizQuestion | None]:
    """State a sentence as written or with its acting body swapped for another of the law."""
    for sentence in ctx.statements():
        for span in ctx.shuffled(ctx.pool.find_bodies(sentence.text)):
            others = ctx.pool.body_distractors(span.text, ctx.article, ctx.rng)
            if others:
                yield _truefalse(ctx, sentence, span.start, span.end, others[0], "truefalse_subject")


# Wording many laws share: quoting it cannot tell one law from another.
_BOILERPLATE_QUOTE = re.compile(
    r"违反本(?:法|条例)|依法追究|依法给予|有关规定执行|另有规定|治安管理处罚|刑事责任|本(?:法|条例)所称"
)


def _quotes(ctx: Context) -> list[Sentence]:
    fit = [s for s in ctx.sentences if not s.lead_in and not s.contextual and QUOTE_MIN <= len(s.quote) <= QUOTE_MAX]
    return ctx.shuffled(fit)


def which_law(ctx: Context) -> Iterator[QuizQuestion | None]:
    """Quote a sentence and ask which law it comes from."""
    law = ctx.law
    others = sorted({short_title(t): t for t in ctx.other_titles if short_title(t) != law}.items())
    if len(others) < CHOICES - 1:
        return
    for sentence in _quotes(ctx):
        if law in sentence.text or "《" in sentence.text or _BOILERPLATE_QUOTE.search(sentence.text):
            continue
        needle = plain(sentence.quote)
        # Titles about as long as the law's first (民法典 beside 刑法 and 教育法, not beside
        # 民办教育促进法实施条例), in random order within each group: the sort is stable.
        ordered = sorted(ctx.shuffled(others), key=lambda other: not similar_length(other[0], law))
        # A sentence another law also says would make two options right.
        fit = (short for short, title in ordered if needle not in ctx.other_texts.get(title, ""))
        distractors = list(itertools.islice(fit, CHOICES - 1))
        if len(distractors) < CHOICES - 1:
            continue
        options = ctx.shuffled([law, *distractors])
        stem = M.QUIZ_WHICH_LAW_STEM.format(quote=sentence.inner_quote)
        yield ctx.question("single", stem, options, options.index(law), sentence.text, "which_law")


def which_article(ctx: Context) -> Iterator[QuizQuestion | None]:
    """Quote a sentence found only in this article and ask which article of the law it is."""
    numbers = [a.number for a in ctx.pool.articles]
    if ctx.article.number not in numbers or len(numbers) < CHOICES:
        return
    at = numbers.index(ctx.article.number)
    low = max(0, min(at - CHOICES + 1, len(numbers) - 2 * CHOICES + 1))
    near = [n for n in numbers[low : low + 2 * CHOICES - 1] if n != ctx.article.number]
    for sentence in _quotes(ctx):
        if not ctx.pool.unique_to(ctx.article, sentence.quote):
            continue
        picked = sorted([ctx.article.number, *ctx.rng.sample(near, CHOICES - 1)])
        options = [n.label for n in picked]
        stem = M.QUIZ_WHICH_ARTICLE_STEM.format(quote=sentence.inner_quote, law=ctx.law)
        yield ctx.question("single", stem, options, picked.index(ctx.article.number), sentence.text, "which_article")


def list_member(ctx: Context) -> Iterator[QuizQuestion | None]:
    """Quote a list's lead-in (教师享有下列权利) and ask which option it lists; the others are items of other lists.

    Lists of rights, duties and forbidden acts are what a study list's focus chapters are made of,
    and knowing what belongs to which list is knowing the law, not its numbering.
    """
    for found in ctx.shuffled(item_lists(ctx.article)):
        for item in ctx.shuffled(i for i in found.items if ITEM_MIN <= len(i) <= ITEM_MAX):
            distractors = ctx.pool.item_distractors(item, ctx.article, ctx.rng)
            if len(distractors) < CHOICES - 1 or len(found.lead) > SENTENCE_MAX // 2:
                continue
            options = ctx.shuffled([item, *distractors])
            stem = M.QUIZ_LIST_STEM.format(law=ctx.law, lead=found.lead.replace("“", "‘").replace("”", "’"))
            quote = f"{found.lead}：……{item}"
            yield ctx.question("single", stem, options, options.index(item), quote, "list_member")


Maker = Callable[[Context], Iterator[QuizQuestion | None]]
GENERATORS: tuple[tuple[str, str, Maker], ...] = (
    ("cloze_number", "single", cloze_number),
    ("cloze_body", "single", cloze_body),
    ("cloze_term", "single", cloze_term),
    ("truefalse_modal", "truefalse", truefalse_modal),
    ("truefalse_number", "truefalse", truefalse_number),
    ("truefalse_subject", "truefalse", truefalse_subject),
    ("list_member", "single", list_member),
    ("which_law", "single", which_law),
    ("which_article", "single", which_article),
)
GENERATOR_NAMES = tuple(name for name, _, _ in GENERATORS)


def _wanted(name: str, kind: str, kinds: Iterable[str] | None) -> bool:
    if kinds is None:
        return True
    wanted = set(kinds)
    return name in wanted or kind in wanted or name.split("_")[0] in wanted


def _first_valid(candidates: Iterator[QuizQuestion | None], article: Article) -> QuizQuestion | None:
    for tries, question in enumerate(candidates):
        if tries >= TRIES:
            return None
        if question is not None and not validate(question, article):
            return question
    return None


def law_texts(articles: Iterable[Article]) -> dict[str, str]:
    """Return each law's text as which_law compares it (punctuation dropped), by title."""
    texts: dict[str, list[str]] = {}
    for article in articles:
        texts.setdefault(article.law_title, []).append(plain(article.text))
    return {title: "\x00".join(parts) for title, parts in texts.items()}


def generate(
    article: Article,
    law_articles: list[Article],
    rng: random.Random,
    kinds: Iterable[str] | None = None,
    *,
    other_titles: Iterable[str] | None = None,
    other_texts: Mapping[str, str] | None = None,
    pool: LawPool | None = None,
) -> list[QuizQuestion]:
    """Generate every valid question the article offers, at most one per generator.

    kinds picks generators by name (cloze_number), family (cloze, truefalse, which) or
    question kind (single, truefalse). other_titles are the laws which_law may offer as
    distractors; other_texts (law_texts() of those laws) keeps it from offering a law that
    says the quoted sentence too. pool is LawPool.build(law_articles), passed in when
    generating for many articles of one law so the law is read once.
    """
    if is_boilerplate(article):
        return []
    ctx = Context(
        article=article,
        pool=pool or LawPool.build(law_articles),
        rng=rng,
        other_titles=list(other_titles or []),
        other_texts=other_texts or {},
        sentences=split_sentences(article),
    )
    kinds = list(kinds) if kinds is not None else None
    questions: list[QuizQuestion] = []
    seen: set[str] = set()
    for name, kind, make in GENERATORS:
        if not _wanted(name, kind, kinds):
            continue
        question = _first_valid(make(ctx), article)
        if question is not None and question.content_hash not in seen:
            seen.add(question.content_hash)
            questions.append(question)
    return questions


def generate_for(
    articles: list[Article],
    rng: random.Random,
    per_article: int = 1,
    kinds: Iterable[str] | None = None,
    other_titles: Iterable[str] | None = None,
) -> list[QuizQuestion]:
    """Generate up to per_article questions for each article, distractors drawn from the articles given."""
    by_law: dict[str, list[Article]] = {}
    for article in articles:
        by_law.setdefault(article.law_title, []).append(article)
    pools = {title: LawPool.build(items) for title, items in by_law.items()}
    titles = sorted(set(other_titles or []) | set(by_law))
    texts = law_texts(articles)
    questions: list[QuizQuestion] = []
    for article in articles:
        offered = generate(
            article,
            by_law[article.law_title],
            rng,
            kinds,
            other_titles=titles,
            other_texts=texts,
            pool=pools[article.law_title],
        )
        questions += rng.sample(offered, min(per_article, len(offered)))
    return questions
