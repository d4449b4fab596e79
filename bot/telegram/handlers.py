"""Telegram handlers: read the update, ask the conversation (off the event loop), send the reply."""

from __future__ import annotations

import asyncio
import html
import logging
import tempfile
from pathlib import Path

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.reply import Reply
from bot.telegram.send import CHANNEL, addressed_to_bot, answer, caller_of, conversation_of, keyboard, services_of
from knowledge import access
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.uploads import MAX_BYTES, import_upload

log = logging.getLogger(__name__)

MENU = {
    "start": M.MENU_START,
    "help": M.MENU_HELP,
    "list": M.MENU_LIST,
    "article": M.MENU_ARTICLE,
    "search": M.MENU_SEARCH,
    "me": M.MENU_ME,
    "quiz": M.MENU_QUIZ,
    "stats": M.MENU_STATS,
    "records": M.MENU_RECORDS,
    "session": M.MENU_SESSION,
}
GROUP_COMMANDS = ("help", "list", "article", "search")
# Records, reports and quizzes carry personal data: they are answered in private chats only.
PRIVATE_COMMANDS = {"me", "stats", "records", "session"}  # /quiz checks its chat itself


def _say(text: str) -> Reply:
    return Reply(parts=[html.escape(text, quote=False)])


def menu(names: tuple[str, ...]) -> list[BotCommand]:
    """Return the command menu entries for some commands."""
    return [BotCommand(name, MENU[name]) for name in names]


async def set_menus(bot, actors: list[tuple[Actor, int]]) -> None:
    """Show everyone the member commands, groups the public ones, and each admin or leader their role's."""
    await bot.set_my_commands(menu(access.commands_for(Actor(access.TEACHER))), scope=BotCommandScopeDefault())
    await bot.set_my_commands(menu(GROUP_COMMANDS), scope=BotCommandScopeAllGroupChats())
    for actor, chat_id in actors:
        await set_chat_menu(bot, actor, chat_id)


async def set_chat_menu(bot, actor: Actor, chat_id: int) -> None:
    """Show one private chat the commands its actor's role is offered (a teacher keeps the default)."""
    if actor.role == access.TEACHER:
        return
    try:
        await bot.set_my_commands(menu(access.commands_for(actor)), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # the chat may be gone; the default menu still works
        log.warning("could not set the command menu of a chat: %s", exc)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a /command through the conversation."""
    message = update.effective_message
    if not addressed_to_bot(message, context.bot.username):
        return
    name = message.text.split()[0][1:].split("@")[0].lower()
    if name in PRIVATE_COMMANDS and message.chat.type != ChatType.PRIVATE:
        await answer(context, message.chat_id, _say(M.PRIVATE_ONLY))
        return
    if name == "start" and context.args and update.effective_chat.type != ChatType.PRIVATE:
        # A code binds the chat it is typed in: a group would receive a member's reminders and reports.
        await answer(context, message.chat_id, _say(M.START_PRIVATE_ONLY))
        return
    args = " ".join(context.args or [])
    caller = caller_of(update, context)
    before = caller.actor
    # Off the event loop: an answer may wait seconds on an LLM or a busy database, and the jobs must keep running.
    reply = await asyncio.to_thread(conversation_of(context).handle_command, caller, name, args)
    await answer(context, message.chat_id, reply)
    for address, text in reply.notices:
        try:
            await answer(context, int(address), _say(text))
        except TelegramError as exc:  # the old account may have blocked the bot or be gone
            log.warning("could not tell a replaced account: %s", exc)
    if caller.actor is not None and caller.actor != before:  # just bound: give them their role's menu
        await set_chat_menu(context.bot, caller.actor, message.chat_id)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer free text: a question or a citation."""
    message = update.effective_message
    if not addressed_to_bot(message, context.bot.username):
        return
    text = message.text.replace(f"@{context.bot.username}", " ")
    reply = await asyncio.to_thread(conversation_of(context).handle_text, caller_of(update, context), text)
    group = message.chat.type != ChatType.PRIVATE
    await answer(context, message.chat_id, reply, reply_to=message.message_id if group else None)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a button press; navigation edits the message, other actions send a new one."""
    query = update.callback_query
    await query.answer()
    caller = caller_of(update, context)
    reply = await asyncio.to_thread(conversation_of(context).handle_action, caller, query.data or "")
    navigating = (query.data or "").split(":")[0] in ("list", "law", "nav")
    texts = await asyncio.to_thread(reply.messages)  # splitting is CPU work: off the event loop
    if navigating and len(texts) == 1 and query.message is not None:
        try:
            await query.edit_message_text(texts[0], parse_mode=ParseMode.HTML, reply_markup=keyboard(reply))
            return
        except BadRequest:
            pass  # e.g. the message is too old to edit: send a fresh one instead
    await answer(context, update.effective_chat.id, reply)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Import a roster or question bank sent by an admin in a private chat."""
    message = update.effective_message
    caller = caller_of(update, context)
    if message.chat.type != ChatType.PRIVATE:
        # A roster or a bank belongs in a private chat; the reply could carry names of other units.
        if caller.actor is not None and caller.actor.is_admin:
            await answer(context, message.chat_id, _say(M.UPLOAD_PRIVATE_ONLY), reply_to=message.message_id)
        return
    if caller.actor is None:
        await answer(context, message.chat_id, _say(M.WELCOME_UNKNOWN))
        return
    if not caller.actor.is_admin:
        await answer(context, message.chat_id, _say(M.NOT_A_FILE_FOR_ME))
        return
    document = message.document
    if document.file_size and document.file_size > MAX_BYTES:
        await answer(context, message.chat_id, _say(M.FILE_TOO_LARGE.format(mb=MAX_BYTES // 1_000_000)))
        return
    services = services_of(context)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(document.file_name or "upload.csv").name
        file = await document.get_file()
        await file.download_to_drive(path)
        # Parsing and importing take seconds for a big sheet: never on the event loop.
        text = await asyncio.to_thread(
            import_upload, services.repository, services.catalog, caller.actor, path, message.caption or ""
        )
    await answer(context, message.chat_id, _say(text))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error without personal data and tell the user, never with a traceback."""
    error = context.error
    if isinstance(error, Forbidden) and isinstance(update, Update) and update.effective_user:
        repository = services_of(context).repository
        member = await asyncio.to_thread(repository.member_by_account, CHANNEL, str(update.effective_user.id))
        if member is not None:
            await asyncio.to_thread(repository.set_account_reachable, member.id, CHANNEL, False)
        log.warning("a user blocked the bot (update %s)", update.update_id)
        return
    # The update holds message texts and names: log which update failed, never what it said.
    described = f"update {update.update_id}" if isinstance(update, Update) else type(update).__name__
    log.error("error while handling %s", described, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, M.BUSY)
        except Exception:  # noqa: BLE001 - the user may be unreachable too; the log has the cause
            log.warning("could not tell a chat about the error (update %s)", update.update_id)
