"""What every page shares: who is visiting, the CSRF check, rendering, and turning a Reply into HTML.

A page is a plain (synchronous) function of a Visit. The wrapper made by Web.page() does the
asynchronous part — reading the cookie and the session, reading the form with a cap, checking
its CSRF token — and then runs the page in Starlette's thread pool, so the database and the
index are never touched on the event loop. What a visitor may see is asked of knowledge.access
inside the pages; a refusal (AccessDenied) becomes a 403 page here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.conversation import Caller, Conversation
from bot.reply import Html, Reply
from bot.services import Services
from bot.web.security import CSRF_FIELD, FORM_BYTES, Cookies, TooLarge, new_csrf, read_form, same_token
from knowledge import access, limits, review
from knowledge import messages as M
from knowledge.access import AccessDenied, Actor
from knowledge.errors import NotFound, XuefaError
from knowledge.members import Member
from knowledge.store import WebSession
from knowledge.websessions import SETUP, current, lifetime

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"

PUBLIC, SETUP_ALLOWED, SIGNED_IN = "public", "setup", "signed-in"
# Button actions that only read (articles, browsing): plain links. Anything else is a POST form.
READ_ACTIONS = ("art", "rel", "list", "law", "nav")


@dataclass
class ButtonView:
    """A Reply button on the web: a link, or a one-button form posting its action."""

    label: str
    href: str | None = None
    post: str | None = None  # the form's target
    value: str = ""


@dataclass
class ReplyView:
    """A Reply ready for a template: formatted parts (already escaped by the Html formatter) and buttons."""

    parts: list[Markup]
    buttons: list[list[ButtonView]]


def reply_view(reply: Reply) -> ReplyView:
    """Turn a conversation Reply into parts and buttons for the page."""
    rows = []
    for row in reply.buttons:
        views = []
        for button in row:
            kind = button.action.split(":", 1)[0]
            if kind in READ_ACTIONS:
                views.append(ButtonView(button.label, href="/browse?" + urlencode({"a": button.action})))
            elif kind == "quiz":
                views.append(ButtonView(button.label, post="/quiz/start"))
            else:
                views.append(ButtonView(button.label, post="/chat/action", value=button.action))
        rows.append(views)
    # Html escapes every piece of user and law text; its only tags are <b> <i> <u> <blockquote>.
    return ReplyView([Markup(_page_links(part)) for part in reply.parts], rows)


# Commands that are a page on the web rather than a chat reply, and what the page is called there.
COMMAND_PAGES = {
    "quiz": "/quiz", "list": "/browse", "me": "/me", "stats": "/dashboard", "records": "/records",
    "session": "/sessions", "start": "/chat",
}
_PAGE_NAMES = {"/quiz": M.WEB_NAV_QUIZ, "/browse": M.WEB_NAV_LIST, "/me": M.WEB_NAV_ME,
               "/dashboard": M.WEB_NAV_DASHBOARD, "/records": M.WEB_NAV_RECORDS, "/sessions": M.WEB_NAV_SESSIONS}
# "发送 /me" in the conversation's words: on the web that is a link to the page, not a command to type.
_SEND_COMMAND = re.compile(r"发送 /(quiz|list|me|stats|records|session)\b")


def _page_links(html: str) -> str:
    def link(match: re.Match) -> str:
        page = COMMAND_PAGES[match.group(1)]
        return M.WEB_OPEN_PAGE.format(link=f'<a href="{page}">{_PAGE_NAMES[page]}</a>')

    return _SEND_COMMAND.sub(link, html)


@dataclass
class NavItem:
    """A link in the page header."""

    href: str
    label: str
    staff: bool = False


def _allowed(check: Callable[[], object]) -> bool:
    try:
        check()
    except AccessDenied:
        return False
    return True


def navigation(actor: Actor, reviewer: bool = False) -> list[NavItem]:
    """Return the pages the actor is offered, each asked of the same policy the page itself asks.

    reviewer: the actor reviews for a unit or the bureau (knowledge.review), offered /review.
    """
    items = [
        NavItem("/chat", M.WEB_NAV_CHAT), NavItem("/browse", M.WEB_NAV_LIST), NavItem("/quiz", M.WEB_NAV_QUIZ),
        NavItem("/me", M.WEB_NAV_ME),
    ]
    if _allowed(lambda: access.report_scope(actor, None)):
        items.append(NavItem("/dashboard", M.WEB_NAV_DASHBOARD, staff=True))
    if access.may_use(actor, "records"):
        items.append(NavItem("/records", M.WEB_NAV_RECORDS, staff=True))
    if _allowed(lambda: access.sessions_view_scope(actor)):
        items.append(NavItem("/sessions", M.WEB_NAV_SESSIONS, staff=True))
    if _allowed(lambda: access.roster_scope(actor)):
        items.append(NavItem("/admin/upload", M.WEB_NAV_UPLOAD, staff=True))
    if _allowed(lambda: access.check_bureau_task(actor)):
        items += [
            NavItem("/admin/codes", M.WEB_NAV_CODES, staff=True),
            NavItem("/admin/studylists", M.WEB_NAV_STUDYLISTS, staff=True),
            NavItem("/admin/schedule", M.WEB_NAV_SCHEDULE, staff=True),
        ]
    if reviewer or actor.runs_the_bureau:
        items.append(NavItem("/review", M.WEB_NAV_REVIEW, staff=True))
    items.append(NavItem("/account", M.WEB_NAV_ACCOUNT))
    return items


@dataclass
class Visit:
    """One request as a page sees it: the services, who is visiting, the checked form."""

    web: Web
    request: Request
    session: WebSession | None = None
    member: Member | None = None
    token: str | None = None  # the session token (for the CSRF token of the page's forms)
    form: FormData | None = None
    login_csrf: str | None = None  # the sign-in form token when there is no session
    set_login_csrf: bool = False
    after: list[Callable[[Response], None]] = field(default_factory=list)  # cookies to set on the response

    @property
    def services(self) -> Services:
        """Return the running services."""
        return self.web.services

    @property
    def actor(self) -> Actor | None:
        """Return the visitor as the access policy sees them (None when signed out)."""
        return Actor.of(self.member) if self.member is not None else None

    @property
    def caller(self) -> Caller:
        """Return the visitor as the conversation sees them."""
        return Caller(self.actor, channel="web")

    @property
    def csrf(self) -> str:
        """Return the token every form of this page carries."""
        if self.token is not None:
            return self.web.cookies.session_csrf(self.token)
        if self.login_csrf is None:
            self.login_csrf, self.set_login_csrf = new_csrf(), True
        return self.login_csrf

    def field(self, name: str, default: str = "") -> str:
        """Return a text field of the posted form, stripped."""
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def render(self, template: str, status: int = 200, **context) -> Response:
        """Render a page with the visitor, the navigation and the form token."""
        actor = self.actor
        waiting = self.services.quizflow.waiting_round(self.member) if self.member is not None else None
        context |= {
            "member": self.member,
            "quiz_banner": M.WEB_QUIZ_BANNER.format(
                deadline=self.services.clock.local_text(waiting.deadline)) if waiting is not None else "",
            "nav": navigation(actor, review.is_reviewer(self.services.repository, actor))
            if actor is not None and self.session.stage != SETUP else [],
            "path": self.request.url.path,
            "csrf": self.csrf,
            "csrf_field": CSRF_FIELD,
        }
        return self.finish(self.web.templates.TemplateResponse(self.request, template, context, status_code=status))

    def message(self, title: str, text: str, status: int = 200) -> Response:
        """Render a page that only says something."""
        return self.render("message.html", status=status, title=title, text=text)

    def redirect(self, url: str) -> Response:
        """Answer a form with a redirect (303: the browser follows it with a GET)."""
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: Response) -> Response:
        """Set the cookies the visit decided on."""
        if self.set_login_csrf and self.login_csrf is not None:
            self.web.cookies.set_login_csrf(response, self.login_csrf)
        for action in self.after:
            action(response)
        return response

    def sign_in(self, token: str, session: WebSession) -> None:
        """Give the browser the cookie of a new session."""
        age = int(lifetime(session.stage).total_seconds())
        self.after.append(lambda response: self.web.cookies.set_session(response, token, age))

    def sign_out(self) -> None:
        """Remove the session cookie."""
        self.after.append(self.web.cookies.clear_session)


def attachment(data: bytes, filename: str, media_type: str) -> Response:
    """Return a download: never cached, always saved as a file (RFC 6266 name for Chinese file names)."""
    fallback = "".join(ch if ch.isascii() and ch.isalnum() or ch in "-_." else "_" for ch in filename)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={
        "content-disposition": disposition, "cache-control": "no-store",
    })


class Web:
    """The web channel's shared parts: services, templates, cookies and the one conversation."""

    def __init__(self, services: Services):
        self.services = services
        self.cookies = Cookies(services.keyring, services.settings.web_secure)
        self.conversation = Conversation(services, Html())
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.globals["M"] = M
        self.templates.env.globals["limit"] = limits.limit  # forms say the core's caps as maxlength
        self.templates.env.trim_blocks = True
        self.templates.env.lstrip_blocks = True

    def page(self, handler: Callable[[Visit], Response], who: str = SIGNED_IN, body: int = FORM_BYTES,
             files: int = 0) -> Callable:
        """Wrap a page function: session, form and CSRF check on the event loop, the page in a thread."""

        async def endpoint(request: Request) -> Response:
            visit = Visit(self, request)
            token = self.cookies.session_token(request)
            found = await run_in_threadpool(current, self.services.repository, token) if token else None
            if found is not None:
                visit.session, visit.member, visit.token = found.session, found.member, token
                if found.touched:  # a teacher's session slid: let the cookie slide with it
                    visit.sign_in(token, found.session)
            elif token is not None:
                visit.sign_out()  # a cookie for a session that ended: drop it
            if who != PUBLIC:
                if found is None:
                    return visit.redirect("/login")
                if found.session.stage == SETUP and who != SETUP_ALLOWED:
                    return visit.redirect("/account/password")  # an admin's password comes first
            if found is None:
                visit.login_csrf = self.cookies.login_csrf(request)
            if request.method == "POST":
                refused = await self._read_form(visit, body, files)
                if refused is not None:
                    return refused
            try:
                response = await run_in_threadpool(self._run, handler, visit)
                if "content-disposition" in response.headers and visit.actor is not None:
                    # A file leaves the server: its own audit row, beside the view the page wrote.
                    await run_in_threadpool(access.audit, self.services.repository, visit.actor, "download",
                                            _described(request))
                return response
            finally:
                if visit.form is not None:
                    await visit.form.close()

        return endpoint

    async def _read_form(self, visit: Visit, body: int, files: int) -> Response | None:
        try:
            visit.form = await read_form(visit.request, body, files)
        except TooLarge:
            return visit.message(M.WEB_ERROR_TITLE, M.WEB_TOO_LARGE, status=413)
        except HTTPException:  # a malformed multipart body
            return visit.message(M.WEB_ERROR_TITLE, M.WEB_BAD_REQUEST, status=400)
        expected = self.cookies.session_csrf(visit.token) if visit.token is not None else visit.login_csrf
        if not same_token(expected, visit.field(CSRF_FIELD)):
            return visit.message(M.WEB_FORBIDDEN_TITLE, M.WEB_CSRF, status=403)
        return None

    @staticmethod
    def _run(handler: Callable[[Visit], Response], visit: Visit) -> Response:
        try:
            return handler(visit)
        except AccessDenied as exc:
            # Every refusal of the web is audited here, as Telegram's are in the conversation.
            actor = visit.actor or Actor.operator(M.WEB_SIGN_IN_ACTOR)
            access.audit(visit.services.repository, actor, "refused", _described(visit.request))
            return visit.message(M.WEB_FORBIDDEN_TITLE, str(exc), status=403)
        except NotFound as exc:
            return visit.message(M.WEB_NOT_FOUND_TITLE, str(exc), status=404)
        except XuefaError as exc:
            return visit.message(M.WEB_ERROR_TITLE, str(exc), status=400)
        except Exception:
            # The path only: a query string or a form may hold a question or a name.
            log.exception("error on %s %s", visit.request.method, visit.request.url.path)
            return visit.message(M.WEB_ERROR_TITLE, M.BUSY, status=500)


def _described(request: Request) -> str:
    """Name a request for the audit log: method, path and the report's period and unit, never a form."""
    wanted = {key: request.query_params[key][:100] for key in ("period", "unit") if key in request.query_params}
    shown = "&".join(f"{key}={value}" for key, value in wanted.items())  # readable: the operator reads it
    return f"{request.method} {request.url.path}" + (f"?{shown}" if shown else "")
