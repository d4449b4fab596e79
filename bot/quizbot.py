"""Quizzes on Telegram: quiz polls and answer buttons, the weekly push, reminders and digests."""

from __future__ import annotations

import asyncio
import collections
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time as dtime
from zoneinfo import ZoneInfo

from telegram import Poll, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from bot.quizflow import QuizFlow, Step, local_time
from bot.render import Button, Reply
from bot.services import Services
from bot.tg import caller_of, keyboard, send_reply, services_of, with_retries
from knowledge import messages as M
from knowledge.members import Member
from knowledge.rounds import QuizError, Round, load_schedule

log = logging.getLogger(__name__)
PUSH_CONCURRENCY = 8  # sends in flight at once; the rate limiter, not this, sets the pace
MAX_TRIES = 3  # a delivery that failed this often is left for the unit admin
DIGEST_NAMES_PER_PART = 80  # names per block of a unit digest, so a long list splits between messages
JOB_NAMES = ("push", "reminder", "digest", "resume-push")


def flow_of(context: ContextTypes.DEFAULT_TYPE) -> QuizFlow:
    """Return the quiz flow built at start-up."""
    return context.application.bot_data["quizflow"]


async def present(bot, flow: QuizFlow, chat_id: int, step: Step) -> None:
    """Send the next question (a quiz poll, or buttons for multiple choice) or the final result."""
    if step.result is not None:
        await send_reply(bot, chat_id, flow.result_reply(step.result))
        return
    question = step.question
    if question.kind == "multiple":
        reply = flow.question_reply(step)
        message = await with_retries(
            bot.send_message, chat_id=chat_id, text=reply.messages()[0], parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
        )
        flow.presented(step, chat_id, message.message_id)
        return
    head = M.QUIZ_QUESTION_HEAD.format(
        n=step.position + 1, total=step.attempt.total, kind=M.QUIZ_KIND_LABELS[question.kind]
    )
    text = f"{head} {question.stem}"
    message = await with_retries(
        bot.send_poll,
        chat_id=chat_id,
        question=text if len(text) <= 300 else question.stem,  # never cut the stem to fit the head in
        options=question.options,
        type=Poll.QUIZ,
        correct_option_ids=question.answer,
        is_anonymous=False,
        explanation=question.explanation[:200],
    )
    flow.presented(step, chat_id, message.message_id, message.poll.id)


async def on_quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start or resume this week's quiz (/quiz or the 开始答题 button)."""
    caller = caller_of(update, context)
    chat = update.effective_chat
    if update.callback_query:
        await update.callback_query.answer()
    if caller.member is None:
        await send_reply(context.bot, chat.id, Reply(parts=[M.WELCOME_UNKNOWN]))
        return
    if chat.type != ChatType.PRIVATE:  # the questions and the result are the member's own
        await send_reply(context.bot, chat.id, Reply(parts=[html.escape(M.QUIZ_PRIVATE_ONLY, quote=False)]))
        return
    flow = flow_of(context)
    try:
        step = flow.begin(caller.member)
    except QuizError as exc:
        await send_reply(context.bot, chat.id, Reply(parts=[html.escape(str(exc), quote=False)]))
        return
    if step.attempt.answered == {} and step.result is None:
        await send_reply(context.bot, chat.id, Reply(parts=[html.escape(flow.intro(step), quote=False)]))
    await present(context.bot, flow, chat.id, step)


