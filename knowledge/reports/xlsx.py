"""The participation report as an Excel workbook (openpyxl): summary, not-yet list, trend, one sheet per unit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook

from knowledge import messages as M
from knowledge.reports.shapes import MemberRow, Report, UnitStats
from knowledge.reports.sheets import (
    DATETIME,
    PERCENT,
    SCORE,
    Column,
    Styles,
    parse_moment,
    score_points,
    sheet_title,
    write_table,
)


def write_xlsx(report: Report, path_or_buffer: str | Path | IO[bytes]) -> None:
    """Write the report as an .xlsx workbook: summary, not-yet list, trend and one sheet per unit."""
    # write_only streams rows straight to the file: a year of 10,000 members stays well under 2 s.
    workbook = Workbook(write_only=True)
    styles = Styles()
    period = report.period.text
    fixed = (M.XLSX_SHEET_SUMMARY, M.XLSX_SHEET_NOT_YET, M.XLSX_SHEET_TREND, M.XLSX_SHEET_ITEMS, M.XLSX_SHEET_ARTICLES)
    taken = {name.casefold() for name in (*fixed, "history")}  # a unit's sheet must not take a fixed sheet's name
    _write_summary(workbook, styles, report)
    if report.rollup:
        _write_rollup(workbook, styles, report, period)
        taken.add(M.XLSX_SHEET_ROLLUP.casefold())
    _write_not_yet(workbook, styles, report, period)
    _write_trend(workbook, styles, report, period)
    _write_items(workbook, styles, report, period)
    stats = {unit.unit: unit for unit in report.units}
    for unit, members in _members_by_unit(report).items():
        counts = stats.get(unit) or UnitStats(
            unit, len(members), sum(1 for m in members if m.participated), sum(1 for m in members if m.done)
        )
        title = M.XLSX_UNIT_TITLE.format(
            unit=unit, period=period, members=counts.members, participated=counts.participated, passed=counts.passed
        )
        _write_members(workbook, styles, report, sheet_title(unit, taken), title, members, with_unit=False)
    workbook.save(path_or_buffer)


def _members_by_unit(report: Report) -> dict[str, list[MemberRow]]:
    """Group members by unit, in the units' ranked order, then any unit the ranking misses."""
    if not report.members:
        return {}
    groups: dict[str, list[MemberRow]] = {unit.unit: [] for unit in report.units}
    for member in report.members:
        groups.setdefault(member.unit, []).append(member)
    return groups


def _write_summary(workbook: Workbook, styles: Styles, report: Report) -> None:
    """Add the 汇总 sheet: one row per unit and a totals row."""
    columns = _unit_columns()
    title = M.XLSX_TITLE.format(
        title=M.REPORT_TITLE,
        period=report.period.range_text,
        unit=report.unit_label,
        generated=report.generated_at,
    )
    rows = [_unit_values(unit) for unit in report.units]
    totals = [M.XLSX_TOTAL_ROW, *_unit_values(report.totals)[1:]]
    write_table(workbook, styles, M.XLSX_SHEET_SUMMARY, title, columns, rows, totals=totals)


def _write_rollup(workbook: Workbook, styles: Styles, report: Report, period: str) -> None:
    """Add the 分级汇总 sheet: one row per branch of the unit tree below the report's unit, ranked."""
    columns = _unit_columns()
    title = M.XLSX_ROLLUP_TITLE.format(period=period, unit=report.unit_label)
    totals = [M.XLSX_TOTAL_ROW, *_unit_values(report.totals)[1:]]
    write_table(workbook, styles, M.XLSX_SHEET_ROLLUP, title, columns,
                [_unit_values(unit) for unit in report.rollup], totals=totals)


def _unit_columns() -> list[Column]:
    """Return the columns of a sheet of per-unit rows (汇总, 分级汇总), matching _unit_values."""
    return [
        Column(M.XLSX_COL_UNIT, min_width=14),
        Column(M.XLSX_COL_MEMBERS),
        Column(M.XLSX_COL_PARTICIPATED),
        Column(M.XLSX_COL_PASSED),
        Column(M.REPORT_PARTICIPATION_RATE, PERCENT),
        Column(M.REPORT_PASS_RATE, PERCENT),
        Column(M.XLSX_COL_AVERAGE, SCORE),
    ]


def _unit_values(unit: UnitStats) -> list[Any]:
    """Return a unit's summary row."""
    return [
        unit.unit,
        unit.members,
        unit.participated,
        unit.passed,
        unit.participation_rate,
        unit.pass_rate,
        score_points(unit.average_score),
    ]


