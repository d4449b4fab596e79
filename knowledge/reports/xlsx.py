"""The participation report as an Excel workbook (openpyxl): summary, not-yet list, trend, one sheet per unit.

Every text cell is written as text: a name like =HYPERLINK(...) that slipped into the store
must never become a live formula in a file the bureau opens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from knowledge import messages as M
from knowledge.reports.shapes import MemberRow, Report, UnitStats

PERCENT = "0.0%"
SCORE = "0.0"
DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"

_SHEET_MAX = 31
_SHEET_INVALID = re.compile(r"[\[\]:*?/\\]")


def text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    """Return a cell that holds value as text, whatever it starts with (never a formula or an error code)."""
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell


def score_points(score: float | None) -> float | None:
    """Return a score (a fraction) in points out of 100, as the chat and the CSV show it."""
    return None if score is None else score * 100


# --- Excel -------------------------------------------------------------------


class _Styles:
    """The few style objects of a workbook, made once and shared by every cell."""

    def __init__(self) -> None:
        self.title = Font(bold=True, size=13)
        self.header_font = Font(bold=True, color="1F2937")
        self.header_fill = PatternFill("solid", fgColor="DCE6F1")
        self.header_border = Border(bottom=Side(style="thin", color="8EA9C1"))
        self.header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.total_font = Font(bold=True)
        self.total_border = Border(top=Side(style="thin", color="8EA9C1"))
        self.not_done = Font(color="C2410C")
        self.unreachable = Font(color="B91C1C", bold=True)


@dataclass(frozen=True)
class _Column:
    """One column of a table: its header, number format, fonts for some values and a minimum width."""

    header: str
    number_format: str | None = None
    fonts: Mapping[str, Font] | None = None
    min_width: float = 9


def write_xlsx(report: Report, path_or_buffer: str | Path | IO[bytes]) -> None:
    """Write the report as an .xlsx workbook: summary, not-yet list, trend and one sheet per unit."""
    # write_only streams rows straight to the file: a year of 10,000 members stays well under 2 s.
    workbook = Workbook(write_only=True)
    styles = _Styles()
    period = report.period.text
    taken = {name.casefold() for name in (M.XLSX_SHEET_SUMMARY, M.XLSX_SHEET_NOT_YET, M.XLSX_SHEET_TREND, "history")}
    _write_summary(workbook, styles, report)
    _write_not_yet(workbook, styles, report, period)
    _write_trend(workbook, styles, report, period)
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


def sheet_title(name: str, taken: set[str]) -> str:
    """Return a valid Excel sheet name for name that is not in taken, and add it (casefolded) to taken."""
    base = _SHEET_INVALID.sub("_", name).strip().strip("'").strip() or M.XLSX_SHEET_UNNAMED
    candidate = _clip(base, _SHEET_MAX)
    number = 2
    while candidate.casefold() in taken:
        suffix = f"({number})"
        candidate = _clip(base, _SHEET_MAX - len(suffix)).rstrip("'") + suffix
        number += 1
    taken.add(candidate.casefold())
    return candidate


def _clip(text: str, limit: int) -> str:
    """Cut text to at most limit UTF-16 code units, the unit Excel counts sheet names in."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def _members_by_unit(report: Report) -> dict[str, list[MemberRow]]:
    """Group members by unit, in the units' ranked order, then any unit the ranking misses."""
    if not report.members:
        return {}
    groups: dict[str, list[MemberRow]] = {unit.unit: [] for unit in report.units}
    for member in report.members:
        groups.setdefault(member.unit, []).append(member)
    return groups


