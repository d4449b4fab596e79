"""The one scheduler of a running xuefa, whatever channels run (the web alone included).

It opens the week's round at its push time and sends the invitations, reminds, sends the unit
digests and the weekly digest, and keeps retention, all from the schedule stored in the
database (read again at every tick, so a change made on the web or the CLI applies at once).
Every job is safe to run twice: the outbox records what was sent, so a restart catches up on
what it missed (within a job's catch-up window) and never sends anything twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from bot.outreach import Outreach, OutreachReport, deliver_all, deliver_to_groups
from bot.render import report_parts
from bot.reply import Plain
from bot.services import Services
from knowledge import access, backup, outreach, review
from knowledge import messages as M
from knowledge.notices import Notice
from knowledge.outreach import Batch
from knowledge.privacy import prune
from knowledge.reports import build_report, parse_period
from knowledge.reports.xlsx import write_xlsx
from knowledge.rounds import QuizError, Round, load_schedule

log = logging.getLogger(__name__)
TICK = 30.0  # seconds between looks at the clock: a job runs at most this late
PRUNE_AT = time(3, 30)  # nightly, in the bureau's zone: logs past their retention go
WEEKLY_CATCH_UP = timedelta(hours=24)
REVIEW_DIGEST_AT = time(8, 0)  # reviewers get one summary a day, in the morning
REVIEW_ANSWERS_EVERY = timedelta(minutes=2)  # an asker hears of a reviewer's answer within minutes  # a reminder or digest missed by a restart is sent up to a day late


@dataclass
class PushResult:
    """This week's round, and what its invitation run did (None: nothing to send on)."""

    round: Round
    report: OutreachReport | None = None
    told_admins: int = 0


async def push_round(services: Services, outreach_: Outreach) -> PushResult | None:
    """Open (or find) this week's round and invite everyone not yet reached; tell unit admins whom it missed.

    Without any push channel the round is still opened, so the dashboard, the not-yet list and
    the web app's banner show it from its push time on; everyone is then recorded as reachable
    only on the web or not at all, which `xuefa quiz push` lists.
    """
    try:
        round_ = await asyncio.to_thread(services.quizflow.current_round)
    except QuizError as exc:
        log.warning("no quiz this week: %s", exc)
        return None
    batch = await asyncio.to_thread(outreach.round_batch, services.repository, services.clock, round_)
    report = await outreach_.deliver(batch)
    result = PushResult(round_, report)
    groups = await asyncio.to_thread(
        outreach.group_notices, services.repository, services.clock, round_, outreach.GROUP_ROUND)
    await deliver_to_groups(services, groups)
    if not report.stopped and outreach_.channels:
        missing = await asyncio.to_thread(_unreached_members, services, round_)
        batches = outreach.unreachable_batches(services.repository, round_, missing)
        result.told_admins = sum(r.sent for r in await deliver_all(outreach_, batches))
    return result


def _unreached_members(services: Services, round_: Round):
    """Return the members the round's invitation could not reach (blocked, or no push channel)."""
    repository = services.repository
    unreached = {d.member_id for d in repository.deliveries(outreach.ROUND, str(round_.id))
                 if d.status in ("blocked", "unreachable")}
    return [m for m in repository.members() if m.id in unreached]


async def send_reminders(services: Services, outreach_: Outreach) -> int:
    """Remind, once, everyone who has not passed the open round; send each unit's admins its digest."""
    round_ = await asyncio.to_thread(services.quizflow.existing_round)
    if round_ is None or not round_.is_open(services.clock.now()):
        return 0
    repository, clock = services.repository, services.clock
    report = await outreach_.deliver(await asyncio.to_thread(outreach.reminder_batch, repository, clock, round_))
    # Built after the reminders: they may have found members who blocked a channel.
    digests = await asyncio.to_thread(outreach.unit_digest_batches, repository, clock, round_)
    await deliver_all(outreach_, digests)
    groups = await asyncio.to_thread(outreach.group_notices, repository, clock, round_, outreach.GROUP_REMINDER)
    await deliver_to_groups(services, groups)  # counts, never names: everyone in the group reads it
    return report.sent


