"""WeCom's web routes, mounted by bot.web through the channel hook: sign-in and the callback URL.

* GET /login/wecom[?next=/quiz] and /login/wecom/callback: OAuth2 snsapi_base through
  bot.web.platform (the state cookie, the single-use code); the code gives the userid through
  auth/getuserinfo.
* GET /wecom/callback: URL verification (msg_signature, timestamp, nonce, echostr).
  POST /wecom/callback: a member's encrypted message. WeCom waits 5 s and retries three times,
  so the POST is answered "" at once, retries are dropped by MsgId, and the answer (the same
  Conversation as the web, in plain text) is sent afterwards with message/send.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.conversation import Conversation
from bot.reply import Plain
from bot.web.pages import Web
from bot.web.platform import CodeRefused, NotMember, PlatformDown, PlatformSignIn, platform_reply
from bot.wecom.callback import Seen, parse_message
from bot.wecom.channel import shared_client
from bot.wecom.client import WeComClient, WeComError, WeComInvalidCode, WeComNotMember
from bot.wecom.crypto import WeComCrypto, WeComCryptoError
from bot.wecom.limits import TEXT_BYTES, trim_bytes
from bot.wecom.xmlsafe import XMLRefused

log = logging.getLogger(__name__)
CHANNEL = "wecom"
OAUTH_SUFFIX = "/connect/oauth2/authorize"
BODY_LIMIT = 1_000_000


class WeComWeb:
    """The WeCom sign-in and callback over one web app: one client, one crypto, one memory of MsgIds."""

    def __init__(self, web: Web):
        self.web = web
        self.services = web.services
        settings = self.services.settings
        self.settings = settings
        self.crypto = (
            WeComCrypto(settings.wecom_token.get_secret_value(), settings.wecom_aes_key.get_secret_value(),
                        settings.wecom_corp_id)
            if settings.wecom_token is not None and settings.wecom_aes_key is not None else None
        )
        self.seen = Seen()
        self.conversation = Conversation(self.services, Plain())
        oauth_base = settings.wecom_oauth_url.removesuffix(OAUTH_SUFFIX)
        self.sign_in = PlatformSignIn(
            web, CHANNEL, lambda redirect, state: self.client.authorize_url(redirect, state, oauth_base=oauth_base),
            self.identify)
        self.tasks: set[asyncio.Task] = set()  # answers being sent (kept so they are not collected)

    @property
    def client(self) -> WeComClient:
        """The process's client, shared with the push (one token fetch per process)."""
        return shared_client(self.services)

    async def identify(self, code: str) -> str:
        """The userid behind a sign-in code (auth/getuserinfo), in bot.web.platform's terms."""
        try:
            return await self.client.userid_from_code(code)
        except WeComInvalidCode:
            raise CodeRefused() from None
        except WeComNotMember:
            raise NotMember() from None
        except WeComError as exc:
            raise PlatformDown(str(exc)) from None

    # --- the callback URL --------------------------------------------------------------------

    async def verify(self, request: Request) -> Response:
        """URL verification: decrypt echostr and answer it in plain text."""
        if self.crypto is None:
            return PlainTextResponse("", status_code=404)
        query = request.query_params
        try:
            echo = self.crypto.verify_url(query.get("msg_signature", ""), query.get("timestamp", ""),
                                          query.get("nonce", ""), query.get("echostr", ""))
        except WeComCryptoError:
            return PlainTextResponse("", status_code=403)
        return PlainTextResponse(echo)

    async def receive(self, request: Request) -> Response:
        """A member's message: check and decrypt it, answer "" now, send the answer afterwards."""
        if self.crypto is None:
            return PlainTextResponse("", status_code=404)
        body = await request.body()
        if len(body) > BODY_LIMIT:
            return PlainTextResponse("", status_code=413)
        query = request.query_params
        try:
            plain = self.crypto.decrypt_message(query.get("msg_signature", ""), query.get("timestamp", ""),
                                                query.get("nonce", ""), body)
            incoming = parse_message(plain)
        except WeComCryptoError:
            return PlainTextResponse("", status_code=403)
        except (XMLRefused, ValueError):
            return PlainTextResponse("", status_code=400)
        key = incoming.msg_id or f"{incoming.userid}:{incoming.msgtype}:{incoming.content}"
        if incoming.msgtype in ("text", "event") and self.seen.first_time(key):
            task = asyncio.create_task(self._answer(incoming.userid, incoming.msgtype, incoming.content))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return PlainTextResponse("")

    async def _answer(self, userid: str, msgtype: str, content: str) -> None:
        try:
            text = await run_in_threadpool(self.reply_text, userid, msgtype, content)
            if text:
                for piece in pieces(text):
                    # duplicate_check_interval=1: a question asked twice is answered twice
                    await self.client.send_text([userid], piece, duplicate_check_interval=1)
        except Exception:  # noqa: BLE001 - one member's answer must not break the callback
            log.exception("WeCom: answering a message failed")

    def reply_text(self, userid: str, msgtype: str, content: str) -> str:
        """What xuefa answers a member's WeCom message (plain text), as the web would."""
        text = content.strip()
        if msgtype == "event":
            if not text.lower().startswith("click:"):
                return ""  # enter_agent, view…: nothing to answer
            text = "/" + text.split(":", 1)[1]
        return platform_reply(self.services, self.conversation, CHANNEL, userid, text)


def pieces(text: str, limit: int = TEXT_BYTES) -> list[str]:
    """Cut a text into messages of at most `limit` UTF-8 bytes, between paragraphs where possible."""
    out: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        while len(paragraph.encode()) > limit:
            head = trim_bytes(paragraph, limit)
            out.append(head)
            paragraph = paragraph[len(head):]
        current = paragraph
    if current:
        out.append(current)
    return out


def routes(web: Web) -> list[Route]:
    """Return the WeCom routes for the web app (bot.web.app asks each configured channel)."""
    wecom = WeComWeb(web)
    web.wecom = wecom  # for tests: app.state.web.wecom
    return [
        *wecom.sign_in.routes(),
        Route("/wecom/callback", wecom.verify, methods=["GET"]),
        Route("/wecom/callback", wecom.receive, methods=["POST"]),
    ]
