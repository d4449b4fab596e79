"""Sign-in through a platform's OAuth (企业微信, 钉钉) and answering what people type there: one
mechanism for every platform channel, which gives only its authorize URL and its code → userid.

* GET /login/<channel>[?next=/quiz]: a random state goes to the platform and into a signed,
  HttpOnly cookie that lives STATE_SECONDS; the platform's browser comes back to
* GET /login/<channel>/callback?code&state (DingTalk names the code authCode): the state must
  match the cookie (constant time; the cookie is cleared, so a state serves once), the code
  (single-use, the platform enforces it) gives the userid, the userid the member
  (knowledge.websessions.sign_in_with_account). Admins and leaders still need their password.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import anyio.from_thread
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.conversation import Caller, Conversation
from bot.reply import Reply
from bot.web.pages import PUBLIC, Visit, Web
from bot.web.security import client_address
from knowledge import access
from knowledge import messages as M
from knowledge.websessions import SETUP, PasswordRequired, SignInError, sign_in_with_account

log = logging.getLogger(__name__)
STATE_SECONDS = 600  # the state cookie: a sign-in round trip takes seconds


class CodeRefused(Exception):
    """The platform refused the sign-in code: used, expired or forged."""


class NotMember(Exception):
    """The person signed in is not a member of the organisation."""


class PlatformDown(Exception):
    """The platform could not be asked."""


def local_path(value: str, default: str = "/") -> str:
    """Return value if it is a path of this site (not //host or a scheme), else default."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) <= 200:
        return value
    return default


class PlatformSignIn:
    """The sign-in routes of one platform channel.

    authorize(redirect_uri, state) gives the platform's authorize URL; identify(code) the userid,
    raising CodeRefused, NotMember or PlatformDown.
    """

    def __init__(self, web: Web, channel: str, authorize: Callable[[str, str], str],
                 identify: Callable[[str], Awaitable[str]], code_params: tuple[str, ...] = ("code",)):
        self.web, self.services, self.channel = web, web.services, channel
        self.settings = self.services.settings
        self.authorize, self.identify, self.code_params = authorize, identify, code_params
        self.path = f"/login/{channel}"
        self.cookie = f"xuefa-{channel}-state"
        self.signer = TimestampSigner(self.services.keyring.digest(f"{channel}-state", "v1"),
                                      salt=f"xuefa-{channel}-state", digest_method=hashlib.sha256)

    @property
    def label(self) -> str:
        return M.CHANNEL_LABELS[self.channel]

    def start(self, visit: Visit) -> Response:
        """Send the browser to the platform's authorize URL with a fresh state (already signed in: go on)."""
        target = local_path(visit.request.query_params.get("next", "/"))
        if visit.member is not None and visit.session.stage != SETUP:
            return visit.redirect(target)
        base = self.settings.web_url or str(visit.request.base_url).rstrip("/")
        state = secrets.token_hex(16)
        url = self.authorize(base + self.path + "/callback", state)
        response = visit.redirect(url)
        response.set_cookie(self.cookie, self.signer.sign(f"{state}|{target}").decode(), max_age=STATE_SECONDS,
                            path=self.path, httponly=True, secure=self.settings.web_secure, samesite="lax")
        return response

    def _kept_state(self, request: Request) -> tuple[str, str] | None:
        raw = request.cookies.get(self.cookie)
        if not raw:
            return None
        try:
            value = self.signer.unsign(raw, max_age=STATE_SECONDS).decode()
        except (BadSignature, SignatureExpired, UnicodeDecodeError):
            return None
        state, _, target = value.partition("|")
        return state, local_path(target)

    def finish(self, visit: Visit) -> Response:
        """The platform's browser came back with a code: check the state, get the userid, sign the member in."""
        request = visit.request
        kept = self._kept_state(request)
        given = request.query_params.get("state", "")
        code = next((request.query_params[p] for p in self.code_params if request.query_params.get(p)), "")
        visit.after.append(lambda response: response.delete_cookie(self.cookie, path=self.path))
        title = M.PLATFORM_SIGN_IN_TITLE.format(channel=self.label)
        if kept is None or not given or not hmac.compare_digest(kept[0].encode(), given.encode()) or not code:
            return visit.message(title, M.PLATFORM_SIGN_IN_EXPIRED.format(channel=self.label), status=400)
        try:
            userid = anyio.from_thread.run(self.identify, code)
        except CodeRefused:
            return visit.message(title, M.PLATFORM_SIGN_IN_EXPIRED.format(channel=self.label), status=400)
        except NotMember:
            return visit.message(title, M.PLATFORM_SIGN_IN_NOT_MEMBER.format(channel=self.label), status=403)
        except PlatformDown as exc:
            log.warning("%s sign-in: the platform failed: %s", self.channel, exc)
            return visit.message(title, M.PLATFORM_SIGN_IN_FAILED.format(channel=self.label), status=502)
        try:
            opened = sign_in_with_account(self.services.repository, self.channel, userid, client_address(request),
                                          request.headers.get("user-agent", ""))
        except PasswordRequired as exc:
            return visit.render("login.html", status=200, title=M.WEB_LOGIN_TITLE, error=str(exc),
                                staff_no=exc.member.staff_no)
        except SignInError as exc:
            return visit.message(title, str(exc), status=403)
        visit.sign_in(opened.token, opened.session)
        return visit.redirect("/account/password" if opened.session.stage == SETUP else kept[1])

    def routes(self) -> list[Route]:
        return [
            Route(self.path, self.web.page(self.start, who=PUBLIC), methods=["GET"]),
            Route(self.path + "/callback", self.web.page(self.finish, who=PUBLIC), methods=["GET"]),
        ]


def platform_reply(services, conversation: Conversation, channel: str, userid: str, text: str) -> str:
    """What xuefa answers a member's message typed in a platform's chat (plain text), as the web would.

    The quiz is taken in the web app: asking for it gives the link through the platform's sign-in.
    """
    actor = access.resolve_actor(services.repository, services.keyring, channel, userid, userid)
    caller = Caller(actor, channel, userid, userid, may_bind=True)
    text = text.strip()
    command, _, args = text[1:].partition(" ") if text.startswith("/") else ("", "", "")
    if actor is not None and (command == "quiz" or text in M.PLATFORM_QUIZ_WORDS):
        link = (services.settings.web_url or "") + f"/login/{channel}?next=" + quote("/quiz", safe="/")
        return M.PLATFORM_QUIZ_LINK.format(link=link)
    reply = conversation.handle_command(caller, command.lower(), args) if command else \
        conversation.handle_text(caller, text)
    return plain_text(reply)


def plain_text(reply: Reply) -> str:
    """A Reply as one plain text (its parts); a file or chart is on the web only."""
    return "\n\n".join(part for part in reply.parts if part.strip())
