"""Study records as an Excel workbook for the annual assessment (年度考核): one person, or everyone of a unit.

Sheets: 汇总 (one row per person), 分季度 (per person and quarter), 测验明细 (per person and round),
集体学法 (per person and session). The same file for one person and for a unit, so a leader files
them alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from openpyxl import Workbook

from knowledge import messages as M
from knowledge.clock import Clock
from knowledge.reports.records import StudyRecord
from knowledge.reports.sheets import DATE, SCORE, Column, Styles, parse_moment, score_points, write_table


def taken(record: StudyRecord) -> int:
    """Return how many of the record's rounds the member took (finished an attempt)."""
    return sum(1 for item in record.rounds if item.attempts)


def average_best(record: StudyRecord) -> float | None:
    """Return the mean of the best scores of the rounds taken, as a fraction."""
    scores = [item.best_score for item in record.rounds if item.attempts and item.best_score is not None]
    return sum(scores) / len(scores) if scores else None


def records_title(record: StudyRecord) -> str:
    """Return the title of one person's record: 张伟（T001，城关一小）2026年度 学法记录."""
    member = record.member
    return M.RECORDS_TITLE_ONE.format(name=member.name, staff_no=member.staff_no, unit=member.unit,
                                      period=record.period.text)


def write_records_xlsx(records: list[StudyRecord], title: str, out: str | Path | IO[bytes], clock: Clock) -> None:
    """Write study records as a workbook: summary, quarters, rounds and group sessions."""
    workbook = Workbook(write_only=True)
    styles = Styles()
    who = [Column(M.XLSX_COL_NAME), Column(M.XLSX_COL_STAFF_NO), Column(M.XLSX_COL_UNIT, min_width=14)]
    summary = [
        *who,
        Column(M.XLSX_COL_ROLE),
        Column(M.XLSX_COL_ROUNDS),
        Column(M.XLSX_COL_PARTICIPATED),
        Column(M.XLSX_COL_PASSED),
        Column(M.XLSX_COL_AVERAGE_BEST, SCORE),
        Column(M.XLSX_COL_QUESTIONS_ASKED),
        Column(M.XLSX_COL_SESSIONS),
    ]
    rows = [
        [*_who(r), r.member.role_label, len(r.rounds), taken(r), sum(item.passed for item in r.rounds),
         score_points(average_best(r)), r.questions, len(r.sessions)]
        for r in records
    ]
    write_table(workbook, styles, M.XLSX_SHEET_SUMMARY, title, summary, rows)
    quarters = [*who, Column(M.XLSX_COL_QUARTER), Column(M.XLSX_COL_ROUNDS), Column(M.XLSX_COL_PARTICIPATED),
                Column(M.XLSX_COL_PASSED), Column(M.XLSX_COL_SESSIONS)]
    rows = [[*_who(r), q.quarter, q.rounds, q.done, q.passed, q.sessions] for r in records for q in r.quarters]
    write_table(workbook, styles, M.XLSX_SHEET_QUARTERS, title, quarters, rows)
    rounds = [*who, Column(M.XLSX_COL_WEEK), Column(M.XLSX_COL_DEADLINE, DATE), Column(M.XLSX_COL_ATTEMPTS),
              Column(M.XLSX_COL_BEST, SCORE), Column(M.XLSX_COL_RESULT)]
    rows = [
        [*_who(r), item.week, parse_moment(clock.local(item.deadline).date().isoformat()), item.attempts,
         score_points(item.best_score), _verdict(item.passed, item.attempts)]
        for r in records for item in r.rounds
    ]
    write_table(workbook, styles, M.XLSX_SHEET_ROUNDS, title, rounds, rows)
    sessions = [*who, Column(M.XLSX_COL_SESSION_DATE, DATE), Column(M.XLSX_COL_SESSION_TITLE, min_width=24)]
    rows = [[*_who(r), parse_moment(held_on), name] for r in records for held_on, name in r.sessions]
    write_table(workbook, styles, M.XLSX_SHEET_SESSIONS, title, sessions, rows)
    workbook.save(out)


def _who(record: StudyRecord) -> list[str]:
    member = record.member
    return [member.name, member.staff_no, member.unit]


def _verdict(passed: bool, attempts: int) -> str:
    return M.RECORD_PASSED if passed else (M.RECORD_FAILED if attempts else M.RECORD_ABSENT)
