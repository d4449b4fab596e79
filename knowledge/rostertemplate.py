"""The roster template an admin downloads: the columns in order, three example rows and how to fill them in."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from knowledge import messages as M

TEMPLATE_COLUMNS = [*M.ROSTER_COLUMNS, M.ROSTER_PHONE_COLUMN, M.ROSTER_PARENT_COLUMN]


def write_roster_template(out: str | Path | IO[bytes]) -> None:
    """Write the roster template as .xlsx: the header and example rows, and the notes on a sheet of their own.

    Cells are text (工号 and phone numbers keep their leading zeros). A roster is read from the
    first sheet only, so the notes never become rows.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = M.ROSTER_TEMPLATE_TITLE
    sheet.append(TEMPLATE_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in M.ROSTER_TEMPLATE_EXAMPLE:
        sheet.append(row)
    for column, width in zip("ABCDEF", (10, 10, 18, 12, 14, 18)):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=1, max_row=1 + len(M.ROSTER_TEMPLATE_EXAMPLE)):
        for cell in row:
            cell.number_format = "@"
    notes = book.create_sheet(M.ROSTER_TEMPLATE_NOTES_TITLE)
    for line in M.ROSTER_TEMPLATE_NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    book.save(out)
