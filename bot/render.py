"""Render core objects for people, through a Formatter: HTML for Telegram and the web, plain text elsewhere."""

from __future__ import annotations

from bot.reply import Button, Formatter, Reply
from knowledge import messages as M
from knowledge.answers import CURRENT_LIST, OTHER_LIST, OUTSIDE, STORE, UNSURE, Answer, Passage
from knowledge.clock import Clock
from knowledge.models import Article, Law, StudyList, short_title
from knowledge.quizflow import Answered, Step
from knowledge.quizzes import QuizQuestion
from knowledge.reports import Report, StudyRecord, percent_text
from knowledge.rounds import AttemptResult, is_correct

QUOTE_CHUNK = 3000  # a quote longer than this is split so every message stays under Telegram's limit
EXCERPT_MAX = 260  # characters of an excerpt: room for a lead-in and its item
FEEDBACK_ARTICLE_MAX = 500  # an article longer than this is quoted by the paragraphs a question tested


def quote_article(fmt: Formatter, article: Article, marks: list[str] = (), clause: str | None = None) -> list[str]:
    """Quote an article verbatim, highlighting sentences, split into parts under the size limit."""
    text = clause or article.text
    lines = text.split("\n")
    chunks: list[list[str]] = [[]]
    for line in lines:
        if sum(len(x) for x in chunks[-1]) + len(line) > QUOTE_CHUNK and chunks[-1]:
            chunks.append([])
        chunks[-1].append(line)
    return [fmt.quote("\n".join(_marked(fmt, line, marks) for line in chunk)) for chunk in chunks]


def _marked(fmt: Formatter, line: str, marks: list[str]) -> str:
    for mark in marks:
        position = line.find(mark)
        if position >= 0 and mark:
            return fmt.esc(line[:position]) + fmt.mark(mark) + _marked(fmt, line[position + len(mark):], marks)
    return fmt.esc(line)


def article_heading(fmt: Formatter, article: Article, label: str | None = None) -> str:
    """Return the citation line and chapter path of an article."""
    head = fmt.bold(label or M.ARTICLE_CITATION.format(title=short_title(article.law_title), label=article.label))
    if article.path:
        head += fmt.esc(" " + M.ARTICLE_PATH.format(path=article.chapter))
    return head


def article_parts(fmt: Formatter, article: Article, clause: str | None = None, label: str | None = None) -> list[str]:
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


def answer_reply(fmt: Formatter, answer: Answer, full: int = 1) -> Reply:
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
        only_cited = bool(answer.cited) and len(answer.cited) == len(answer.passages)
        reply.parts.append(fmt.esc(M.ANSWER_INTRO_CITED if only_cited else _INTROS.get(answer.scope, M.ANSWER_INTRO)))
        for n, passage in enumerate(answer.passages):
            scope = answer.scope_of(passage.article)
            tagged = only_cited and answer.current is not None or scope != answer.scope
            tag = M.ANSWER_SCOPE_TAG[scope] if answer.scope and tagged else None
            reply.parts += _passage_parts(fmt, passage, whole=n < full, tag=tag)
        if answer.related:
            reply.parts.append(fmt.esc(M.ANSWER_RELATED + "、".join(_citation(a) for a in answer.related)))
        if answer.outside:  # store articles beside the list's answer, said to be off the list
            reply.parts.append(fmt.bold(M.ANSWER_BESIDE))
            reply.parts += [part for p in answer.outside for part in _passage_parts(fmt, p, whole=False)]
            shown = answer.passages + answer.outside
    reply.parts.append(fmt.italic(M.ANSWER_DISCLAIMER))
    reply.buttons = [[Button(M.BUTTON_FULL_TEXT.format(label=_short_label(p.article)), f"art:{p.article.id}")] for p in shown]
    if shown:
        reply.buttons.append([Button(M.BUTTON_RELATED, f"rel:{shown[0].article.id}")])
    return reply


def feedback_buttons(token: str, queued: bool) -> list[list[Button]]:
    """Return the buttons under every answer: 有帮助 / 没有解决, and 请法治副校长解答 unless already queued."""
    rows = [[Button(M.FEEDBACK_HELPFUL, f"fb:y:{token}"), Button(M.FEEDBACK_NOT_SOLVED, f"fb:n:{token}")]]
    if not queued:
        rows.append([Button(M.FEEDBACK_ASK_REVIEWER, f"fb:a:{token}")])
    return rows


