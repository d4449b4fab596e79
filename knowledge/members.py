"""Members: the roster, roles, and when each person is on it (invite codes live in knowledge.invites)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge import limits
from knowledge import messages as M
from knowledge.errors import ValidationError, XuefaError
from knowledge.tables import read_table

if TYPE_CHECKING:
    from knowledge.store import Repository

ROLES = ("teacher", "unit_admin", "bureau_admin", "leader")
_ROLE_WORDS = {label: role for role, label in M.ROLE_LABELS.items()} | {role: role for role in ROLES}
_ROLE_WORDS |= {"老师": "teacher", "管理员": "unit_admin", "校管理员": "unit_admin", "局领导": "leader"}
# A 法治副校长 (or 法律顾问) is on the roster with a teacher's rights and reviews their own unit's questions.
REVIEWER_WORDS = (M.ROLE_REVIEWER, "法律顾问", "reviewer")
_ROLE_WORDS |= {word: "teacher" for word in REVIEWER_WORDS}
_STAFF_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_PHONE_NUMBER = re.compile(r"^1\d{10}$")
_NAME, _STAFF, _UNIT, _ROLE = M.ROSTER_COLUMNS
_PHONE = M.ROSTER_PHONE_COLUMN
_PARENT = M.ROSTER_PARENT_COLUMN
# The header words other systems (HR, 教育管理系统, a hand-made sheet) use for our columns.
ROSTER_SYNONYMS = {
    "名字": _NAME, "姓名（必填）": _NAME, "教师姓名": _NAME, "人员姓名": _NAME,
    "编号": _STAFF, "职工号": _STAFF, "教职工号": _STAFF, "工作证号": _STAFF, "人员编号": _STAFF, "教师编号": _STAFF,
    "学校": _UNIT, "所在单位": _UNIT, "单位名称": _UNIT, "工作单位": _UNIT, "所在学校": _UNIT, "学校名称": _UNIT,
    "身份": _ROLE, "用户角色": _ROLE, "人员类别": _ROLE,
    "电话": _PHONE, "手机号": _PHONE, "手机号码": _PHONE, "联系电话": _PHONE, "电话号码": _PHONE,
    "上级": _PARENT, "所属学区": _PARENT, "学区": _PARENT, "中心学校": _PARENT, "所属中心学校": _PARENT,
}


def is_roster(header: list[str]) -> bool:
    """Tell whether a sheet's header names a roster (in our words or the synonyms)."""
    from knowledge.tables import canonical_header

    return set(M.ROSTER_COLUMNS) <= set(canonical_header(header, ROSTER_SYNONYMS))
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass
class Member:
    """A person on the roster."""

    id: int
    staff_no: str
    name: str
    unit: str
    role: str
    phone: str = ""
    channels: tuple[str, ...] = ()  # the channels the member has an account on (telegram, web, wecom, ...)
    active: bool = True
    reachable: bool = True  # reachable on at least one channel this deployment runs (see Database.live_channels)
    joined_at: str = ""
    deactivated_at: str | None = None

    @property
    def role_label(self) -> str:
        """Return the role in Chinese."""
        return M.ROLE_LABELS[self.role]

    @property
    def tenure(self) -> Tenure:
        """Return when the member is on the roster."""
        return Tenure(self.joined_at, self.deactivated_at)


@dataclass(frozen=True)
class Account:
    """A member's account on one channel: who they are there, and where messages to them go."""

    member_id: int
    channel: str
    external_id: str
    address: str
    reachable: bool = True
    source: str = ""

    @property
    def destination(self) -> str:
        """Return where to send: the address, or the external id where the two are the same (WeCom, DingTalk)."""
        return self.address or self.external_id


