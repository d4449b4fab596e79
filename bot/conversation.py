"""The conversation, channel-agnostic: text, commands and button presses in, replies out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from bot.quizflow import QuizFlow
from bot.render import Button, Reply, answer_reply, article_heading, article_parts, record_parts, report_parts
from bot.services import Services
from knowledge import messages as M
from knowledge.citations import find_citations, parse_citation, resolve
from knowledge.errors import CitationError, XuefaError
from knowledge.members import BindError, Member, bind_account, find_member
from knowledge.models import short_title
from knowledge.reports import build_report, parse_period, study_record
from knowledge.sessions import parse_session


@dataclass
class Caller:
    """Who is talking: their Telegram identity (if any) and the member they are bound to."""

    member: Member | None
    telegram_id: int | None = None
    chat_id: int | None = None
    channel: str = "telegram"


class Conversation:
    """Turns what a member says into what xuefa replies, the same for Telegram and the console."""

    def __init__(self, services: Services, fmt):
        self.services = services
        self.fmt = fmt
        self.commands = {
            "start": self.start,
            "help": self.help,
            "list": self.study_list,
            "article": self.article,
            "search": self.search,
            "me": self.me,
            "quiz": self.quiz,
            "stats": self.stats,
            "records": self.records,
            "session": self.session,
        }
        self.quizflow = QuizFlow(services, fmt)

    # --- entry points ---------------------------------------------------------

    def handle_command(self, caller: Caller, name: str, args: str) -> Reply:
        """Run a /command; strangers only get the registration message."""
        if name == "start":
            return self.start(caller, args)
        if caller.member is None:
            return self.say(M.WELCOME_UNKNOWN)
        handler = self.commands.get(name)
        if handler is None:
            return self.help(caller, "")
        return handler(caller, args.strip())

    def handle_text(self, caller: Caller, text: str) -> Reply:
        """Answer free text: a citation shows the article, anything else is a question."""
        if caller.member is None:
            return self.say(M.WELCOME_UNKNOWN)
        stripped = text.strip()
        try:
            citation = parse_citation(stripped)
        except CitationError:
            citation = None
        if citation is not None and citation.law:
            return self.article(caller, stripped)
        return self.question(caller, stripped)

    def handle_action(self, caller: Caller, data: str) -> Reply:
        """Run a button press (callback data like art:12)."""
        if caller.member is None:
            return self.say(M.WELCOME_UNKNOWN)
        kind, _, rest = data.partition(":")
        actions = {
            "art": self._full_article,
            "rel": self._related,
            "list": lambda c, r: self.study_list(c, ""),
            "law": self._law_chapters,
            "nav": self._navigate,
            "quiz": lambda c, r: self.quiz(c, ""),
            "qa": self._quiz_answer,
            "qt": self._quiz_toggle,
            "qs": self._quiz_submit,
        }
        action = actions.get(kind)
        if action is None:
            return self.say(M.UNKNOWN_ACTION)
        try:
            return action(caller, rest)
        except (ValueError, LookupError):  # malformed or stale callback data
            return self.say(M.UNKNOWN_ACTION)

    # --- commands -------------------------------------------------------------

    def start(self, caller: Caller, payload: str) -> Reply:
        """Register with an invite code, or greet a member who is already registered."""
        code = payload.strip()
        if caller.member is not None:
            member = caller.member
            return self.say(M.WELCOME_BACK.format(name=member.name), M.HELP)
        if not code or caller.telegram_id is None:
            return self.say(M.WELCOME_UNKNOWN)
        try:
            member = bind_account(self.services.repository, caller.telegram_id, caller.chat_id, code)
        except BindError as exc:
            return self.say(str(exc))
        caller.member = member
        return self.say(M.WELCOME_BOUND.format(name=member.name, unit=member.unit, role=member.role_label), M.HELP)

    def help(self, caller: Caller, args: str = "") -> Reply:
        """Explain what the member can do, by role."""
        parts = [M.HELP]
        if caller.member and caller.member.is_admin:
            parts.append(M.HELP_ADMIN)
        elif caller.member and caller.member.role == "leader":
            parts.append(M.HELP_LEADER)
        return self.say(*parts)

    def article(self, caller: Caller, args: str) -> Reply:
        """Show an article by citation, or say exactly why it cannot be shown."""
        if not args:
            return self.say(M.USAGE_ARTICLE)
        try:
            resolved = resolve(parse_citation(args), self.services.catalog, self.services.repository)
        except CitationError as exc:
            self._log(caller, args, "refused", [])
            return self.say(str(exc))
        self._log(caller, args, "article", [resolved.article])
        reply = Reply(parts=article_parts(self.fmt, resolved.article, resolved.clause, resolved.label))
        reply.buttons = [[Button(M.BUTTON_RELATED, f"rel:{resolved.article.id}")]]
        return reply

    def question(self, caller: Caller, text: str) -> Reply:
        """Answer a question from the laws and log it for the study record."""
        result = self.services.ask(text)
        self._log(caller, text, result.outcome, [p.article for p in result.passages])
        return answer_reply(self.fmt, result)

    def search(self, caller: Caller, args: str) -> Reply:
        """List the articles best matching some keywords."""
        if not args:
            return self.say(M.USAGE_SEARCH)
        result = self.services.ask(args, compose=False)  # a list of articles: no generated summary to pay for
        self._log(caller, args, "search", [p.article for p in result.passages])
        if result.notice and not result.passages:
            return self.say(result.notice)
        if not result.passages:
            return self.say(M.SEARCH_NONE.format(query=args))
        lines = [self.fmt.esc(M.SEARCH_HEADER.format(query=args))]
        articles = [p.article for p in result.passages] + result.related
        for n, article in enumerate(articles, 1):
            first = article.paragraphs[0] if article.paragraphs else ""
            snippet = first[:60] + ("……" if len(first) > 60 else "")
            lines.append(f"{n}. {article_heading(self.fmt, article)}\n{self.fmt.esc(snippet)}")
        reply = Reply(parts=lines)
        reply.buttons = [[Button(f"{n}. {short_title(a.law_title)}{a.label}", f"art:{a.id}")] for n, a in enumerate(articles, 1)]
        return reply

    def me(self, caller: Caller, args: str = "") -> Reply:
        """Show the member's own study record for this year."""
        services = self.services
        period = parse_period("本年", date.fromisoformat(services.today()))
        record = study_record(services.repository, caller.member, caller.member, period, services.settings.tz)
        return Reply(parts=record_parts(self.fmt, record, show_phone=True))

    def stats(self, caller: Caller, args: str) -> Reply:
        """Report participation for a period and unit: summary, Excel file and chart."""
        services = self.services
        words = args.split()
        # "/stats 城关一小" names a unit; anything else first is a period (and a bad one says so).
        is_unit = bool(words) and " ".join(words) in services.repository.units()
        period_text = words[0] if words and not is_unit else None
        unit = " ".join(words[1:] if period_text else words) or None
        try:
            period = parse_period(period_text, date.fromisoformat(services.today()))
            report = build_report(services.repository, caller.member, period, unit, services.settings.tz)
        except XuefaError as exc:
            return self.say(str(exc), M.USAGE_STATS)
        from bot.exports import render_chart, write_xlsx

        workbook, chart = io.BytesIO(), io.BytesIO()
        write_xlsx(report, workbook)
        render_chart(report, chart)
        reply = Reply(parts=report_parts(self.fmt, report))
        name = M.STATS_FILE_NAME.format(period=period.label, unit=report.unit or M.REPORT_ALL_UNITS)
        reply.document = (f"{name}.xlsx", workbook.getvalue())
        reply.photo = chart.getvalue()
        reply.caption = name
        return reply

    def records(self, caller: Caller, args: str) -> Reply:
        """Show anyone's study record (admins within their reach, leaders everyone)."""
        words = args.split()
        if not words:
            return self.say(M.USAGE_RECORDS)
        services = self.services
        viewer = caller.member
        if not (viewer.is_admin or viewer.sees_all_units) and words[0] not in (viewer.staff_no, viewer.name):
            return self.say(M.ACCESS_RECORD)  # before any lookup: a teacher learns nothing about others
        try:
            member = find_member(services.repository, words[0])
            period = parse_period(words[1] if len(words) > 1 else "本年", date.fromisoformat(services.today()))
            record = study_record(services.repository, caller.member, member, period, services.settings.tz)
        except XuefaError as exc:
            return self.say(str(exc))
        return Reply(parts=record_parts(self.fmt, record, show_phone=caller.member.is_admin))

    def session(self, caller: Caller, args: str) -> Reply:
        """Log a group study session (集体学法) with its attendees."""
        if not caller.member.is_admin:
            return self.say(M.ADMIN_ONLY)
        try:
            session = parse_session(args, self.services.repository, caller.member)
        except XuefaError as exc:
            return self.say(str(exc), M.USAGE_SESSION)
        self.services.repository.add_session(
            session.held_on, session.title, session.unit, session.laws, session.minutes,
            [m.id for m in session.attendees], caller.member.id,
        )
        return self.say(M.SESSION_SAVED.format(date=session.held_on, title=session.title, n=len(session.attendees)))

    def quiz(self, caller: Caller, args: str = "") -> Reply:
        """Start or resume this week's quiz, one question at a time with answer buttons."""
        try:
            step = self.quizflow.begin(caller.member)
        except XuefaError as exc:
            return self.say(str(exc))
        reply = self._quiz_step(step)
        if not step.attempt.answered and step.result is None:
            reply.parts.insert(0, self.fmt.esc(self.quizflow.intro(step)))
        return reply

    def _quiz_step(self, step) -> Reply:
        if step.result is not None:
            return self.quizflow.result_reply(step.result)
        if step.question.kind == "multiple":
            self.quizflow.presented(step)  # ticks are kept with the sent question, as on Telegram
        return self.quizflow.question_reply(step)

    def _quiz_answer(self, caller: Caller, rest: str, chosen: list[int] | None = None) -> Reply:
        attempt_id, position, *option = (int(x) for x in rest.split(":"))
        attempt = self.services.repository.attempt(attempt_id)
        if attempt is None or attempt.member_id != caller.member.id:
            return self.say(M.UNKNOWN_ACTION)
        outcome = self.quizflow.answer(attempt_id, position, chosen if chosen is not None else option[:1])
        if outcome is None:
            return self.say(M.QUIZ_STALE)
        correct, step = outcome
        question = self.services.repository.round_question(attempt.round_id, position)
        reply = self._quiz_step(step)
        reply.parts.insert(0, self.fmt.esc(self.quizflow.feedback(question, correct)))
        return reply

    def _quiz_toggle(self, caller: Caller, rest: str) -> Reply:
        attempt_id, position, option = (int(x) for x in rest.split(":"))
        attempt = self.services.repository.attempt(attempt_id)
        if attempt is None or attempt.member_id != caller.member.id:
            return self.say(M.UNKNOWN_ACTION)
        try:
            step, chosen = self.quizflow.toggle(attempt_id, position, option)
        except XuefaError as exc:
            return self.say(str(exc))
        return self.quizflow.question_reply(step, chosen)

    def _quiz_submit(self, caller: Caller, rest: str) -> Reply:
        attempt_id, position = (int(x) for x in rest.split(":"))
        chosen = self.quizflow.ticked(attempt_id, position)
        if not chosen:
            return self.say(M.QUIZ_NOTHING_CHOSEN)
        return self._quiz_answer(caller, rest, chosen)

    def study_list(self, caller: Caller, args: str = "") -> Reply:
        """Show the current study list with a button per law."""
        current = self.services.current_list()
        if current is None:
            lists = self.services.repository.study_lists()
            if not lists:
                return self.say(M.STUDYLIST_NONE_CHAT)
            current = lists[-1]
        fmt = self.fmt
        lines = [fmt.bold(current.title) + fmt.esc(M.LIST_DATES.format(start=current.start, end=current.end))]
        buttons = []
        for position, entry in enumerate(current.laws):
            line = fmt.esc(M.LIST_LAW_LINE.format(n=position + 1, title=short_title(entry.title), count=entry.article_count))
            if entry.focus:
                line += "\n" + fmt.esc(M.STUDYLIST_FOCUS.strip().format(focus=entry.focus.describe()))
            lines.append(line)
            buttons.append([Button(f"{position + 1}. {short_title(entry.title)}", f"law:{current.id}:{position}")])
        return Reply(parts=["\n".join(lines)], buttons=buttons)

    # --- button actions -------------------------------------------------------

    def _full_article(self, caller: Caller, rest: str) -> Reply:
        [article] = self.services.repository.articles(ids=[int(rest)])
        reply = Reply(parts=article_parts(self.fmt, article))
        reply.buttons = [[Button(M.BUTTON_RELATED, f"rel:{article.id}")]]
        return reply

    def _related(self, caller: Caller, rest: str) -> Reply:
        [article] = self.services.repository.articles(ids=[int(rest)])
        related = self.related_articles(article)
        if not related:
            return self.say(M.RELATED_NONE)
        lines = [self.fmt.esc(M.RELATED_HEADER.format(label=f"《{short_title(article.law_title)}》{article.label}"))]
        for other in related:
            first = other.paragraphs[0][:60] if other.paragraphs else ""
            lines.append(article_heading(self.fmt, other) + "\n" + self.fmt.esc(first))
        buttons = [[Button(f"{short_title(a.law_title)}{a.label}", f"art:{a.id}")] for a in related]
        return Reply(parts=lines, buttons=buttons)

    def related_articles(self, article, limit: int = 5) -> list:
        """Return the articles an article cites, then the nearest ones by meaning, never itself."""
        repository = self.services.repository
        found = []
        for citation in find_citations(article.text):
            law = citation.law or article.law_title
            if law.startswith("本"):
                law = article.law_title
            try:
                target = resolve(citation.__class__(law, citation.article), self.services.catalog, repository).article
            except CitationError:
                continue
            if target.id != article.id and all(target.id != a.id for a in found):
                found.append(target)
        index = self.services.index
        if index is not None and len(found) < limit:
            for hit in index.similar(article.id, k=limit + 1):
                if hit.article_id != article.id and all(hit.article_id != a.id for a in found):
                    found += repository.articles(ids=[hit.article_id])
        return found[:limit]

    def _law_chapters(self, caller: Caller, rest: str) -> Reply:
        return self._navigate(caller, rest + ":")

    def _navigate(self, caller: Caller, rest: str) -> Reply:
        """Browse a law of a study list (nav:<list>:<position>:<trail>); the list gives the focus."""
        list_id, position, trail = rest.split(":")
        [study_list] = [s for s in self.services.repository.study_lists() if s.id == list_id]
        entry = study_list.laws[int(position)]
        law = self.services.repository.law(entry.title)
        return self._navigate_law(law, f"{list_id}:{position}", [int(i) for i in trail.split(".") if i], entry.focus)

    def _navigate_law(self, law, entry: str, trail: list[int], focus) -> Reply:
        """Show one level of a law's 编/章/节 tree: the headings below a node, or its articles at a leaf."""
        prefix: list[str] = []
        for index in trail:
            prefix.append(_children(law.articles, prefix)[index])
        children = _children(law.articles, prefix)
        fmt = self.fmt
        name = short_title(law.title)
        header = M.LIST_CHAPTER_HEADER.format(title=name, chapter=" ".join(prefix)) if prefix else (
            M.LIST_LAW_HEADER.format(title=name, count=len(law.articles))
        )
        lines = [fmt.esc(header)]
        if focus and not prefix:
            lines.append(fmt.esc(M.STUDYLIST_FOCUS.strip().format(focus=focus.describe())))
        back = ".".join(str(i) for i in trail[:-1])
        back_action = f"nav:{entry}:{back}" if trail else "list:"
        if children:
            buttons = []
            for n, heading in enumerate(children):
                star = "★ " if focus and heading in focus.chapters else ""
                buttons.append([Button(star + heading[:50], f"nav:{entry}:{'.'.join(map(str, trail + [n]))}")])
            buttons.append([Button(M.BUTTON_BACK, back_action)])
            return Reply(parts=["\n".join(lines)], buttons=buttons)
        articles = [a for a in law.articles if list(a.path[: len(prefix)]) == prefix]
        for article in articles:
            first = article.paragraphs[0] if article.paragraphs else ""
            lines.append(fmt.bold(article.label) + " " + fmt.esc(first[:40] + ("……" if len(first) > 40 else "")))
        buttons = [[Button(a.label, f"art:{a.id}") for a in articles[i:i + 4]] for i in range(0, min(len(articles), 96), 4)]
        buttons.append([Button(M.BUTTON_BACK, back_action)])
        return Reply(parts=["\n".join(lines)], buttons=buttons)

    # --- helpers --------------------------------------------------------------

    def say(self, *texts: str) -> Reply:
        """Reply with plain sentences, escaped for the channel."""
        return Reply(parts=[self.fmt.esc(text) for text in texts])

    def _log(self, caller: Caller, question: str, outcome: str, cited: list[str]) -> None:
        member_id = caller.member.id if caller.member else None
        self.services.repository.log_question(member_id, caller.channel, question, outcome, cited)


def _children(articles, prefix: list[str]) -> list[str]:
    """Return the distinct headings right below a path prefix, in order."""
    depth = len(prefix)
    children: list[str] = []
    for article in articles:
        if list(article.path[:depth]) == prefix and len(article.path) > depth:
            heading = article.path[depth]
            if heading not in children:
                children.append(heading)
    return children
