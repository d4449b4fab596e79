"""Admins' own question banks (题库): read CSV or XLSX sheets into questions, row by row."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from knowledge import messages as M
from knowledge.citations import LawCatalog, parse_citation, resolve
from knowledge.errors import CitationError, SourceError, ValidationError
from knowledge.quizzes import BANK, TRUEFALSE_OPTIONS, QuizQuestion, validate
from knowledge.sources import read_text

LETTERS = "ABCDEF"
CitationCheck = Callable[[str], str | None]
_KINDS = {
    "单选": "single",
    "单选题": "single",
    "多选": "multiple",
    "多选题": "multiple",
    "判断": "truefalse",
    "判断题": "truefalse",
}
_TRUE_WORDS = {"正确", "对", "√", "A"}
_FALSE_WORDS = {"错误", "错", "×", "B"}
_ANSWER_SEPARATORS = re.compile(r"[\s,，、;；/]+")
_FULLWIDTH = str.maketrans("ＡＢＣＤＥＦａｂｃｄｅｆ", "ABCDEFabcdef")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


def _columns() -> dict[str, str]:
    """Map each header the sheet must or may have to its field: 题型 -> kind, 选项A -> A."""
    columns = {
        M.BANK_COL_KIND: "kind",
        M.BANK_COL_STEM: "stem",
        M.BANK_COL_ANSWER: "answer",
        M.BANK_COL_EXPLANATION: "explanation",
        M.BANK_COL_SOURCE: "source",
    }
    columns.update({M.BANK_COL_OPTION.format(letter=letter): letter for letter in LETTERS})
    return columns


# 选项C…F, 解析 and 出处 may be left out: a bank of two-option questions without notes is still a bank.
REQUIRED = ("kind", "stem", "A", "B", "answer")


def read_bank(path: Path, check_citation: CitationCheck) -> tuple[list[QuizQuestion], list[tuple[int, str]]]:
    """Read a 题库 CSV or XLSX; return the valid questions and (row, reason) for every bad row."""
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise SourceError(str(path), M.FILE_EMPTY)
    positions = _header(path, rows[0][1])
    questions: list[QuizQuestion] = []
    problems: list[tuple[int, str]] = []
    first_seen: dict[str, int] = {}
    data = [(n, cells) for n, cells in rows[1:] if any(c.strip() for c in cells)]
    if not data:
        raise SourceError(str(path), M.BANK_NO_ROWS)
    for number, cells in data:
        fields = {name: cells[i].strip() if i < len(cells) else "" for name, i in positions.items()}
        question, reasons = _row_question(fields, check_citation)
        if question is not None and not reasons:
            earlier = first_seen.setdefault(question.content_hash, number)
            if earlier != number:
                reasons.append(M.BANK_DUPLICATE.format(row=earlier))
        if reasons:
            problems.append((number, M.BANK_REASONS_JOIN.join(reasons)))
        else:
            questions.append(question)
    return questions, problems


def load_bank(path: Path, check_citation: CitationCheck, skip_invalid: bool = False) -> list[QuizQuestion]:
    """Read a 题库 and return its questions; any bad row stops it unless skip_invalid keeps the good ones."""
    questions, problems = read_bank(path, check_citation)
    if problems and not skip_invalid:
        raise ValidationError(str(path), problems)
    return questions


def citation_checker(catalog: LawCatalog, repository) -> CitationCheck:
    """Return a 出处 check against the store: None when the citation resolves, else why not."""

    def check(text: str) -> str | None:
        try:
            resolve(parse_citation(text), catalog, repository)
        except CitationError as exc:
            return str(exc)
        return None

    return check


# --- reading the sheet ------------------------------------------------------------------


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Return the sheet's rows numbered as a spreadsheet shows them (header = 1)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(str(path), M.FILE_NOT_FOUND) from None
    if not data.strip():
        raise SourceError(str(path), M.FILE_EMPTY)
    # Decide by content, not by name: a renamed file is read for what it is.
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(path, data)
    if data.startswith(_OLE_MAGIC):
        raise SourceError(str(path), M.BANK_XLS_OLD)
    if b"\x00" in data[:65536]:
        raise SourceError(str(path), M.BANK_BINARY)
    return _csv_rows(read_text(path))


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1)]


def _xlsx_rows(path: Path, data: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl  # only needed for XLSX banks
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as exc:
        raise SourceError(str(path), M.BANK_XLSX_INVALID.format(reason=exc)) from None
    try:
        sheet = book.worksheets[0]
        return [(n, [_cell(v) for v in row]) for n, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        book.close()


def _cell(value) -> str:
    """Write a cell as the admin sees it: 15.0 -> 15, empty -> ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _header(path: Path, cells: list[str]) -> dict[str, int]:
    """Find the column of each field; raise SourceError naming the missing ones."""
    known = _columns()
    positions: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = known.get(re.sub(r"\s+", "", cell).translate(_FULLWIDTH).upper())
        if name and name not in positions:
            positions[name] = i
    missing = [title for title, name in known.items() if name in REQUIRED and name not in positions]
    if missing:
        raise SourceError(str(path), M.BANK_COLUMNS_MISSING.format(columns="、".join(missing)), line=1)
    return positions


