"""Quizzes on Telegram: quiz polls and answer buttons, the weekly push, reminders and digests."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import time as dtime
from zoneinfo import ZoneInfo

from telegram import Poll, Update
from telegram.constants import ParseMode
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
PUSH_CONCURRENCY = 8


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
        flow.services.repository.record_sent(step.attempt.id, step.position, None, chat_id, message.message_id)
        return
    head = M.QUIZ_QUESTION_HEAD.format(
        n=step.position + 1, total=step.attempt.total, kind=M.QUIZ_KIND_LABELS[question.kind]
    )
    message = await with_retries(
        bot.send_poll,
        chat_id=chat_id,
        question=f"{head} {question.stem}"[:300],
        options=question.options,
        type=Poll.QUIZ,
        correct_option_ids=question.answer,
        is_anonymous=False,
        explanation=question.explanation[:200],
    )
    flow.services.repository.record_sent(step.attempt.id, step.position, message.poll.id, chat_id, message.message_id)


async def on_quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start or resume this week's quiz (/quiz or the 开始答题 button)."""
    caller = caller_of(update, context)
    chat_id = update.effective_chat.id
    if update.callback_query:
        await update.callback_query.answer()
    if caller.member is None:
        await send_reply(context.bot, chat_id, Reply(parts=[M.WELCOME_UNKNOWN]))
        return
    flow = flow_of(context)
    try:
        step = flow.begin(caller.member)
    except QuizError as exc:
        await send_reply(context.bot, chat_id, Reply(parts=[str(exc)]))
        return
    if step.attempt.answered == {} and step.result is None:
        await send_reply(context.bot, chat_id, Reply(parts=[flow.intro(step)]))
    await present(context.bot, flow, chat_id, step)


async def on_poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a quiz poll answer (it carries no chat: the poll id says whose question it was)."""
    answer = update.poll_answer
    repository = services_of(context).repository
    sent = repository.sent_by_poll(answer.poll_id)
    if sent is None or not answer.option_ids:
        return
    attempt_id, position = sent
    flow = flow_of(context)
    outcome = flow.answer(attempt_id, position, list(answer.option_ids))
    if outcome is None:
        return
    member = repository.member(repository.attempt(attempt_id).member_id)
    if member is None or member.telegram_id != answer.user.id:
        return
    _, step = outcome
    chat_id = repository.sent_question(attempt_id, position)["chat_id"]
    await present(context.bot, flow, chat_id, step)


async def on_quiz_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle answer buttons: qa (choose), qt (toggle a multiple-choice option), qs (submit)."""
    query = update.callback_query
    kind, attempt_id, position, *option = query.data.split(":")
    attempt_id, position = int(attempt_id), int(position)
    flow = flow_of(context)
    repository = flow.services.repository
    attempt = repository.attempt(attempt_id)
    caller = caller_of(update, context)
    if attempt is None or caller.member is None or attempt.member_id != caller.member.id:
        await query.answer(M.UNKNOWN_ACTION)
        return
    if kind == "qt":
        await toggle(query, flow, attempt_id, position, int(option[0]))
        return
    chosen = [int(option[0])] if kind == "qa" else repository.sent_question(attempt_id, position)["chosen"]
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
    await send_reply(context.bot, update.effective_chat.id, Reply(parts=[flow.feedback(question, correct)]))
    await present(context.bot, flow, update.effective_chat.id, step)


async def toggle(query, flow: QuizFlow, attempt_id: int, position: int, option: int) -> None:
    """Toggle one option of a multiple-choice question and redraw its buttons."""
    repository = flow.services.repository
    sent = repository.sent_question(attempt_id, position)
    chosen = sorted(set(sent["chosen"]) ^ {option})
    repository.set_sent_choice(attempt_id, position, chosen)
    attempt = repository.attempt(attempt_id)
    round_ = repository.round(attempt.round_id)
    step = Step(round_, attempt, position, repository.round_question(round_.id, position))
    await query.answer()
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard(flow.question_reply(step, chosen)))
    except BadRequest:
        pass  # "message is not modified": a double tap


@dataclass
class PushReport:
    """What one push run did."""

    round_id: int
    sent: int = 0
    blocked: list[Member] = field(default_factory=list)
    unbound: list[Member] = field(default_factory=list)
    failed: list[Member] = field(default_factory=list)


