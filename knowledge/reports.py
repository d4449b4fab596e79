"""Reports for admins and leaders: periods, participation and pass rates, study records, access rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from knowledge import messages as M
from knowledge.errors import XuefaError
from knowledge.members import Member
from knowledge.stats import MemberRow, Period, Report, TrendPoint, UnitStats


class AccessDenied(XuefaError):
    """A member asked for records their role does not allow."""


class PeriodError(XuefaError):
    """A period that cannot be understood."""


def _quarter(day: date) -> Period:
    q = (day.month - 1) // 3 + 1
    start = date(day.year, 3 * q - 2, 1)
    end = (date(day.year + (q == 4), (3 * q) % 12 + 1, 1)) - timedelta(days=1)
    return Period("quarter", f"{day.year}Q{q}", start.isoformat(), end.isoformat())


def _week(day: date) -> Period:
    year, week, _ = day.isocalendar()
    monday = day - timedelta(days=day.isoweekday() - 1)
    return Period("week", f"{year}-W{week:02d}", monday.isoformat(), (monday + timedelta(days=6)).isoformat())


FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a report can be about


def parse_period(text: str | None, today: date) -> Period:
    """Understand 本周/上周/本季度/上季度/本年/2026Q4/2026-W48/2026; default: this week."""
    text = (text or "本周").strip().upper().replace("第", "").replace(" ", "")
    year = re.match(r"\d{4}", text)
    if year and not FIRST_YEAR <= int(year.group()) <= LAST_YEAR:
        raise PeriodError(M.PERIOD_BAD.format(text=text))
    if text in ("本周", "THIS-WEEK", "WEEK"):
        return _week(today)
    if text == "上周":
        return _week(today - timedelta(days=7))
    if text in ("本季度", "本季", "QUARTER"):
        return _quarter(today)
    if text in ("上季度", "上季"):
        return _quarter(date.fromisoformat(_quarter(today).start) - timedelta(days=1))
    if text in ("本年", "今年", "本年度", "YEAR"):
        return Period("year", str(today.year), f"{today.year}-01-01", f"{today.year}-12-31")
    match = re.fullmatch(r"(\d{4})-?Q([1-4])", text) or re.fullmatch(r"(\d{4})年?([1-4])季度", text)
    if match:
        return _quarter(date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1))
    match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text)
    if match:
        try:
            return _week(date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1))
        except ValueError:
            raise PeriodError(M.PERIOD_BAD.format(text=text)) from None
    match = re.fullmatch(r"(\d{4})年?(度)?", text)
    if match:
        year = int(match.group(1))
        return Period("year", str(year), f"{year}-01-01", f"{year}-12-31")
    raise PeriodError(M.PERIOD_BAD.format(text=text))


def period_bounds(period: Period, tz: str) -> tuple[str, str]:
    """Return the period as a UTC ISO range covering its local days."""
    zone = ZoneInfo(tz)
    start = datetime.combine(date.fromisoformat(period.start), time(0, 0), zone)
    end = datetime.combine(date.fromisoformat(period.end), time(23, 59, 59), zone)
    return start.astimezone(timezone.utc).isoformat(timespec="seconds"), end.astimezone(timezone.utc).isoformat(
        timespec="seconds"
    )


def allowed_unit(viewer: Member | None, unit: str | None) -> str | None:
    """Return the unit a viewer may report on (None = all units), or raise AccessDenied."""
    if viewer is None or viewer.sees_all_units:
        return unit
    if viewer.role == "unit_admin":
        if unit and unit != viewer.unit:
            raise AccessDenied(M.ACCESS_OTHER_UNIT.format(unit=viewer.unit))
        return viewer.unit
    raise AccessDenied(M.ACCESS_REPORTS)


def build_report(
    repository, viewer: Member | None, period: Period, unit: str | None, tz: str, phones: bool = True
) -> Report:
    """Compute a participation report; check access and write the audit log first.

    Phone numbers are shown to admins (and the CLI) only, and never when phones is False.
    """
    unit = allowed_unit(viewer, unit)
    show_phones = phones and (viewer is None or viewer.is_admin)
    if unit is not None and unit not in repository.units():
        raise XuefaError(M.UNIT_UNKNOWN.format(unit=unit))
    repository.audit(viewer, "report", f"{period.label} {unit or M.REPORT_ALL_UNITS}")
    since, until = period_bounds(period, tz)
    rows, trend_rows = repository.participation(since, until, unit)
    members = [
        MemberRow(
            name=r["name"],
            staff_no=r["staff_no"],
            unit=r["unit"],
            role=r["role"],
            rounds=r["rounds"],
            participated=r["participated"],
            passed=r["passed"],
            best_score=r["best"],
            last_activity=_local(r["last_activity"], tz),
            phone=r["phone"] if show_phones else None,
            reachable=bool(r["reachable"]) and r["bound"],
        )
        for r in rows
    ]
    units = _unit_stats(members, rows)
    totals = _totals(M.REPORT_ALL_UNITS if unit is None else unit, members, rows)
    ranked = sorted(units, key=lambda u: (-(u.pass_rate or 0), -(u.participation_rate or 0), u.unit))
    trend = [TrendPoint(week, n, part, passed) for week, n, part, passed in trend_rows]
    return Report(
        period=period,
        unit=unit,
        totals=totals,
        units=ranked,
        members=sorted(members, key=lambda m: (m.unit, m.staff_no)),
        trend=trend,
        rounds=len(trend_rows),
        generated_at=datetime.now(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"),
        show_phones=show_phones,
    )


def _local(moment: str | None, tz: str) -> str | None:
    """Turn a stored UTC time into the bureau's local time, so dates and exports read as people expect."""
    if not moment:
        return None
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(tz)).isoformat(timespec="minutes")