async def on_poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a quiz poll answer (it carries no chat: the poll id says whose question it was)."""
    answer = update.poll_answer
    repository = services_of(context).repository
    sent = repository.sent_by_poll(answer.poll_id)
    if sent is None or not answer.option_ids or answer.user is None:
        return
    attempt_id, position = sent
    attempt = repository.attempt(attempt_id)
    member = repository.member(attempt.member_id) if attempt else None
    # A forwarded quiz poll keeps its id: only the member it was sent to answers it.
    if member is None or member.telegram_id != answer.user.id:
        return
    flow = flow_of(context)
    outcome = flow.answer(attempt_id, position, list(answer.option_ids))
    chat_id = repository.sent_question(attempt_id, position)["chat_id"]
    if outcome is None:
        await send_reply(context.bot, chat_id, Reply(parts=[M.QUIZ_STALE]))
        return
    _, step = outcome
    await present(context.bot, flow, chat_id, step)


async def on_quiz_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle answer buttons: qa (choose), qt (toggle a multiple-choice option), qs (submit)."""
    query = update.callback_query
    try:
        kind, attempt_id, position, *option = query.data.split(":")
        attempt_id, position, option = int(attempt_id), int(position), [int(x) for x in option]
    except ValueError:
        await query.answer(M.UNKNOWN_ACTION)
        return
    flow = flow_of(context)
    repository = flow.services.repository
    attempt = repository.attempt(attempt_id)
    caller = caller_of(update, context)
    if attempt is None or caller.member is None or attempt.member_id != caller.member.id:
        await query.answer(M.UNKNOWN_ACTION)
        return
    if kind == "qt":
        await toggle(query, flow, attempt_id, position, option[0] if option else -1)
        return
    chosen = option[:1] if kind == "qa" else flow.ticked(attempt_id, position)
    if not chosen:
        await query.answer(M.QUIZ_NOTHING_CHOSEN, show_alert=True)
        return
    outcome = flow.answer(attempt_id, position, chosen)
    await query.answer()
    if outcome is None:
        await send_reply(context.bot, update.effective_chat.id, Reply(parts=[M.QUIZ_STALE]))
        return
    correct, step = outcome
    question = repository.round_question(attempt.round_id, position)
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass
    feedback = html.escape(flow.feedback(question, correct), quote=False)
    await send_reply(context.bot, update.effective_chat.id, Reply(parts=[feedback]))
    await present(context.bot, flow, update.effective_chat.id, step)


async def toggle(query, flow: QuizFlow, attempt_id: int, position: int, option: int) -> None:
    """Toggle one option of a multiple-choice question and redraw its buttons."""
    try:
        step, chosen = flow.toggle(attempt_id, position, option)
    except QuizError as exc:
        await query.answer(str(exc))
        return
    await query.answer()
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard(flow.question_reply(step, chosen)))
    except BadRequest:
        pass  # "message is not modified": a double tap


# --- the weekly push -------------------------------------------------------------


@dataclass
class PushReport:
    """What one push run did."""

    round_id: int
    sent: int = 0
    blocked: list[Member] = field(default_factory=list)
    unbound: list[Member] = field(default_factory=list)
    failed: list[Member] = field(default_factory=list)
    skipped: int = 0  # delivered or blocked by someone else meanwhile
    left: int = 0  # not tried because the push was stopped

    @property
    def stopped(self) -> bool:
        """Tell whether the run was stopped before it got through everyone."""
        return self.left > 0


class Pusher:
    """Delivers a round to every active member exactly once, across crashes and restarts.

    Each delivery is a row in `deliveries`: pending → sending (claimed just before the send) →
    sent, blocked or failed. A restart sends to everyone still pending, and again to those left
    'sending' by a crash: a hard crash can repeat only the sends that were in flight, never skip
    anyone. stop() is graceful: no new member is taken, the sends in flight finish and are recorded.
    """

    def __init__(
        self, bot, services: Services, concurrency: int = PUSH_CONCURRENCY, max_tries: int = MAX_TRIES,
        keep_going: Callable[[], bool] = lambda: True,
    ):
        self.bot = bot
        self.services = services
        self.concurrency = concurrency
        self.max_tries = max_tries
        self.keep_going = keep_going  # e.g. "the Application is still running": a bot shutting down stops the push
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        """Stop taking new members; the sends in flight finish and are recorded."""
        self.stopping.set()

    async def push(self, round_: Round) -> PushReport:
        """Send the round's invitation to everyone not yet reached; safe to run again after a crash."""
        repository = self.services.repository
        repository.prepare_deliveries(round_.id)
        report = PushReport(round_.id)
        queue = collections.deque(repository.undelivered(round_.id, self.max_tries))
        async with asyncio.TaskGroup() as group:
            for _ in range(self.concurrency):
                group.create_task(self._worker(queue, round_, report))
        report.left = len(queue)
        return report

    async def _worker(self, queue: collections.deque, round_: Round, report: PushReport) -> None:
        while queue and not self.stopping.is_set() and self.keep_going():
            await self.deliver(queue.popleft(), round_, report)

    async def deliver(self, member: Member, round_: Round, report: PushReport) -> None:
        """Deliver to one member, recording the state before and after the send."""
        repository = self.services.repository
        if member.chat_id is None:
            repository.mark_delivery(round_.id, member.id, "failed", "unbound")
            report.unbound.append(member)
            return
        if not repository.claim_delivery(round_.id, member.id):
            report.skipped += 1
            return
        deadline = local_time(round_.deadline, self.services.settings.tz)
        text = M.QUIZ_PUSH.format(name=member.name, n=len(round_.question_ids), deadline=deadline)
        reply = Reply(parts=[text], buttons=[[Button(M.QUIZ_START_BUTTON, "quiz:")]])
        try:
            await with_retries(self.bot.send_message, chat_id=member.chat_id, text=text, reply_markup=keyboard(reply))
        except Forbidden as exc:
            repository.mark_delivery(round_.id, member.id, "blocked", str(exc))
            repository.set_reachable(member.id, False)
            report.blocked.append(member)
            return
        except TelegramError as exc:
            repository.mark_delivery(round_.id, member.id, "failed", str(exc))
            report.failed.append(member)
            return
        repository.mark_delivery(round_.id, member.id, "sent")
        if not member.reachable:  # they unblocked the bot
            repository.set_reachable(member.id, True)
        report.sent += 1


