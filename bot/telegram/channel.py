"""Telegram as a push channel: a notice becomes a private message (and its file), one person at a time."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

from telegram.error import Forbidden, TelegramError

from bot.channels import Sent
from bot.reply import Button, Reply
from bot.telegram.send import send_reply
from knowledge.notices import Notice
from knowledge.outreach import QUIZ_LINK

log = logging.getLogger(__name__)
PUSH_CONCURRENCY = 8  # sends in flight at once; the bot's rate limiter, not this, sets the pace


def notice_reply(notice: Notice) -> Reply:
    """Turn a notice into a Telegram reply: its text (escaped: names may hold < or &), the quiz button, its file.

    The quiz runs inside the chat, so a notice that links to the quiz gets the in-chat button;
    a notice's other links are for the web app and are left out (a chat has its own commands).
    """
    buttons = [[Button(notice.button, "quiz:")]] if notice.link == QUIZ_LINK and notice.button else []
    reply = Reply(parts=[html.escape(text, quote=False) for text in notice.text.split("\n\n")], buttons=buttons)
    reply.document = notice.document
    return reply


class TelegramChannel:
    """Sends notices through the running bot's Bot API client (its rate limiter paces every send)."""

    name = "telegram"
    batch_size = 1  # a Telegram message goes to one chat
    concurrency = PUSH_CONCURRENCY

    def __init__(self, bot, owns: bool = False):
        self.bot = bot
        self.owns = owns

    async def send(self, addresses: Sequence[str], notice: Notice) -> dict[str, Sent]:
        outcomes = {}
        reply = notice_reply(notice)
        for address in addresses:
            try:
                await send_reply(self.bot, int(address), reply)
            except Forbidden as exc:  # blocked the bot, or deactivated their account
                outcomes[address] = Sent("blocked", str(exc))
            except TelegramError as exc:
                log.warning("could not message a member on Telegram: %s", exc)
                outcomes[address] = Sent("failed", str(exc))
            else:
                outcomes[address] = Sent("sent")
        return outcomes

    async def close(self) -> None:
        """Shut the Bot API client down if this channel opened it (the running bot's stays with its Application)."""
        if self.owns:
            await self.bot.shutdown()


def push_bot(settings):
    """Return a Bot API client paced like the running bot, not yet opened."""
    from telegram.ext import ExtBot

    from bot.telegram.app import rate_limiter

    return ExtBot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.file_base_url,
        rate_limiter=rate_limiter(),
    )


async def open_channel(services, bot=None) -> TelegramChannel:
    """Return the Telegram channel: over the running bot's client, or (for `xuefa quiz push`) its own."""
    if bot is not None:
        return TelegramChannel(bot)
    own = push_bot(services.settings)
    await own.initialize()
    return TelegramChannel(own, owns=True)
