"""Read uploaded spreadsheets (CSV in UTF-8 or GBK, or XLSX) as rows with their row numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from knowledge import messages as M
from knowledge.errors import SourceError
from knowledge.sources import read_text

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Table:
    """A sheet: all its header names, and its data rows (wanted columns only) with their row numbers."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def read_table(path: Path, required: list[str], optional: list[str] = ()) -> Table:
    """Read a CSV or XLSX file whose first row names the columns; check the required ones."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = list(csv.reader(io.StringIO(read_text(path))))
    elif suffix in (".xlsx", ".xlsm"):
        raw = _xlsx_rows(path)
    else:
        raise SourceError(str(path), M.TABLE_UNSUPPORTED.format(suffix=suffix or "（无扩展名）"))
    while raw and not any(cell.strip() for cell in raw[0]):
        raw.pop(0)
    if not raw:
        raise SourceError(str(path), M.FILE_EMPTY)
    header = [cell.strip().lstrip("\ufeff") for cell in raw[0]]
    missing = [name for name in required if name not in header]
    if missing:
        raise SourceError(str(path), M.TABLE_MISSING_COLUMNS.format(columns="、".join(missing)), 1)
    wanted = [name for name in header if name in required or name in optional]
    rows = []
    for number, cells in enumerate(raw[1:], 2):
        if not any(str(cell).strip() for cell in cells):
            continue
        values = {name: (cells[header.index(name)].strip() if header.index(name) < len(cells) else "") for name in wanted}
        rows.append((number, values))
    return Table(header, rows)


def _xlsx_rows(path: Path) -> list[list[str]]:
    if not path.exists():
        raise SourceError(str(path), M.FILE_NOT_FOUND)
    head = path.read_bytes()[:8]
    if not head:
        raise SourceError(str(path), M.FILE_EMPTY)
    if head.startswith(_OLE_MAGIC):
        raise SourceError(str(path), M.XLS_RENAMED)
    import openpyxl  # only needed for spreadsheets

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SourceError(str(path), M.XLSX_INVALID.format(reason=exc)) from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 工号 and phone numbers typed as numbers as floats
    return str(value)
