"""The Telegram bot: one Application built in one place; handlers read, call the core, reply."""

from __future__ import annotations

import asyncio
import html
import logging
import tempfile
from pathlib import Path

from telegram import BotCommand, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from bot import quizbot, uploads
from bot.conversation import Conversation
from bot.quizflow import QuizFlow
from bot.render import Html, Reply
from bot.services import Services, build_services
from bot.settings import Settings
from bot.tg import addressed_to_bot, caller_of, conversation_of, keyboard, send_reply, services_of
from knowledge import messages as M

log = logging.getLogger(__name__)

COMMANDS = [
    ("start", M.MENU_START),
    ("help", M.MENU_HELP),
    ("list", M.MENU_LIST),
    ("article", M.MENU_ARTICLE),
    ("search", M.MENU_SEARCH),
    ("me", M.MENU_ME),
    ("quiz", M.MENU_QUIZ),
    ("stats", M.MENU_STATS),
    ("records", M.MENU_RECORDS),
    ("session", M.MENU_SESSION),
]
# Records and reports carry personal data: they are answered in private chats only.
PRIVATE_COMMANDS = {"me", "stats", "records", "session"}
# The first rate: never more than one message per 1/28 s overall, so no rolling second holds more
# than 29 and Telegram's ~30/s broadcast limit is never hit; a burst allowance would overshoot it.
OVERALL_RATE = (1, 1 / 28)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a /command through the conversation."""
    message = update.effective_message
    if not addressed_to_bot(message, context.bot.username):
        return
    name = message.text.split()[0][1:].split("@")[0].lower()
    if name in PRIVATE_COMMANDS and message.chat.type != ChatType.PRIVATE:
        await send_reply(context.bot, message.chat_id, Reply(parts=[html.escape(M.PRIVATE_ONLY, quote=False)]))
        return
    args = " ".join(context.args or [])
    # Off the event loop: an answer may wait seconds on an LLM, and the weekly jobs must keep running.
    reply = await asyncio.to_thread(conversation_of(context).handle_command, caller_of(update, context), name, args)
    await send_reply(context.bot, message.chat_id, reply)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer free text: a question or a citation."""
    message = update.effective_message
    if not addressed_to_bot(message, context.bot.username):
        return
    text = message.text.replace(f"@{context.bot.username}", " ")
    reply = await asyncio.to_thread(conversation_of(context).handle_text, caller_of(update, context), text)
    group = message.chat.type != ChatType.PRIVATE
    await send_reply(context.bot, message.chat_id, reply, reply_to=message.message_id if group else None)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a button press; navigation edits the message, other actions send a new one."""
    query = update.callback_query
    await query.answer()
    reply = conversation_of(context).handle_action(caller_of(update, context), query.data or "")
    navigating = (query.data or "").split(":")[0] in ("list", "law", "nav")
    texts = reply.messages()
    if navigating and len(texts) == 1 and query.message is not None:
        try:
            await query.edit_message_text(texts[0], parse_mode=ParseMode.HTML, reply_markup=keyboard(reply))
            return
        except BadRequest:
            pass  # e.g. the message is too old to edit: send a fresh one instead
    await send_reply(context.bot, update.effective_chat.id, reply)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Import a roster or question bank sent by an admin."""
    message = update.effective_message
    caller = caller_of(update, context)
    if caller.member is None:
        await send_reply(context.bot, message.chat_id, conversation_of(context).say(M.WELCOME_UNKNOWN))
        return
    document = message.document
    if not caller.member.is_admin:
        await message.reply_text(M.NOT_A_FILE_FOR_ME)
        return
    if document.file_size and document.file_size > uploads.MAX_BYTES:
        await message.reply_text(M.FILE_TOO_LARGE.format(mb=uploads.MAX_BYTES // 1_000_000))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(document.file_name or "upload.csv").name
        file = await document.get_file()
        await file.download_to_drive(path)
        text = uploads.import_upload(services_of(context), caller.member, path, message.caption or "")
    for chunk in Reply(parts=[html.escape(text, quote=False)]).messages():
        await message.reply_text(chunk, parse_mode=ParseMode.HTML)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error with its context and tell the user, never with a traceback."""
    error = context.error
    if isinstance(error, Forbidden) and isinstance(update, Update) and update.effective_user:
        member = services_of(context).repository.member_by_telegram(update.effective_user.id)
        if member is not None:
            services_of(context).repository.set_reachable(member.id, False)
        log.warning("user %s blocked the bot", update.effective_user.id)
        return
    described = update.to_dict() if isinstance(update, Update) else repr(update)
    log.error("error while handling %s", described, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, M.BUSY)
        except Exception:  # noqa: BLE001 - the user may be unreachable too; the log has the cause
            log.warning("could not tell chat %s about the error", update.effective_chat.id)


async def post_init(application: Application) -> None:
    """Register the command menu and the weekly jobs once the bot is connected."""
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    if application.job_queue is not None:
        quizbot.schedule_jobs(application, application.bot_data["services"])


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
        .rate_limiter(
            AIORateLimiter(overall_max_rate=OVERALL_RATE[0], overall_time_period=OVERALL_RATE[1], max_retries=3)
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["services"] = services
    application.bot_data["owns_services"] = owns
    application.bot_data["conversation"] = Conversation(services, Html())
    application.bot_data["quizflow"] = QuizFlow(services, Html())
    application.add_handler(CommandHandler("quiz", quizbot.on_quiz))
    application.add_handler(CallbackQueryHandler(quizbot.on_quiz, pattern=r"^quiz:"))
    application.add_handler(CallbackQueryHandler(quizbot.on_quiz_button, pattern=r"^q[ats]:"))
    application.add_handler(PollAnswerHandler(quizbot.on_poll_answer))
    application.add_handler(CommandHandler([name for name, _ in COMMANDS if name != "quiz"], on_command))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(filters.Document.ALL, on_document))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)
    return application


class RedactSecret(logging.Filter):
    """Replace the bot token in every log line, tracebacks included (Bot API URLs carry it)."""

    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "***"), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self.secret, "***")
        return True


def run_bot(settings: Settings) -> None:
    """Run the bot until interrupted: polling, or a webhook when XUEFA_WEBHOOK_URL is set."""
    redact = RedactSecret(settings.telegram_token.get_secret_value())
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    application = build_app(settings)
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
