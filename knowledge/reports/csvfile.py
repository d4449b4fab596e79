"""The participation report's member list as CSV (UTF-8 with BOM, so Excel reads the Chinese)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from knowledge import messages as M
from knowledge.private import write_private
from knowledge.reports.shapes import Report

# Spreadsheet programs run a CSV cell starting with these as a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: object) -> str:
    """Return a cell's text, a leading apostrophe keeping a would-be formula as text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_rows(handle: IO[str], header: list[str], rows: Iterable[list]) -> None:
    """Write a header and rows as CSV, every cell neutralised."""
    writer = csv.writer(handle)
    writer.writerow(header)
    writer.writerows([neutral(cell) for cell in row] for row in rows)


def csv_bytes(report: Report) -> bytes:
    """Return the member list as CSV bytes (UTF-8 with BOM): one line per member, with unit, name, 工号,
    role, rounds, taken, passed, best score, last activity and phone."""
    rows = (
        [m.unit, m.name, m.staff_no, M.ROLE_LABELS[m.role], m.rounds, m.participated, m.passed,
         "" if m.best_score is None else f"{m.best_score * 100:.1f}", m.last_activity or "", m.phone or ""]
        for m in report.members
    )
    buffer = io.StringIO(newline="")
    write_rows(buffer, M.CSV_MEMBER_HEADER, rows)
    return buffer.getvalue().encode("utf-8-sig")


def write_csv(report: Report, path: str | Path) -> None:
    """Write the member list to a private file (the download's bytes, so both are the same file)."""
    write_private(path, csv_bytes(report))
