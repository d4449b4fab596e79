"""Group study sessions (集体学法, 会前学法): who studied what, when."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from knowledge import messages as M
from knowledge.errors import XuefaError
from knowledge.members import Member, find_member


@dataclass
class Session:
    """A group study session as an admin logs it."""

    held_on: str
    title: str
    laws: str = ""
    minutes: str = ""
    unit: str | None = None
    attendees: list[Member] = field(default_factory=list)


def parse_session(text: str, repository, admin: Member) -> Session:
    """Parse '日期 标题 | 学习内容 | 人员 | 纪要'; a unit admin may only log their own unit's staff."""
    fields = [part.strip() for part in re.split(r"[|｜]", text or "")]
    head = fields[0].split(maxsplit=1) if fields and fields[0] else []
    if len(head) < 2 or len(fields) < 3:
        raise XuefaError(M.USAGE_SESSION)
    held_on, title = head
    try:
        held_on = date.fromisoformat(held_on).isoformat()
    except ValueError:
        raise XuefaError(M.SESSION_BAD_DATE.format(value=held_on)) from None
    names = [n for n in re.split(r"[\s,，、;；]+", fields[2]) if n]
    if not names:
        raise XuefaError(M.SESSION_NO_ATTENDEES)
    attendees = []
    for name in names:
        member = find_member(repository, name)
        if admin.role == "unit_admin" and member.unit != admin.unit:
            raise XuefaError(M.SESSION_OTHER_UNIT.format(name=member.name))
        if all(member.id != other.id for other in attendees):
            attendees.append(member)
    return Session(
        held_on=held_on,
        title=title,
        laws=fields[1],
        minutes=fields[3] if len(fields) > 3 else "",
        unit=admin.unit if admin.role == "unit_admin" else None,
        attendees=attendees,
    )