def reviewed_reply(fmt: Formatter, question: str, answer: str, articles: list[Article]) -> Reply:
    """Render a reviewed answer: marked 经法治副校长解答, the reviewer's words, then each cited article verbatim."""
    reply = Reply(parts=[fmt.bold(M.REVIEWED_MARK) + "\n" + fmt.esc(answer)])
    reply.parts.append(fmt.italic(M.REVIEWED_QUESTION.format(question=question)))
    if articles:
        reply.parts.append(fmt.esc(M.REVIEWED_CITED))
    for article in articles:
        reply.parts += article_parts(fmt, article)
    reply.parts.append(fmt.italic(M.ANSWER_DISCLAIMER))
    reply.buttons = [[Button(M.BUTTON_RELATED, f"rel:{articles[0].id}")]] if articles else []
    return reply


_INTROS = {CURRENT_LIST: M.ANSWER_INTRO_CURRENT, OTHER_LIST: M.ANSWER_INTRO_OTHER, STORE: M.ANSWER_INTRO_STORE}


def _citation(article: Article) -> str:
    return M.ARTICLE_CITATION.format(title=short_title(article.law_title), label=article.label)


def _passage_parts(fmt: Formatter, passage: Passage, whole: bool, tag: str | None = None) -> list[str]:
    article = passage.article
    heading = article_heading(fmt, article) + (fmt.esc(" " + tag) if tag else "")
    if whole:
        parts = quote_article(fmt, article, passage.highlights)
        parts[0] = heading + "\n" + parts[0]
        return parts
    excerpt = "……".join(passage.highlights) if passage.highlights else _opening(article)
    if len(excerpt) > EXCERPT_MAX:
        excerpt = excerpt[:EXCERPT_MAX] + "……"
    return [heading + "\n" + fmt.quote(fmt.esc(excerpt))]


def _opening(article: Article) -> str:
    """Return an article's first paragraph, with its first item when it is a lead-in (下列权利：)."""
    paragraphs = article.paragraphs
    if len(paragraphs) > 1 and paragraphs[0].rstrip().endswith(("：", ":")):
        return paragraphs[0] + "……" + paragraphs[1]
    return paragraphs[0]


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


