"""Who may see and do what: the one access policy every channel (Telegram, web, console, CLI) asks.

An Actor is whoever is asking: a roster member, a bootstrap admin named in XUEFA_ADMINS (only
until a bureau admin has bound), or the operator at the server (the CLI and the console chat run
with the database owner's rights). Every report, record, upload and session call goes through
the functions below; a refusal is an AccessDenied whose message is meant for the asker.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge import messages as M
from knowledge.errors import NotFound, XuefaError
from knowledge.keys import Keyring
from knowledge.members import Member

if TYPE_CHECKING:
    from knowledge.store import Repository
    from knowledge.units import UnitTree

TEACHER, UNIT_ADMIN, BUREAU_ADMIN, LEADER = "teacher", "unit_admin", "bureau_admin", "leader"
OPERATOR = "operator"  # the CLI and the console at the server
ADMINS = (UNIT_ADMIN, BUREAU_ADMIN)


class AccessDenied(XuefaError):
    """An actor asked for something their role does not allow."""


@dataclass(frozen=True)
class Actor:
    """Whoever is asking, with the role the policy reads."""

    role: str
    member: Member | None = None
    name: str = ""
    account: tuple[str, str] | None = None  # a bootstrap admin's (channel, id there)

    @classmethod
    def of(cls, member: Member) -> Actor:
        """Return the actor for a roster member."""
        return cls(member.role, member, member.name)

    @classmethod
    def operator(cls, name: str = M.CLI_ACTOR) -> Actor:
        """Return the operator at the server (CLI, console): the owner of the database."""
        return cls(OPERATOR, None, name)

    @classmethod
    def bootstrap(cls, channel: str, external_id: str, name: str) -> Actor:
        """Return a bootstrap admin (XUEFA_ADMINS) acting as a bureau admin before any bureau admin bound."""
        return cls(BUREAU_ADMIN, None, name, (channel, str(external_id)))

    @property
    def member_id(self) -> int | None:
        """Return the roster id, if the actor is a roster member."""
        return self.member.id if self.member else None

    @property
    def unit(self) -> str | None:
        """Return the actor's unit (roster members only)."""
        return self.member.unit if self.member else None

    @property
    def is_operator(self) -> bool:
        """Tell whether this is the operator at the server."""
        return self.role == OPERATOR

    @property
    def runs_the_bureau(self) -> bool:
        """Tell whether the actor may do the bureau's own tasks: bureau admins and the operator."""
        return self.role == BUREAU_ADMIN or self.is_operator

    @property
    def is_admin(self) -> bool:
        """Tell whether the actor administers a unit or the bureau (the operator does too)."""
        return self.role in ADMINS or self.is_operator

    @property
    def sees_all_units(self) -> bool:
        """Tell whether the actor may read every unit's numbers: bureau admins, leaders, the operator."""
        return self.role in (BUREAU_ADMIN, LEADER, OPERATOR)

    @property
    def label(self) -> str:
        """Name the actor in the audit log."""
        if self.member is not None:
            return f"{self.member.name}（{self.member.staff_no}）"
        if self.account is not None:
            return M.AUDIT_BOOTSTRAP.format(id=self.account[1])
        return self.name or M.CLI_ACTOR


def account_subject(channel: str, external_id: str) -> str:
    """Return how sign-in attempts and rate limits name an account on a channel."""
    return f"{channel}:{external_id}"


def resolve_actor(
    repository: Repository, keyring: Keyring, channel: str, external_id: str, name: str,
    bootstrap: Collection[str] = (),
) -> Actor | None:
    """Return who an account on a channel is to xuefa: its member, a bootstrap admin, or None (a stranger).

    The one place identity is resolved, for every channel. bootstrap names the accounts on this
    channel that XUEFA_ADMINS lets in as bureau admins, only until a bureau admin of the roster
    has an account, and never an account that belonged to a member who left.
    """
    external_id = str(external_id)
    member = repository.member_by_account(channel, external_id)
    if member is not None:
        return Actor.of(member)
    if (
        external_id in {str(item) for item in bootstrap}
        and not repository.staff_bound(BUREAU_ADMIN)
        and not repository.account_retired(channel, external_id, keyring.account(channel, external_id))
    ):
        return Actor.bootstrap(channel, external_id, name)
    return None