def digest_notice(services: Services) -> tuple[str, Notice]:
    """Build last week's all-units report as the weekly digest: its week, and the notice with its Excel file."""
    period = parse_period("上周", services.clock.today())
    # One digest goes to admins and leaders alike, and leaders do not see phone numbers.
    report = build_report(services.repository, access.digest_actor(), period, None, services.clock, phones=False)
    workbook = io.BytesIO()
    write_xlsx(report, workbook)
    text = "\n\n".join([M.DIGEST_HEAD, *report_parts(Plain(), report, not_yet_limit=20)])
    notice = Notice(outreach.DIGEST, M.NOTICE_DIGEST_TITLE, text, outreach.DASHBOARD_LINK, M.NOTICE_OPEN,
                    document=(f"{report.file_name}.xlsx", workbook.getvalue()))
    return period.label, notice


async def send_digest(services: Services, outreach_: Outreach) -> int:
    """Send last week's digest to bureau admins and leaders, once per week; return how many got it now."""
    week, notice = await asyncio.to_thread(digest_notice, services)
    batch = outreach.digest_batch(services.repository, week, notice)
    report = await outreach_.deliver(batch)
    await asyncio.to_thread(
        access.audit, services.repository, access.digest_actor(), "digest", M.DIGEST_AUDIT.format(n=report.sent)
    )
    return report.sent


def personal_batches(services: Services, notices: list[tuple[int, Notice]], subject: Callable[[Notice], str]) -> list[Batch]:
    """Turn the core's (member, notice) pairs into one batch each, under the notice's ledger key."""
    batches = []
    for member_id, notice in notices:
        member = services.repository.member(member_id)
        if member is not None and member.active:
            batches.append(Batch(notice.kind, subject(notice), [member], lambda _m, n=notice: n))
    return batches


async def send_reviewer_digest(services: Services, outreach_: Outreach) -> int:
    """Daily: move entries left waiting too long on to the bureau, then one summary per reviewer."""
    repository, clock, days = services.repository, services.clock, services.settings.review_escalate_days
    await asyncio.to_thread(review.escalate, repository, clock, days)
    notices = await asyncio.to_thread(review.reviewer_digest, repository, clock, days)
    day = clock.today().isoformat()
    reports = await deliver_all(outreach_, personal_batches(services, notices, lambda _n: day))
    return sum(r.sent for r in reports)


async def send_review_answers(services: Services, outreach_: Outreach) -> int:
    """Often: tell askers their question was answered (经法治副校长解答), on their channel, once."""
    notices = await asyncio.to_thread(review.asker_notices, services.repository)
    if not notices:
        return 0

    def subject(notice: Notice) -> str:  # one ledger row per answer and asker
        return hashlib.sha1(notice.text.encode("utf-8")).hexdigest()[:20]

    reports = await deliver_all(outreach_, personal_batches(services, notices, subject))
    return sum(r.sent for r in reports)


def should_resume_push(services: Services, now: datetime) -> bool:
    """Tell whether this week's push must run now: interrupted, or never run while the round is still open.

    A service started after this week's push time (down on Monday morning, or a new deployment
    on a Wednesday) pushes at once while the deadline is ahead: otherwise nobody would hear of
    a quiz until next week, and the week would count against everyone.
    """
    repository, clock = services.repository, services.clock
    round_ = services.quizflow.existing_round()
    if round_ is not None:
        counts = repository.delivery_counts(outreach.ROUND, str(round_.id))
        if counts.get("pending") or counts.get("sending"):
            return True
        if counts:
            return False  # pushed already
        if not round_.is_open(now):
            return False
    schedule = load_schedule(repository)
    today = clock.today()
    pushed_at, deadline = schedule.at("push", today, clock.tz), schedule.at("deadline", today, clock.tz)
    return schedule.enabled and pushed_at <= now < deadline


@dataclass
class Job:
    """A job: when it was last due (None: not scheduled), what it runs, how late a missed run may still happen."""

    name: str
    due: Callable[[datetime], datetime | None]
    run: Callable[[], Awaitable[object]]
    catch_up: timedelta = WEEKLY_CATCH_UP
    at_start: bool = False  # also run once when the service starts (retention; an interrupted push)


