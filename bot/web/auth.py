"""Signing in and out, the password of admins and leaders, and the member's own account page.

The rules (codes, rate limits, lifetimes, password policy, audit) are knowledge.websessions';
this module only reads forms and sets cookies.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.web.pages import PUBLIC, SETUP_ALLOWED, Visit, Web
from bot.web.security import client_address
from knowledge import access
from knowledge import messages as M
from knowledge.access import AccessDenied
from knowledge.errors import XuefaError
from knowledge.invites import issue_codes
from knowledge.websessions import (
    PASSWORD_MIN,
    SETUP,
    STAFF,
    SignInError,
    confirm_password,
    end_session,
    needs_password,
    sessions_of,
    set_password,
    sign_in_with_code,
    sign_in_with_password,
)

TELEGRAM_CODE_DAYS = 1


def home(visit: Visit) -> Response:
    """Send admins and leaders to their numbers, everyone else to the chat."""
    if visit.member is None:
        return visit.redirect("/login")
    return visit.redirect("/dashboard" if needs_password(visit.member) else "/chat")


def login_page(visit: Visit, error: str | None = None, status: int = 200, staff_no: str = "") -> Response:
    """Show the two ways to sign in: 工号 + invite code, and 工号 + password for admins and leaders."""
    if visit.member is not None and error is None:
        return visit.redirect("/")
    # A slip's QR code opens /login?staff_no=…&code=…: the form comes filled in, and nothing is used up
    # until the person presses the button (a GET never signs in).
    query = visit.request.query_params if visit.request.method == "GET" else {}
    staff_no = staff_no or query.get("staff_no", "")[:32]
    code = query.get("code", "")[:40]
    return visit.render("login.html", status=status, title=M.WEB_LOGIN_TITLE, error=error, staff_no=staff_no,
                        code=code)


def login_with_code(visit: Visit) -> Response:
    """Use up an invite code: a teacher is signed in, an admin or leader goes on to set a password."""
    staff_no, repository = visit.field("staff_no"), visit.services.repository
    try:
        opened = sign_in_with_code(
            repository, visit.services.keyring, staff_no, visit.field("code"), client_address(visit.request),
            visit.request.headers.get("user-agent", ""),
        )
    except SignInError as exc:
        return login_page(visit, str(exc), status=400, staff_no=staff_no[:32])
    visit.sign_in(opened.token, opened.session)
    return visit.redirect("/account/password" if opened.session.stage == SETUP else "/")


def login_with_password(visit: Visit) -> Response:
    """Sign an admin or leader in with 工号 and password, for one working day."""
    staff_no = visit.field("staff_no")
    try:
        opened = sign_in_with_password(
            visit.services.repository, staff_no, visit.field("password"), client_address(visit.request),
            visit.request.headers.get("user-agent", ""),
        )
    except SignInError as exc:
        return login_page(visit, str(exc), status=400, staff_no=staff_no[:32])
    visit.sign_in(opened.token, opened.session)
    return visit.redirect("/")


def logout(visit: Visit) -> Response:
    """End this browser's session."""
    end_session(visit.services.repository, visit.member, visit.session.id)
    visit.sign_out()
    return visit.redirect("/login")


def account(visit: Visit, notice: str | None = None, error: str | None = None, code=None,
            status: int = 200) -> Response:
    """Show who is signed in, their sessions (to end any), the password and the Telegram code."""
    member = visit.member
    clock = visit.services.clock
    sessions = [
        {
            "id": item.id, "this": item.id == visit.session.id,
            "line": M.WEB_SESSION_LINE.format(
                agent=item.user_agent, created=clock.local_text(item.created_at),
                seen=clock.local_text(item.last_seen_at), expires=clock.local_text(item.expires_at),
            ),
        }
        for item in sessions_of(visit.services.repository, member)
    ]
    username = visit.services.settings.bot_username
    return visit.render(
        "account.html", status=status, title=M.WEB_ACCOUNT_TITLE, sessions=sessions, notice=notice, error=error,
        who=M.WEB_ACCOUNT_WHO.format(name=member.name, staff_no=member.staff_no, unit=member.unit,
                                     role=member.role_label),
        has_password=needs_password(member), code=code,
        link=f"https://t.me/{username}?start={code.code}" if code is not None and username else None,
        code_text=M.WEB_TELEGRAM_CODE.format(code=code.code, expires=clock.local_text(code.expires_at)) if code else "",
    )


