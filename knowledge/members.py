"""Members: the roster, roles, one-time invite codes and binding a Telegram account."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from knowledge import messages as M
from knowledge.errors import NotFound, ValidationError, XuefaError
from knowledge.tables import read_table

ROLES = ("teacher", "unit_admin", "bureau_admin", "leader")
_ROLE_WORDS = {label: role for role, label in M.ROLE_LABELS.items()} | {role: role for role in ROLES}
_ROLE_WORDS |= {"老师": "teacher", "管理员": "unit_admin", "校管理员": "unit_admin", "局领导": "leader"}
_STAFF_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_PHONE_NUMBER = re.compile(r"^1\d{10}$")
# No 0/O, 1/I/L: codes are typed from paper as often as tapped from a link.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_FAILED_BINDS = 5
BIND_WINDOW = timedelta(hours=1)
_NAME, _STAFF, _UNIT, _ROLE = M.ROSTER_COLUMNS
_PHONE = M.ROSTER_PHONE_COLUMN


@dataclass
class Member:
    """A person on the roster."""

    id: int
    staff_no: str
    name: str
    unit: str
    role: str
    phone: str = ""
    telegram_id: int | None = None
    chat_id: int | None = None
    active: bool = True
    reachable: bool = True
    joined_at: str = ""
    deactivated_at: str | None = None

    @property
    def role_label(self) -> str:
        """Return the role in Chinese."""
        return M.ROLE_LABELS[self.role]

    @property
    def is_admin(self) -> bool:
        """Tell whether the member administers a unit or the bureau."""
        return self.role in ("unit_admin", "bureau_admin")

    @property
    def sees_all_units(self) -> bool:
        """Tell whether the member may read every unit's records (bureau admins and leaders)."""
        return self.role in ("bureau_admin", "leader")

    def may_read_unit(self, unit: str) -> bool:
        """Tell whether the member may read this unit's records."""
        return self.sees_all_units or (self.role == "unit_admin" and unit == self.unit)

    def may_read_member(self, other: Member) -> bool:
        """Tell whether the member may read another member's study record."""
        return other.id == self.id or self.may_read_unit(other.unit)


@dataclass
class RosterRow:
    """One validated roster line."""

    row: int
    staff_no: str
    name: str
    unit: str
    role: str
    phone: str = ""


