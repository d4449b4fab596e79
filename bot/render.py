"""Render core objects as plain text (console, CLI); telegram_render.py does HTML."""

from __future__ import annotations

from knowledge import messages as M
from knowledge.models import Article, Law, StudyList


def article_text(article: Article, clause: str | None = None, label: str | None = None) -> str:
    """Render an article: its citation line, its chapter path, then its text."""
    head = label or M.ARTICLE_CITATION.format(title=article.law_title, label=article.label)
    lines = [head]
    if article.path:
        lines.append(M.ARTICLE_PATH.format(path=article.chapter))
    lines.append(clause if clause else article.text)
    return "\n".join(lines)


def law_outline(law: Law) -> str:
    """Render a law's metadata and its 编/章/节 outline with article ranges."""
    lines = [
        M.LAW_HEADER.format(
            title=law.title,
            kind=law.kind,
            issuer=law.issuer or "—",
            status=law.status,
            amended=law.amended or "—",
            effective=law.effective or "—",
            source=law.source or "—",
            count=len(law.articles),
        )
    ]
    for heading, first, last in outline(law):
        lines.append(M.LAW_OUTLINE_ITEM.format(heading=heading, first=first.label, last=last.label))
    return "\n".join(lines)


def outline(law: Law) -> list[tuple[str, Article, Article]]:
    """Return each chapter path with its first and last article, in order."""
    sections: list[tuple[str, Article, Article]] = []
    for article in law.articles:
        heading = article.chapter
        if sections and sections[-1][0] == heading:
            sections[-1] = (heading, sections[-1][1], article)
        else:
            sections.append((heading, article, article))
    return [s for s in sections if s[0]]


def study_list_text(study_list: StudyList, current: bool = False) -> str:
    """Render a study list with its laws and focus."""
    lines = [
        (M.STUDYLIST_CURRENT_MARK if current else "")
        + M.STUDYLIST_HEADER.format(
            title=study_list.title, id=study_list.id, start=study_list.start, end=study_list.end
        )
    ]
    for n, entry in enumerate(study_list.laws, 1):
        lines.append(M.STUDYLIST_LAW.format(n=n, title=entry.title, count=entry.article_count))
        if entry.focus:
            lines.append(M.STUDYLIST_FOCUS.format(focus=entry.focus.describe()))
    return "\n".join(lines)
