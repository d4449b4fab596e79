"""Read uploaded spreadsheets (CSV or TSV in UTF-8 or GBK, or XLSX) as rows with their row numbers."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from xml.etree.ElementTree import ParseError, iterparse
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from knowledge import messages as M
from knowledge.errors import SourceError
from knowledge.sources import OLE_MAGIC, ZIP_MAGIC, decode_text, read_bytes


@dataclass
class Table:
    """A sheet: all its header names, and its data rows (wanted columns only) with their row numbers."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


MAX_ROWS = 20_000  # a county's roster is ~5,000 people; a bank a few hundred questions
MAX_SHEET_BYTES = 50_000_000  # uncompressed XML of an .xlsx: a 2 MB zip can hold 500 MB (a zip bomb)
MAX_COLUMNS = 64  # a roster has 5 columns, a bank about 12: more is not a table we read
MAX_ROW_CELLS = 1_000  # cells written in one row of the XML (empty styled ones included)
MAX_STRINGS_BYTES = 20_000_000  # the shared strings, which openpyxl keeps in memory whole
MAX_SHEET_ELEMENTS = 2_500_000  # XML elements of a sheet: 20,000 rows of 12 cells are under a million
MAX_PART_BYTES = 5_000_000  # any other part (styles, workbook, relations): kilobytes in a real file
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Return a sheet's rows numbered as a spreadsheet shows them (header = 1), whatever the file's name.

    An upload is checked before it is parsed: an .xlsx whose sheets would unpack to more than
    MAX_SHEET_BYTES is refused unread, and reading stops at MAX_ROWS rows with a clear message.
    """
    path = Path(path)
    data = read_bytes(path)
    # Decide by content, not by name: a renamed file is read for what it is.
    if data.startswith(ZIP_MAGIC):
        return _xlsx_rows(path, data)
    if data.startswith(OLE_MAGIC):
        raise SourceError(str(path), M.XLS_RENAMED)
    if b"\x00" in data[:65536]:
        raise SourceError(str(path), M.TABLE_BINARY)
    text = decode_text(path, data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return _capped(path, enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1))
    except csv.Error as exc:
        raise SourceError(str(path), M.CSV_INVALID.format(reason=exc)) from None


def _capped(path: Path, rows) -> list[tuple[int, list[str]]]:
    """Read rows until MAX_ROWS (the header too); one more row refuses the file."""
    kept = []
    for number, cells in rows:
        if number > MAX_ROWS + 1:
            raise SourceError(str(path), M.TABLE_TOO_MANY_ROWS.format(limit=f"{MAX_ROWS:,}"))
        kept.append((number, cells))
    return kept


def _check_unpacked_size(path: Path, data: bytes) -> None:
    """Refuse an .xlsx whose parts would unpack too large, then any sheet too wide, before openpyxl reads it.

    The zip directory first (sizes of the whole and of each part), then every sheet streamed
    through a SAX-like scan that keeps nothing: a row of millions of empty cells, which openpyxl
    would build as millions of objects (issue 17: 30 KB on the wire, 2.3 GB in memory), is
    refused at its MAX_ROW_CELLS-th cell.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if sum(info.file_size for info in parts) > MAX_SHEET_BYTES:
                raise SourceError(str(path), M.XLSX_TOO_LARGE.format(mb=MAX_SHEET_BYTES // 1_000_000))
            for info in parts:
                most = (MAX_SHEET_BYTES if _SHEET_PART.fullmatch(info.filename)
                        else MAX_STRINGS_BYTES if info.filename == "xl/sharedStrings.xml" else MAX_PART_BYTES)
                if info.file_size > most:
                    raise SourceError(str(path), M.XLSX_PART_TOO_LARGE.format(part=info.filename, mb=most // 1_000_000))
            for info in parts:
                if _SHEET_PART.fullmatch(info.filename):
                    with archive.open(info) as stream:
                        _check_sheet(path, stream)
    except zipfile.BadZipFile as exc:
        raise SourceError(str(path), M.XLSX_INVALID.format(reason=exc)) from None


def _check_sheet(path: Path, stream) -> None:
    """Stream a sheet's XML and refuse it at the first row with too many cells or a cell too far right."""
    cells, row_number, elements = 0, 0, 0
    open_elements: list = []
    try:
        for event, element in iterparse(stream, events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start":
                open_elements.append(element)
                elements += 1
                if elements > MAX_SHEET_ELEMENTS:
                    raise SourceError(str(path), M.XLSX_TOO_COMPLEX)
                if tag == "row":
                    cells, row_number = 0, row_number + 1
                elif tag == "c":
                    cells += 1
                    if cells > MAX_ROW_CELLS:
                        raise SourceError(str(path), M.XLSX_ROW_TOO_WIDE.format(n=MAX_ROW_CELLS), row_number)
                elif tag == "dimension":
                    _check_dimension(path, element.get("ref", ""))
            else:
                open_elements.pop()
                element.clear()  # keep nothing: memory stays flat whatever the sheet holds
                if open_elements:
                    open_elements[-1].remove(element)
    except ParseError as exc:
        raise SourceError(str(path), M.XLSX_INVALID.format(reason=exc)) from None


def _check_dimension(path: Path, ref: str) -> None:
    """Refuse a sheet that says itself wider than MAX_COLUMNS columns (its <dimension ref="A1:XFD1">)."""
    match = re.fullmatch(r"[A-Z]{1,3}\d+:([A-Z]{1,3})\d+", ref.upper())
    if match is None:
        return
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    if column > MAX_ROW_CELLS:
        raise SourceError(str(path), M.XLSX_ROW_TOO_WIDE.format(n=MAX_ROW_CELLS))


def _xlsx_rows(path: Path, data: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl  # only needed for spreadsheets
    from openpyxl.utils.exceptions import InvalidFileException

    _check_unpacked_size(path, data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as exc:
        raise SourceError(str(path), M.XLSX_INVALID.format(reason=exc)) from None
    try:
        sheet = book.worksheets[0]
        # Bounded columns: nothing right of MAX_COLUMNS is read, whatever the sheet holds there.
        read = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        return _capped(path, ((n, [_cell(v) for v in row]) for n, row in enumerate(read, 1)))
    finally:
        book.close()


def _cell(value) -> str:
    """Write a cell as the admin sees it: 15.0 -> 15 (工号 and phones typed as numbers), empty -> ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def canonical_header(header: list[str], synonyms: dict[str, str]) -> list[str]:
    """Return a header with other systems' words replaced by ours, unless ours is there already."""
    present = set(header)
    return [
        synonyms[name] if name in synonyms and synonyms[name] not in present else name for name in header
    ]


def read_table(
    path: Path, required: list[str], optional: list[str] = (), rows: list[tuple[int, list[str]]] | None = None,
    synonyms: dict[str, str] | None = None, missing: str | None = None,
) -> Table:
    """Read a sheet whose first non-empty row names the columns; check the required ones.

    rows are the sheet's rows when the caller read them already (an upload is read once). synonyms
    map the header words other systems use to ours (名字 -> 姓名), and missing is the message for
    absent required columns (with {columns}), when the caller can say more than their names.
    """
    raw = list(read_rows(path) if rows is None else rows)
    while raw and not any(cell.strip() for cell in raw[0][1]):
        raw.pop(0)
    if not raw:
        raise SourceError(str(path), M.FILE_EMPTY)
    header = [cell.strip().lstrip("\ufeff") for cell in raw[0][1]]
    if synonyms:
        header = canonical_header(header, synonyms)
    absent = [name for name in required if name not in header]
    if absent:
        text = (missing or M.TABLE_MISSING_COLUMNS).format(columns="、".join(absent))
        raise SourceError(str(path), text, raw[0][0])
    wanted = [name for name in header if name in required or name in optional]
    rows = []
    for number, cells in raw[1:]:
        if not any(str(cell).strip() for cell in cells):
            continue
        values = {name: (cells[header.index(name)].strip() if header.index(name) < len(cells) else "") for name in wanted}
        rows.append((number, values))
    return Table(header, rows)
