"""Render core objects for people: HTML for Telegram, plain text for the console and the CLI."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from knowledge import messages as M
from knowledge.answers import OUTSIDE, UNSURE, Answer, Passage
from knowledge.models import Article, Law, StudyList, short_title

TELEGRAM_LIMIT = 4096
QUOTE_CHUNK = 3000  # a quote longer than this is split so every message stays under Telegram's limit


@dataclass
class Button:
    """An inline button: its label and the action it sends back."""

    label: str
    action: str


@dataclass
class Reply:
    """What the bot says: self-contained parts (packed into messages), buttons, an optional file."""

    parts: list[str] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    caption: str = ""

    def messages(self, limit: int = TELEGRAM_LIMIT) -> list[str]:
        """Pack the parts into as few messages as fit the limit, in order."""
        packed: list[str] = []
        for part in (piece for part in self.parts for piece in _split(part, limit)):
            if packed and len(packed[-1]) + 2 + len(part) <= limit:
                packed[-1] += "\n\n" + part
            else:
                packed.append(part)
        return packed


def _split(part: str, limit: int) -> list[str]:
    """Split an over-long part at line breaks; markup never spans lines except quotes, which come pre-split."""
    if len(part) <= limit:
        return [part]
    pieces, current = [], ""
    for line in part.split("\n"):
        while len(line) > limit:  # a single line longer than a message: cut it (plain text only)
            pieces.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    return pieces + ([current] if current else [])


class Html:
    """Telegram's HTML parse mode; every piece of text is escaped."""

    def esc(self, text: str) -> str:
        """Escape text for HTML."""
        return html.escape(text, quote=False)

    def bold(self, text: str) -> str:
        """Return bold text."""
        return f"<b>{self.esc(text)}</b>"

    def italic(self, text: str) -> str:
        """Return italic text."""
        return f"<i>{self.esc(text)}</i>"

    def mark(self, text: str) -> str:
        """Return a highlighted passage inside a quote."""
        return f"<b><u>{self.esc(text)}</u></b>"

    def quote(self, formatted: str) -> str:
        """Wrap already formatted text in a quote block."""
        return f"<blockquote>{formatted}</blockquote>"


class Plain:
    """Plain text for terminals: structure by symbols instead of markup."""

    def esc(self, text: str) -> str:
        """Return text unchanged."""
        return text

    def bold(self, text: str) -> str:
        """Return text as a heading."""
        return text

    def italic(self, text: str) -> str:
        """Return text unchanged."""
        return text

    def mark(self, text: str) -> str:
        """Mark a highlighted passage with brackets."""
        return f"【{text}】"

    def quote(self, formatted: str) -> str:
        """Indent a quote with a bar."""
        return "\n".join("  │ " + line for line in formatted.split("\n"))


def quote_article(fmt, article: Article, marks: list[str] = (), clause: str | None = None) -> list[str]:
    """Quote an article verbatim, highlighting sentences, split into parts under the size limit."""
    text = clause or article.text
    lines = text.split("\n")
    chunks: list[list[str]] = [[]]
    for line in lines:
        if sum(len(x) for x in chunks[-1]) + len(line) > QUOTE_CHUNK and chunks[-1]:
            chunks.append([])
        chunks[-1].append(line)
    return [fmt.quote("\n".join(_marked(fmt, line, marks) for line in chunk)) for chunk in chunks]


def _marked(fmt, line: str, marks: list[str]) -> str:
    for mark in marks:
        position = line.find(mark)
        if position >= 0 and mark:
            return fmt.esc(line[:position]) + fmt.mark(mark) + _marked(fmt, line[position + len(mark):], marks)
    return fmt.esc(line)


def article_heading(fmt, article: Article, label: str | None = None) -> str:
    """Return the citation line and chapter path of an article."""
    head = fmt.bold(label or M.ARTICLE_CITATION.format(title=short_title(article.law_title), label=article.label))
    if article.path:
        head += fmt.esc(" " + M.ARTICLE_PATH.format(path=article.chapter))
    return head


def article_parts(fmt, article: Article, clause: str | None = None, label: str | None = None) -> list[str]:
    """Render a whole article: heading, then the quoted text."""
    parts = quote_article(fmt, article, clause=clause)
    parts[0] = article_heading(fmt, article, label) + "\n" + parts[0]
    return parts


