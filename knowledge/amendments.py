"""Amendments (修正案) applied to a consolidated text, only where they restate the new text in full.

The bundled corpus's 刑法 is the 2020 consolidated text, marked 已被修改 because 修正案（十二）
(2023) changed seven articles. Each of that amendment's items restates an article, or one 款 of it,
word for word ("将刑法第三百九十条修改为：“……”"), so the current text can be rebuilt exactly. An
item worded otherwise (增加一条, 删去…) is not guessed at: it is named in the law's status, so a
reader is pointed to the amendment in the store.
"""

from __future__ import annotations

import re

from knowledge import messages as M
from knowledge.models import AMENDED, Law
from knowledge.numerals import CN_DIGITS, ArticleNo, cn_to_int

_RESTATED = re.compile(
    rf"^(?:将|在)(?P<law>[\u4e00-\u9fff]+?)第(?P<no>[{CN_DIGITS}]+)条(?:之(?P<sub>[{CN_DIGITS}]+))?"
    rf"(?:第(?P<para>[{CN_DIGITS}]+)款)?(?:中增加一款作为第[{CN_DIGITS}]+款，将该条)?修改为：(?P<text>.+)$",
    re.S,
)
_COMMENCEMENT = re.compile(r"^本修正案自.+施行。?$")
_QUOTES = "\"“”"


def amend(law: Law, amendments: list[tuple[str, str, list[str]]]) -> None:
    """Apply amendments (title, date, item texts), oldest first, to the law in place; label what was done."""
    applied: list[str] = []
    skipped: list[str] = []
    for title, date, items in amendments:
        changed: list[str] = []
        for n, item in enumerate(items, start=1):
            item = item.strip()
            if not item or _COMMENCEMENT.match(item):
                continue
            label = _apply(law, item)
            if label:
                changed.append(label)
            else:
                skipped.append(M.AMENDMENT_ITEM.format(title=title, n=n))
        if changed:
            applied.append(M.AMENDMENT_APPLIED.format(title=title, date=date, articles="、".join(changed)))
            law.amended = max(law.amended or "", date)
    if not applied and not skipped:
        return
    note = [M.AMENDMENT_BASE.format(status=law.status or AMENDED)]
    note += applied
    if skipped:
        note.append(M.AMENDMENT_SKIPPED.format(items="、".join(skipped)))
    law.status = "；".join(note)


def _apply(law: Law, item: str) -> str | None:
    """Apply one item that restates an article or a 款; return the article's label, or None."""
    match = _RESTATED.match(item)
    if not match or not law.short_title.endswith(match.group("law")):
        return None
    number = ArticleNo(cn_to_int(match.group("no")), cn_to_int(match.group("sub")) if match.group("sub") else 0)
    article = law.article(number)
    if article is None:
        return None
    lines = [line.strip() for line in match.group("text").splitlines() if line.strip()]
    if not lines or lines[0][0] not in _QUOTES or lines[-1][-1] not in _QUOTES:
        return None
    new = [line.lstrip(_QUOTES) for line in lines]
    new[-1] = new[-1].rstrip(_QUOTES)
    if match.group("para"):
        clauses = article.clauses
        index = cn_to_int(match.group("para")) - 1
        if not 0 <= index < len(clauses):
            return None
        clauses[index] = "\n".join(new)
        article.text = "\n".join(clauses)
    else:
        article.text = "\n".join(new)
    return article.label