def _write_not_yet(workbook: Workbook, styles: Styles, report: Report, period: str) -> None:
    """Add the 未完成名单 sheet, ordered like the units' ranking."""
    rank = {unit.unit: index for index, unit in enumerate(report.units)}
    members = sorted(report.not_yet, key=lambda m: rank.get(m.unit, len(rank)))
    title = M.XLSX_NOT_YET_TITLE.format(period=period, n=len(members))
    # Fewer columns than a unit sheet: this list repeats every member who has not finished, and a
    # year's list is most of the county, so every column costs (full-year export target: 2 s).
    columns = [
        Column(M.XLSX_COL_UNIT, min_width=14),
        Column(M.XLSX_COL_NAME),
        Column(M.XLSX_COL_STAFF_NO),
        Column(M.XLSX_COL_ROUNDS),
        Column(M.XLSX_COL_PASSED),
        Column(M.XLSX_COL_LAST_ACTIVITY, DATETIME, min_width=16),
        *([Column(M.XLSX_COL_PHONE, min_width=13)] if report.show_phones else []),
    ]
    rows = [
        [m.unit, m.name, m.staff_no, m.rounds, m.passed, parse_moment(m.last_activity),
         *([m.phone] if report.show_phones else [])]
        for m in members
    ]
    write_table(workbook, styles, M.XLSX_SHEET_NOT_YET, title, columns, rows)


def _write_trend(workbook: Workbook, styles: Styles, report: Report, period: str) -> None:
    """Add the 趋势 sheet: one row per week."""
    columns = [
        Column(M.XLSX_COL_WEEK, min_width=10),
        Column(M.XLSX_COL_MEMBERS),
        Column(M.XLSX_COL_PARTICIPATED),
        Column(M.XLSX_COL_PASSED),
        Column(M.REPORT_PARTICIPATION_RATE, PERCENT),
        Column(M.REPORT_PASS_RATE, PERCENT),
    ]
    rows = [[p.week, p.members, p.participated, p.passed, p.participation_rate, p.pass_rate] for p in report.trend]
    write_table(workbook, styles, M.XLSX_SHEET_TREND, M.XLSX_TREND_TITLE.format(period=period), columns, rows)


def _write_items(workbook: Workbook, styles: Styles, report: Report, period: str) -> None:
    """Add the 题目统计 and 条文统计 sheets: how often each question and article was answered right, hardest first."""
    columns = [
        Column(M.XLSX_COL_STEM, min_width=40),
        Column(M.XLSX_COL_KIND),
        Column(M.XLSX_COL_CITATION, min_width=20),
        Column(M.XLSX_COL_ANSWERED),
        Column(M.XLSX_COL_CORRECT),
        Column(M.XLSX_COL_CORRECT_RATE, PERCENT),
    ]
    rows = [
        [i.stem, M.QUIZ_KIND_LABELS.get(i.kind, i.kind), i.citation, i.answered, i.correct, i.correct_rate]
        for i in report.items
    ]
    write_table(workbook, styles, M.XLSX_SHEET_ITEMS, M.XLSX_ITEMS_TITLE.format(period=period), columns, rows)
    columns = [
        Column(M.XLSX_COL_CITATION, min_width=20),
        Column(M.XLSX_COL_QUESTIONS),
        Column(M.XLSX_COL_ANSWERED),
        Column(M.XLSX_COL_CORRECT),
        Column(M.XLSX_COL_CORRECT_RATE, PERCENT),
    ]
    rows = [[a.citation, a.questions, a.answered, a.correct, a.correct_rate] for a in report.articles]
    write_table(workbook, styles, M.XLSX_SHEET_ARTICLES, M.XLSX_ARTICLES_TITLE.format(period=period), columns, rows)


def _write_members(
    workbook: Workbook,
    styles: Styles,
    report: Report,
    name: str,
    title: str,
    members: Sequence[MemberRow],
    *,
    with_unit: bool,
) -> None:
    """Add a sheet listing members, with the phone column only when the report may show phones."""
    status_fonts = {M.XLSX_STATUS_NOT_YET: styles.not_done, M.XLSX_STATUS_UNREACHABLE: styles.unreachable}
    columns = [
        *([Column(M.XLSX_COL_UNIT, min_width=14)] if with_unit else []),
        Column(M.XLSX_COL_NAME),
        Column(M.XLSX_COL_STAFF_NO),
        Column(M.XLSX_COL_ROLE),
        Column(M.XLSX_COL_ROUNDS),
        Column(M.XLSX_COL_PARTICIPATED),
        Column(M.XLSX_COL_PASSED),
        Column(M.XLSX_COL_BEST, SCORE),
        Column(M.XLSX_COL_LAST_ACTIVITY, DATETIME, min_width=16),
        Column(M.XLSX_COL_STATUS, fonts=status_fonts),
        *([Column(M.XLSX_COL_PHONE, min_width=13)] if report.show_phones else []),
    ]
    roles = M.ROLE_LABELS
    rows = []
    for member in members:
        row = [
            *([member.unit] if with_unit else []),
            member.name,
            member.staff_no,
            roles.get(member.role, member.role),
            member.rounds,
            member.participated,
            member.passed,
            score_points(member.best_score),
            parse_moment(member.last_activity),
            status_text(member),
            *([member.phone] if report.show_phones else []),
        ]
        rows.append(row)
    write_table(workbook, styles, name, title, columns, rows)


def status_text(member: MemberRow) -> str:
    """Return the member's status; passing every round outranks being unreachable."""
    if member.done:
        return M.XLSX_STATUS_DONE
    return M.XLSX_STATUS_NOT_YET if member.reachable else M.XLSX_STATUS_UNREACHABLE