def article_text(article: Article, clause: str | None = None, label: str | None = None) -> str:
    """Render an article as plain text for the CLI."""
    lines = [label or M.ARTICLE_CITATION.format(title=short_title(article.law_title), label=article.label)]
    if article.path:
        lines.append(M.ARTICLE_PATH.format(path=article.chapter))
    lines.append(clause or article.text)
    return "\n".join(lines)


def answer_reply(fmt, answer: Answer, full: int = 1) -> Reply:
    """Render an answer as one of three kinds, said plainly: the articles that answer (the first in
    full); "unsure", nearest articles worded so nobody takes them for the answer, with the terms that
    matched; or "outside", articles of store laws the study list does not include."""
    reply = Reply()
    if answer.notice:
        reply.parts.append(fmt.italic(answer.notice))
    reply.parts += [fmt.esc(error) for error in answer.citation_errors]
    if not answer.passages and not answer.outside:
        return reply
    if answer.summary:
        reply.parts.append(fmt.bold(M.ANSWER_SUMMARY) + "\n" + fmt.esc(answer.summary))
    if answer.removed_citations:
        reply.parts.append(fmt.italic(M.ANSWER_REMOVED.format(items="、".join(answer.removed_citations))))
    terms = fmt.esc(M.ANSWER_MATCHED.format(terms="、".join(answer.matched_terms))) if answer.matched_terms else ""
    shown = answer.passages
    if answer.kind == OUTSIDE:
        reply.parts.append(fmt.bold(M.ANSWER_OUTSIDE) + ("\n" + terms if terms else ""))
        reply.parts += [part for p in answer.outside for part in _passage_parts(fmt, p, whole=False)]
        if answer.passages:
            names = "、".join(_citation(p.article) for p in answer.passages)
            reply.parts.append(fmt.esc(M.ANSWER_OUTSIDE_NEAREST + names))
        shown = answer.outside
    elif answer.kind == UNSURE or answer.abstained:
        reply.parts.append(fmt.bold(M.ANSWER_UNSURE) + ("\n" + terms if terms else ""))
        reply.parts += [part for p in answer.passages for part in _passage_parts(fmt, p, whole=False)]
    else:
        reply.parts.append(fmt.esc(M.ANSWER_INTRO))
        for n, passage in enumerate(answer.passages):
            reply.parts += _passage_parts(fmt, passage, whole=n < full)
        if answer.related:
            reply.parts.append(fmt.esc(M.ANSWER_RELATED + "、".join(_citation(a) for a in answer.related)))
    reply.parts.append(fmt.italic(M.ANSWER_DISCLAIMER))
    reply.buttons = [[Button(M.BUTTON_FULL_TEXT.format(label=_short_label(p.article)), f"art:{p.article.id}")] for p in shown]
    if shown:
        reply.buttons.append([Button(M.BUTTON_RELATED, f"rel:{shown[0].article.id}")])
    return reply


def _citation(article: Article) -> str:
    return M.ARTICLE_CITATION.format(title=short_title(article.law_title), label=article.label)


def _passage_parts(fmt, passage: Passage, whole: bool) -> list[str]:
    article = passage.article
    if whole:
        parts = quote_article(fmt, article, passage.highlights)
        parts[0] = article_heading(fmt, article) + "\n" + parts[0]
        return parts
    excerpt = "……".join(passage.highlights) if passage.highlights else article.paragraphs[0]
    if len(excerpt) > 200:
        excerpt = excerpt[:200] + "……"
    return [article_heading(fmt, article) + "\n" + fmt.quote(fmt.esc(excerpt))]


def _short_label(article: Article) -> str:
    return f"{short_title(article.law_title)}{article.label}"


