"""Quiz questions: the shape sent as a Telegram quiz poll, and the checks every question must pass."""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, replace

from knowledge import messages as M
from knowledge.models import Article, short_title
from knowledge.text import units

KINDS = ("single", "multiple", "truefalse")
STEM_MAX = 300  # Telegram poll question limit
OPTION_MAX = 100  # Telegram poll option limit
EXPLANATION_MAX = 200  # Telegram quiz explanation limit
OPTIONS_MIN, OPTIONS_MAX = 2, 10
TRUEFALSE_OPTIONS = (M.QUIZ_TRUE, M.QUIZ_FALSE)
BLANK = M.QUIZ_BLANK
GENERATED, BANK = "generated", "bank"
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
# 答案B, 选项C, a lone letter: what a sheet or a template left where an option's words belong.
_PLACEHOLDER = re.compile(r"(?:答案|选项)?\s*[A-Za-zＡ-Ｚａ-ｚ]")
_QUOTE_END = "。；;，,：:"


@dataclass
class QuizQuestion:
    """One question: a stem, its options, the indices of the correct ones and why."""

    kind: str
    stem: str
    options: list[str]
    answer: list[int]
    explanation: str
    citation: str = ""
    article_id: int | None = None
    generator: str = ""
    origin: str = GENERATED
    id: int | None = None
    fixed: bool = False  # asked as written: options never shuffled (a bank's 固定 column)

    def shown(self, order: list[int]) -> QuizQuestion:
        """Return the question with its options in another order: shown option i is written option order[i].

        A true/false question keeps 正确/错误 in place; an empty order means as written.
        """
        if not order:
            return self
        where = {written: shown for shown, written in enumerate(order)}
        return replace(
            self, options=[self.options[i] for i in order], answer=sorted(where[i] for i in self.answer)
        )

    def shuffle_order(self, rng: random.Random) -> list[int]:
        """Return a random order to show the options in, or [] when the question is asked as written."""
        if self.fixed or self.kind == "truefalse":
            return []
        order = list(range(len(self.options)))
        rng.shuffle(order)
        return order

    @property
    def content_hash(self) -> str:
        """Hash what the member sees and the answer, the key that finds a question twice."""
        payload = "\x1f".join([self.kind, self.stem, *self.options, ",".join(map(str, sorted(self.answer)))])
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()


def normalize_option(text: str) -> str:
    """Collapse whitespace so options that differ only in spacing count as one."""
    return _SPACE.sub("", text or "")


def plain(text: str) -> str:
    """Keep only letters, digits and characters, so wording is compared without punctuation or spacing."""
    return _NOT_WORD.sub("", text or "")


def clip(text: str, limit: int) -> str:
    """Cut text to at most limit characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - len(M.QUIZ_ELLIPSIS)] + M.QUIZ_ELLIPSIS


def template_pattern(template: str) -> re.Pattern:
    """Turn a message template into a regex capturing each {field}."""
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else (f"(?P<{part}>[^《》]+)" if part == "law" else f"(?P<{part}>.+)")
        for i, part in enumerate(parts)
    )
    return re.compile(pattern, re.DOTALL)


_CLOZE_STEM = template_pattern(M.QUIZ_CLOZE_STEM)
_TRUEFALSE_STEM = template_pattern(M.QUIZ_TRUEFALSE_STEM)
_WHICH_LAW_STEM = template_pattern(M.QUIZ_WHICH_LAW_STEM)
_WHICH_ARTICLE_STEM = template_pattern(M.QUIZ_WHICH_ARTICLE_STEM)
_LIST_STEM = template_pattern(M.QUIZ_LIST_STEM)
_EXPLANATION = template_pattern(M.QUIZ_EXPLANATION)


def validate(q: QuizQuestion, article: Article | None = None) -> list[str]:
    """Check a question against Telegram's limits and, given its article, against the text; [] = valid."""
    problems = _shape_problems(q)
    if article is not None and not problems:
        problems += _source_problems(q, article)
    return problems


def _shape_problems(q: QuizQuestion) -> list[str]:
    problems: list[str] = []
    if q.kind not in KINDS:
        problems.append(M.QUIZ_KIND_UNKNOWN.format(kind=q.kind))
    if not (q.stem or "").strip():
        problems.append(M.QUIZ_STEM_EMPTY)
    elif units(q.stem) > STEM_MAX:
        problems.append(M.QUIZ_STEM_TOO_LONG.format(n=units(q.stem), limit=STEM_MAX))
    problems += _option_problems(q)
    problems += _answer_problems(q)
    if units(q.explanation or "") > EXPLANATION_MAX:
        problems.append(M.QUIZ_EXPLANATION_TOO_LONG.format(n=units(q.explanation), limit=EXPLANATION_MAX))
    return problems