# --- units: an admin's scope is their unit and everything below it ------------------------


def scope_units(repository: Repository, actor: Actor) -> frozenset[str]:
    """Return the units whose figures and people the actor may see.

    Bureau admins, leaders and the operator: every unit. A unit admin: their unit and every unit
    below it (a central school's admin sees its village schools). Anyone else: none.
    """
    tree = repository.unit_tree()
    if actor.sees_all_units:
        return frozenset(tree.names)
    if actor.role == UNIT_ADMIN and actor.unit:
        return tree.below(actor.unit)
    return frozenset()


def unit_chain(repository: Repository, unit: str) -> tuple[str, ...]:
    """Return a unit and its ancestors up to the top: (学校, 中心学校, 县), for routing upwards."""
    return repository.unit_tree().chain(unit)


def report_units(repository: Repository, actor: Actor, unit: str | None) -> tuple[str | None, frozenset[str] | None]:
    """Return the unit a report is about (None: all units) and the units it covers (None: every unit).

    A unit covers itself and everything below it. A unit admin reports on their unit (the default)
    or on any unit below it; a unit outside their scope is refused, an unknown one named as such.
    """
    tree = repository.unit_tree()
    if actor.sees_all_units:
        if unit is None:
            return None, None
    elif actor.role == UNIT_ADMIN:
        unit = unit or actor.unit
        if unit not in tree.below(actor.unit):
            raise AccessDenied(M.ACCESS_OTHER_UNIT.format(unit=actor.unit))
    else:
        raise AccessDenied(M.ACCESS_REPORTS)
    if unit not in tree:
        raise XuefaError(M.UNIT_UNKNOWN.format(unit=unit))
    return unit, tree.below(unit)


# --- reports and records ----------------------------------------------------------------


def report_scope(actor: Actor, unit: str | None, tree: UnitTree | None = None) -> str | None:
    """Return the unit the actor may report on (None = all units), or raise AccessDenied.

    Without the unit tree a unit admin may name only their own unit; with it, any unit below.
    """
    if actor.sees_all_units:
        return unit
    if actor.role == UNIT_ADMIN:
        allowed = tree.below(actor.unit) if tree is not None else {actor.unit}
        if unit and unit not in allowed:
            raise AccessDenied(M.ACCESS_OTHER_UNIT.format(unit=actor.unit))
        return unit or actor.unit
    raise AccessDenied(M.ACCESS_REPORTS)


def shows_phones(actor: Actor) -> bool:
    """Tell whether phone numbers may be shown to the actor: admins and the operator, never leaders."""
    return actor.is_admin


def may_read_record(actor: Actor, member: Member, tree: UnitTree | None = None) -> bool:
    """Tell whether the actor may read a member's study record (a unit admin: anyone of their units)."""
    if actor.member_id is not None and actor.member_id == member.id:
        return True
    if actor.sees_all_units:
        return True
    if actor.role != UNIT_ADMIN:
        return False
    return member.unit in tree.below(actor.unit) if tree is not None else member.unit == actor.unit


def check_record(actor: Actor, member: Member, tree: UnitTree | None = None) -> None:
    """Raise AccessDenied unless the actor may read the member's record, saying what the actor's scope is."""
    if not may_read_record(actor, member, tree):
        raise AccessDenied(_record_scope_message(actor))


def _record_scope_message(actor: Actor) -> str:
    if actor.role == UNIT_ADMIN:
        return M.ACCESS_RECORD_UNIT.format(unit=actor.unit)
    return M.ACCESS_RECORD


def find_member(repository: Repository, actor: Actor, query: str) -> Member:
    """Find one member by 工号 or 姓名 among those the actor may see.

    Someone outside the actor's reach is answered exactly like someone who does not exist, so a
    look-up never tells a unit admin who works where.
    """
    query = query.strip()
    tree = repository.unit_tree()
    found = [m for m in repository.find_members(query) if may_read_record(actor, m, tree)]
    if not found:
        if actor.role == UNIT_ADMIN:
            raise NotFound(M.MEMBER_NOT_FOUND_IN_UNIT.format(query=query, unit=actor.unit))
        raise NotFound(M.MEMBER_NOT_FOUND.format(query=query))
    if len(found) > 1:
        names = "、".join(f"{m.name}（{m.unit}，{m.staff_no}）" for m in found[:5])
        raise NotFound(M.MEMBER_AMBIGUOUS.format(query=query, names=names))
    return found[0]


