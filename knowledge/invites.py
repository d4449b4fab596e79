"""One-time invite codes: issued per person, used once on Telegram or the web, rate-limited, expiring.

A code is stored only as a keyed hash (knowledge.keys), with its expiry. Redeeming it is one
rule for every channel: the code exists, is unused and unexpired, its member is active, and the
one asking has not failed too often lately.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from knowledge import access
from knowledge import messages as M
from knowledge.clock import iso
from knowledge.errors import XuefaError
from knowledge.keys import Keyring
from knowledge.members import Member

if TYPE_CHECKING:
    from knowledge.store import Repository
    from knowledge.store.members import Claim

# No 0/O, 1/I/L: codes are typed from paper as often as tapped from a link.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # about 50 bits
DEFAULT_EXPIRY_DAYS = 30
MAX_EXPIRY_DAYS = 366
MAX_FAILED = 5  # failed attempts of one subject within WINDOW lock it out for the rest of the window
WINDOW = timedelta(hours=1)


class BindError(XuefaError):
    """A code that cannot be redeemed, with the reason for the person who typed it.

    locks names the subjects this failure locked out (for the audit log), locked those that
    were locked already, so that nothing was checked.
    """

    def __init__(self, message: str, locks: list[str] | None = None, locked: list[str] | None = None):
        super().__init__(message)
        self.locks = locks or []
        self.locked = locked or []


@dataclass
class IssuedCode:
    """A fresh code for one member; rebinding when the member already has an account (Telegram or web)."""

    member: Member
    code: str
    expires_at: str
    rebinding: bool = False


@dataclass
class Bound:
    """An account bound with a code, and the address of the account it replaced on that channel, if any."""

    member: Member
    replaced_address: str | None = None


def new_code() -> str:
    """Return a fresh invite code: 10 characters from the unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def issue_codes(
    repository: Repository, keyring: Keyring, members: list[Member], days: int = DEFAULT_EXPIRY_DAYS,
    rebind: bool = False, telegram_only: bool = False,
) -> list[IssuedCode]:
    """Issue a code to each active member without an account (with rebind, to those with one too).

    An account is a bound Telegram account or the use of the web (a password, a live session): a
    code signs in on the web and resets an admin's password, so a slip printed for someone already
    in would let whoever holds it take the account over. Such people get one only on purpose.
    A new code replaces the member's unused ones. Nothing is stored but keyed hashes. A
    telegram_only code (the web's account page) binds Telegram and never signs in on the web.
    """
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise XuefaError(M.CODES_BAD_EXPIRY.format(days=days, high=MAX_EXPIRY_DAYS))
    now = repository.clock.now()
    on_web = repository.web_accounts([member.id for member in members], iso(now))
    expires_at = iso(now + timedelta(days=days))
    issued = []
    for member in members:
        has_account = bool(member.channels) or member.id in on_web
        if member.active and (rebind or not has_account):
            issued.append(IssuedCode(member, new_code(), expires_at, rebinding=has_account))
    repository.replace_invite_codes(
        [(item.member.id, keyring.code(item.code), expires_at) for item in issued], telegram_only=telegram_only
    )
    return issued


def locked_out(repository: Repository, subjects: list[tuple[str, int]]) -> bool:
    """Tell whether any subject (an account, a 工号, an address) failed its limit of times within WINDOW.

    The one rate rule of every sign-in: Telegram codes here, web codes and passwords in websessions.
    """
    since = iso(repository.clock.now() - WINDOW)
    return any(repository.failed_sign_ins(subject, since) >= limit for subject, limit in subjects)


def _check_rate(repository: Repository, subjects: list[tuple[str, int]]) -> None:
    if locked_out(repository, subjects):
        raise BindError(M.BIND_TOO_MANY)


def record_attempt(repository: Repository, subjects: list[tuple[str, int]], ok: bool) -> None:
    """Count one sign-in attempt against every subject it was made as (what locked_out reads)."""
    for subject, _ in subjects:
        repository.record_sign_in(subject, ok=ok)


def claim(repository: Repository, subjects: list[tuple[str, int]]) -> Claim:
    """Count an attempt against its subjects before checking it, atomically; BindError when one is locked.

    Counted first, as failed, and marked good (settle_sign_in) only once it proved right: however
    many attempts arrive at once, no more than the limit are ever checked.
    """
    claimed = repository.claim_sign_in(subjects, iso(repository.clock.now() - WINDOW))
    if claimed.locked:
        raise BindError(M.BIND_TOO_MANY, locked=claimed.locked)
    return claimed


def redeem(
    repository: Repository, keyring: Keyring, code: str, subjects: list[tuple[str, int]], used_on: str,
    staff_no: str | None = None,
) -> Member:
    """Use up a code and return its member, or raise BindError saying why not.

    subjects are (who is asking, how many failures an hour they are allowed): a Telegram account,
    a staff number typed on the web sign-in page, a client address. staff_no, when given, must
    be the code's member (the web asks for both; a wrong pair is a wrong code).
    """
    claimed = claim(repository, subjects)
    digest = keyring.code(code)
    invite = repository.invite(digest)
    member = repository.member(invite.member_id) if invite is not None else None
    reason = None
    if invite is None or (staff_no is not None and (member is None or member.staff_no != staff_no.strip().upper())):
        reason = M.BIND_WRONG_CODE
    elif used_on != "telegram" and invite.telegram_only:
        reason = M.BIND_WRONG_CODE  # a code from the account page: Telegram only (issue 17)
    elif invite.used_at is not None:
        reason = M.BIND_USED_CODE
    elif invite.replaced_at is not None:
        reason = M.BIND_REPLACED_CODE
    elif invite.expires_at is not None and invite.expires_at <= repository.now():
        reason = M.BIND_EXPIRED_CODE
    elif member is None or not member.active:
        reason = M.BIND_INACTIVE
    elif not repository.use_code(digest, used_on):
        reason = M.BIND_USED_CODE  # another attempt won the race
    if reason is not None:
        raise BindError(reason, locks=claimed.locks)  # the attempt stays counted as failed
    repository.settle_sign_in(claimed.ids)
    return member


def bind_account(
    repository: Repository, keyring: Keyring, channel: str, external_id: str, address: str, code: str
) -> Bound:
    """Bind an account on a channel to the member a code was issued for; the code is used up."""
    external_id = str(external_id)
    subjects = [(access.account_subject(channel, external_id), MAX_FAILED)]
    _check_rate(repository, subjects)
    already = repository.member_by_account(channel, external_id)
    if already is not None:
        raise BindError(M.BIND_ALREADY.format(name=already.name))
    # Not one transaction: a refused code must leave its failed attempt recorded. The code is used
    # up atomically first, and binding the account after it cannot fail for another reason.
    member = redeem(repository, keyring, code, subjects, channel)
    previous = repository.bind_account(
        member.id, channel, external_id, address, "code", keyring.account(channel, external_id)
    )
    replaced = previous.destination if previous is not None and previous.destination != str(address) else None
    return Bound(repository.member(member.id), replaced)