def _push_lock(application: Application | None) -> asyncio.Lock:
    """Return the lock that keeps two pushes of one bot from running at once."""
    if application is None:
        return asyncio.Lock()
    return application.bot_data.setdefault("push_lock", asyncio.Lock())


def job_pusher(context: ContextTypes.DEFAULT_TYPE) -> Pusher:
    """Return a Pusher that stops gracefully when the Application stops (PTB waits for running jobs)."""
    application = context.application
    return Pusher(context.bot, services_of(context), keep_going=lambda: application.running)


async def push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Weekly job: create this week's round and push it; tell unit admins who cannot be reached."""
    async with _push_lock(context.application):
        await run_push(context.bot, services_of(context), flow_of(context), job_pusher(context))


async def run_push(bot, services: Services, flow: QuizFlow, pusher: Pusher | None = None) -> PushReport | None:
    """Create (or find) this week's round, push it, then tell unit admins whom it could not reach."""
    try:
        round_ = flow.current_round()
    except QuizError as exc:
        log.warning("no quiz this week: %s", exc)
        return None
    report = await (pusher or Pusher(bot, services)).push(round_)
    if not report.stopped:
        await report_unreachable(bot, services, round_)
    return report


async def report_unreachable(bot, services: Services, round_: Round) -> int:
    """Tell each unit admin, once per member and round, which members the push could not reach."""
    repository = services.repository
    by_unit: dict[str, list[Member]] = {}
    for member in repository.unreported_unreachable(round_.id):
        by_unit.setdefault(member.unit, []).append(member)
    told = 0
    for unit, missing in by_unit.items():
        names = "、".join(m.name for m in missing)
        text = M.QUIZ_UNREACHABLE.format(unit=unit, n=len(missing), names=names)
        outcomes = [await _safe_send(bot, services, admin, [text]) for admin in admins_of(services, unit)]
        if "sent" in outcomes:
            told += 1
            for member in missing:
                repository.record_reminder(round_.id, member.id, "unreachable")
    return told


def admins_of(services: Services, unit: str) -> list[Member]:
    """Return the unit admins of a unit who can be messaged."""
    return [m for m in services.repository.members(unit=unit) if m.role == "unit_admin" and m.chat_id and m.reachable]


async def _safe_send(bot, services: Services, member: Member, parts: list[str]) -> str:
    """Send plain-text parts to a member; return 'sent', 'blocked' (marked unreachable) or 'failed'."""
    try:
        await send_reply(bot, member.chat_id, Reply(parts=[html.escape(p, quote=False) for p in parts]))
        return "sent"
    except Forbidden:
        services.repository.set_reachable(member.id, False)
        return "blocked"
    except TelegramError as exc:
        log.warning("could not message %s: %s", member.staff_no, exc)
        return "failed"


# --- reminders -------------------------------------------------------------------


async def reminder_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remind, once, every member who has not passed this week's round; send each unit admin a digest."""
    await send_reminders(context.bot, services_of(context), flow_of(context))


