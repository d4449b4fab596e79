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
from knowledge.units import MAX_DEPTH, UnitTree

if TYPE_CHECKING:
    from knowledge.store import Participant, Repository


def build_report(
    repository: Repository, actor: Actor, period: Period, unit: str | None, clock: Clock, phones: bool = True,
    level: int | None = None,
) -> Report:
    """Compute a participation report; ask the access policy and write the audit log first.

    A unit's report covers the unit and every unit below it (access.report_units), and rolls up:
    one line per branch below it (Report.rollup; level picks the depth, 1 = the top units).
    Phone numbers are shown to admins (and the operator) only, and never when phones is False.
    """
    unit, scope = access.report_units(repository, actor, unit)
    show_phones = phones and access.shows_phones(actor)
    if level is not None and not 1 <= level <= MAX_DEPTH:
        raise XuefaError(M.UNIT_LEVEL_BAD.format(level=level, depth=MAX_DEPTH))
    access.audit(repository, actor, "report", f"{period.label} {unit or M.REPORT_ALL_UNITS}")
    since, until = period.bounds(clock.tz)
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
    ranked = _ranked(units)
    items, articles = item_stats(repository.question_tallies(since, until, scope))
    rollup = _rollup(repository.unit_tree(), unit, level, members, score_sums)
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
        rollup=_ranked(rollup),
    )


def _ranked(units: list[UnitStats]) -> list[UnitStats]:
    """Rank units best first: by pass rate, then participation rate, then name."""
    return sorted(units, key=lambda u: (-(u.pass_rate or 0), -(u.participation_rate or 0), u.unit))


def _rollup(
    tree: UnitTree, unit: str | None, level: int | None, members: list[MemberRow], score_sums: list[float]
) -> list[UnitStats]:
    """Add up members by the branch they belong to at a depth: each township, each school below a central school.

    The default depth is the one below the report's unit (for all units: the top units, or the
    units below the one top unit a county usually has). A member of a unit above that depth counts
    on a line of their own unit's (本级): a central school's own staff beside its schools.
    A roll-up that would add nothing to the per-unit ranking (a flat list of units, every line one
    unit, or one line for everything) is left out.
    """
    if not tree.nested:
        return []
    if level is None:
        tops = tree.children(None)
        level = tree.depth(unit) + 1 if unit is not None else (2 if len(tops) == 1 else 1)
    groups: dict[str, tuple[list[MemberRow], list[float]]] = {}
    for member, score_sum in zip(members, score_sums):
        branch = tree.branch(member.unit, level) or M.ROLLUP_OWN.format(unit=member.unit)
        group = groups.setdefault(branch, ([], []))
        group[0].append(member)
        group[1].append(score_sum)
    if len(groups) <= 1 or all(len({m.unit for m in grouped}) == 1 for grouped, _ in groups.values()):
        return []
    return [_stats(name, grouped, sums) for name, (grouped, sums) in sorted(groups.items())]


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
