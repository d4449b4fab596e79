"""Participation and pass rates per unit and period, with the list of who has not finished yet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge import access
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.clock import Clock
from knowledge.errors import XuefaError
from knowledge.members import Tenure
from knowledge.reports.items import item_stats
from knowledge.reports.periods import Period
from knowledge.reports.shapes import MemberRow, Report, TrendPoint, UnitStats

if TYPE_CHECKING:
    from knowledge.store import Participant, Repository


def build_report(
    repository: Repository, actor: Actor, period: Period, unit: str | None, clock: Clock, phones: bool = True
) -> Report:
    """Compute a participation report; ask the access policy and write the audit log first.

    Phone numbers are shown to admins (and the operator) only, and never when phones is False.
    """
    unit = access.report_scope(actor, unit)
    show_phones = phones and access.shows_phones(actor)
    if unit is not None and unit not in repository.units():
        raise XuefaError(M.UNIT_UNKNOWN.format(unit=unit))
    access.audit(repository, actor, "report", f"{period.label} {unit or M.REPORT_ALL_UNITS}")
    since, until = period.bounds(clock.tz)
    scope = frozenset({unit}) if unit else None
    rounds, people = repository.participation(since, until, scope)
    deadlines = [r.deadline for r in rounds]
    counted: list[tuple[Participant, int]] = []
    for person in people:
        eligible = Tenure(person.joined_at, person.deactivated_at).count_in(deadlines)
        # Without rounds everyone active is listed (with nothing due); with rounds, those who had one.
        if eligible or (not rounds and person.active):
            counted.append((person, eligible))
    members = [
        MemberRow(
            name=p.name,
            staff_no=p.staff_no,
            unit=p.unit,
            role=p.role,
            rounds=eligible,
            participated=p.done,
            passed=p.passed,
            best_score=p.best,
            last_activity=clock.local(p.last_activity).isoformat(timespec="minutes") if p.last_activity else None,
            phone=p.phone if show_phones else None,
            reachable=p.reachable and p.bound,
        )
        for p, eligible in counted
    ]
    score_sums = [p.score_sum for p, _ in counted]
    joined = sorted(p.joined_at for p in people)
    left = sorted(p.deactivated_at for p in people if p.deactivated_at)
    trend = [TrendPoint(r.week, Tenure.covering(r.deadline, joined, left), r.done, r.passed) for r in rounds]
    units = _unit_stats(members, score_sums)
    totals = _stats(M.REPORT_ALL_UNITS if unit is None else unit, members, score_sums)
    ranked = sorted(units, key=lambda u: (-(u.pass_rate or 0), -(u.participation_rate or 0), u.unit))
    items, articles = item_stats(repository.question_tallies(since, until, scope))
    return Report(
        period=period,
        unit=unit,
        totals=totals,
        units=ranked,
        members=sorted(members, key=lambda m: (m.unit, m.staff_no)),
        trend=trend,
        generated_at=clock.local_text(clock.now()),
        show_phones=show_phones,
        items=items,
        articles=articles,
    )


def _stats(label: str, members: list[MemberRow], score_sums: list[float]) -> UnitStats:
    eligible = [m for m in members if m.rounds]
    participated = sum(1 for m in eligible if m.participated >= m.rounds)
    passed = sum(1 for m in eligible if m.passed >= m.rounds)
    # Every quiz taken counts once: the mean of the best scores over all member-rounds taken.
    taken = sum(m.participated for m in members)
    average = sum(score_sums) / taken if taken else None
    return UnitStats(label, len(eligible) if eligible else len(members), participated, passed, average)


def _unit_stats(members: list[MemberRow], score_sums: list[float]) -> list[UnitStats]:
    by_unit: dict[str, tuple[list[MemberRow], list[float]]] = {}
    for member, score_sum in zip(members, score_sums):  # built in the same order: one sum per member
        group = by_unit.setdefault(member.unit, ([], []))
        group[0].append(member)
        group[1].append(score_sum)
    return [_stats(name, unit_members, sums) for name, (unit_members, sums) in sorted(by_unit.items())]