def _write_summary(workbook: Workbook, styles: _Styles, report: Report) -> None:
    """Add the 汇总 sheet: one row per unit and a totals row."""
    columns = [
        _Column(M.XLSX_COL_UNIT, min_width=14),
        _Column(M.XLSX_COL_MEMBERS),
        _Column(M.XLSX_COL_PARTICIPATED),
        _Column(M.XLSX_COL_PASSED),
        _Column(M.REPORT_PARTICIPATION_RATE, PERCENT),
        _Column(M.REPORT_PASS_RATE, PERCENT),
        _Column(M.XLSX_COL_AVERAGE, SCORE),
    ]
    title = M.XLSX_TITLE.format(
        title=M.REPORT_TITLE,
        period=report.period.range_text,
        unit=report.unit_label,
        generated=report.generated_at,
    )
    rows = [_unit_values(unit) for unit in report.units]
    totals = [M.XLSX_TOTAL_ROW, *_unit_values(report.totals)[1:]]
    _write_table(workbook, styles, M.XLSX_SHEET_SUMMARY, title, columns, rows, totals=totals)


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


def _write_not_yet(workbook: Workbook, styles: _Styles, report: Report, period: str) -> None:
    """Add the 未完成名单 sheet, ordered like the units' ranking."""
    rank = {unit.unit: index for index, unit in enumerate(report.units)}
    members = sorted(report.not_yet, key=lambda m: rank.get(m.unit, len(rank)))
    title = M.XLSX_NOT_YET_TITLE.format(period=period, n=len(members))
    # Fewer columns than a unit sheet: this list repeats every member who has not finished, and a
    # year's list is most of the county, so every column costs (full-year export target: 2 s).
    columns = [
        _Column(M.XLSX_COL_UNIT, min_width=14),
        _Column(M.XLSX_COL_NAME),
        _Column(M.XLSX_COL_STAFF_NO),
        _Column(M.XLSX_COL_ROUNDS),
        _Column(M.XLSX_COL_PASSED),
        _Column(M.XLSX_COL_LAST_ACTIVITY, DATETIME, min_width=16),
        *([_Column(M.XLSX_COL_PHONE, min_width=13)] if report.show_phones else []),
    ]
    rows = [
        [m.unit, m.name, m.staff_no, m.rounds, m.passed, _parse_moment(m.last_activity),
         *([m.phone] if report.show_phones else [])]
        for m in members
    ]
    _write_table(workbook, styles, M.XLSX_SHEET_NOT_YET, title, columns, rows)


def _write_trend(workbook: Workbook, styles: _Styles, report: Report, period: str) -> None:
    """Add the 趋势 sheet: one row per week."""
    columns = [
        _Column(M.XLSX_COL_WEEK, min_width=10),
        _Column(M.XLSX_COL_MEMBERS),
        _Column(M.XLSX_COL_PARTICIPATED),
        _Column(M.XLSX_COL_PASSED),
        _Column(M.REPORT_PARTICIPATION_RATE, PERCENT),
        _Column(M.REPORT_PASS_RATE, PERCENT),
    ]
    rows = [[p.week, p.members, p.participated, p.passed, p.participation_rate, p.pass_rate] for p in report.trend]
    _write_table(workbook, styles, M.XLSX_SHEET_TREND, M.XLSX_TREND_TITLE.format(period=period), columns, rows)


def _write_members(
    workbook: Workbook,
    styles: _Styles,
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
        *([_Column(M.XLSX_COL_UNIT, min_width=14)] if with_unit else []),
        _Column(M.XLSX_COL_NAME),
        _Column(M.XLSX_COL_STAFF_NO),
        _Column(M.XLSX_COL_ROLE),
        _Column(M.XLSX_COL_ROUNDS),
        _Column(M.XLSX_COL_PARTICIPATED),
        _Column(M.XLSX_COL_PASSED),
        _Column(M.XLSX_COL_BEST, SCORE),
        _Column(M.XLSX_COL_LAST_ACTIVITY, DATETIME, min_width=16),
        _Column(M.XLSX_COL_STATUS, fonts=status_fonts),
        *([_Column(M.XLSX_COL_PHONE, min_width=13)] if report.show_phones else []),
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
            _parse_moment(member.last_activity),
            status_text(member),
            *([member.phone] if report.show_phones else []),
        ]
        rows.append(row)
    _write_table(workbook, styles, name, title, columns, rows)


