"""Question banks uploaded by admins: check every row, store the good ones, report the rest."""

from __future__ import annotations

from pathlib import Path

from bot.services import Services
from knowledge import messages as M
from knowledge.citations import find_citations, resolve
from knowledge.errors import CitationError, ValidationError
from knowledge.quizbank import citation_checker, read_bank


def import_bank(services: Services, path: Path, skip_invalid: bool = False) -> str:
    """Import a question bank; nothing is stored when a row is bad, unless skip_invalid."""
    questions, problems = read_bank(path, citation_checker(services.catalog, services.repository))
    if problems and not skip_invalid:
        raise ValidationError(path.name, problems)
    for question in questions:
        if question.citation and question.article_id is None:
            question.article_id = _article_id(services, question.citation)
    before = len(services.repository.bank_questions())
    services.repository.save_questions(questions)
    added = len(services.repository.bank_questions()) - before
    lines = [M.BANK_IMPORTED.format(n=len(questions), added=added, duplicates=len(questions) - added)]
    if problems:
        lines.append(M.ROSTER_SKIPPED.format(n=len(problems)))
        lines += [M.ROW_PROBLEM.format(row=row, reason=reason) for row, reason in problems]
    return "\n".join(lines)


def _article_id(services: Services, citation: str) -> int | None:
    found = find_citations(citation)
    if not found:
        return None
    try:
        return resolve(found[0], services.catalog, services.repository).article.id
    except CitationError:
        return None
