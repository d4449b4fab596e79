"""Admins' own question banks (题库): read CSV or XLSX sheets into questions, row by row."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge import limits
from knowledge import messages as M
from knowledge.citations import LawCatalog, find_citations, parse_citation, resolve
from knowledge.errors import CitationError, SourceError, ValidationError
from knowledge.quizzes import BANK, TRUEFALSE_OPTIONS, QuizQuestion, validate
from knowledge.tables import read_rows

if TYPE_CHECKING:
    from knowledge.store import Repository

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
_FIXED_WORDS = {"是", "固定", "Y", "YES", "1", "√"}  # 固定: options stay in the order written (以上都对…)
_TRUE_WORDS = {"正确", "对", "√", "A"}
_FALSE_WORDS = {"错误", "错", "×", "B"}
_ANSWER_SEPARATORS = re.compile(r"[\s,，、;；/]+")
_FULLWIDTH = str.maketrans("ＡＢＣＤＥＦａｂｃｄｅｆ", "ABCDEFabcdef")


def _columns() -> dict[str, str]:
    """Map each header the sheet must or may have to its field: 题型 -> kind, 选项A -> A."""
    columns = {
        M.BANK_COL_KIND: "kind",
        M.BANK_COL_STEM: "stem",
        M.BANK_COL_ANSWER: "answer",
        M.BANK_COL_EXPLANATION: "explanation",
        M.BANK_COL_SOURCE: "source",
        M.BANK_COL_FIXED: "fixed",
    }
    columns.update({M.BANK_COL_OPTION.format(letter=letter): letter for letter in LETTERS})
    return columns


# 选项C…F, 解析 and 出处 may be left out: a bank of two-option questions without notes is still a bank.
REQUIRED = ("kind", "stem", "A", "B", "answer")


def read_bank(
    path: Path, check_citation: CitationCheck, rows: list[tuple[int, list[str]]] | None = None
) -> tuple[list[QuizQuestion], list[tuple[int, str]]]:
    """Read a 题库 CSV or XLSX (or its rows, read already); return the valid questions and every bad row's reason."""
    path = Path(path)
    rows = list(read_rows(path) if rows is None else rows)
    while rows and not any(cell.strip() for cell in rows[0][1]):
        rows.pop(0)  # blank rows above the header, as the roster reader allows too
    if not rows:
        raise SourceError(str(path), M.FILE_EMPTY)
    positions = _header(path, rows[0][1], rows[0][0])
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


def citation_checker(catalog: LawCatalog, repository: Repository) -> CitationCheck:
    """Return a 出处 check against the store: None when the citation resolves, else why not."""

    def check(text: str) -> str | None:
        try:
            resolve(parse_citation(text), catalog, repository)
        except CitationError as exc:
            return str(exc)
        return None

    return check


def import_bank(
    repository: Repository, catalog: LawCatalog, path: Path, skip_invalid: bool = False, name: str | None = None,
    rows: list[tuple[int, list[str]]] | None = None,
) -> str:
    """Import a question bank and describe what happened; nothing is stored when a row is bad, unless skip_invalid.

    Each 出处 is resolved to its article, so rounds can match bank questions to study-list laws.
    """
    questions, problems = read_bank(path, citation_checker(catalog, repository), rows)
    if problems and not skip_invalid:
        raise ValidationError(name or path.name, problems)
    for question in questions:
        if question.citation and question.article_id is None:
            question.article_id = _article_id(catalog, repository, question.citation)
    before = len(repository.bank_questions())
    repository.save_questions(questions)
    added = len(repository.bank_questions()) - before
    lines = [M.BANK_IMPORTED.format(n=len(questions), added=added, duplicates=len(questions) - added)]
    if problems:
        lines.append(M.ROSTER_SKIPPED.format(n=len(problems)))
        lines += [M.ROW_PROBLEM.format(row=row, reason=reason) for row, reason in problems]
    return "\n".join(lines)


def _article_id(catalog: LawCatalog, repository: Repository, citation: str) -> int | None:
    found = find_citations(citation)
    if not found:
        return None
    try:
        return resolve(found[0], catalog, repository).article.id
    except CitationError:
        return None


def _header(path: Path, cells: list[str], line: int) -> dict[str, int]:
    """Find the column of each field; raise SourceError naming the missing ones."""
    known = _columns()
    positions: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = known.get(re.sub(r"\s+", "", cell).translate(_FULLWIDTH).upper())
        if name and name not in positions:
            positions[name] = i
    missing = [title for title, name in known.items() if name in REQUIRED and name not in positions]
    if missing:
        raise SourceError(str(path), M.BANK_COLUMNS_MISSING.format(columns="、".join(missing)), line=line)
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
        fixed=re.sub(r"\s+", "", fields.get("fixed", "")).upper() in _FIXED_WORDS,
    )
    lengths = [("stem", question.stem), ("explanation", explanation), ("citation", source)]
    lengths += [("option", option) for option in options]
    too_long = [reason for name, text in lengths if (reason := limits.too_long(name, text))]
    if too_long:
        return question, reasons + too_long[:1]  # nothing else is checked on an over-long text
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
