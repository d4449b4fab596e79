"""Signing in on the web: who needs a password, how long a browser stays signed in, what a password must be.

The rules, free of any web framework; bot.web turns them into cookies and pages.

- Everyone signs in the first time with their 工号 and the same one-time invite code as on
  Telegram (knowledge.invites.redeem: a code is used once, on whichever channel comes first).
- Teachers then stay signed in for TEACHER_DAYS after their last visit (sliding): a phone inside
  WeChat's browser should not ask again every week.
- Admins and leaders see other people's records: after the code they must set a password
  (argon2id), and their sessions end STAFF_HOURS after sign-in, a working day, however busy.
  Later they sign in with 工号 and password; a new code from the bureau lets them set a new one.
- Failed sign-ins count against the pair of typed 工号 and client address (the same table and
  window as Telegram's wrong codes), counted before they are checked, so that a burst sent at
  once is checked no more than the limit; passwords also against the address alone. Guesses
  from one address lock nobody out elsewhere, and a school's shared address full of typos
  blocks no teacher with a valid code (issue 17). Failures, lockouts and successful sign-ins
  are written to the audit log.
- The session row holds the SHA-256 of a random token, never the token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from knowledge import access
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.clock import iso
from knowledge.errors import XuefaError
from knowledge.invites import MAX_FAILED, WINDOW, BindError, claim, redeem
from knowledge.keys import Keyring
from knowledge.members import Member
from knowledge.store import Repository, WebSession

TEACHER_DAYS = 180  # sliding: from the last visit
STAFF_HOURS = 10  # absolute: from sign-in, a working day
SETUP_MINUTES = 30  # a code sign-in of an admin or leader, until the password is set
TOUCH_EVERY = timedelta(minutes=5)  # last-seen is written at most this often, not on every page
ADDRESS_LIMIT = 30  # failed passwords an hour from one client address, whatever the 工号 (spraying)
PASSWORD_MIN, PASSWORD_MAX = 10, 128
# zxcvbn's score: 3 is "safely unguessable" (about 10^8 guesses and more), what an account that
# sees other people's records needs against online guessing and a stolen hash.
PASSWORD_SCORE = 3

MEMBER, STAFF, SETUP = "member", "staff", "password"
_STAFF_NO = re.compile(r"[A-Za-z0-9_-]{1,32}")


class SignInError(BindError):
    """A sign-in that failed, with the reason for the person at the sign-in page."""


@dataclass
class Opened:
    """A fresh session: the token for the browser's cookie (shown once) and the stored row."""

    token: str
    session: WebSession
    member: Member


def needs_password(member: Member) -> bool:
    """Tell whether a member signs in with a password: everyone who sees other people's records."""
    return member.role != access.TEACHER