async def send_reminders(bot, services: Services, flow: QuizFlow) -> int:
    """Send the reminders and unit digests for the open round; return how many members were reminded.

    Each member and each unit admin gets at most one per round: a second run sends nothing new,
    and a send that failed (not a block) is tried again by the next run.
    """
    repository = services.repository
    round_ = flow.existing_round()
    if round_ is None or not round_.is_open(flow.now()):
        return 0
    passed = repository.passed_members(round_.id)
    deadline = local_time(round_.deadline, services.settings.tz)
    reminded = 0
    for member in repository.members():
        if member.id in passed or not member.chat_id or not member.reachable:
            continue
        if not repository.record_reminder(round_.id, member.id):
            continue
        outcome = await _safe_send(bot, services, member, [M.QUIZ_REMINDER.format(name=member.name, deadline=deadline)])
        if outcome == "sent":
            reminded += 1
        elif outcome == "failed":
            repository.forget_reminder(round_.id, member.id)
    members = repository.members()  # again: reminders may have found members who blocked the bot
    for unit in repository.units():
        missing = [m for m in members if m.unit == unit and m.id not in passed]
        if missing:
            lines = [
                f"· {m.name}（{m.staff_no}）" + ("" if m.chat_id and m.reachable else M.QUIZ_UNREACHABLE_NOTE)
                for m in missing
            ]
            size = DIGEST_NAMES_PER_PART
            blocks = ["\n".join(lines[i:i + size]) for i in range(0, len(lines), size)]
            parts = [M.QUIZ_UNIT_DIGEST.format(unit=unit, n=len(missing), deadline=deadline, names=blocks[0])]
            parts += blocks[1:]
        else:
            parts = [M.QUIZ_UNIT_DIGEST_NONE.format(unit=unit)]
        for admin in admins_of(services, unit):
            if repository.record_reminder(round_.id, admin.id, "unit_digest"):
                if await _safe_send(bot, services, admin, parts) == "failed":
                    repository.forget_reminder(round_.id, admin.id, "unit_digest")
    return reminded


# --- start-up: jobs from the stored schedule, and pushes a restart interrupted or missed ---------


async def resume_push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """At start-up: finish a push that a crash or restart interrupted, or make up one that was missed."""
    async with _push_lock(context.application):
        await resume_push(context.bot, services_of(context), flow_of(context), job_pusher(context))


async def resume_push(bot, services: Services, flow: QuizFlow, pusher: Pusher | None = None) -> PushReport | None:
    """Finish this week's push if it was interrupted; run it if the bot was down at its moment.

    A missed push is made up only where pushes have run before (an earlier round was pushed), so a
    bot started for the first time mid-week does not surprise everyone; its first push is the next
    scheduled one, or `xuefa quiz push`.
    """
    repository = services.repository
    round_ = flow.existing_round()
    now = flow.now()
    if round_ is not None:
        counts = repository.delivery_counts(round_.id)
        if counts.get("pending") or counts.get("sending"):
            return await run_push(bot, services, flow, pusher)
        if counts:
            return None  # pushed already
        if not round_.is_open(now):
            return None
    schedule = load_schedule(repository)
    today = flow.today()
    tz = services.settings.tz
    if not schedule.enabled or not schedule.at("push", today, tz) <= now < schedule.at("deadline", today, tz):
        return None
    if repository.rounds_pushed_before(flow.week()) == 0:
        return None
    log.warning("this week's push was missed (the bot was down at %s); pushing now", schedule.push_time)
    return await run_push(bot, services, flow, pusher)


def schedule_jobs(application: Application, services: Services) -> None:
    """Register the weekly jobs from the schedule stored in the database (PTB jobs are not persisted)."""
    schedule = load_schedule(services.repository)
    queue = application.job_queue
    for job in queue.jobs():
        if job.name in JOB_NAMES:
            job.schedule_removal()
    if not schedule.enabled:
        return
    zone = ZoneInfo(services.settings.tz)

    def at(value: str) -> dtime:
        return dtime.fromisoformat(value).replace(tzinfo=zone)

    # PTB's run_daily counts days from 0 = Sunday; the schedule stores ISO weekdays (7 = Sunday).
    queue.run_daily(push_job, at(schedule.push_time), days=(schedule.push_weekday % 7,), name="push")
    queue.run_daily(reminder_job, at(schedule.reminder_time), days=(schedule.reminder_weekday % 7,), name="reminder")
    if schedule.digest_enabled:
        from bot.statsbot import digest_job

        queue.run_daily(digest_job, at(schedule.digest_time), days=(schedule.digest_weekday % 7,), name="digest")
    queue.run_once(resume_push_job, 2, name="resume-push")