def report_parts(fmt: Formatter, report: Report, not_yet_limit: int = 30, hard_limit: int = 3) -> list[str]:
    """Render a participation report as a short summary: totals, unit ranking, who has not finished."""
    totals = report.totals
    average = "—" if totals.average_score is None else f"{totals.average_score * 100:.1f}"
    head = fmt.bold(M.STATS_HEAD.format(period=report.period.text, unit=report.unit_label))
    lines = [
        head,
        fmt.esc(
            M.STATS_TOTALS.format(
                members=totals.members, participated=totals.participated,
                participation=percent_text(totals.participation_rate), passed=totals.passed,
                pass_rate=percent_text(totals.pass_rate), average=average, rounds=report.rounds,
            )
        ),
    ]
    parts = ["\n".join(lines)]
    ranked = report.units if report.unit is None or len(report.units) > 1 else []
    for title, stats in ((M.STATS_ROLLUP, report.rollup), (M.STATS_RANKING, ranked)):
        if not stats:
            continue
        ranking = [fmt.bold(title)]
        for n, unit in enumerate(stats, 1):
            ranking.append(
                fmt.esc(
                    M.STATS_UNIT_LINE.format(
                        n=n, unit=unit.unit, participation=percent_text(unit.participation_rate),
                        pass_rate=percent_text(unit.pass_rate), members=unit.members,
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
            phone = M.STATS_PHONE.format(phone=member.phone) if report.show_phones and member.phone else ""
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
    hard = [item for item in report.items if item.hard][:hard_limit]
    if hard:
        lines = [fmt.bold(M.STATS_HARD_HEAD)]
        lines += [
            fmt.esc(M.STATS_HARD_LINE.format(rate=percent_text(item.correct_rate), answered=item.answered,
                                             stem=item.stem[:60], citation=item.citation or "—"))
            for item in hard
        ]
        parts.append("\n".join(lines))
    return parts


def record_parts(fmt: Formatter, record: StudyRecord, show_phone: bool = False) -> list[str]:
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
        for total in record.quarters:
            quarters.append(fmt.esc(M.RECORD_QUARTER_LINE.format(
                quarter=total.quarter, rounds=total.rounds, done=total.done, passed=total.passed,
                sessions=total.sessions,
            )))
        parts.append("\n".join(quarters))
    return parts


# --- quizzes ------------------------------------------------------------------------------

LETTERS = "ABCDEFGHIJ"


def answer_label(question: QuizQuestion) -> str:
    """Name the correct answer: its letters (AC), or the word for a true/false question (正确)."""
    if question.kind == "truefalse":
        return question.options[question.answer[0]]
    return "".join(LETTERS[i] for i in question.answer)


def answer_text(question: QuizQuestion) -> str:
    """Name the correct answer with its words: C．教育行政部门 (每个正确选项), or 正确/错误."""
    if question.kind == "truefalse":
        return question.options[question.answer[0]]
    return "；".join(f"{LETTERS[i]}．{question.options[i]}" for i in question.answer)


def quiz_intro(step: Step, clock: Clock) -> str:
    """Return the line that opens an attempt."""
    return M.QUIZ_INTRO.format(
        week=step.round.week, n=step.attempt.total, deadline=clock.local_text(step.round.deadline),
        attempt=step.attempt.number, pass_mark=round(step.round.pass_mark * 100),
    )


def question_heading(step: Step) -> str:
    """Return 第 2/5 题（单选题）: the same heading above a chat question and inside a quiz poll."""
    return M.QUIZ_QUESTION_HEAD.format(
        n=step.position + 1, total=step.attempt.total, kind=M.QUIZ_KIND_LABELS[step.question.kind]
    )


def question_reply(fmt: Formatter, step: Step) -> Reply:
    """Render a question with one button per option (multiple choice: toggles and a submit button)."""
    question = step.question
    lines = [fmt.bold(question_heading(step)), fmt.esc(question.stem)]
    lines += [fmt.esc(f"{LETTERS[i]}. {option}") for i, option in enumerate(question.options)]
    prefix = f"{step.attempt.id}:{step.position}"
    if question.kind == "multiple":
        buttons = [
            [Button(("☑ " if i in step.ticked else "☐ ") + LETTERS[i], f"qt:{prefix}:{i}")
             for i in range(len(question.options))],
            [Button(M.QUIZ_SUBMIT, f"qs:{prefix}")],
        ]
    elif question.kind == "truefalse":
        buttons = [[Button(option, f"qa:{prefix}:{i}") for i, option in enumerate(question.options)]]
    else:
        buttons = [[Button(LETTERS[i], f"qa:{prefix}:{i}") for i in range(len(question.options))]]
    return Reply(parts=["\n".join(lines)], buttons=buttons)


def feedback(answered: Answered) -> str:
    """Return the right/wrong line with the explanation, as plain text."""
    question = answered.question
    head = M.QUIZ_RIGHT if answered.correct else M.QUIZ_WRONG.format(answer=answer_label(question))
    return f"{head}\n{question.explanation}"


def article_after_answer(fmt: Formatter, answered: Answered) -> list[str]:
    """Quote the article a question was on, its tested sentence marked: after each answer the member reads the law.

    A short article is quoted whole; of a long one, the paragraphs holding the tested sentence.
    """
    article = answered.article
    if article is None:
        return []
    # A list question quotes "lead：……item": each piece is marked where it stands.
    marks = [piece for piece in _explained_quote(answered.question.explanation).split("……") if piece]
    paragraphs = article.paragraphs
    if len(article.text) > FEEDBACK_ARTICLE_MAX and marks:
        paragraphs = [p for p in paragraphs if any(mark[:12] in p for mark in marks)] or paragraphs[:1]
    shown = Article(article.number, "\n".join(paragraphs), article.path, article.law_title, article.id)
    parts = quote_article(fmt, shown, marks)
    parts[0] = fmt.bold(M.QUIZ_ARTICLE_HEAD) + article_heading(fmt, article) + "\n" + parts[0]
    return parts


def _explained_quote(explanation: str) -> str:
    """Return the article sentence an explanation quotes (出处：…。原文：…), without its final mark."""
    _, found, quote = explanation.partition(M.QUIZ_EXPLANATION_QUOTE)
    return quote.rstrip("。；;…") if found else ""


def result_reply(fmt: Formatter, result: AttemptResult) -> Reply:
    """Render the finished attempt: score, pass or fail, each question with its explanation."""
    attempt = result.attempt
    verdict = M.QUIZ_PASSED if attempt.passed else M.QUIZ_FAILED
    lines = [
        fmt.bold(M.QUIZ_RESULT.format(correct=attempt.correct, total=attempt.total, score=round(attempt.score * 100)))
        + "\n" + fmt.esc(verdict.format(best=round(result.best_score * 100)))
    ]
    for position, question in enumerate(result.questions):
        mark = "✓" if is_correct(attempt.answered.get(position, []), question) else "✗"
        # The options are gone from the screen by now: the stem and the right option's words, not a bare letter.
        lines.append(fmt.esc(M.QUIZ_RESULT_ITEM.format(
            mark=mark, n=position + 1, stem=question.stem, answer=answer_text(question), explanation=question.explanation
        )))
    buttons = [] if attempt.passed else [[Button(M.QUIZ_RETAKE, "quiz:")]]
    # One part per question: a long round is split between messages, never cut inside a tag.
    return Reply(parts=lines, buttons=buttons)


def step_reply(fmt: Formatter, step: Step) -> Reply:
    """Render a step: the next question, or the result."""
    return result_reply(fmt, step.result) if step.result is not None else question_reply(fmt, step)
