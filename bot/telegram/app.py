"""The Telegram bot: one Application, built in one place; main wiring only."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from bot.conversation import Conversation
from bot.reply import Html
from bot.services import Services, build_services
from bot.settings import Settings
from bot.telegram import handlers, quiz
from bot.telegram.send import CHANNEL
from knowledge.access import Actor

log = logging.getLogger(__name__)

# The first rate: never more than one message per 1/28 s overall, so no rolling second holds more
# than 29 and Telegram's ~30/s broadcast limit is never hit; a burst allowance would overshoot it.
OVERALL_RATE = (1, 1 / 28)
CONCURRENT_UPDATES = 32  # updates of different people handled at once (each off the event loop where it waits)
# Edited messages do not run anything again: a command edited after the fact is not a new command.
NEW_MESSAGES = filters.UpdateType.MESSAGE


class OnePerChat(BaseUpdateProcessor):
    """Handle updates of different people at once, each person's in the order they came.

    PTB handles one update at a time by default: one admin's big upload or one slow answer would
    hold every other member's reply. A member's own updates stay in order (a button after the
    message that carries it, answers in turn).
    """

    __slots__ = ("_locks",)

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # One lock per chat ever seen: a county's few thousand chats, a few hundred bytes each.
        async with self._locks.setdefault(_who(update), asyncio.Lock()):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _who(update: object) -> int:
    """Return whose update this is: the chat, else the user (a poll answer names no chat)."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return 0


def rate_limiter() -> AIORateLimiter:
    """Return the limiter every Bot API client of xuefa paces its requests with."""
    # No retries in the limiter: it would sleep inside handlers. with_retries retries, patiently in jobs;
    # a handler schedules a send Telegram asks it to hold off for long (bot.telegram.send.answer).
    return AIORateLimiter(overall_max_rate=OVERALL_RATE[0], overall_time_period=OVERALL_RATE[1], max_retries=0)


async def post_init(application: Application) -> None:
    """Register the command menus once the bot is connected (the weekly jobs are bot.scheduler's)."""
    services: Services = application.bot_data["services"]
    staff = [member for member in services.repository.members() if member.role != "teacher"]
    chats = services.repository.accounts_of([member.id for member in staff])
    pairs = [
        (Actor.of(member), int(account.destination))
        for member in staff for account in chats.get(member.id, []) if account.channel == CHANNEL
    ]
    await handlers.set_menus(application.bot, pairs)


async def post_shutdown(application: Application) -> None:
    """Close the services if this application opened them."""
    if application.bot_data.get("owns_services"):
        application.bot_data["services"].close()


def build_app(settings: Settings, services: Services | None = None) -> Application:
    """Build the one Application: settings, services and every handler."""
    owns = services is None
    services = services or build_services(settings)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.file_base_url)
        .rate_limiter(rate_limiter())
        .concurrent_updates(OnePerChat(CONCURRENT_UPDATES))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["services"] = services
    application.bot_data["owns_services"] = owns
    application.bot_data["conversation"] = Conversation(services, Html())
    application.add_handler(CommandHandler("quiz", quiz.on_quiz, filters=NEW_MESSAGES))
    application.add_handler(CallbackQueryHandler(quiz.on_quiz, pattern=r"^quiz:"))
    application.add_handler(CallbackQueryHandler(quiz.on_quiz_button, pattern=r"^q[ats]:"))
    application.add_handler(PollAnswerHandler(quiz.on_poll_answer))
    commands = [name for name in handlers.MENU if name != "quiz"]
    application.add_handler(CommandHandler(commands, handlers.on_command, filters=NEW_MESSAGES))
    # Any other /word: the conversation says it is unknown and shows the help.
    application.add_handler(MessageHandler(NEW_MESSAGES & filters.COMMAND, handlers.on_command))
    application.add_handler(MessageHandler(NEW_MESSAGES & filters.TEXT & ~filters.COMMAND, handlers.on_text))
    application.add_handler(MessageHandler(NEW_MESSAGES & filters.Document.ALL, handlers.on_document))
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_error_handler(handlers.on_error)
    return application


def run_bot(settings: Settings) -> None:
    """Run the bot and the scheduler until interrupted: polling, or a webhook when XUEFA_WEBHOOK_URL is set."""
    from bot.runner import run_service

    run_service(build_services(settings), None, with_bot=True)
