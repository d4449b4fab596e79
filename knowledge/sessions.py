"""Group study sessions (集体学法, 会前学法): who studied what, when."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from knowledge import access, limits
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.errors import XuefaError
from knowledge.members import Member

if TYPE_CHECKING:
    from knowledge.store import Repository


@dataclass
class Session:
    """A group study session as an admin logs it."""

    held_on: str
    title: str
    laws: str = ""
    minutes: str = ""
    unit: str | None = None
    attendees: list[Member] = field(default_factory=list)


def parse_session(text: str, repository: Repository, actor: Actor) -> Session:
    """Parse '日期 标题 | 学习内容 | 人员 | 纪要' as typed in the chat."""
    fields = [part.strip() for part in re.split(r"[|｜]", text or "")]
    head = fields[0].split(maxsplit=1) if fields and fields[0] else []
    if len(head) < 2 or len(fields) < 3:
        raise XuefaError(M.USAGE_SESSION)
    return make_session(
        repository, actor, head[0], head[1], fields[1], fields[2], fields[3] if len(fields) > 3 else ""
    )


def make_session(
    repository: Repository, actor: Actor, held_on: str, title: str, laws: str, attendees: str, minutes: str = "",
    unit: str | None = None,
) -> Session:
    """Check a session's date and attendees against what the actor may log (a unit admin: their unit)."""
    scope = access.session_scope(actor)
    for name, text in (("title", title), ("laws", laws), ("attendees", attendees), ("minutes", minutes)):
        limits.check(name, text.strip())
    try:
        held_on = date.fromisoformat(held_on.strip()).isoformat()
    except ValueError:
        raise XuefaError(M.SESSION_BAD_DATE.format(value=held_on)) from None
    if scope is not None:
        unit = scope
    elif unit is not None and unit not in repository.units():
        raise XuefaError(M.UNIT_UNKNOWN.format(unit=unit))
    names = [n for n in re.split(r"[\s,，、;；]+", attendees) if n]
    if not names:
        raise XuefaError(M.SESSION_NO_ATTENDEES)
    found: list[Member] = []
    for name in names:
        # Scoped like every look-up: a unit admin cannot name, or find out about, another unit's staff.
        member = access.find_member(repository, actor, name)
        if all(member.id != other.id for other in found):
            found.append(member)
    return Session(held_on=held_on, title=title.strip(), laws=laws.strip(), minutes=minutes, unit=unit, attendees=found)


def save_session(repository: Repository, actor: Actor, session: Session) -> int:
    """Store a checked session with its attendees and audit who logged it; return its id.

    Audited here, so every channel (Telegram, the web, the command line) writes the same row.
    """
    session_id = repository.add_session(
        session.held_on, session.title, session.unit, session.laws, session.minutes,
        [m.id for m in session.attendees], actor.member_id,
    )
    access.audit(repository, actor, "session", M.AUDIT_SESSION.format(
        id=session_id, date=session.held_on, unit=session.unit or M.REPORT_ALL_UNITS, n=len(session.attendees)))
    return session_id
