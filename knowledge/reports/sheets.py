"""Spreadsheet tables every xuefa workbook shares: styles, a titled table with a frozen header, safe text cells.

Every text cell is written as text: a name like =HYPERLINK(...) that slipped into the store
must never become a live formula in a file the bureau opens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from knowledge import messages as M

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


class Styles:
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
class Column:
    """One column of a table: its header, number format, fonts for some values and a minimum width."""

    header: str
    number_format: str | None = None
    fonts: Mapping[str, Font] | None = None
    min_width: float = 9


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


def parse_moment(value: str | None) -> datetime | str | None:
    """Return an ISO date or timestamp as a naive local datetime (Excel has no time zones), else the text."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.replace(tzinfo=None)


def write_table(
    workbook: Workbook,
    styles: Styles,
    name: str,
    title: str,
    columns: Sequence[Column],
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


def _header_cell(sheet: Any, styles: Styles, text: str) -> Cell:
    """Return a bold, filled header cell."""
    cell = text_cell(sheet, text)
    cell.font = styles.header_font
    cell.fill = styles.header_fill
    cell.border = styles.header_border
    cell.alignment = styles.header_align
    return cell


def _row_cells(sheet: Any, values: list[Any], styled: Sequence[tuple[int, Column]]) -> list[Any]:
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


def _width(column: Column, rows: Iterable[list[Any]], index: int) -> float:
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