def status_text(member: MemberRow) -> str:
    """Return the member's status; passing every round outranks being unreachable."""
    if member.done:
        return M.XLSX_STATUS_DONE
    return M.XLSX_STATUS_NOT_YET if member.reachable else M.XLSX_STATUS_UNREACHABLE


def _parse_moment(value: str | None) -> datetime | str | None:
    """Return an ISO date or timestamp as a naive local datetime (Excel has no time zones), else the text."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.replace(tzinfo=None)


def _write_table(
    workbook: Workbook,
    styles: _Styles,
    name: str,
    title: str,
    columns: Sequence[_Column],
    rows: Sequence[list[Any]],
    *,
    totals: list[Any] | None = None,
) -> None:
    """Add a sheet: a title row, a styled header row with frozen panes and a filter, then the rows."""
    sheet = workbook.create_sheet(name)
    # a write-only sheet writes its column widths and panes with the first row, so they must come first.
    for index, column in enumerate(columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = _width(column, rows, index)
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{len(rows) + 2}"
    sheet.print_title_rows = "1:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    heading = text_cell(sheet, title)
    heading.font = styles.title
    sheet.append([heading])
    sheet.append([_header_cell(sheet, styles, column.header) for column in columns])
    styled = [(index, column) for index, column in enumerate(columns) if column.number_format or column.fonts]
    for values in rows:
        sheet.append(_row_cells(sheet, values, styled))
    if totals is not None:
        cells = _row_cells(sheet, totals, styled)
        for index, value in enumerate(cells):
            cell = value if isinstance(value, Cell) else (
                text_cell(sheet, value) if isinstance(value, str) else WriteOnlyCell(sheet, value)
            )
            cell.font = styles.total_font
            cell.border = styles.total_border
            cells[index] = cell
        sheet.append(cells)


def _header_cell(sheet: Any, styles: _Styles, text: str) -> Cell:
    """Return a bold, filled header cell."""
    cell = text_cell(sheet, text)
    cell.font = styles.header_font
    cell.fill = styles.header_fill
    cell.border = styles.header_border
    cell.alignment = styles.header_align
    return cell


def _row_cells(sheet: Any, values: list[Any], styled: Sequence[tuple[int, _Column]]) -> list[Any]:
    """Return a row ready to append: plain values, and styled cells in the columns that have a format or fonts.

    Text openpyxl would store as a formula (a leading =) or an error code is wrapped as a text cell.
    """
    row = [text_cell(sheet, v) if isinstance(v, str) and (v.startswith("=") or v in ERROR_CODES) else v
           for v in values]
    for index, column in styled:
        value = row[index]
        if value is None or isinstance(value, Cell) or (isinstance(value, str) and not column.fonts):
            continue
        font = column.fonts.get(value) if column.fonts and isinstance(value, str) else None
        if font is None and not column.number_format:
            continue
        cell = text_cell(sheet, value) if isinstance(value, str) else WriteOnlyCell(sheet, value)
        if font is not None:
            cell.font = font
        if column.number_format == DATETIME:
            cell.number_format = DATETIME if value.hour or value.minute else DATE
        elif column.number_format:
            cell.number_format = column.number_format
        row[index] = cell
    return row


def _width(column: _Column, rows: Iterable[list[Any]], index: int) -> float:
    """Return a column width that fits its header and values, counting CJK characters as two."""
    widest = _display_width(column.header)
    for row in rows:
        value = row[index]
        if isinstance(value, str):
            widest = max(widest, _display_width(value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            widest = max(widest, 7 if column.number_format else len(str(value)))
    return min(max(widest + 2, column.min_width), 48)


def _display_width(text: str) -> int:
    """Return how many Latin-character widths text takes, wide characters counting two."""
    return len(text) + sum(1 for char in text if ord(char) >= 0x2E80)


