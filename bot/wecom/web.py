"""WeCom's web routes, mounted by bot.web through the channel hook: sign-in and the callback URL.

* GET /login/wecom[?next=/quiz]: OAuth2 snsapi_base. A random state (letters and digits) goes to
  WeCom and into a signed, HttpOnly cookie that lives STATE_SECONDS; WeCom's browser comes back to
* GET /login/wecom/callback?code&state: the state must match the cookie (constant time; the
  cookie is cleared, so a state serves once), the code (single-use, WeCom enforces it) gives the
  userid through auth/getuserinfo, the userid the member (knowledge.websessions.sign_in_with_account).
* GET /wecom/callback: URL verification (msg_signature, timestamp, nonce, echostr).
  POST /wecom/callback: a member's encrypted message. WeCom waits 5 s and retries three times,
  so the POST is answered "" at once, retries are dropped by MsgId, and the answer (the same
  Conversation as the web, in plain text) is sent afterwards with message/send.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from urllib.parse import quote

import anyio.from_thread
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.conversation import Caller, Conversation
from bot.reply import Plain, Reply
from bot.web.pages import PUBLIC, Visit, Web
from bot.web.security import client_address
from bot.wecom.callback import Seen, parse_message
from bot.wecom.channel import client_of
from bot.wecom.client import WeComClient, WeComError, WeComInvalidCode, WeComNotMember
from bot.wecom.crypto import WeComCrypto, WeComCryptoError
from bot.wecom.limits import TEXT_BYTES, trim_bytes
from bot.wecom.xmlsafe import XMLRefused
from knowledge import access
from knowledge import messages as M
from knowledge.websessions import SETUP, PasswordRequired, SignInError, sign_in_with_account

log = logging.getLogger(__name__)
CHANNEL = "wecom"
STATE_SECONDS = 600  # the state cookie: a sign-in round trip takes seconds
STATE_COOKIE = "xuefa-wecom-state"
CALLBACK_PATH = "/login/wecom/callback"
OAUTH_SUFFIX = "/connect/oauth2/authorize"
BODY_LIMIT = 1_000_000


def local_path(value: str, default: str = "/") -> str:
    """Return value if it is a path of this site (not //host or a scheme), else default."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) <= 200:
        return value
    return default


class WeComWeb:
    """The WeCom sign-in and callback over one web app: one client, one crypto, one memory of MsgIds."""

    def __init__(self, web: Web):
        self.web = web
        self.services = web.services
        settings = self.services.settings
        self.settings = settings
        self._client: WeComClient | None = None
        self.crypto = (
            WeComCrypto(settings.wecom_token.get_secret_value(), settings.wecom_aes_key.get_secret_value(),
                        settings.wecom_corp_id)
            if settings.wecom_token is not None and settings.wecom_aes_key is not None else None
        )
        self.seen = Seen()
        self.conversation = Conversation(self.services, Plain())
        self.signer = TimestampSigner(self.services.keyring.digest("wecom-state", "v1"), salt="xuefa-wecom-state",
                                      digest_method=hashlib.sha256)
        self.tasks: set[asyncio.Task] = set()  # answers being sent (kept so they are not collected)

    @property
    def client(self) -> WeComClient:
        """The app's client, made on first use on the server's event loop (one token fetch per process)."""
        if self._client is None:
            self._client = client_of(self.settings)
        return self._client

    @property
    def label(self) -> str:
        return M.CHANNEL_LABELS[CHANNEL]

    # --- sign-in ---------------------------------------------------------------------------

    def start(self, visit: Visit) -> Response:
        """Send the browser to WeCom's authorize URL with a fresh state (already signed in: go on)."""
        target = local_path(visit.request.query_params.get("next", "/"))
        if visit.member is not None and visit.session.stage != SETUP:
            return visit.redirect(target)
        base = self.settings.web_url or str(visit.request.base_url).rstrip("/")
        state = secrets.token_hex(16)
        oauth_base = self.settings.wecom_oauth_url.removesuffix(OAUTH_SUFFIX)
        url = self.client.authorize_url(base + CALLBACK_PATH, state, oauth_base=oauth_base)
        cookie = self.signer.sign(f"{state}|{target}").decode()
        response = visit.redirect(url)
        response.set_cookie(STATE_COOKIE, cookie, max_age=STATE_SECONDS, path="/login/wecom", httponly=True,
                            secure=self.settings.web_secure, samesite="lax")
        return response

    def _kept_state(self, request: Request) -> tuple[str, str] | None:
        raw = request.cookies.get(STATE_COOKIE)
        if not raw:
            return None
        try:
            value = self.signer.unsign(raw, max_age=STATE_SECONDS).decode()
        except (BadSignature, SignatureExpired, UnicodeDecodeError):
            return None
        state, _, target = value.partition("|")
        return state, local_path(target)

    def finish(self, visit: Visit) -> Response:
        """WeCom's browser came back with a code: check the state, get the userid, sign the member in."""
        request = visit.request
        kept = self._kept_state(request)
        given = request.query_params.get("state", "")
        code = request.query_params.get("code", "")
        visit.after.append(lambda response: response.delete_cookie(STATE_COOKIE, path="/login/wecom"))
        title = M.PLATFORM_SIGN_IN_TITLE.format(channel=self.label)
        if kept is None or not given or not hmac.compare_digest(kept[0].encode(), given.encode()) or not code:
            return visit.message(title, M.PLATFORM_SIGN_IN_EXPIRED.format(channel=self.label), status=400)
        try:
            userid = anyio.from_thread.run(self.client.userid_from_code, code)
        except WeComInvalidCode:
            return visit.message(title, M.PLATFORM_SIGN_IN_EXPIRED.format(channel=self.label), status=400)
        except WeComNotMember:
            return visit.message(title, M.PLATFORM_SIGN_IN_NOT_MEMBER.format(channel=self.label), status=403)
        except WeComError as exc:
            log.warning("WeCom sign-in: getuserinfo failed: %s", exc)
            return visit.message(title, M.PLATFORM_SIGN_IN_FAILED.format(channel=self.label), status=502)
        try:
            opened = sign_in_with_account(self.services.repository, CHANNEL, userid, client_address(request),
                                          request.headers.get("user-agent", ""))
        except PasswordRequired as exc:
            return visit.render("login.html", status=200, title=M.WEB_LOGIN_TITLE, error=str(exc),
                                staff_no=exc.member.staff_no)
        except SignInError as exc:
            return visit.message(title, str(exc), status=403)
        visit.sign_in(opened.token, opened.session)
        return visit.redirect("/account/password" if opened.session.stage == SETUP else kept[1])

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
                    await self.client.send_text([userid], piece, duplicate_check_interval=1)  # a question asked twice is answered twice
        except Exception:  # noqa: BLE001 - one member's answer must not break the callback
            log.exception("WeCom: answering a message failed")

    def reply_text(self, userid: str, msgtype: str, content: str) -> str:
        """What xuefa answers a member's WeCom message (plain text), as the web would."""
        services = self.services
        actor = access.resolve_actor(services.repository, services.keyring, CHANNEL, userid, userid)
        caller = Caller(actor, CHANNEL, userid, userid, may_bind=True)
        text = content.strip()
        if msgtype == "event":
            if not text.lower().startswith("click:"):
                return ""  # enter_agent, view…: nothing to answer
            text = "/" + text.split(":", 1)[1]
        command, _, args = text[1:].partition(" ") if text.startswith("/") else ("", "", "")
        if actor is not None and (command == "quiz" or text in M.PLATFORM_QUIZ_WORDS):
            link = (self.settings.web_url or "") + "/login/wecom?next=" + quote("/quiz", safe="/")
            return M.PLATFORM_QUIZ_LINK.format(link=link)
        if command:
            reply = self.conversation.handle_command(caller, command.lower(), args)
        else:
            reply = self.conversation.handle_text(caller, text)
        return plain_text(reply)


def plain_text(reply: Reply) -> str:
    """A Reply as one plain text (its parts); a file or chart is on the web only."""
    return "\n\n".join(part for part in reply.parts if part.strip())


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
        Route("/login/wecom", web.page(wecom.start, who=PUBLIC), methods=["GET"]),
        Route(CALLBACK_PATH, web.page(wecom.finish, who=PUBLIC), methods=["GET"]),
        Route("/wecom/callback", wecom.verify, methods=["GET"]),
        Route("/wecom/callback", wecom.receive, methods=["POST"]),
    ]