@dataclass(frozen=True)
class Tenure:
    """When a member is on the roster: from joining until deactivation, as stored (UTC ISO text).

    This is the one definition of 应参加: a member counts for a round when on the roster at its
    deadline, i.e. joined at or before it and not deactivated at or before it. count_in() and
    covering() are the same rule over sorted lists, for reports over thousands of members.
    """

    joined_at: str
    left_at: str | None = None

    def covers(self, moment: str) -> bool:
        """Tell whether the member is on the roster at a moment (a round's deadline)."""
        return self.joined_at <= moment and (self.left_at is None or moment < self.left_at)

    def count_in(self, moments: list[str]) -> int:
        """Count the sorted moments the tenure covers."""
        end = bisect.bisect_left(moments, self.left_at) if self.left_at else len(moments)
        return max(0, end - bisect.bisect_left(moments, self.joined_at))

    @staticmethod
    def covering(moment: str, joined: list[str], left: list[str]) -> int:
        """Count the tenures that cover a moment, given every tenure's sorted starts and sorted ends."""
        return bisect.bisect_right(joined, moment) - bisect.bisect_right(left, moment)


@dataclass
class RosterRow:
    """One validated roster line."""

    row: int
    staff_no: str
    name: str
    unit: str
    role: str
    phone: str = ""
    parent: str = ""  # 上级单位, when the roster names one
    reviewer: bool = False  # roster role 法治副校长: reviewer of their own unit


