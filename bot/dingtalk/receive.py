"""The running service's DingTalk receiver: the Stream-mode chatbot answering what people type,
with the same conversation (and the same rules) as every other channel, in plain text."""

from __future__ import annotations

import asyncio
import logging

from bot.conversation import Conversation
from bot.dingtalk.channel import shared_client
from bot.dingtalk.stream import DingTalkStream
from bot.reply import Plain
from bot.services import Services
from bot.web.platform import platform_reply

log = logging.getLogger(__name__)
CHANNEL = "dingtalk"


def stream_for(services: Services) -> DingTalkStream:
    """Return the Stream client whose answers come from the conversation core (run, then close it)."""
    conversation = Conversation(services, Plain())

    async def answer(userid: str, text: str) -> str:
        # The conversation reads and writes the store: off the event loop.
        return await asyncio.to_thread(platform_reply, services, conversation, CHANNEL, userid, text)

    return DingTalkStream(shared_client(services), answer)


async def receive(services: Services) -> None:
    """Run the chatbot until cancelled (bot.runner starts it when XUEFA_DINGTALK_STREAM is on)."""
    stream = stream_for(services)
    try:
        await stream.run()
    finally:
        await stream.close()  # the client is the process's: the channels close it at shutdown
