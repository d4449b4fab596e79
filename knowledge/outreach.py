"""Who is told what: the core's half of every push, on whatever channel it goes out.

Each function returns Batches: one notice, the members it is for, and its ledger key (kind,
subject). bot.outreach sends a batch on each member's channel and records it in the outbox;
the rules of who is invited, reminded or sent a digest are asked of knowledge.access, here only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge import access
from knowledge import messages as M
from knowledge.clock import Clock
from knowledge.members import Member
from knowledge.notices import Notice
from knowledge.rounds import Round

if TYPE_CHECKING:
    from knowledge.store import Repository
    from knowledge.store.groups import UnitGroup

ROUND, REMINDER, UNIT_DIGEST, UNREACHABLE, DIGEST = "round", "reminder", "unit_digest", "unreachable", "digest"
GROUP_ROUND, GROUP_REMINDER = "group_round", "group_reminder"
QUIZ_LINK = "/quiz"
DASHBOARD_LINK = "/dashboard"
DIGEST_NAMES_PER_PART = 80  # names per block of a unit digest, so a long list splits between messages

# Why a member could not be reached, as the outbox records it (error) and `quiz push` says it.
NO_ACCOUNT, WEB_ONLY, BLOCKED = "no-account", "web-only", "blocked"


@dataclass
class Batch:
    """One notice for some members, under one ledger key.

    notice(member) is the member's own form (named, for a channel that sends one person at a
    time); notice(None) is the form a batching channel sends to many people in one call.
    retry_blocked: try an account that refused the last message when the member has no other
    (a weekly invitation should reach someone who unblocked the bot; a reminder need not).
    """

    kind: str
    subject: str
    members: list[Member]
    notice: Callable[[Member | None], Notice]
    retry_blocked: bool = False


def round_batch(repository: Repository, clock: Clock, round_: Round) -> Batch:
    """Invite everyone on the roster to this week's round."""
    deadline = clock.local_text(round_.deadline)

    def notice(member: Member | None) -> Notice:
        if member is None:
            text = M.NOTICE_ROUND.format(n=round_.questions, deadline=deadline)
        else:
            text = M.QUIZ_PUSH.format(name=member.name, n=round_.questions, deadline=deadline)
        return Notice(ROUND, M.NOTICE_ROUND_TITLE, text, QUIZ_LINK, M.QUIZ_START_BUTTON, personal=member is not None)

    members = [m for m in repository.members() if access.invited_to_rounds(m)]
    return Batch(ROUND, str(round_.id), members, notice, retry_blocked=True)


def reminder_batch(repository: Repository, clock: Clock, round_: Round) -> Batch:
    """Remind, once, everyone invited who has not passed the open round."""
    deadline = clock.local_text(round_.deadline)
    passed = repository.passed_members(round_.id)

    def notice(member: Member | None) -> Notice:
        if member is None:
            text = M.NOTICE_REMINDER.format(deadline=deadline)
        else:
            text = M.QUIZ_REMINDER.format(name=member.name, deadline=deadline)
        return Notice(REMINDER, M.NOTICE_REMINDER_TITLE, text, QUIZ_LINK, M.QUIZ_START_BUTTON,
                      personal=member is not None)

    members = [m for m in repository.members() if access.invited_to_rounds(m) and m.id not in passed]
    return Batch(REMINDER, str(round_.id), members, notice)


def unit_digest_batches(repository: Repository, clock: Clock, round_: Round) -> list[Batch]:
    """Tell each unit's admins who in the unit or below it has not passed yet (names and 工号, never to others)."""
    deadline = clock.local_text(round_.deadline)
    passed = repository.passed_members(round_.id)
    members = repository.members()
    batches = []
    tree = repository.unit_tree()
    for unit in repository.units():
        admins = [m for m in members if access.oversees_unit(m, unit)]
        if not admins:
            continue
        scope = tree.below(unit)  # a central school's admins chase its schools too
        missing = [m for m in members if m.unit in scope and m.id not in passed and access.invited_to_rounds(m)]
        text = "\n\n".join(unit_digest(unit, missing, deadline))
        notice = Notice(UNIT_DIGEST, M.NOTICE_UNIT_DIGEST_TITLE, text, DASHBOARD_LINK, M.NOTICE_OPEN)
        batches.append(Batch(UNIT_DIGEST, str(round_.id), admins, lambda _m, n=notice: n))
    return batches