@dataclass
class RosterReport:
    """What a roster import changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: list[tuple[int, str]] | None = None

    def describe(self) -> str:
        """Summarise the import in one line, then any skipped rows."""
        lines = [
            M.ROSTER_IMPORTED.format(
                added=self.added, updated=self.updated, unchanged=self.unchanged, deactivated=self.deactivated
            )
        ]
        if self.skipped:
            lines.append(M.ROSTER_SKIPPED.format(n=len(self.skipped)))
            lines += [M.ROW_PROBLEM.format(row=row, reason=reason) for row, reason in self.skipped]
        return "\n".join(lines)


def parse_roster(
    path: Path, *, admin: Member | None = None, skip_invalid: bool = False, repository=None
) -> tuple[list[RosterRow], list]:
    """Read and validate a roster (姓名, 工号, 单位, 角色, 手机); a unit admin may only touch their unit.

    With a repository, a unit admin's rows are also checked against who the 工号 already is:
    a row may not move someone in from another unit or demote a bureau admin or leader.
    """
    table = read_table(path, M.ROSTER_COLUMNS, [M.ROSTER_PHONE_COLUMN])
    rows: list[RosterRow] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, values in table.rows:
        reason = _check_row(values, seen, admin) or _check_existing(values, admin, repository)
        if reason:
            problems.append((number, reason))
            continue
        seen[values[_STAFF].upper()] = number
        rows.append(
            RosterRow(
                number,
                values[_STAFF].upper(),
                values[_NAME],
                values[_UNIT],
                _ROLE_WORDS[values[_ROLE]],
                values.get(_PHONE, ""),
            )
        )
    if problems and not skip_invalid:
        raise ValidationError(str(path), problems)
    if not rows and not problems:
        raise XuefaError(M.ROSTER_EMPTY)
    return rows, problems


def _check_existing(values: dict[str, str], admin: Member | None, repository) -> str | None:
    if repository is None or admin is None or admin.role != "unit_admin":
        return None
    for existing in repository.find_members(values[_STAFF].upper()):
        if existing.staff_no == values[_STAFF].upper() and (
            existing.unit != admin.unit or existing.role in ("bureau_admin", "leader")
        ):
            return M.ROSTER_NOT_YOURS.format(value=values[_STAFF], name=existing.name, unit=existing.unit)
    return None


def _check_row(values: dict[str, str], seen: dict[str, int], admin: Member | None) -> str | None:
    staff_no = values[_STAFF].upper()
    phone = values.get(_PHONE, "").replace(" ", "").replace("-", "")
    values[_PHONE] = phone
    if not values[_NAME]:
        return M.ROSTER_NAME_EMPTY
    if not staff_no:
        return M.ROSTER_STAFF_EMPTY
    if not _STAFF_NO.match(staff_no):
        return M.ROSTER_STAFF_BAD.format(value=values[_STAFF])
    if staff_no in seen:
        return M.ROSTER_STAFF_DUPLICATE.format(value=values[_STAFF], row=seen[staff_no])
    if not values[_UNIT]:
        return M.ROSTER_UNIT_EMPTY
    if values[_ROLE] not in _ROLE_WORDS:
        return M.ROSTER_ROLE_BAD.format(value=values[_ROLE])
    if phone and not _PHONE_NUMBER.match(phone):
        return M.ROSTER_PHONE_BAD.format(value=values.get(_PHONE))
    if admin is not None and admin.role == "unit_admin":
        if values[_UNIT] != admin.unit:
            return M.ROSTER_OTHER_UNIT.format(value=values[_UNIT], unit=admin.unit)
        if _ROLE_WORDS[values[_ROLE]] in ("bureau_admin", "leader"):
            return M.ROSTER_ROLE_FORBIDDEN.format(value=values[_ROLE])
    return None


def new_code() -> str:
    """Return a fresh invite code: 10 characters, about 50 bits, from the unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_hash(code: str) -> str:
    """Hash a code as typed (case and spaces ignored); only hashes are stored."""
    normalized = re.sub(r"[\s-]", "", code).upper()
    return hashlib.sha256(normalized.encode()).hexdigest()


class BindError(XuefaError):
    """A failed attempt to bind a Telegram account with an invite code."""


def bind_account(repository, telegram_id: int, chat_id: int, code: str, now: datetime | None = None) -> Member:
    """Bind a Telegram account to the member an invite code was issued for."""
    now = now or datetime.now(timezone.utc)
    since = (now - BIND_WINDOW).isoformat(timespec="seconds")
    if repository.failed_bind_attempts(telegram_id, since) >= MAX_FAILED_BINDS:
        raise BindError(M.BIND_TOO_MANY)
    already = repository.member_by_telegram(telegram_id)
    if already is not None:
        raise BindError(M.BIND_ALREADY.format(name=already.name))
    invite = repository.invite(code_hash(code))
    if invite is None:
        repository.record_bind_attempt(telegram_id, ok=False)
        raise BindError(M.BIND_WRONG_CODE)
    member_id, used_at = invite
    if used_at is not None:
        repository.record_bind_attempt(telegram_id, ok=False)
        raise BindError(M.BIND_USED_CODE)
    member = repository.member(member_id)
    if member is None or not member.active:
        repository.record_bind_attempt(telegram_id, ok=False)
        raise BindError(M.BIND_INACTIVE)
    if not repository.bind_member(member_id, telegram_id, chat_id, code_hash(code)):
        repository.record_bind_attempt(telegram_id, ok=False)
        raise BindError(M.BIND_USED_CODE)
    repository.record_bind_attempt(telegram_id, ok=True)
    return repository.member(member_id)


def find_member(repository, query: str) -> Member:
    """Find one member by 工号 or 姓名, or raise NotFound saying why."""
    found = repository.find_members(query.strip())
    if not found:
        raise NotFound(M.MEMBER_NOT_FOUND.format(query=query))
    if len(found) > 1:
        names = "、".join(f"{m.name}（{m.unit}，{m.staff_no}）" for m in found[:5])
        raise NotFound(M.MEMBER_AMBIGUOUS.format(query=query, names=names))
    return found[0]
