"""Browsing the current study list down to articles: law → 编/章/节 → 第N条, one level per reply.

Button actions carry a short key of the study list, never its id: Telegram allows 64 bytes of
callback data, and a bureau may name a list anything.
"""

from __future__ import annotations

import zlib

from bot.reply import Button, Formatter, Reply
from bot.services import Services
from knowledge import messages as M
from knowledge.models import Article, Focus, Law, StudyList, short_title

MAX_ARTICLE_BUTTONS = 96


def list_key(study_list: StudyList) -> str:
    """Return a short, stable key for a study list: 7 characters whatever its id."""
    return format(zlib.crc32(study_list.id.encode("utf-8")), "x")


def _find_list(services: Services, key: str) -> StudyList:
    found = [s for s in services.repository.study_lists() if list_key(s) == key]
    if len(found) != 1:
        raise LookupError(key)  # a button of a list that was replaced or removed
    return found[0]


def current_or_latest(services: Services) -> StudyList | None:
    """Return the current study list, or the latest loaded one, or None."""
    current = services.current_list()
    if current is not None:
        return current
    lists = services.repository.study_lists()
    return lists[-1] if lists else None


def study_list(services: Services, fmt: Formatter) -> Reply:
    """Show the current study list with a button per law."""
    current = current_or_latest(services)
    if current is None:
        return Reply(parts=[fmt.esc(M.STUDYLIST_NONE_CHAT)])
    lines = [fmt.bold(current.title) + fmt.esc(M.LIST_DATES.format(start=current.start, end=current.end))]
    buttons = []
    key = list_key(current)
    for position, entry in enumerate(current.laws):
        name = short_title(entry.title)
        line = fmt.esc(M.LIST_LAW_LINE.format(n=position + 1, title=name, count=entry.article_count))
        if entry.focus:
            line += "\n" + fmt.esc(M.STUDYLIST_FOCUS.strip().format(focus=entry.focus.describe()))
        lines.append(line)
        buttons.append([Button(f"{position + 1}. {name}", f"law:{key}:{position}")])
    return Reply(parts=["\n".join(lines)], buttons=buttons)


def navigate(services: Services, fmt: Formatter, rest: str) -> Reply:
    """Browse a law of a study list (nav:<list key>:<position>:<trail>); the list gives the focus."""
    key, position, trail = rest.split(":")
    entry = _find_list(services, key).laws[int(position)]
    law = services.repository.law(entry.title)
    return law_level(fmt, law, f"{key}:{position}", [int(i) for i in trail.split(".") if i], entry.focus)


def children(articles: list[Article], prefix: list[str]) -> list[str]:
    """Return the distinct headings right below a path prefix, in order."""
    depth = len(prefix)
    found: list[str] = []
    for article in articles:
        if list(article.path[:depth]) == prefix and len(article.path) > depth:
            heading = article.path[depth]
            if heading not in found:
                found.append(heading)
    return found


def path_of(law: Law, trail: list[int]) -> list[str]:
    """Return the headings a trail of child positions leads to."""
    prefix: list[str] = []
    for index in trail:
        prefix.append(children(law.articles, prefix)[index])
    return prefix


def law_level(fmt: Formatter, law: Law, entry: str, trail: list[int], focus: Focus) -> Reply:
    """Show one level of a law's 编/章/节 tree: the headings below a node, or its articles at a leaf."""
    prefix = path_of(law, trail)
    below = children(law.articles, prefix)
    name = short_title(law.title)
    header = M.LIST_CHAPTER_HEADER.format(title=name, chapter=" ".join(prefix)) if prefix else (
        M.LIST_LAW_HEADER.format(title=name, count=len(law.articles))
    )
    lines = [fmt.esc(header)]
    if focus and not prefix:
        lines.append(fmt.esc(M.STUDYLIST_FOCUS.strip().format(focus=focus.describe())))
    back = ".".join(str(i) for i in trail[:-1])
    back_action = f"nav:{entry}:{back}" if trail else "list:"
    if below:
        buttons = []
        for n, heading in enumerate(below):
            star = "★ " if focus and heading in focus.chapters else ""
            buttons.append([Button(star + heading[:50], f"nav:{entry}:{'.'.join(map(str, trail + [n]))}")])
        buttons.append([Button(M.BUTTON_BACK, back_action)])
        return Reply(parts=["\n".join(lines)], buttons=buttons)
    articles = leaf_articles(law, prefix)
    for article in articles:
        first = article.paragraphs[0] if article.paragraphs else ""
        lines.append(fmt.bold(article.label) + " " + fmt.esc(first[:40] + ("……" if len(first) > 40 else "")))
    shown = articles[:MAX_ARTICLE_BUTTONS]
    buttons = [[Button(a.label, f"art:{a.id}") for a in shown[i:i + 4]] for i in range(0, len(shown), 4)]
    buttons.append([Button(M.BUTTON_BACK, back_action)])
    return Reply(parts=["\n".join(lines)], buttons=buttons)


def leaf_articles(law: Law, prefix: list[str]) -> list[Article]:
    """Return the articles under a heading path."""
    return [a for a in law.articles if list(a.path[: len(prefix)]) == prefix]
