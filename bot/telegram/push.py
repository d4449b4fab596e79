"""The weekly push on Telegram: invitations to every member exactly once, reminders, unit digests.

Everything here sends to members through send_to_member(), so "a member who blocked the bot is
unreachable" is decided in one place. The jobs that call these live in bot.telegram.jobs.
"""

from __future__ import annotations

import asyncio
import collections
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.reply import Button, Reply
from bot.services import Services
from bot.telegram.send import send_to_member
from knowledge import messages as M
from knowledge.members import Member
from knowledge.rounds import QuizError, Round, load_schedule

log = logging.getLogger(__name__)
PUSH_CONCURRENCY = 8  # sends in flight at once; the rate limiter, not this, sets the pace
MAX_TRIES = 3  # a delivery that failed this often is left for the unit admin
DIGEST_NAMES_PER_PART = 80  # names per block of a unit digest, so a long list splits between messages


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
        await asyncio.to_thread(repository.prepare_deliveries, round_.id)
        report = PushReport(round_.id)
        queue = collections.deque(await asyncio.to_thread(repository.undelivered, round_.id, self.max_tries))
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
            await asyncio.to_thread(repository.mark_delivery, round_.id, member.id, "failed", "unbound")
            report.unbound.append(member)
            return
        if not await asyncio.to_thread(repository.claim_delivery, round_.id, member.id):
            report.skipped += 1
            return
        deadline = self.services.clock.local_text(round_.deadline)
        text = M.QUIZ_PUSH.format(name=member.name, n=round_.questions, deadline=deadline)
        invitation = _plain(text, buttons=[[Button(M.QUIZ_START_BUTTON, "quiz:")]])
        sent = await send_to_member(self.bot, self.services, member, invitation)
        await asyncio.to_thread(repository.mark_delivery, round_.id, member.id, sent.outcome, sent.error)
        if sent.outcome == "sent":
            report.sent += 1
        else:
            (report.blocked if sent.outcome == "blocked" else report.failed).append(member)


async def run_push(services: Services, pusher: Pusher) -> PushReport | None:
    """Create (or find) this week's round, push it, then tell unit admins whom it could not reach."""
    try:
        round_ = await asyncio.to_thread(services.quizflow.current_round)
    except QuizError as exc:
        log.warning("no quiz this week: %s", exc)
        return None
    report = await pusher.push(round_)
    if not report.stopped:
        await report_unreachable(pusher.bot, services, round_)
    return report


def _plain(*texts: str, buttons: list[list[Button]] | None = None) -> Reply:
    """Return plain sentences as a Telegram HTML reply (names may hold < or &)."""
    return Reply(parts=[html.escape(text, quote=False) for text in texts], buttons=buttons or [])


async def report_unreachable(bot, services: Services, round_: Round) -> int:
    """Tell each unit admin, once per member and round, which members the push could not reach."""
    repository = services.repository
    by_unit: dict[str, list[Member]] = {}
    for member in await asyncio.to_thread(repository.unreported_unreachable, round_.id):
        by_unit.setdefault(member.unit, []).append(member)
    told = 0
    for unit, missing in by_unit.items():
        names = "、".join(m.name for m in missing)
        text = M.QUIZ_UNREACHABLE.format(unit=unit, n=len(missing), names=names)
        outcomes = [(await send_to_member(bot, services, admin, _plain(text))).outcome
                    for admin in admins_of(services, unit)]
        if "sent" in outcomes:
            told += 1
            for member in missing:
                await asyncio.to_thread(repository.record_reminder, round_.id, member.id, "unreachable")
    return told


def admins_of(services: Services, unit: str) -> list[Member]:
    """Return the unit admins of a unit who can be messaged."""
    return [m for m in services.repository.members(unit=unit) if m.role == "unit_admin" and m.chat_id and m.reachable]


async def send_reminders(bot, services: Services) -> int:
    """Send the reminders and unit digests for the open round; return how many members were reminded.

    Each member and each unit admin gets at most one per round: a second run sends nothing new,
    and a send that failed (not a block) is tried again by the next run.
    """
    repository = services.repository
    round_ = services.quizflow.existing_round()
    if round_ is None or not round_.is_open(services.clock.now()):
        return 0
    passed = repository.passed_members(round_.id)
    deadline = services.clock.local_text(round_.deadline)
    reminded = 0
    for member in repository.members():
        if member.id in passed or not member.chat_id or not member.reachable:
            continue
        if not repository.record_reminder(round_.id, member.id):
            continue
        reminder = _plain(M.QUIZ_REMINDER.format(name=member.name, deadline=deadline))
        sent = await send_to_member(bot, services, member, reminder)
        if sent.outcome == "sent":
            reminded += 1
        elif sent.outcome == "failed":
            repository.forget_reminder(round_.id, member.id)
    members = repository.members()  # again: reminders may have found members who blocked the bot
    tree = repository.unit_tree()
    for unit in repository.units():
        scope = tree.below(unit)  # a central school's admin chases its schools too
        parts = _unit_digest(unit, [m for m in members if m.unit in scope and m.id not in passed], deadline)
        for admin in admins_of(services, unit):
            if repository.record_reminder(round_.id, admin.id, "unit_digest"):
                if (await send_to_member(bot, services, admin, _plain(*parts))).outcome == "failed":
                    repository.forget_reminder(round_.id, admin.id, "unit_digest")
    return reminded


def _unit_digest(unit: str, missing: list[Member], deadline: str) -> list[str]:
    """Return a unit admin's digest: who in the unit has not passed yet, in blocks that fit a message."""
    if not missing:
        return [M.QUIZ_UNIT_DIGEST_NONE.format(unit=unit)]
    lines = [
        f"· {m.name}（{m.staff_no}）" + ("" if m.chat_id and m.reachable else M.QUIZ_UNREACHABLE_NOTE)
        for m in missing
    ]
    size = DIGEST_NAMES_PER_PART
    blocks = ["\n".join(lines[i:i + size]) for i in range(0, len(lines), size)]
    return [M.QUIZ_UNIT_DIGEST.format(unit=unit, n=len(missing), deadline=deadline, names=blocks[0]), *blocks[1:]]


async def resume_push(services: Services, pusher: Pusher) -> PushReport | None:
    """At start-up: finish this week's push if it was interrupted, or run it if it never ran.

    A bot started after this week's push time (down on Monday morning, or a new deployment on a
    Wednesday) pushes the current round at once while its deadline is still ahead: otherwise
    nobody would hear of a quiz until next week, and the week would count against everyone.
    """
    repository = services.repository
    clock = services.clock
    round_ = services.quizflow.existing_round()
    now = clock.now()
    if round_ is not None:
        counts = repository.delivery_counts(round_.id)
        if counts.get("pending") or counts.get("sending"):
            return await run_push(services, pusher)
        if counts:
            return None  # pushed already
        if not round_.is_open(now):
            return None
    schedule = load_schedule(repository)
    today = clock.today()
    pushed_at, deadline = schedule.at("push", today, clock.tz), schedule.at("deadline", today, clock.tz)
    if not schedule.enabled or not pushed_at <= now < deadline:
        return None
    log.warning("this week's quiz was never pushed (the bot was not running at %s); pushing now", schedule.push_time)
    return await run_push(services, pusher)