def password_page(visit: Visit, error: str | None = None, status: int = 200) -> Response:
    """Ask an admin or leader for a password: first after a code sign-in, or to change it."""
    if not needs_password(visit.member):
        raise AccessDenied(M.WEB_PASSWORD_NOT_NEEDED)
    setup = visit.session.stage == SETUP
    return visit.render(
        "password.html", status=status, error=error, setup=setup,
        title=M.WEB_PASSWORD_TITLE if setup else M.WEB_PASSWORD_CHANGE_TITLE,
        hint=M.WEB_PASSWORD_SETUP_HINT.format(role=visit.member.role_label, n=PASSWORD_MIN) if setup else "",
    )


def password_save(visit: Visit) -> Response:
    """Store the password; after a code sign-in the working day starts now."""
    setup = visit.session.stage == SETUP
    try:
        set_password(
            visit.services.repository, visit.session, visit.member, visit.field("new"), visit.field("repeat"),
            None if setup else visit.field("current"),
        )
    except AccessDenied:
        raise
    except XuefaError as exc:
        return password_page(visit, str(exc), status=400)
    if setup:
        visit.session.stage = STAFF
        visit.sign_in(visit.token, visit.session)  # the cookie now lives as long as the working day
        return visit.redirect("/")
    return account(visit, notice=M.WEB_PASSWORD_SAVED)


def end_one_session(visit: Visit) -> Response:
    """End one of the member's sessions (this one signs out)."""
    try:
        session_id = int(visit.field("session"))
    except ValueError:
        session_id = -1
    if not end_session(visit.services.repository, visit.member, session_id):
        return account(visit, error=M.WEB_SESSION_NOT_FOUND, status=404)
    if session_id == visit.session.id:
        visit.sign_out()
        return visit.redirect("/login")
    return account(visit, notice=M.WEB_SESSION_ENDED)


def telegram_code(visit: Visit) -> Response:
    """Give a member signed in on the web a fresh code for Telegram, so the bureau never issues two.

    The code binds Telegram only: it never signs in on the web nor resets a password. An admin or
    leader confirms it with their current password, so a borrowed session cannot hand their
    account's Telegram side to someone else (issue 17).
    """
    services = visit.services
    if needs_password(visit.member):
        try:
            confirm_password(services.repository, visit.member, visit.field("password"), client_address(visit.request))
        except SignInError as exc:
            return account(visit, error=str(exc), status=400)
    [issued] = issue_codes(services.repository, services.keyring, [visit.member], TELEGRAM_CODE_DAYS, rebind=True,
                           telegram_only=True)
    access.audit(services.repository, visit.actor, "codes", M.WEB_TELEGRAM_TITLE)
    return account(visit, code=issued)


def routes(web: Web) -> list[Route]:
    """Return the sign-in and account routes."""
    return [
        Route("/", web.page(home, who=PUBLIC), methods=["GET"]),
        Route("/login", web.page(login_page, who=PUBLIC), methods=["GET"]),
        Route("/login", web.page(login_with_code, who=PUBLIC), methods=["POST"]),
        Route("/login/password", web.page(login_with_password, who=PUBLIC), methods=["POST"]),
        Route("/logout", web.page(logout, who=SETUP_ALLOWED), methods=["POST"]),
        Route("/account", web.page(account), methods=["GET"]),
        Route("/account/password", web.page(password_page, who=SETUP_ALLOWED), methods=["GET"]),
        Route("/account/password", web.page(password_save, who=SETUP_ALLOWED), methods=["POST"]),
        Route("/account/sessions/end", web.page(end_one_session), methods=["POST"]),
        Route("/account/telegram", web.page(telegram_code), methods=["POST"]),
    ]