def _option_problems(q: QuizQuestion) -> list[str]:
    options = q.options or []
    problems: list[str] = []
    if not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
        problems.append(M.QUIZ_OPTION_COUNT.format(n=len(options), low=OPTIONS_MIN, high=OPTIONS_MAX))
    if q.kind == "truefalse" and tuple(options) != TRUEFALSE_OPTIONS:
        problems.append(M.QUIZ_TRUEFALSE_OPTIONS)
    seen: set[str] = set()
    for n, option in enumerate(options, 1):
        key = normalize_option(option)
        if not key:
            problems.append(M.QUIZ_OPTION_EMPTY.format(n=n))
        elif units(option) > OPTION_MAX:
            problems.append(M.QUIZ_OPTION_TOO_LONG.format(option=option[:20], n=units(option), limit=OPTION_MAX))
        elif key in seen:
            problems.append(M.QUIZ_OPTION_DUPLICATE.format(option=option.strip()))
        elif _PLACEHOLDER.fullmatch(key):
            problems.append(M.QUIZ_OPTION_PLACEHOLDER.format(option=option.strip()))
        seen.add(key)
    return problems


def _answer_problems(q: QuizQuestion) -> list[str]:
    answer = list(q.answer or [])
    if not answer:
        return [M.QUIZ_ANSWER_NONE]
    problems = [M.QUIZ_ANSWER_RANGE.format(n=i + 1) for i in answer if not 0 <= i < len(q.options or [])]
    if len(set(answer)) != len(answer):
        problems.append(M.QUIZ_ANSWER_REPEATED)
    count = len(set(answer))
    if q.kind == "single" and count != 1:
        problems.append(M.QUIZ_ANSWER_ONE.format(n=count))
    elif q.kind == "truefalse" and count != 1:
        problems.append(M.QUIZ_TRUEFALSE_ANSWER_ONE.format(n=count))
    elif q.kind == "multiple" and count < 2:
        problems.append(M.QUIZ_ANSWER_MANY)
    elif q.kind == "multiple" and count >= len(q.options or []):
        problems.append(M.QUIZ_ANSWER_ALL)
    return problems


def _source_problems(q: QuizQuestion, article: Article) -> list[str]:
    problems: list[str] = []
    if q.citation and q.citation != article.citation:
        problems.append(M.QUIZ_CITATION_MISMATCH.format(citation=q.citation, expected=article.citation))
    family = q.generator.split("_")[0]
    if family == "cloze":
        problems += _cloze_problems(q, article)
    elif family == "truefalse":
        problems += _truefalse_problems(q, article)
    elif q.generator == "which_law":
        problems += _which_law_problems(q, article)
    elif q.generator == "which_article":
        problems += _which_article_problems(q, article)
    elif q.generator == "list_member":
        problems += _list_problems(q, article)
    if family in ("cloze", "truefalse", "which", "list") and not problems:
        problems += [
            M.QUIZ_NOT_VERBATIM.format(text=clip(text, 30), label=article.label)
            for text in quoted_texts(q)
            if text not in article.text
        ]
    return problems


def quoted_texts(q: QuizQuestion) -> list[str]:
    """Return what a generated question claims its article says word for word.

    A cloze's correct option and its sentence with that option filled in; a true/false question's
    original, quoted in the explanation, and its statement when it is marked true; a which-law or
    which-article quote. The checks above compare without punctuation; these texts must stand in
    the article as written, but for a final mark (a piece that ends in ； is quoted ending in 。)
    and the ‘’ a quote uses for the “” inside it.
    """
    texts: list[str] = []
    family = q.generator.split("_")[0]
    if family == "cloze" and (match := _CLOZE_STEM.fullmatch(q.stem)):
        answer = q.options[q.answer[0]] if q.answer and 0 <= q.answer[0] < len(q.options) else ""
        texts += [answer, match.group("sentence").replace(BLANK, answer)]
    elif family == "truefalse" and (match := _TRUEFALSE_STEM.fullmatch(q.stem)):
        if q.answer == [0]:
            texts.append(match.group("statement"))
        if match := _EXPLANATION.fullmatch(q.explanation or ""):
            texts.append(match.group("quote").removesuffix(M.QUIZ_ELLIPSIS))
    elif family == "list" and (match := _LIST_STEM.fullmatch(q.stem)):
        texts.append(match.group("lead").replace("‘", "“").replace("’", "”"))
        texts += [q.options[i] for i in q.answer if 0 <= i < len(q.options)]
    elif family == "which" and (match := _WHICH_LAW_STEM.fullmatch(q.stem) or _WHICH_ARTICLE_STEM.fullmatch(q.stem)):
        texts.append(match.group("quote").replace("‘", "“").replace("’", "”"))
    return [text.rstrip(_QUOTE_END) for text in texts]