# --- one row ------------------------------------------------------------------------------


def _row_question(fields: dict[str, str], check_citation: CitationCheck) -> tuple[QuizQuestion | None, list[str]]:
    """Build the question of one row and list everything wrong with it."""
    kind = _KINDS.get(re.sub(r"\s+", "", fields["kind"]))
    if kind is None:
        return None, [M.BANK_KIND_UNKNOWN.format(kind=fields["kind"])]
    if kind == "truefalse":
        options = list(TRUEFALSE_OPTIONS)
        answer, reasons = _truefalse_answer(fields["answer"])
    else:
        letters = [letter for letter in LETTERS if fields.get(letter)]
        options = [fields[letter] for letter in letters]
        answer, reasons = _choice_answer(fields["answer"], letters)
    source = fields.get("source", "")
    explanation = fields.get("explanation", "") or (
        M.BANK_EXPLANATION_CITATION.format(citation=source) if source else ""
    )
    question = QuizQuestion(
        kind=kind,
        stem=fields["stem"],
        options=options,
        answer=answer,
        explanation=explanation,
        citation=source,
        generator=BANK,
        origin=BANK,
    )
    # An answer that could not be read is reported once, not again as "no correct answer".
    reasons += [r for r in validate(question) if not (reasons and r == M.QUIZ_ANSWER_NONE)]
    if source:
        reason = check_citation(source)
        if reason:
            reasons.append(M.BANK_CITATION_BAD.format(citation=source, reason=reason))
    return question, reasons


def _truefalse_answer(text: str) -> tuple[list[int], list[str]]:
    word = re.sub(r"\s+", "", text).translate(_FULLWIDTH).upper()
    if not word:
        return [], [M.BANK_ANSWER_EMPTY]
    if word in _TRUE_WORDS:
        return [0], []
    if word in _FALSE_WORDS:
        return [1], []
    return [], [M.BANK_ANSWER_BAD.format(answer=text.strip())]


def _choice_answer(text: str, letters: list[str]) -> tuple[list[int], list[str]]:
    """Read B, ACD or A,C against the filled option columns; the index counts filled options only."""
    cleaned = _ANSWER_SEPARATORS.sub("", text).translate(_FULLWIDTH).upper()
    if not cleaned:
        return [], [M.BANK_ANSWER_EMPTY]
    if any(c not in LETTERS for c in cleaned):
        return [], [M.BANK_ANSWER_BAD.format(answer=text.strip())]
    if len(set(cleaned)) != len(cleaned):
        return [], [M.BANK_ANSWER_LETTER_REPEATED.format(answer=text.strip())]
    empty = [c for c in cleaned if c not in letters]
    if empty:
        return [], [M.BANK_ANSWER_EMPTY_OPTION.format(letter=c) for c in empty]
    return sorted(letters.index(c) for c in cleaned), []
