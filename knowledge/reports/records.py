"""A person's study record for the annual assessment (年度考核): rounds, questions asked, group sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from knowledge import access
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.clock import Clock
from knowledge.errors import XuefaError
from knowledge.members import Member
from knowledge.reports.periods import Period, quarter_of
from knowledge.store.reports import MemberRound as RoundRecord  # one round in a person's study record

if TYPE_CHECKING:
    from knowledge.store import Repository


@dataclass
class QuarterTotal:
    """A quarter of a person's record: rounds due, taken and passed, and sessions attended."""

    quarter: str
    rounds: int = 0
    done: int = 0
    passed: int = 0
    sessions: int = 0


@dataclass
class StudyRecord:
    """A person's study record for a period."""

    member: Member
    period: Period
    rounds: list[RoundRecord] = field(default_factory=list)
    questions: int = 0
    question_laws: list[tuple[str, int]] = field(default_factory=list)
    sessions: list[tuple[str, str]] = field(default_factory=list)  # (date, title)
    quarters: list[QuarterTotal] = field(default_factory=list)


def study_record(repository: Repository, actor: Actor, member: Member, period: Period, clock: Clock) -> StudyRecord:
    """Return a member's study record for a period, if the access policy lets the actor read it."""
    access.check_record(actor, member, repository.unit_tree())
    if actor.member_id != member.id:
        access.audit(repository, actor, "record", f"{member.staff_no} {period.label}")
    return _record(repository, member, period, clock)


def unit_records(repository: Repository, actor: Actor, unit: str, period: Period, clock: Clock) -> list[StudyRecord]:
    """Return the study records of everyone of a unit for a period (for the annual assessment, 年度考核).

    The unit must be one the actor may report on, and covers every unit below it; members who left
    before the period are left out.
    """
    if unit is None:
        raise XuefaError(M.UNIT_UNKNOWN.format(unit=""))
    unit, scope = access.report_units(repository, actor, unit)
    access.audit(repository, actor, "records", f"{unit} {period.label}")
    since, _ = period.bounds(clock.tz)
    members = [m for m in repository.members(units=scope, active_only=False) if m.active or m.deactivated_at > since]
    return [_record(repository, member, period, clock) for member in members]


def _record(repository: Repository, member: Member, period: Period, clock: Clock) -> StudyRecord:
    since, until = period.bounds(clock.tz)
    record = StudyRecord(member, period)
    tenure = member.tenure
    for item in repository.member_rounds(member.id, since, until):
        if tenure.covers(item.deadline):  # only the rounds the member counted for (应参加)
            record.rounds.append(item)
    record.questions, record.question_laws = repository.member_questions(member.id, since, until)
    record.sessions = repository.member_sessions(member.id, period.start, period.end)
    quarters: dict[str, QuarterTotal] = {}
    for item in record.rounds:
        label = quarter_of(clock.local(item.deadline).date()).label
        total = quarters.setdefault(label, QuarterTotal(label))
        total.rounds += 1
        total.done += item.attempts > 0 and item.best_score is not None
        total.passed += item.passed
    for held_on, _ in record.sessions:
        label = quarter_of(date.fromisoformat(held_on)).label
        quarters.setdefault(label, QuarterTotal(label)).sessions += 1
    record.quarters = [quarters[label] for label in sorted(quarters)]
    return record