def _cloze_problems(q: QuizQuestion, article: Article) -> list[str]:
    match = _CLOZE_STEM.fullmatch(q.stem)
    if not match:
        return [M.QUIZ_STEM_UNRECOGNIZED]
    sentence = match.group("sentence")
    if sentence.count(BLANK) != 1:
        return [M.QUIZ_BLANK_COUNT]
    text = plain(article.text)
    problems = []
    for index, option in enumerate(q.options):
        fits = plain(sentence.replace(BLANK, option)) in text
        if index in q.answer and not fits:
            problems.append(M.QUIZ_ANSWER_NOT_IN_ARTICLE.format(option=option))
        elif index not in q.answer and fits:
            problems.append(M.QUIZ_DISTRACTOR_IN_ARTICLE.format(option=option))
    return problems


def _truefalse_problems(q: QuizQuestion, article: Article) -> list[str]:
    match = _TRUEFALSE_STEM.fullmatch(q.stem)
    if not match:
        return [M.QUIZ_STEM_UNRECOGNIZED]
    text = plain(article.text)
    faithful = plain(match.group("statement")) in text
    problems = []
    if q.answer == [0] and not faithful:
        problems.append(M.QUIZ_STATEMENT_NOT_IN_ARTICLE)
    if q.answer == [1] and faithful:
        problems.append(M.QUIZ_STATEMENT_IN_ARTICLE)
    if not _quote_in(q.explanation, text):
        problems.append(M.QUIZ_QUOTE_NOT_IN_ARTICLE)
    return problems


def _list_problems(q: QuizQuestion, article: Article) -> list[str]:
    """A list question: its lead and its answer are the article's, no distractor is."""
    match = _LIST_STEM.fullmatch(q.stem)
    if not match:
        return [M.QUIZ_STEM_UNRECOGNIZED]
    text = plain(article.text)
    problems = [] if plain(match.group("lead")) in text else [M.QUIZ_QUOTE_NOT_IN_ARTICLE]
    for index, option in enumerate(q.options):
        listed = plain(option) in text
        if index in q.answer and not listed:
            problems.append(M.QUIZ_ANSWER_NOT_IN_ARTICLE.format(option=option))
        elif index not in q.answer and listed:
            problems.append(M.QUIZ_DISTRACTOR_IN_ARTICLE.format(option=option))
    return problems


def _which_law_problems(q: QuizQuestion, article: Article) -> list[str]:
    problems = _stem_quote_problems(q, article, _WHICH_LAW_STEM)
    law = short_title(article.law_title)
    if [q.options[i] for i in q.answer] != [law]:
        problems.append(M.QUIZ_WRONG_LAW.format(law=law))
    return problems


def _which_article_problems(q: QuizQuestion, article: Article) -> list[str]:
    problems = _stem_quote_problems(q, article, _WHICH_ARTICLE_STEM)
    if [q.options[i] for i in q.answer] != [article.label]:
        problems.append(M.QUIZ_WRONG_LABEL.format(label=article.label))
    return problems


def _stem_quote_problems(q: QuizQuestion, article: Article, pattern: re.Pattern) -> list[str]:
    match = pattern.fullmatch(q.stem)
    if not match:
        return [M.QUIZ_STEM_UNRECOGNIZED]
    if plain(match.group("quote")) not in plain(article.text):
        return [M.QUIZ_QUOTE_NOT_IN_ARTICLE]
    return []


def _quote_in(explanation: str, text: str) -> bool:
    match = _EXPLANATION.fullmatch(explanation or "")
    if not match:
        return False
    quote = match.group("quote")
    quote = quote.removesuffix(M.QUIZ_ELLIPSIS)
    return bool(plain(quote)) and plain(quote) in text
