"""The weekly jobs, registered from the schedule stored in the database (PTB does not persist jobs)."""

from __future__ import annotations

import asyncio
from datetime import time as dtime

from telegram.ext import Application, ContextTypes

from bot.services import Services
from bot.telegram.digest import send_digest
from bot.telegram.push import Pusher, resume_push, run_push, send_reminders
from bot.telegram.send import services_of
from knowledge.privacy import prune
from knowledge.rounds import load_schedule

JOB_NAMES = ("push", "reminder", "digest", "resume-push", "prune")
PRUNE_AT = dtime(3, 30)  # nightly, in the bureau's zone: logs past their retention go


def _push_lock(application: Application) -> asyncio.Lock:
    """Return the lock that keeps two pushes of one bot from running at once."""
    return application.bot_data.setdefault("push_lock", asyncio.Lock())


def job_pusher(context: ContextTypes.DEFAULT_TYPE) -> Pusher:
    """Return a Pusher that stops gracefully when the Application stops (PTB waits for running jobs)."""
    application = context.application
    return Pusher(context.bot, services_of(context), keep_going=lambda: application.running)


async def push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Weekly: create this week's round and push it; tell unit admins who cannot be reached."""
    async with _push_lock(context.application):
        await run_push(services_of(context), job_pusher(context))


async def resume_push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """At start-up: finish a push that a crash or restart interrupted, or make up one that was missed."""
    async with _push_lock(context.application):
        await resume_push(services_of(context), job_pusher(context))


async def reminder_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Weekly: remind, once, every member who has not passed; send each unit admin a digest."""
    await send_reminders(context.bot, services_of(context))


async def prune_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Nightly and at start-up: delete logged questions and sign-in attempts past their retention."""
    services = services_of(context)
    await asyncio.to_thread(prune, services.repository, services.settings.retention)


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Weekly: send last week's report to bureau admins and leaders."""
    await send_digest(context.bot, services_of(context))


def schedule_jobs(application: Application, services: Services) -> None:
    """Register the weekly jobs from the stored schedule, replacing any registered before."""
    schedule = load_schedule(services.repository)
    queue = application.job_queue
    for job in queue.jobs():
        if job.name in JOB_NAMES:
            job.schedule_removal()
    zone = services.clock.zone
    # Retention holds whether or not weekly quizzes run.
    queue.run_daily(prune_job, PRUNE_AT.replace(tzinfo=zone), name="prune")
    queue.run_once(prune_job, 1, name="prune-now")
    if not schedule.enabled:
        return

    def at(value: str) -> dtime:
        return dtime.fromisoformat(value).replace(tzinfo=zone)

    # PTB's run_daily counts days from 0 = Sunday; the schedule stores ISO weekdays (7 = Sunday).
    queue.run_daily(push_job, at(schedule.push_time), days=(schedule.push_weekday % 7,), name="push")
    queue.run_daily(reminder_job, at(schedule.reminder_time), days=(schedule.reminder_weekday % 7,), name="reminder")
    if schedule.digest_enabled:
        queue.run_daily(digest_job, at(schedule.digest_time), days=(schedule.digest_weekday % 7,), name="digest")
    queue.run_once(resume_push_job, 2, name="resume-push")