def _counts(members: list[MemberRow]) -> tuple[int, int, int]:
    eligible = [m for m in members if m.rounds]
    participated = sum(1 for m in eligible if m.participated >= m.rounds)
    passed = sum(1 for m in eligible if m.passed >= m.rounds)
    return len(eligible) if eligible else len(members), participated, passed


def _average(rows: list[dict]) -> float | None:
    # Every quiz taken counts once: the mean of the best scores over all member-rounds taken.
    taken = sum(r["participated"] for r in rows)
    return sum(r["score_sum"] for r in rows) / taken if taken else None


def _unit_stats(members: list[MemberRow], rows: list[dict]) -> list[UnitStats]:
    by_unit: dict[str, tuple[list[MemberRow], list[dict]]] = {}
    for member, row in zip(members, rows):  # built in the same order: one row per member
        group = by_unit.setdefault(member.unit, ([], []))
        group[0].append(member)
        group[1].append(row)
    return [
        UnitStats(name, *_counts(unit_members), _average(unit_rows))
        for name, (unit_members, unit_rows) in sorted(by_unit.items())
    ]


def _totals(label: str, members: list[MemberRow], rows: list[dict]) -> UnitStats:
    count, participated, passed = _counts(members)
    return UnitStats(label, count, participated, passed, _average(rows))


@dataclass
class RoundRecord:
    """One round in a person's study record."""

    week: str
    deadline: str
    attempts: int
    best_score: float | None
    passed: bool


@dataclass
class StudyRecord:
    """A person's study record for the annual assessment (年度考核)."""

    member: Member
    period: Period
    rounds: list[RoundRecord] = field(default_factory=list)
    questions: int = 0
    question_laws: list[tuple[str, int]] = field(default_factory=list)
    sessions: list[tuple[str, str]] = field(default_factory=list)  # (date, title)
    quarters: list[tuple[str, int, int, int, int]] = field(default_factory=list)  # (quarter, rounds, done, passed, sessions)


def study_record(repository, viewer: Member | None, member: Member, period: Period, tz: str) -> StudyRecord:
    """Return a member's study record for a period; teachers may only read their own."""
    if viewer is not None and not viewer.may_read_member(member):
        raise AccessDenied(M.ACCESS_RECORD)
    if viewer is None or viewer.id != member.id:
        repository.audit(viewer, "record", f"{member.staff_no} {period.label}")
    since, until = period_bounds(period, tz)
    record = StudyRecord(member, period)
    for week, deadline, attempts, best, passed in repository.member_rounds(member.id, since, until):
        record.rounds.append(RoundRecord(week, deadline, attempts, best, bool(passed)))
    record.questions, record.question_laws = repository.member_questions(member.id, since, until)
    record.sessions = repository.member_sessions(member.id, period.start, period.end)
    quarters: dict[str, list[int]] = {}
    for item in record.rounds:
        label = _quarter(datetime.fromisoformat(item.deadline).astimezone(ZoneInfo(tz)).date()).label
        entry = quarters.setdefault(label, [0, 0, 0, 0])
        entry[0] += 1
        entry[1] += item.attempts > 0 and item.best_score is not None
        entry[2] += item.passed
    for held_on, _ in record.sessions:
        quarters.setdefault(_quarter(date.fromisoformat(held_on)).label, [0, 0, 0, 0])[3] += 1
    record.quarters = [(label, *values) for label, values in sorted(quarters.items())]
    return record