@dataclass
class RosterReport:
    """What a roster import changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: list[tuple[int, str]] | None = None

    def summary(self, unit: str | None) -> str:
        """Say what the import changed in a few words, for the audit log (no names)."""
        return M.ROSTER_AUDIT.format(unit=unit or M.REPORT_ALL_UNITS, added=self.added, updated=self.updated,
                                     deactivated=self.deactivated, skipped=len(self.skipped or []))

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
    path: Path, *, unit: str | None = None, skip_invalid: bool = False, repository: Repository | None = None,
    rows: list[tuple[int, list[str]]] | None = None, units: frozenset[str] | None = None,
) -> tuple[list[RosterRow], list[tuple[int, str]]]:
    """Read and validate a roster (姓名, 工号, 单位, 角色; optional 手机, 上级单位).

    unit is the unit of a unit admin's upload (access.roster_scope) and units the scope below it
    (access.scope_units; just the unit when not given): every row must be of a unit in the scope
    (or a new one whose 上级单位 is), may not name a bureau admin or a leader, and, with a
    repository, may not touch a 工号 that belongs to someone outside the scope. Such rows are
    refused without saying who they are.
    """
    table = read_table(path, M.ROSTER_COLUMNS, [_PHONE, _PARENT], rows, ROSTER_SYNONYMS, M.ROSTER_MISSING_COLUMNS)
    found: list[RosterRow] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    parents: dict[str, tuple[str, int]] = {}
    scope = (units or frozenset({unit})) if unit is not None else None
    checked = []
    for number, values in table.rows:
        reason = _check_row(values, seen, unit, scope) or _check_parent(values, parents, unit)
        if reason:
            problems.append((number, reason))
            continue
        seen[values[_STAFF].upper()] = number
        if values.get(_PARENT):
            parents.setdefault(values[_UNIT], (values[_PARENT], number))
        checked.append((number, values))
    if problems and not skip_invalid:
        # Refused on what the file says alone: who holds which 工号 elsewhere is asked only of a file
        # that would otherwise be imported, so a refused file answers another unit's 工号 and an
        # unknown one alike and no probe comes for free (issue 17).
        raise ValidationError(str(path), problems)
    for number, values in checked:
        reason = _check_existing(values, unit, scope, repository)
        if reason:
            problems.append((number, reason))
            continue
        found.append(
            RosterRow(
                number,
                values[_STAFF].upper(),
                values[_NAME],
                values[_UNIT],
                _ROLE_WORDS[values[_ROLE]],
                values.get(_PHONE, ""),
                values.get(_PARENT, ""),
                reviewer=values[_ROLE] in REVIEWER_WORDS,
            )
        )
    problems.sort()
    if problems and not skip_invalid:
        raise ValidationError(str(path), problems)
    if not found and not problems:
        raise XuefaError(M.ROSTER_EMPTY)
    return found, problems


def _check_parent(values: dict[str, str], parents: dict[str, tuple[str, int]], unit: str | None) -> str | None:
    parent = values.get(_PARENT, "")
    if not parent:
        return None
    if unsafe_text(parent):
        return M.ROSTER_TEXT_UNSAFE.format(column=_PARENT)
    if parent == values[_UNIT]:
        return M.UNIT_OWN_PARENT.format(unit=parent)
    if unit is not None and values[_UNIT] == unit:
        return M.ROSTER_PARENT_FORBIDDEN.format(unit=unit)
    earlier = parents.get(values[_UNIT])
    if earlier and earlier[0] != parent:
        return M.UNIT_PARENT_CONFLICT.format(unit=values[_UNIT], row=earlier[1], parent=parent, other=earlier[0])
    return None


def _check_existing(
    values: dict[str, str], unit: str | None, scope: frozenset[str] | None, repository: Repository | None
) -> str | None:
    if repository is None or scope is None:
        return None
    staff_no = values[_STAFF].upper()
    for existing in repository.find_members(staff_no):
        outside = existing.unit not in scope or existing.role in ("bureau_admin", "leader")
        if existing.staff_no == staff_no and outside:
            # Same words whoever it is: an upload must not teach a unit admin who works where.
            return M.ROSTER_NOT_YOURS.format(value=values[_STAFF], unit=unit)
    return None


def roster_units(rows: list[RosterRow]) -> list[str]:
    """Return every unit the rows name, as a unit or a 上级单位, in order of appearance."""
    return list(dict.fromkeys(name for row in rows for name in (row.parent, row.unit) if name))


def unsafe_text(text: str) -> bool:
    """Tell whether text could run as a spreadsheet formula or hides control characters.

    Excel and LibreOffice treat a cell starting with = + - @ as a formula (CSV injection), and a
    control character can hide text or break a file; names and units never need either.
    """
    return text[:1] in FORMULA_STARTS or any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text)


def _check_row(
    values: dict[str, str], seen: dict[str, int], unit: str | None, scope: frozenset[str] | None
) -> str | None:
    staff_no = values[_STAFF].upper()
    phone = values.get(_PHONE, "").replace(" ", "").replace("-", "")
    values[_PHONE] = phone
    if not values[_NAME]:
        return M.ROSTER_NAME_EMPTY
    too_long = limits.too_long("name", values[_NAME]) or limits.too_long("unit", values[_UNIT])
    if too_long:
        return too_long
    if unsafe_text(values[_NAME]):
        return M.ROSTER_TEXT_UNSAFE.format(column=_NAME)
    if not staff_no:
        return M.ROSTER_STAFF_EMPTY
    if not _STAFF_NO.match(staff_no):
        return M.ROSTER_STAFF_BAD.format(value=values[_STAFF])
    if staff_no in seen:
        return M.ROSTER_STAFF_DUPLICATE.format(value=values[_STAFF], row=seen[staff_no])
    if not values[_UNIT]:
        return M.ROSTER_UNIT_EMPTY
    if unsafe_text(values[_UNIT]):
        return M.ROSTER_TEXT_UNSAFE.format(column=_UNIT)
    if values[_ROLE] not in _ROLE_WORDS:
        return M.ROSTER_ROLE_BAD.format(value=values[_ROLE])
    if phone and not _PHONE_NUMBER.match(phone):
        return M.ROSTER_PHONE_BAD.format(value=values.get(_PHONE))
    if unit is not None and scope is not None:
        if values[_UNIT] not in scope and values.get(_PARENT, "") not in scope:
            return M.ROSTER_OTHER_UNIT.format(value=values[_UNIT], unit=unit)
        if _ROLE_WORDS[values[_ROLE]] in ("bureau_admin", "leader"):
            return M.ROSTER_ROLE_FORBIDDEN.format(value=values[_ROLE])
    return None
