"""Generate quiz questions from articles: cloze, true/false, which law and which article.

The package is split by topic: sentences (what an article says, sentence by sentence), numbers
(quantities and their perturbations), bodies (主体 and tiers of government), clauses (应当/不得/可以
and their objects), pools (a law's distractors), generators (the questions) and draw (N questions
for a round, few which-article ones, none twice). Callers import from here.
"""

from knowledge.quizgen.bodies import body_class, body_key, distinct_bodies, levels, mine_bodies, other_tiers_of
from knowledge.quizgen.clauses import FLIPS, find_modals, find_objects, is_frame
from knowledge.quizgen.draw import CAPPED, WHICH_ARTICLE_CAP, draw, draw_focused
from knowledge.quizgen.generators import (
    GENERATOR_NAMES,
    GENERATORS,
    QUOTE_MAX,
    QUOTE_MIN,
    TRIES,
    Context,
    Maker,
    cloze_body,
    cloze_number,
    cloze_term,
    generate,
    generate_for,
    law_texts,
    truefalse_modal,
    truefalse_number,
    truefalse_subject,
    which_article,
    which_law,
)
from knowledge.quizgen.numbers import DATE, FRACTION, PERCENT, Quantity, bounds, find_quantities, perturbations
from knowledge.quizgen.pools import CHOICES, LENGTH_BAND, LawPool, similar_length
from knowledge.quizgen.sentences import SENTENCE_MAX, Sentence, Span, is_boilerplate, split_sentences

__all__ = [
    "CAPPED",
    "CHOICES",
    "DATE",
    "FLIPS",
    "FRACTION",
    "GENERATORS",
    "GENERATOR_NAMES",
    "LENGTH_BAND",
    "PERCENT",
    "QUOTE_MAX",
    "QUOTE_MIN",
    "SENTENCE_MAX",
    "TRIES",
    "WHICH_ARTICLE_CAP",
    "Context",
    "LawPool",
    "Maker",
    "Quantity",
    "Sentence",
    "Span",
    "body_class",
    "body_key",
    "bounds",
    "cloze_body",
    "cloze_number",
    "cloze_term",
    "distinct_bodies",
    "draw",
    "draw_focused",
    "find_modals",
    "find_objects",
    "find_quantities",
    "generate",
    "generate_for",
    "is_boilerplate",
    "is_frame",
    "law_texts",
    "levels",
    "mine_bodies",
    "other_tiers_of",
    "perturbations",
    "similar_length",
    "split_sentences",
    "truefalse_modal",
    "truefalse_number",
    "truefalse_subject",
    "which_article",
    "which_law",
]
