"""Per-question statistics: how often each question and each article was answered right over a period.

A question nearly everyone gets wrong is either a bad question (a misleading distractor, a stem that
says too little) or a topic the unit should study again; admins see both in the report and its file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.reports.shapes import ArticleStat, ItemStat

if TYPE_CHECKING:
    from knowledge.store import QuestionTally


def item_stats(tallies: list[QuestionTally]) -> tuple[list[ItemStat], list[ArticleStat]]:
    """Return the questions and the articles, the least often answered right first."""
    items = [ItemStat(t.stem, t.kind, t.citation, t.answered, t.correct) for t in tallies if t.answered]
    by_article: dict[str, ArticleStat] = {}
    for t in tallies:
        if not t.citation or not t.answered:
            continue
        stat = by_article.setdefault(t.citation, ArticleStat(t.citation, 0, 0, 0))
        stat.questions += 1
        stat.answered += t.answered
        stat.correct += t.correct
    return sorted(items, key=_hardest_first), sorted(by_article.values(), key=_hardest_first)


def _hardest_first(stat: ItemStat | ArticleStat) -> tuple[float, int, str]:
    return (stat.correct_rate or 0.0, -stat.answered, getattr(stat, "stem", stat.citation))