def token_hash(token: str) -> str:
    """Return the SHA-256 of a session token, the only form in which the database keeps it."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def subjects(staff_no: str, address: str) -> list[tuple[str, int]]:
    """Return what a web code sign-in is rate-limited by: the pair of typed 工号 and client address."""
    return [(f"web:{staff_no.strip().upper()[:32]}@{address}", MAX_FAILED)]


def password_subjects(staff_no: str, address: str) -> list[tuple[str, int]]:
    """Return what a password is rate-limited by: the pair, and the address alone (many 工号, one guesser)."""
    return [*subjects(staff_no, address), ("pw-ip:" + address, ADDRESS_LIMIT)]


def lifetime(stage: str) -> timedelta:
    """Return how long a session of a stage lasts (for a member: since the last visit)."""
    return {
        MEMBER: timedelta(days=TEACHER_DAYS),
        STAFF: timedelta(hours=STAFF_HOURS),
        SETUP: timedelta(minutes=SETUP_MINUTES),
    }[stage]


# --- signing in --------------------------------------------------------------------------


def sign_in_with_code(
    repository: Repository, keyring: Keyring, staff_no: str, code: str, address: str, user_agent: str
) -> Opened:
    """Use up an invite code typed with its 工号 and open a session (an admin's must set a password next).

    A wrong pair answers exactly like a wrong code; every failure is counted and audited.
    """
    try:
        member = redeem(repository, keyring, code, subjects(staff_no, address), "web", staff_no=staff_no)
    except BindError as exc:
        _audit_failure(repository, staff_no, "code", str(exc), address, exc.locks)
        raise SignInError(str(exc)) from None
    access.audit(repository, Actor.of(member), "web-sign-in", M.WEB_AUDIT_BY_CODE.format(address=address))
    return open_session(repository, member, SETUP if needs_password(member) else MEMBER, user_agent)


def sign_in_with_password(
    repository: Repository, staff_no: str, password: str, address: str, user_agent: str
) -> Opened:
    """Check an admin's or leader's 工号 and password and open a working-day session.

    Whatever is wrong (no such 工号, a teacher, no password set yet, a wrong password), the answer
    is the same and takes as long, so the page tells nobody who has an account.
    """
    claimed = _claim(repository, password_subjects(staff_no, address), staff_no, address)
    member = _member(repository, staff_no)
    stored = repository.web_password(member.id) if member is not None and needs_password(member) else None
    if not _verify(stored, password):  # the slow part, after the attempt was counted
        _audit_failure(repository, staff_no, "password", M.WEB_WRONG_PASSWORD, address, claimed.locks)
        raise SignInError(M.WEB_WRONG_PASSWORD)
    repository.settle_sign_in(claimed.ids)
    if _hasher().check_needs_rehash(stored):  # the cost parameters were raised since it was set
        repository.set_web_password(member.id, _hasher().hash(password))
    access.audit(repository, Actor.of(member), "web-sign-in", M.WEB_AUDIT_BY_PASSWORD.format(address=address))
    return open_session(repository, member, STAFF, user_agent)


CHANNEL = "web"  # the web app's name in the accounts table


def open_session(repository: Repository, member: Member, stage: str, user_agent: str) -> Opened:
    """Store a new session for a member and return it with its token."""
    repository.purge_web_sessions(repository.now())  # sign-ins are rare: a fine moment to drop expired rows
    token = secrets.token_urlsafe(32)
    expires_at = iso(repository.clock.now() + lifetime(stage))
    repository.note_account(member.id, CHANNEL)  # a web user is reachable where the web runs
    session = repository.add_web_session(
        token_hash(token), member.id, member.role, stage, expires_at, agent_summary(user_agent)
    )
    return Opened(token, session, member)


def _claim(repository: Repository, limited: list[tuple[str, int]], staff_no: str, address: str):
    try:
        return claim(repository, limited)
    except BindError as exc:
        _audit_failure(repository, staff_no, "password", str(exc), address)
        raise SignInError(str(exc)) from None


def confirm_password(repository: Repository, member: Member, password: str, address: str) -> None:
    """Check an admin's or leader's current password before something only they may do (a Telegram code).

    Counted like a sign-in, against the member's 工号 and the address: a borrowed session cannot
    guess its way through either.
    """
    claimed = _claim(repository, password_subjects(member.staff_no, address), member.staff_no, address)
    if not _verify(repository.web_password(member.id), password):
        _audit_failure(repository, member.staff_no, "password", M.WEB_PASSWORD_CURRENT_WRONG, address, claimed.locks)
        raise SignInError(M.WEB_PASSWORD_CURRENT_WRONG)
    repository.settle_sign_in(claimed.ids)


def _member(repository: Repository, staff_no: str) -> Member | None:
    wanted = staff_no.strip().upper()
    if not _STAFF_NO.fullmatch(wanted):
        return None
    found = [m for m in repository.find_members(wanted) if m.staff_no == wanted and m.active]
    return found[0] if found else None


def _audit_failure(
    repository: Repository, staff_no: str, method: str, reason: str, address: str, locks: list[str] = (),
) -> None:
    typed = staff_no.strip().upper()
    shown = typed if _STAFF_NO.fullmatch(typed) else M.WEB_AUDIT_MALFORMED
    detail = M.WEB_AUDIT_FAILED.format(staff_no=shown, method=method, reason=reason, address=address)
    actor = Actor.operator(M.WEB_SIGN_IN_ACTOR)
    access.audit(repository, actor, "web-sign-in-failed", detail)
    if locks:  # this failure starts a lockout: its own line, so the operator sees it at a glance
        by_address = any(subject.startswith("pw-ip:") for subject in locks)
        access.audit(repository, actor, "web-lockout", M.WEB_AUDIT_LOCKOUT.format(
            staff_no=shown, address=address, scope=M.WEB_LOCKOUT_ADDRESS if by_address else M.WEB_LOCKOUT_PAIR,
            minutes=int(WINDOW.total_seconds() // 60),
        ))


# --- the session of a request ---------------------------------------------------------------


@dataclass
class Current:
    """The session a request carries, its member, and whether its expiry was just extended."""

    session: WebSession
    member: Member
    touched: bool = False


def current(repository: Repository, token: str) -> Current | None:
    """Return the live session of a token, or None: unknown, expired, or its member left or changed role.

    A teacher's session slides: each visit (at most every TOUCH_EVERY) moves its end TEACHER_DAYS on.
    """
    session = repository.web_session(token_hash(token))
    now = repository.clock.now()
    if session is None or session.expires_at <= iso(now):
        return None
    member = repository.member(session.member_id)
    if member is None or not member.active or member.role != session.role:
        repository.end_web_session(session.member_id, session.id)  # its rights no longer hold
        return None
    if now - datetime.fromisoformat(session.last_seen_at) < TOUCH_EVERY:
        return Current(session, member)
    expires_at = iso(now + lifetime(MEMBER)) if session.stage == MEMBER else session.expires_at
    repository.touch_web_session(session.id, iso(now), expires_at)
    session.last_seen_at, session.expires_at = iso(now), expires_at
    return Current(session, member, touched=True)


def sessions_of(repository: Repository, member: Member) -> list[WebSession]:
    """Return a member's live sessions, most recently used first."""
    return repository.web_sessions(member.id, repository.now())


def end_session(repository: Repository, member: Member, session_id: int) -> bool:
    """End one of the member's own sessions (signing out, or from the sessions page)."""
    ended = repository.end_web_session(member.id, session_id)
    if ended:
        access.audit(repository, Actor.of(member), "web-sign-out", str(session_id))
    return ended


# --- passwords ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's RFC 9106 defaults


@lru_cache(maxsize=1)
def _decoy() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def _verify(stored: str | None, password: str) -> bool:
    try:
        # Without a stored hash a decoy is checked, so an unknown 工号 costs the same time as a known one.
        return _hasher().verify(stored or _decoy(), password[:PASSWORD_MAX]) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password(password: str, member: Member) -> None:
    """Raise XuefaError saying what is wrong with a new password, in words for the person choosing it."""
    if len(password) < PASSWORD_MIN:
        raise XuefaError(M.WEB_PASSWORD_SHORT.format(n=PASSWORD_MIN))
    if len(password) > PASSWORD_MAX:
        raise XuefaError(M.WEB_PASSWORD_LONG.format(n=PASSWORD_MAX))
    lowered = password.lower()
    if member.staff_no.lower() in lowered or (member.phone and member.phone in password):
        raise XuefaError(M.WEB_PASSWORD_PERSONAL)
    if len(set(password)) < 4 or password.isdigit():
        raise XuefaError(M.WEB_PASSWORD_WEAK)
    personal = [member.staff_no, member.name, member.unit, member.phone or "", "xuefa", "学法", "学法助手"]
    if zxcvbn(password, user_inputs=[word for word in personal if word])["score"] < PASSWORD_SCORE:
        raise XuefaError(M.WEB_PASSWORD_GUESSABLE)


def set_password(
    repository: Repository, session: WebSession, member: Member, password: str, repeated: str,
    current_password: str | None = None,
) -> None:
    """Set a member's password from a signed-in session, and start their working day.

    A session that signed in with a code sets the password without the old one (the code proved
    who it is: that is how a forgotten password is reset); otherwise the current one is asked.
    Every other session of the member ends: whoever knew the old password is signed out.
    """
    if not needs_password(member):
        raise access.AccessDenied(M.WEB_PASSWORD_NOT_NEEDED)
    if session.stage != SETUP and not _verify(repository.web_password(member.id), current_password or ""):
        raise XuefaError(M.WEB_PASSWORD_CURRENT_WRONG)
    if password != repeated:
        raise XuefaError(M.WEB_PASSWORD_MISMATCH)
    check_password(password, member)
    repository.set_web_password(member.id, _hasher().hash(password))
    repository.end_other_web_sessions(member.id, session.id)
    if session.stage == SETUP:
        expires_at = iso(repository.clock.now() + lifetime(STAFF))
        repository.promote_web_session(session.id, STAFF, expires_at)
    access.audit(repository, Actor.of(member), "web-password", "")


# --- how a browser is named on the sessions page -----------------------------------------------

_APPS = (("MicroMessenger", "微信"), ("wxwork", "企业微信"), ("DingTalk", "钉钉"), ("Edg/", "Edge"),
         ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("HarmonyOS", "HarmonyOS"),
            ("Windows", "Windows"), ("Mac OS X", "Mac"), ("Linux", "Linux"))


def agent_summary(user_agent: str) -> str:
    """Name a browser by app and system (微信 · Android): enough to recognise it, not a fingerprint."""
    app = next((name for needle, name in _APPS if needle in user_agent), "")
    system = next((name for needle, name in _SYSTEMS if needle in user_agent), "")
    return " · ".join(part for part in (app, system) if part) or M.WEB_AGENT_UNKNOWN