@dataclass
class Scheduler:
    """Runs the jobs when due, one at a time, until stopped."""

    services: Services
    outreach: Outreach
    jobs: list[Job] = field(default_factory=list)
    done: dict[str, datetime] = field(default_factory=dict)  # each job's last due time that ran
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if not self.jobs:
            self.jobs = default_jobs(self.services, self.outreach)

    def add_daily(self, name: str, at: time, run: Callable[[], Awaitable[object]]) -> None:
        """Add a nightly job (a backup, a reviewers' summary) at a local time."""
        self.jobs.append(Job(name, daily(self.services, at), run))

    async def tick(self) -> list[str]:
        """Run every job that is due and has not run for that due time; return their names."""
        ran = []
        for job in self.jobs:
            if self.stopping.is_set():
                break
            now = self.services.clock.now()
            due = await asyncio.to_thread(job.due, now)
            if due is None or self.done.get(job.name) == due or now - due > job.catch_up:
                continue
            self.done[job.name] = due
            try:
                await job.run()
            except Exception:  # noqa: BLE001 - one job's failure must not stop the others
                log.exception("scheduled job %s failed", job.name)
            ran.append(job.name)
        return ran

    async def start_up(self) -> None:
        """Run the jobs that also run at start-up."""
        for job in self.jobs:
            if job.at_start and not self.stopping.is_set():
                try:
                    await job.run()
                except Exception:  # noqa: BLE001
                    log.exception("start-up job %s failed", job.name)

    async def run(self) -> None:
        """Run the start-up jobs, then tick until stopped."""
        await self.start_up()
        while not self.stopping.is_set():
            await self.tick()
            try:
                await asyncio.wait_for(self.stopping.wait(), TICK)
            except TimeoutError:
                pass

    def stop(self) -> None:
        """Stop after the job running now; a push in flight stops taking new members."""
        self.stopping.set()
        self.outreach.stop()


def weekly(services: Services, name: str, enabled: Callable[[object], bool] = lambda s: s.enabled):
    """Return a due-time function for a weekly moment of the stored schedule (push, reminder, digest)."""

    def due(now: datetime) -> datetime | None:
        schedule = load_schedule(services.repository)
        if not schedule.enabled or not enabled(schedule):
            return None
        today = now.astimezone(services.clock.zone).date()
        at = schedule.at(name, today, services.clock.tz)
        return at if at <= now else at - timedelta(days=7)

    return due


def daily(services: Services, at: time):
    """Return a due-time function for a local time every day."""

    def due(now: datetime) -> datetime:
        local = now.astimezone(services.clock.zone)
        moment = datetime.combine(local.date(), at, services.clock.zone)
        return moment if moment <= now else moment - timedelta(days=1)

    return due


def every(period: timedelta):
    """Return a due-time function for a job that runs every period (on the clock's period boundaries)."""
    seconds = period.total_seconds()

    def due(now: datetime) -> datetime:
        return datetime.fromtimestamp(now.timestamp() // seconds * seconds, now.tzinfo)

    return due


def default_jobs(services: Services, outreach_: Outreach) -> list[Job]:
    """The weekly push, reminders and digest, nightly retention (also at start-up) and backup, the reviewers' jobs."""

    async def push() -> PushResult | None:
        # Due at the push time; after a restart, whenever this week's push was interrupted or missed.
        if await asyncio.to_thread(should_resume_push, services, services.clock.now()):
            return await push_round(services, outreach_)
        return None

    return [
        Job("prune", daily(services, PRUNE_AT), lambda: _prune(services), catch_up=timedelta(days=1), at_start=True),
        # A service that was down at the backup time takes that night's copy when it is back (once a day).
        Job("backup", daily(services, services.settings.backup_at), lambda: _backup(services),
            catch_up=timedelta(days=1)),
        Job("push", weekly(services, "push"), push, catch_up=timedelta(days=7), at_start=True),
        Job("reminder", weekly(services, "reminder"), lambda: send_reminders(services, outreach_)),
        Job("digest", weekly(services, "digest", lambda s: s.digest_enabled), lambda: send_digest(services, outreach_)),
        Job("review-digest", daily(services, REVIEW_DIGEST_AT), lambda: send_reviewer_digest(services, outreach_)),
        Job("review-answers", every(REVIEW_ANSWERS_EVERY), lambda: send_review_answers(services, outreach_),
            catch_up=REVIEW_ANSWERS_EVERY, at_start=True),
    ]


async def _prune(services: Services) -> None:
    await asyncio.to_thread(prune, services.repository, services.settings.retention)


async def _backup(services: Services) -> None:
    settings = services.settings
    taken = await asyncio.to_thread(backup.nightly, services.repository, settings.backup_path, settings.backup_keep,
                                    services.clock)
    if taken is not None:
        log.info("nightly backup: %s (%s, %.1f s; %d old copies removed)", taken.path.name, taken.size_text(),
                 taken.seconds, len(taken.removed))
