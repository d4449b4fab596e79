"""Telegram plumbing every handler and job shares: who is calling, and sending with retries."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import ContextTypes

from bot.conversation import Caller, Conversation
from bot.reply import Reply, fit
from bot.services import Services
from knowledge import access

log = logging.getLogger(__name__)
CHANNEL = "telegram"  # this channel's name in the accounts table
SEND_ATTEMPTS = 3
SHORT_WAIT = 3.0  # seconds of RetryAfter a handler sleeps through; longer waits are scheduled
CAPTION_MAX = 1024  # Bot API: captions are 0-1024 characters (UTF-16 units) after entities parsing


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """Return the services built at start-up."""
    return context.application.bot_data["services"]


def conversation_of(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    """Return the conversation built at start-up."""
    return context.application.bot_data["conversation"]


def caller_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Caller:
    """Identify who sent an update and, through the access policy, who they are to xuefa."""
    user, chat = update.effective_user, update.effective_chat
    services = services_of(context)
    actor = (
        access.resolve_actor(services.repository, services.keyring, CHANNEL, str(user.id), user.full_name,
                             bootstrap=[str(i) for i in services.settings.admins])
        if user else None
    )
    # Only a private chat is a place to send a member's notices: a group is never bound as one.
    private = chat is not None and chat.type == ChatType.PRIVATE
    return Caller(actor, CHANNEL, str(user.id) if user else None, str(chat.id) if chat else None,
                  may_bind=private)


def addressed_to_bot(message: Message, username: str) -> bool:
    """In groups the bot answers only when mentioned or replied to; in private always."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.username == username:
        return True
    return f"@{username}".lower() in (message.text or "").lower()


Step = tuple[str, dict]  # a Bot API method of the bot and its arguments


class Postponed(Exception):
    """Telegram asked to wait longer than a handler should: the steps not yet sent, and how long to wait."""

    def __init__(self, steps: list[Step], delay: float):
        super().__init__(f"postponed {len(steps)} sends by {delay:.0f} s")
        self.steps = steps
        self.delay = delay


def reply_steps(chat_id: int, reply: Reply, reply_to: int | None = None) -> list[Step]:
    """Return the sends a reply takes: HTML messages under Telegram's limit (buttons on the last), then files."""
    texts = reply.messages()
    markup = keyboard(reply)
    steps: list[Step] = [
        ("send_message", {
            "chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML,
            "reply_markup": markup if n == len(texts) - 1 else None,
            "reply_to_message_id": reply_to if n == 0 else None,
        })
        for n, text in enumerate(texts)
    ]
    if reply.document is not None:
        name, data = reply.document
        steps.append(("send_document", {"chat_id": chat_id, "document": data, "filename": name,
                                        "caption": fit(reply.caption, CAPTION_MAX)}))
    if reply.photo is not None:
        steps.append(("send_photo", {"chat_id": chat_id, "photo": reply.photo}))
    return steps


async def send_steps(bot, steps: list[Step], patient: bool = True) -> None:
    """Make the sends in order; impatient, a long RetryAfter raises Postponed with the sends still to make."""
    for n, (method, kwargs) in enumerate(steps):
        try:
            await with_retries(getattr(bot, method), patient=patient, **kwargs)
        except RetryAfter as exc:
            raise Postponed(steps[n:], _seconds(exc.retry_after)) from None


async def send_reply(bot, chat_id: int, reply: Reply, reply_to: int | None = None, patient: bool = True) -> None:
    """Send a reply as HTML messages under Telegram's size limit, buttons on the last one, then its files."""
    # Splitting a long reply is CPU work: off the event loop, so nobody else waits on it.
    await send_steps(bot, await asyncio.to_thread(reply_steps, chat_id, reply, reply_to), patient)


async def answer(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, reply_to: int | None = None) -> None:
    """Send a handler's reply; when Telegram asks to wait long, schedule the rest instead of holding the handler."""
    try:
        await send_reply(context.bot, chat_id, reply, reply_to, patient=False)
    except Postponed as later:
        log.warning("Telegram asked to wait %.0f s: the reply is sent then", later.delay)
        context.job_queue.run_once(_send_later, later.delay, data=later.steps, name="reply-later")


async def _send_later(context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_steps(context.bot, context.job.data, patient=True)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Turn reply buttons into an inline keyboard."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in reply.buttons]
    )


def _seconds(retry_after) -> float:
    return float(retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else retry_after)


async def with_retries(send, /, patient: bool = True, **kwargs):
    """Call a Bot API method, retrying network errors and timeouts; RetryAfter waits as told.

    Impatient (a handler answering someone), a wait longer than SHORT_WAIT is not slept through:
    the RetryAfter goes back to the caller, which schedules the send.
    """
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await send(**kwargs)
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
            if not patient and delay > SHORT_WAIT:
                raise
            await asyncio.sleep(delay)
        except NetworkError as exc:  # TimedOut is one; Forbidden is not and propagates at once
            if isinstance(exc, BadRequest) or attempt == SEND_ATTEMPTS:
                raise  # a malformed request fails the same way every time
            await asyncio.sleep(0.5 * attempt)
    return await send(**kwargs)
