"""The conversation, the same for every channel: text, commands and button presses in, replies out.

Telegram, the console and the web read their input, build a Caller and render the Reply; what
may be answered to whom is asked of knowledge.access, what an answer to a quiz does of the
QuizFlow. Browsing the study list lives in bot.browse.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from bot import browse, reviewchat
from bot.render import (
    Button,
    Reply,
    article_after_answer,
    article_heading,
    article_parts,
    feedback,
    quiz_intro,
    record_parts,
    report_parts,
    step_reply,
)
from bot.reply import Formatter
from bot.services import Services
from knowledge import access, limits
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.citations import parse_citation, resolve
from knowledge.errors import CitationError, XuefaError
from knowledge.invites import BindError, bind_account
from knowledge.models import Article, short_title
from knowledge.quizflow import Answered, NotYourQuiz, Step
from knowledge.related import related_articles
from knowledge.reports import build_report, parse_period, study_record, unit_records
from knowledge.reports.chart import render_chart
from knowledge.reports.records_xlsx import records_title, write_records_xlsx
from knowledge.reports.xlsx import write_xlsx
from knowledge.sessions import parse_session, save_session


@dataclass
class Caller:
    """Who is talking: the actor (None for a stranger), on which channel, their account there and
    where replies go; may_bind says an invite code typed here may bind that account (a private chat)."""

    actor: Actor | None
    channel: str = "console"
    external_id: str | None = None
    address: str | None = None
    may_bind: bool = False


# What a role that is not offered a command is told, instead of its usage line.
_REFUSALS = {"stats": M.ACCESS_REPORTS, "records": M.ACCESS_RECORD, "session": M.ADMIN_ONLY}


class Conversation:
    """Turns what someone says into what xuefa replies, the same for Telegram, the console and the web."""

    def __init__(self, services: Services, fmt: Formatter):
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
        self.actions = {
            "art": self._full_article,
            "rel": self._related,
            "list": lambda caller, rest: self.study_list(caller),
            "law": lambda caller, rest: browse.navigate(self.services, self.fmt, rest + ":"),
            "nav": lambda caller, rest: browse.navigate(self.services, self.fmt, rest),
            "quiz": lambda caller, rest: self.quiz(caller),
            "qa": self._quiz_answer,
            "qt": self._quiz_toggle,
            "qs": self._quiz_submit,
            "fb": lambda caller, rest: reviewchat.feedback(self, caller, rest),
        }
        # Reviewers (法治副校长) are teachers on the roster: these are offered by their reviewer scope.
        self.review_commands = {
            "review": lambda caller, args: reviewchat.review_command(self, caller, args),
            "answer": lambda caller, args: reviewchat.answer_command(self, caller, args),
        }

    # --- entry points ---------------------------------------------------------

    def handle_command(self, caller: Caller, name: str, args: str) -> Reply:
        """Run a /command; strangers only get the registration message."""
        if name == "start":
            return self.start(caller, args)
        if caller.actor is None:
            return self.say(M.WELCOME_UNKNOWN)
        if name in self.review_commands:
            return self.review_commands[name](caller, args)
        handler = self.commands.get(name)
        if handler is None:
            return self.say(M.UNKNOWN_COMMAND.format(name=name), *self._help_texts(caller.actor))
        try:
            if not access.may_use(caller.actor, name):
                raise access.AccessDenied(_REFUSALS[name])
            return handler(caller, args.strip())
        except access.AccessDenied as exc:  # what someone tried and was refused is audited too
            access.audit(self.services.repository, caller.actor, "refused", f"/{name}")
            return self.say(str(exc))

    def handle_text(self, caller: Caller, text: str) -> Reply:
        """Answer free text: a citation shows the article, anything else is a question."""
        if caller.actor is None:
            return self.say(M.WELCOME_UNKNOWN)
        stripped = text.strip()
        reason = limits.too_long("question", stripped)
        if reason is not None:
            return self.say(reason)
        try:
            citation = parse_citation(stripped)
        except CitationError:
            citation = None
        if citation is not None and citation.law:
            return self.article(caller, stripped)
        remark = reviewchat.remark(self, caller, stripped)
        if remark is not None:
            return remark
        return self.question(caller, stripped)

    def handle_action(self, caller: Caller, data: str) -> Reply:
        """Run a button press (callback data like art:12)."""
        if caller.actor is None:
            return self.say(M.WELCOME_UNKNOWN)
        kind, _, rest = data.partition(":")
        action = self.actions.get(kind)
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
        actor = caller.actor
        if actor is not None and actor.member is not None:
            return self.say(M.WELCOME_BACK.format(name=actor.member.name), *self._help_texts(actor))
        if not code or caller.external_id is None:
            return self.say(M.WELCOME_UNKNOWN if actor is None else M.WELCOME_BOOTSTRAP)
        if not caller.may_bind:  # a group chat: the code stays unused, the group is never anyone's chat
            return self.say(M.BIND_PRIVATE_ONLY)
        # A bootstrap admin binds their own roster code like anyone else, and is then that member.
        services = self.services
        try:
            bound = bind_account(services.repository, services.keyring, caller.channel, caller.external_id,
                                 caller.address or caller.external_id, code)
        except BindError as exc:
            return self.say(str(exc))
        member = bound.member
        caller.actor = Actor.of(member)
        reply = self.say(
            M.WELCOME_BOUND.format(name=member.name, unit=member.unit, role=member.role_label),
            *self._help_texts(caller.actor),
        )
        if bound.replaced_address is not None:  # the account it replaced should know, in case it was not them
            reply.notices.append((bound.replaced_address, M.REBOUND_OLD_ACCOUNT.format(name=member.name)))
        return reply

    def help(self, caller: Caller, args: str = "") -> Reply:
        """Explain what the caller can do, by role (and, for a 法治副校长, the reviewer's commands)."""
        texts = self._help_texts(caller.actor)
        if reviewchat.review.is_reviewer(self.services.repository, caller.actor):
            texts.append(M.REVIEW_USAGE_CHAT)
        return self.say(*texts)

    @staticmethod
    def _help_texts(actor: Actor | None) -> list[str]:
        texts = [M.HELP]
        if actor is not None and actor.is_admin:
            texts.append(M.HELP_ADMIN)
        elif actor is not None and actor.role == access.LEADER:
            texts.append(M.HELP_LEADER)
        return texts

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
        """Answer a question (a reviewed answer first, else from the laws), log it, queue what xuefa could not."""
        return reviewchat.question(self, caller, text)

    def search(self, caller: Caller, args: str) -> Reply:
        """List the articles best matching some keywords."""
        if not args:
            return self.say(M.USAGE_SEARCH)
        if (reason := limits.too_long("question", args)) is not None:
            return self.say(reason)
        result = self.services.ask(args, compose=False)  # a list of articles: no generated summary to pay for
        self._log(caller, args, "search", [p.article for p in result.passages])
        if result.notice and not result.passages:
            return self.say(result.notice)
        if not result.passages:
            return self.say(M.SEARCH_NONE.format(query=args))
        articles = [p.article for p in result.passages] + result.related
        return self._article_list(M.SEARCH_HEADER.format(query=args), articles)

    def me(self, caller: Caller, args: str = "") -> Reply:
        """Show the caller's own study record for this year."""
        actor = caller.actor
        if actor.member is None:
            return self.say(M.RECORD_NEEDS_ROSTER)
        services = self.services
        period = parse_period("本年", services.clock.today())
        record = study_record(services.repository, actor, actor.member, period, services.clock)
        return Reply(parts=record_parts(self.fmt, record, show_phone=True))

    def stats(self, caller: Caller, args: str) -> Reply:
        """Report participation for a period and unit: summary, Excel file and chart."""
        services = self.services
        words = args.split()
        # "/stats 城关一小" names a unit; anything else first is a period (and a bad one says so).
        is_unit = bool(words) and " ".join(words) in services.repository.unit_names()
        period_text = words[0] if words and not is_unit else None
        unit = " ".join(words[1:] if period_text else words) or None
        try:
            period = parse_period(period_text, services.clock.today())
            report = build_report(services.repository, caller.actor, period, unit, services.clock)
        except access.AccessDenied:
            raise
        except XuefaError as exc:
            return self.say(str(exc), M.USAGE_STATS)
        workbook, chart = io.BytesIO(), io.BytesIO()
        write_xlsx(report, workbook)
        render_chart(report, chart)
        reply = Reply(parts=report_parts(self.fmt, report))
        reply.document = (f"{report.file_name}.xlsx", workbook.getvalue())
        reply.photo = chart.getvalue()
        reply.caption = report.file_name
        return reply

    def records(self, caller: Caller, args: str) -> Reply:
        """Send someone's study record (or a whole unit's) with its Excel file, among what the caller may see."""
        words = args.split()
        if not words:
            return self.say(M.USAGE_RECORDS)
        services, actor = self.services, caller.actor
        try:
            period = parse_period(words[1] if len(words) > 1 else "本年", services.clock.today())
            if words[0] in services.repository.unit_names():  # /records 城关一小 2026: everyone of its units
                found = unit_records(services.repository, actor, words[0], period, services.clock)
                title = M.RECORDS_TITLE_UNIT.format(unit=words[0], period=period.text, n=len(found))
                reply = self.say(title)
                who = words[0]
            else:
                member = access.find_member(services.repository, actor, words[0])
                found = [study_record(services.repository, actor, member, period, services.clock)]
                title = records_title(found[0])
                reply = Reply(parts=record_parts(self.fmt, found[0], show_phone=access.shows_phones(actor)))
                who = member.staff_no  # a file name travels (chats, downloads folders): no person's name in it
        except access.AccessDenied:
            raise
        except XuefaError as exc:
            return self.say(str(exc))
        workbook = io.BytesIO()
        write_records_xlsx(found, title, workbook, services.clock)
        name = M.RECORDS_FILE_NAME.format(who=who, period=period.label)
        reply.document = (f"{name}.xlsx", workbook.getvalue())
        reply.caption = title
        return reply

    def session(self, caller: Caller, args: str) -> Reply:
        """List recent group study sessions, or log one (集体学法) with its attendees."""
        repository = self.services.repository
        try:
            if not args:
                sessions = repository.sessions(units=access.sessions_view_units(repository, caller.actor))[:20]
                lines = [M.SESSION_LINE.format(**vars(item), unit_name=item.unit or "—") for item in sessions]
                usage = [M.USAGE_SESSION] if caller.actor.is_admin else []
                return self.say(M.SESSIONS_HEAD.format(n=len(sessions)), *(lines or [M.SESSIONS_NONE]), *usage)
            session = parse_session(args, repository, caller.actor)
        except access.AccessDenied:
            raise
        except XuefaError as exc:
            message = str(exc)
            return self.say(message) if message == M.USAGE_SESSION else self.say(message, M.USAGE_SESSION)
        save_session(repository, caller.actor, session)
        return self.say(M.SESSION_SAVED.format(date=session.held_on, title=session.title, n=len(session.attendees)))

    def study_list(self, caller: Caller, args: str = "") -> Reply:
        """Show the current study list with a button per law."""
        return browse.study_list(self.services, self.fmt)

    # --- quizzes (the console and the web; Telegram presents polls, see bot.telegram.quiz) ---

    def quiz(self, caller: Caller, args: str = "") -> Reply:
        """Start or resume this week's quiz, one question at a time with answer buttons."""
        flow = self.services.quizflow
        try:
            step = flow.begin(caller.actor.member)
        except XuefaError as exc:
            return self.say(str(exc))
        reply = self._quiz_step(step)
        if step.opening:
            reply.parts.insert(0, self.fmt.esc(quiz_intro(step, self.services.clock)))
        return reply

    def _quiz_step(self, step: Step) -> Reply:
        if step.result is None and step.question.kind == "multiple" and not step.ticked:
            self.services.quizflow.presented(step)  # ticks are kept with the sent question, as on Telegram
        return step_reply(self.fmt, step)

    def _answered(self, answered: Answered) -> Reply:
        reply = self._quiz_step(answered.step)
        reply.parts[:0] = [self.fmt.esc(feedback(answered)), *article_after_answer(self.fmt, answered)]
        return reply

    def _quiz_answer(self, caller: Caller, rest: str) -> Reply:
        attempt_id, position, option = (int(x) for x in rest.split(":"))
        return self._quiz_call(lambda: self._answered(
            self.services.quizflow.answer(caller.actor.member, attempt_id, position, [option])
        ))

    def _quiz_toggle(self, caller: Caller, rest: str) -> Reply:
        attempt_id, position, option = (int(x) for x in rest.split(":"))
        return self._quiz_call(lambda: step_reply(
            self.fmt, self.services.quizflow.toggle(caller.actor.member, attempt_id, position, option)
        ))

    def _quiz_submit(self, caller: Caller, rest: str) -> Reply:
        attempt_id, position = (int(x) for x in rest.split(":"))
        return self._quiz_call(lambda: self._answered(
            self.services.quizflow.submit(caller.actor.member, attempt_id, position)
        ))

    def _quiz_call(self, call) -> Reply:
        try:
            return call()
        except NotYourQuiz:
            return self.say(M.UNKNOWN_ACTION)
        except XuefaError as exc:
            return self.say(str(exc))

    # --- articles from buttons ------------------------------------------------

    def _full_article(self, caller: Caller, rest: str) -> Reply:
        [article] = self.services.repository.articles(ids=[int(rest)])
        reply = Reply(parts=article_parts(self.fmt, article))
        reply.buttons = [[Button(M.BUTTON_RELATED, f"rel:{article.id}")]]
        return reply

    def _related(self, caller: Caller, rest: str) -> Reply:
        services = self.services
        [article] = services.repository.articles(ids=[int(rest)])
        related = related_articles(article, services.repository, services.catalog, services.index)
        if not related:
            return self.say(M.RELATED_NONE)
        label = f"《{short_title(article.law_title)}》{article.label}"
        return self._article_list(M.RELATED_HEADER.format(label=label), related)

    def _article_list(self, header: str, articles: list[Article]) -> Reply:
        """List articles with their first words, a button each to read it in full."""
        lines = [self.fmt.esc(header)]
        for n, article in enumerate(articles, 1):
            first = article.paragraphs[0] if article.paragraphs else ""
            snippet = first[:60] + ("……" if len(first) > 60 else "")
            lines.append(f"{n}. {article_heading(self.fmt, article)}\n{self.fmt.esc(snippet)}")
        buttons = [
            [Button(f"{n}. {short_title(a.law_title)}{a.label}", f"art:{a.id}")] for n, a in enumerate(articles, 1)
        ]
        return Reply(parts=lines, buttons=buttons)

    # --- helpers --------------------------------------------------------------

    def say(self, *texts: str) -> Reply:
        """Reply with plain sentences, escaped for the channel."""
        return Reply(parts=[self.fmt.esc(text) for text in texts])

    def _log(self, caller: Caller, question: str, outcome: str, cited: list[Article]) -> None:
        member_id = caller.actor.member_id if caller.actor else None
        # Behind the reply: a locked database must not hold up, or lose, the answer.
        self.services.journal.log_question(member_id, caller.channel, question, outcome, cited)
