"""Telegram plumbing shared by every handler: services, callers, sending with retries."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import ContextTypes

from bot.conversation import Caller, Conversation
from bot.render import Reply
from bot.services import Services
from knowledge import messages as M
from knowledge.members import Member

SEND_ATTEMPTS = 3


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """Return the services built at start-up."""
    return context.application.bot_data["services"]


def conversation_of(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    """Return the conversation built at start-up."""
    return context.application.bot_data["conversation"]


def caller_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Caller:
    """Identify who sent an update and which member (if any) they are."""
    user, chat = update.effective_user, update.effective_chat
    services = services_of(context)
    member = services.repository.member_by_telegram(user.id) if user else None
    if member is None and user is not None and user.id in services.settings.admins:
        # XUEFA_ADMINS may act as bureau admins before any roster exists, e.g. to upload the first one.
        member = Member(id=None, staff_no=f"tg{user.id}", name=user.full_name, unit=M.BOOTSTRAP_UNIT,
                        role="bureau_admin", telegram_id=user.id, chat_id=chat.id if chat else None)
    return Caller(member, user.id if user else None, chat.id if chat else None)


def addressed_to_bot(message: Message, username: str) -> bool:
    """In groups the bot answers only when mentioned or replied to; in private always."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.username == username:
        return True
    return f"@{username}".lower() in (message.text or "").lower()


async def send_reply(bot, chat_id: int, reply: Reply, reply_to: int | None = None) -> None:
    """Send a reply as HTML messages under Telegram's size limit, buttons on the last one."""
    texts = reply.messages()
    markup = keyboard(reply)
    for n, text in enumerate(texts):
        last = n == len(texts) - 1
        await with_retries(
            bot.send_message,
            chat_id=chat_id,
            text=text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if last else None,
            reply_to_message_id=reply_to if n == 0 else None,
        )
    if reply.document is not None:
        name, data = reply.document
        await with_retries(bot.send_document, chat_id=chat_id, document=data, filename=name, caption=reply.caption[:1024])
    if reply.photo is not None:
        await with_retries(bot.send_photo, chat_id=chat_id, photo=reply.photo)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Turn reply buttons into an inline keyboard."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in reply.buttons]
    )


async def with_retries(send, /, **kwargs):
    """Call a Bot API method, retrying network errors and timeouts; RetryAfter waits as told."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await send(**kwargs)
        except RetryAfter as exc:
            delay = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            await asyncio.sleep(float(delay))
        except NetworkError as exc:  # TimedOut is one; Forbidden is not and propagates at once
            if isinstance(exc, BadRequest) or attempt == SEND_ATTEMPTS:
                raise  # a malformed request fails the same way every time
            await asyncio.sleep(0.5 * attempt)
    return await send(**kwargs)