# --- uploads and sessions ---------------------------------------------------------------


def _admin_scope(actor: Actor, refusal: str) -> str | None:
    """Return a unit admin's unit, None (every unit) for the bureau, or refuse anyone else."""
    if actor.role == UNIT_ADMIN:
        return actor.unit
    if actor.runs_the_bureau:
        return None
    raise AccessDenied(refusal)


def roster_scope(actor: Actor) -> str | None:
    """Return the unit whose roster rows the actor may import (None = any unit), or raise AccessDenied."""
    return _admin_scope(actor, M.NOT_A_FILE_FOR_ME)


def check_bank_import(actor: Actor) -> None:
    """Question banks are the bureau's: only bureau admins (and the operator) import them."""
    if not actor.runs_the_bureau:
        raise AccessDenied(M.BANK_BUREAU_ONLY if actor.role == UNIT_ADMIN else M.NOT_A_FILE_FOR_ME)


def check_bureau_task(actor: Actor) -> None:
    """Invite codes, study lists and the quiz schedule are the bureau's: bureau admins (and the operator) only."""
    if not actor.runs_the_bureau:
        raise AccessDenied(M.WEB_BUREAU_ONLY)


def session_scope(actor: Actor) -> str | None:
    """Return the unit whose group sessions the actor may log (None = any), or raise AccessDenied.

    Leaders read sessions but do not log them: leaders are read-only throughout.
    """
    return _admin_scope(actor, M.ADMIN_ONLY)


def sessions_view_units(repository: Repository, actor: Actor) -> frozenset[str] | None:
    """Return the units whose group sessions the actor may list (None = all), or raise AccessDenied."""
    unit = sessions_view_scope(actor)
    return None if unit is None else repository.unit_tree().below(unit)


def sessions_view_scope(actor: Actor) -> str | None:
    """Return the unit whose group sessions the actor may list (None = all), or raise AccessDenied."""
    if actor.sees_all_units:
        return None
    if actor.role == UNIT_ADMIN:
        return actor.unit
    raise AccessDenied(M.ACCESS_REPORTS)


# --- who is told what (knowledge.outreach asks, for every channel) -----------------------


def invited_to_rounds(member: Member) -> bool:
    """Tell whether a member is invited to the weekly quiz and reminded of it: everyone on the roster."""
    return member.active


def oversees_unit(member: Member, unit: str) -> bool:
    """Tell whether a member gets a unit's not-yet digest and its unreachable list: its unit admins."""
    return member.active and member.role == UNIT_ADMIN and member.unit == unit


def receives_bureau_digest(member: Member) -> bool:
    """Tell whether a member gets the weekly all-units digest: bureau admins and leaders."""
    return member.active and member.role in (BUREAU_ADMIN, LEADER)


def digest_actor() -> Actor:
    """Return whom the weekly digest is built as: the bureau's view without phone numbers (leaders get it too)."""
    return Actor.operator(M.DIGEST_ACTOR)


# --- what each role is offered ----------------------------------------------------------

MEMBER_COMMANDS = ("start", "help", "list", "article", "search", "me", "quiz")
ROLE_COMMANDS = {
    TEACHER: MEMBER_COMMANDS,
    LEADER: (*MEMBER_COMMANDS, "stats", "records", "session"),
    UNIT_ADMIN: (*MEMBER_COMMANDS, "stats", "records", "session"),
    BUREAU_ADMIN: (*MEMBER_COMMANDS, "stats", "records", "session"),
    OPERATOR: (*MEMBER_COMMANDS, "stats", "records", "session"),
}


def commands_for(actor: Actor | None) -> tuple[str, ...]:
    """Return the commands a role is offered (menus, help); strangers only /start and /help."""
    if actor is None:
        return ("start", "help")
    return ROLE_COMMANDS[actor.role]


def may_use(actor: Actor, command: str) -> bool:
    """Tell whether a command is one the actor's role is offered."""
    return command in commands_for(actor)


def audit(repository: Repository, actor: Actor, action: str, detail: str) -> None:
    """Write who asked for what to the audit log."""
    repository.audit(actor.member_id, actor.label, action, detail)
