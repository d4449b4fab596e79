"""The participation report's member list as CSV (UTF-8 with BOM, so Excel reads the Chinese)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from knowledge import messages as M
from knowledge.private import open_private
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


def write_csv(report: Report, path: str | Path) -> None:
    """Write one line per member: unit, name, 工号, role, rounds, taken, passed, best score, last activity, phone."""
    rows = (
        [m.unit, m.name, m.staff_no, M.ROLE_LABELS[m.role], m.rounds, m.participated, m.passed,
         "" if m.best_score is None else f"{m.best_score * 100:.1f}", m.last_activity or "", m.phone or ""]
        for m in report.members
    )
    with open_private(path, "w", encoding="utf-8-sig", newline="") as handle:
        write_rows(handle, M.CSV_MEMBER_HEADER, rows)