def unit_digest(unit: str, missing: list[Member], deadline: str) -> list[str]:
    """Return a unit admin's digest: who in the unit has not passed yet, in blocks that fit a message."""
    if not missing:
        return [M.QUIZ_UNIT_DIGEST_NONE.format(unit=unit)]
    lines = [f"· {m.name}（{m.staff_no}）" + ("" if m.reachable else M.QUIZ_UNREACHABLE_NOTE) for m in missing]
    size = DIGEST_NAMES_PER_PART
    blocks = ["\n".join(lines[i:i + size]) for i in range(0, len(lines), size)]
    return [M.QUIZ_UNIT_DIGEST.format(unit=unit, n=len(missing), deadline=deadline, names=blocks[0]), *blocks[1:]]


def unreachable_batches(repository: Repository, round_: Round, unreached: list[Member]) -> list[Batch]:
    """Tell each unit's admins, once per round, which of their people the invitation could not reach."""
    by_unit: dict[str, list[Member]] = {}
    for member in unreached:
        by_unit.setdefault(member.unit, []).append(member)
    members = repository.members()
    batches = []
    for unit, missing in sorted(by_unit.items()):
        admins = [m for m in members if access.oversees_unit(m, unit)]
        if not admins:
            continue
        names = "、".join(m.name for m in missing)
        text = M.QUIZ_UNREACHABLE.format(unit=unit, n=len(missing), names=names)
        notice = Notice(UNREACHABLE, M.NOTICE_UNREACHABLE_TITLE, text, DASHBOARD_LINK, M.NOTICE_OPEN)
        batches.append(Batch(UNREACHABLE, str(round_.id), admins, lambda _m, n=notice: n))
    return batches


@dataclass(frozen=True)
class GroupNotice:
    """A notice for a unit's staff group: counts only, never a name (everyone in the group reads it)."""

    group: UnitGroup
    kind: str
    subject: str
    notice: Notice


def group_notices(repository: Repository, clock: Clock, round_: Round, kind: str) -> list[GroupNotice]:
    """The week's notice to every unit's staff group: the round is out, or how many have not passed yet."""
    deadline = clock.local_text(round_.deadline)
    passed = repository.passed_members(round_.id)
    members = repository.members()
    notices = []
    for group in repository.unit_groups():
        if kind == GROUP_ROUND:
            text = M.GROUP_ROUND.format(unit=group.unit, n=round_.questions, deadline=deadline)
        else:
            missing = sum(1 for m in members if m.unit == group.unit and m.id not in passed
                          and access.invited_to_rounds(m))
            text = (M.GROUP_REMINDER.format(unit=group.unit, n=missing, deadline=deadline) if missing
                    else M.GROUP_ALL_PASSED.format(unit=group.unit))
        notice = Notice(kind, M.NOTICE_ROUND_TITLE, text, QUIZ_LINK, M.QUIZ_START_BUTTON)
        notices.append(GroupNotice(group, kind, str(round_.id), notice))
    return notices


def digest_batch(repository: Repository, week: str, notice: Notice) -> Batch:
    """Send the weekly all-units digest (built by the edge that renders it) to bureau admins and leaders."""
    members = [m for m in repository.members() if access.receives_bureau_digest(m)]
    return Batch(DIGEST, week, members, lambda _m: notice)


def unreached_reason(error: str) -> str:
    """Say in Chinese why the outbox could not reach someone (its error code)."""
    if error == NO_ACCOUNT:
        return M.UNREACHED_NO_ACCOUNT
    if error == WEB_ONLY:
        return M.UNREACHED_WEB_ONLY
    kind, _, channel = error.partition(":")
    if kind == BLOCKED:
        return M.UNREACHED_BLOCKED.format(channel=M.CHANNEL_LABELS.get(channel, channel))
    return M.UNREACHED_FAILED.format(error=error or "?")