def law_outline(law: Law) -> str:
    """Render a law's metadata and its 编/章/节 outline with article ranges, as plain text."""
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
    """Render a study list with its laws and focus, as plain text."""
    lines = [
        (M.STUDYLIST_CURRENT_MARK if current else "")
        + M.STUDYLIST_HEADER.format(title=study_list.title, id=study_list.id, start=study_list.start, end=study_list.end)
    ]
    for n, entry in enumerate(study_list.laws, 1):
        lines.append(M.STUDYLIST_LAW.format(n=n, title=entry.title, count=entry.article_count))
        if entry.focus:
            lines.append(M.STUDYLIST_FOCUS.format(focus=entry.focus.describe()))
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def report_parts(fmt, report, not_yet_limit: int = 30) -> list[str]:
    """Render a participation report as a short summary: totals, unit ranking, who has not finished."""
    from bot.exports import period_text

    totals = report.totals
    average = "—" if totals.average_score is None else f"{totals.average_score * 100:.1f}"
    head = fmt.bold(M.STATS_HEAD.format(period=period_text(report.period), unit=report.unit or M.REPORT_ALL_UNITS))
    lines = [
        head,
        fmt.esc(
            M.STATS_TOTALS.format(
                members=totals.members, participated=totals.participated,
                participation=_percent(totals.participation_rate), passed=totals.passed,
                pass_rate=_percent(totals.pass_rate), average=average, rounds=report.rounds,
            )
        ),
    ]
    parts = ["\n".join(lines)]
    if report.unit is None and report.units:
        ranking = [fmt.bold(M.STATS_RANKING)]
        for n, unit in enumerate(report.units, 1):
            ranking.append(
                fmt.esc(
                    M.STATS_UNIT_LINE.format(
                        n=n, unit=unit.unit, participation=_percent(unit.participation_rate),
                        pass_rate=_percent(unit.pass_rate), members=unit.members,
                    )
                )
            )
        parts.append("\n".join(ranking))
    not_yet = report.not_yet
    if report.rounds and not_yet:
        rows = [fmt.bold(M.STATS_NOT_YET.format(n=len(not_yet)))]
        for member in not_yet[:not_yet_limit]:
            last = (member.last_activity or "")[:10] or M.STATS_NEVER
            note = "" if member.reachable else M.QUIZ_UNREACHABLE_NOTE
            phone = f" {member.phone}" if report.show_phones and member.phone else ""
            rows.append(fmt.esc(M.STATS_NOT_YET_LINE.format(
                name=member.name, unit=member.unit, done=member.passed, rounds=member.rounds, last=last,
            ) + phone + note))
        if len(not_yet) > not_yet_limit:
            rows.append(fmt.esc(M.STATS_MORE.format(n=len(not_yet) - not_yet_limit)))
        parts.append("\n".join(rows))
    elif report.rounds:
        parts.append(fmt.esc(M.STATS_ALL_DONE))
    else:
        parts.append(fmt.esc(M.STATS_NO_ROUNDS))
    return parts


def record_parts(fmt, record, show_phone: bool = False) -> list[str]:
    """Render a person's study record: rounds, questions asked, group sessions, totals per quarter."""
    member = record.member
    head = M.RECORD_HEAD.format(
        name=member.name, staff_no=member.staff_no, unit=member.unit, role=member.role_label, period=record.period.label
    )
    if show_phone and member.phone:
        head += M.RECORD_PHONE.format(phone=member.phone)
    if not member.active:
        head += M.RECORD_INACTIVE
    parts = [fmt.bold(head)]
    rounds = [fmt.bold(M.RECORD_ROUNDS.format(n=len(record.rounds)))]
    for item in record.rounds:
        score = "—" if item.best_score is None else f"{item.best_score * 100:.0f}"
        verdict = M.RECORD_PASSED if item.passed else (M.RECORD_FAILED if item.attempts else M.RECORD_ABSENT)
        rounds.append(fmt.esc(M.RECORD_ROUND_LINE.format(week=item.week, score=score, attempts=item.attempts, verdict=verdict)))
    parts.append("\n".join(rounds))
    laws = "、".join(f"{short_title(title)}（{n}）" for title, n in record.question_laws[:8]) or "—"
    parts.append(fmt.esc(M.RECORD_QUESTIONS.format(n=record.questions, laws=laws)))
    sessions = [fmt.bold(M.RECORD_SESSIONS.format(n=len(record.sessions)))]
    sessions += [fmt.esc(f"· {held_on} {title}") for held_on, title in record.sessions]
    parts.append("\n".join(sessions))
    if record.quarters:
        quarters = [fmt.bold(M.RECORD_QUARTERS)]
        for label, rounds_n, done, passed, session_n in record.quarters:
            quarters.append(fmt.esc(M.RECORD_QUARTER_LINE.format(
                quarter=label, rounds=rounds_n, done=done, passed=passed, sessions=session_n,
            )))
        parts.append("\n".join(quarters))
    return parts