class Pusher:
    """Delivers a round to every active member exactly once, across crashes and restarts."""

    def __init__(self, bot, services: Services, concurrency: int = PUSH_CONCURRENCY):
        self.bot = bot
        self.services = services
        self.concurrency = concurrency
        self.stopping = asyncio.Event()

    async def push(self, round_: Round) -> PushReport:
        """Send the round's invitation to everyone not yet reached; safe to run again after a crash."""
        repository = self.services.repository
        repository.prepare_deliveries(round_.id)
        report = PushReport(round_.id)
        queue: asyncio.Queue[Member] = asyncio.Queue()
        for member in repository.undelivered(round_.id):
            queue.put_nowait(member)
        workers = [asyncio.create_task(self._worker(queue, round_, report)) for _ in range(self.concurrency)]
        await asyncio.gather(*workers)
        return report

    async def _worker(self, queue: asyncio.Queue, round_: Round, report: PushReport) -> None:
        while not queue.empty() and not self.stopping.is_set():
            await self.deliver(queue.get_nowait(), round_, report)

    async def deliver(self, member: Member, round_: Round, report: PushReport) -> None:
        """Deliver to one member, recording the state before and after the send."""
        repository = self.services.repository
        if member.chat_id is None:
            repository.mark_delivery(round_.id, member.id, "failed", "unbound")
            report.unbound.append(member)
            return
        repository.mark_delivery(round_.id, member.id, "sending")
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
        report.sent += 1


async def push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Weekly job: create this week's round and push it; tell unit admins who cannot be reached."""
    services = services_of(context)
    flow = flow_of(context)
    try:
        round_ = flow.current_round()
    except QuizError as exc:
        log.warning("no quiz this week: %s", exc)
        return
    report = await Pusher(context.bot, services).push(round_)
    await report_unreachable(context.bot, services, report.blocked + report.unbound)


async def report_unreachable(bot, services: Services, members: list[Member]) -> None:
    """Tell each unit admin which of their members the push could not reach."""
    by_unit: dict[str, list[Member]] = {}
    for member in members:
        by_unit.setdefault(member.unit, []).append(member)
    for unit, missing in by_unit.items():
        names = "、".join(m.name for m in missing)
        for admin in admins_of(services, unit):
            await _safe_send(bot, services, admin, M.QUIZ_UNREACHABLE.format(unit=unit, n=len(missing), names=names))


def admins_of(services: Services, unit: str) -> list[Member]:
    """Return the unit admins of a unit who can be messaged."""
    return [m for m in services.repository.members(unit=unit) if m.role == "unit_admin" and m.chat_id and m.reachable]


async def _safe_send(bot, services: Services, member: Member, text: str) -> bool:
    try:
        await with_retries(bot.send_message, chat_id=member.chat_id, text=text)
        return True
    except Forbidden:
        services.repository.set_reachable(member.id, False)
    except TelegramError as exc:
        log.warning("could not message %s: %s", member.staff_no, exc)
    return False


async def reminder_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remind, once, every member who has not passed this week's round; send each unit admin a digest."""
    await send_reminders(context.bot, services_of(context), flow_of(context))


async def send_reminders(bot, services: Services, flow: QuizFlow) -> int:
    """Send the reminders and unit digests for the open round; return how many members were reminded."""
    repository = services.repository
    try:
        round_ = flow.current_round()
    except QuizError:
        return 0
    if not round_.is_open(flow.now()):
        return 0
    passed = repository.passed_members(round_.id)
    deadline = local_time(round_.deadline, services.settings.tz)
    pending = [m for m in repository.members() if m.id not in passed and m.role != "leader"]
    reminded = 0
    for member in pending:
        if member.chat_id and member.reachable and repository.record_reminder(round_.id, member.id):
            if await _safe_send(bot, services, member, M.QUIZ_REMINDER.format(name=member.name, deadline=deadline)):
                reminded += 1
    for unit in repository.units():
        missing = [m for m in pending if m.unit == unit]
        names = "\n".join(
            f"· {m.name}（{m.staff_no}）" + ("" if m.chat_id and m.reachable else M.QUIZ_UNREACHABLE_NOTE)
            for m in missing
        )
        text = (
            M.QUIZ_UNIT_DIGEST.format(unit=unit, n=len(missing), deadline=deadline, names=names)
            if missing else M.QUIZ_UNIT_DIGEST_NONE.format(unit=unit)
        )
        for admin in admins_of(services, unit):
            if repository.record_reminder(round_.id, admin.id, "unit_digest"):
                await _safe_send(bot, services, admin, text)
    return reminded


async def resume_push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """At start-up: finish a push that a crash or restart interrupted."""
    services = services_of(context)
    flow = flow_of(context)
    try:
        round_ = flow.current_round()
    except QuizError:
        return
    counts = services.repository.delivery_counts(round_.id)
    if counts.get("pending") or counts.get("sending"):
        await Pusher(context.bot, services).push(round_)


def schedule_jobs(application: Application, services: Services) -> None:
    """Register the weekly jobs from the schedule stored in the database (PTB jobs are not persisted)."""
    schedule = load_schedule(services.repository)
    queue = application.job_queue
    for job in queue.jobs():
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
